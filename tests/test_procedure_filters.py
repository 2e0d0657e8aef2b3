"""`procedures(...)`: each filter alone and combined, ordering and pagination."""

import pytest

from procedures.models import Muscle

LIST = """
query ($approach: Approach, $invasiveness: Invasiveness, $permanence: Permanence,
       $target: Tissue, $muscle: String, $maxRecoveryDays: Int, $searchQuery: String,
       $order: ProcedureOrder, $page: Int, $perPage: Int) {
  procedures(approach: $approach, invasiveness: $invasiveness, permanence: $permanence,
             target: $target, muscle: $muscle, maxRecoveryDays: $maxRecoveryDays,
             searchQuery: $searchQuery, order: $order, page: $page, perPage: $perPage) {
    items { slug }
    pagination { total count perPage currentPage prevPage nextPage totalPages }
  }
}
"""
ALL = [
    "calf-liposuction",
    "botox-calf-reduction",
    "partial-muscle-removal",
    "selective-neurectomy",
    "radio-frequency-calf-reduction",
]


def slugs(gql, **variables) -> list[str]:
    return [item["slug"] for item in gql(LIST, variables)["procedures"]["items"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, ALL),
        # Stated for liposuction; inferred by definition for the others (see the seed file).
        (
            {"approach": "SURGICAL"},
            ["calf-liposuction", "partial-muscle-removal", "selective-neurectomy"],
        ),
        ({"approach": "NONSURGICAL"}, ["botox-calf-reduction"]),
        ({"invasiveness": "NONINVASIVE"}, ["botox-calf-reduction"]),
        (
            {"invasiveness": "MINIMALLY_INVASIVE"},
            ["selective-neurectomy", "radio-frequency-calf-reduction"],
        ),
        ({"invasiveness": "INVASIVE"}, []),
        ({"permanence": "PERMANENT"}, ["calf-liposuction", "selective-neurectomy"]),
        ({"permanence": "TEMPORARY"}, ["botox-calf-reduction"]),
        ({"target": "FAT"}, ["calf-liposuction", "radio-frequency-calf-reduction"]),
        ({"target": "MUSCLE"}, ["botox-calf-reduction", "partial-muscle-removal"]),
        ({"target": "NERVE"}, ["selective-neurectomy", "radio-frequency-calf-reduction"]),
        ({"maxRecoveryDays": 7}, ["calf-liposuction"]),
        ({"maxRecoveryDays": 6}, []),
        ({"muscle": "soleus"}, []),
        ({"searchQuery": "liposuction"}, ["calf-liposuction"]),
        ({"searchQuery": "nerves"}, ["selective-neurectomy", "radio-frequency-calf-reduction"]),
        (
            {"target": "FAT", "invasiveness": "MINIMALLY_INVASIVE"},
            ["radio-frequency-calf-reduction"],
        ),
        ({"target": "NERVE", "permanence": "PERMANENT"}, ["selective-neurectomy"]),
        ({"target": "FAT", "maxRecoveryDays": 7, "approach": "SURGICAL"}, ["calf-liposuction"]),
        ({"target": "MUSCLE", "permanence": "PERMANENT"}, []),
        ({"searchQuery": "nerves", "permanence": "PERMANENT"}, ["selective-neurectomy"]),
    ],
)
def test_filters_on_the_seed_return_the_right_sets(gql, variables, expected):
    assert sorted(slugs(gql, **variables)) == sorted(expected)


@pytest.mark.django_db
def test_without_filters_procedures_come_in_the_editors_order(gql):
    assert slugs(gql) == ALL


@pytest.mark.django_db
def test_muscle_filter_matches_procedures_tagged_with_that_muscle(gql, make_procedure):
    soleus = Muscle.objects.get(slug="soleus")
    gastrocnemius = Muscle.objects.get(slug="medial-gastrocnemius")
    make_procedure("soleus-only", muscles=[soleus], targets=["muscle"])
    make_procedure("both-muscles", muscles=[soleus, gastrocnemius], targets=["muscle", "fat"])
    assert slugs(gql, muscle="soleus") == ["soleus-only", "both-muscles"]
    assert slugs(gql, muscle="medial-gastrocnemius") == ["both-muscles"]
    assert slugs(gql, muscle="medial-gastrocnemius", target="FAT") == ["both-muscles"]
    assert slugs(gql, muscle="soleus", target="FAT") == ["both-muscles"]
    assert slugs(gql, muscle="no-such-muscle") == []


@pytest.mark.django_db
def test_unknown_recovery_never_passes_a_recovery_filter(gql, make_procedure):
    make_procedure("quick", recovery_time="Two days", recovery_days=2)
    make_procedure("unknown-recovery")
    assert slugs(gql, maxRecoveryDays=3) == ["quick"]
    assert slugs(gql, maxRecoveryDays=30) == ["calf-liposuction", "quick"]


@pytest.mark.django_db
def test_drafts_are_not_listed(gql, make_procedure):
    make_procedure("draft-fat", targets=["fat"], publish=False)
    assert "draft-fat" not in slugs(gql, target="FAT")


@pytest.mark.django_db
def test_orders(gql, make_procedure):
    make_procedure("quick", recovery_time="Two days", recovery_days=2)
    assert slugs(gql, order="TITLE") == sorted([*ALL, "quick"])
    assert slugs(gql, order="TITLE_DESC") == sorted([*ALL, "quick"], reverse=True)
    assert slugs(gql, order="RECOVERY_DAYS")[:2] == ["quick", "calf-liposuction"]
    assert slugs(gql, order="NEWEST")[0] == "quick"


@pytest.mark.django_db
def test_pagination_metadata(gql):
    first = gql(LIST, {"perPage": 2})["procedures"]
    assert [i["slug"] for i in first["items"]] == ALL[:2]
    assert first["pagination"] == {
        "total": 5,
        "count": 2,
        "perPage": 2,
        "currentPage": 1,
        "prevPage": None,
        "nextPage": 2,
        "totalPages": 3,
    }
    last = gql(LIST, {"perPage": 2, "page": 3})["procedures"]
    assert [i["slug"] for i in last["items"]] == ALL[4:]
    assert last["pagination"]["count"] == 1
    assert last["pagination"]["prevPage"] == 2
    assert last["pagination"]["nextPage"] is None


@pytest.mark.django_db
def test_a_page_past_the_end_is_empty(gql):
    past = gql(LIST, {"perPage": 2, "page": 9})["procedures"]
    assert past["items"] == []
    assert past["pagination"]["total"] == 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"perPage": 0}, "perPage must be between 1 and 100"),
        ({"perPage": 101}, "perPage must be between 1 and 100"),
        ({"page": 0}, "page must be 1 or more"),
        ({"page": -3}, "page must be 1 or more"),
    ],
)
def test_bad_pagination_gets_a_clear_error(gql, variables, message):
    errors = gql.errors(LIST, variables)
    assert message in errors[0]["message"]


@pytest.mark.django_db
def test_a_filter_value_outside_the_enum_is_rejected(gql):
    errors = gql.errors(LIST, {"approach": "LASER"})
    assert "Approach" in errors[0]["message"]
