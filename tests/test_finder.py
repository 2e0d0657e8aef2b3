"""The procedure finder: multi-value filters (OR inside a filter, AND across) and facet counts
for every value under the other filters, in constant SQL."""

import random

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from procedures.enums import Approach, Invasiveness, Permanence, Tissue
from procedures.models import Muscle, ProcedurePage

pytestmark = pytest.mark.django_db

FINDER = """
query($filter: ProcedureFilter, $approach: Approach, $searchQuery: String, $maxRecoveryDays: Int) {
  procedures(filter: $filter, approach: $approach, searchQuery: $searchQuery,
             maxRecoveryDays: $maxRecoveryDays, perPage: 100) {
    items { slug }
    pagination { total }
    facets {
      approach { value count }
      invasiveness { value count }
      permanence { value count }
      target { value count }
      muscle { value count muscle { slug name } }
    }
  }
}
"""
DIMENSIONS = {
    "approach": [a.name for a in Approach],
    "invasiveness": [i.name for i in Invasiveness],
    "permanence": [p.name for p in Permanence],
    "target": [t.name for t in Tissue],
}


def find(gql, **variables) -> dict:
    return gql(FINDER, variables)["procedures"]


def slugs(answer) -> list[str]:
    return [item["slug"] for item in answer["items"]]


def test_values_combine_with_or_inside_a_filter_and_and_across(gql):
    fat = set(slugs(find(gql, filter={"target": ["FAT"]})))
    muscle = set(slugs(find(gql, filter={"target": ["MUSCLE"]})))
    either = set(slugs(find(gql, filter={"target": ["FAT", "MUSCLE"]})))
    assert fat and muscle and either == fat | muscle
    surgical = set(slugs(find(gql, filter={"approach": ["SURGICAL"]})))
    both = set(slugs(find(gql, filter={"target": ["FAT", "MUSCLE"], "approach": ["SURGICAL"]})))
    assert both == either & surgical
    # The single-value argument and the list both apply.
    assert set(slugs(find(gql, filter={"target": ["FAT", "MUSCLE"]}, approach="SURGICAL"))) == both
    # An empty list filters nothing.
    assert slugs(find(gql, filter={"target": []})) == slugs(find(gql))


def test_facets_list_every_value_with_its_count_and_zero_where_none(gql):
    facets = find(gql)["facets"]
    for dimension, values in DIMENSIONS.items():
        assert [f["value"] for f in facets[dimension]] == values
    assert {f["value"]: f["count"] for f in facets["invasiveness"]}["INVASIVE"] == 0
    total = ProcedurePage.objects.live().filter(locale__language_code="en").count()
    assert sum(f["count"] for f in facets["approach"]) <= total


def test_every_muscle_the_muscles_field_lists_has_a_chip(gql):
    muscles = gql("{ muscles { slug name } }")["muscles"]
    chips = find(gql)["facets"]["muscle"]
    assert [chip["muscle"] for chip in chips] == muscles
    for chip in chips:
        found = slugs(find(gql, filter={"muscle": [chip["value"]]}))
        assert len(found) == chip["count"]


def test_filtering_by_a_muscle_finds_the_procedures_that_name_it(gql, make_procedure):
    soleus = Muscle.objects.get(slug="soleus")
    make_procedure("soleus-one", muscles=[soleus])
    make_procedure("soleus-two", muscles=[soleus])
    assert slugs(find(gql, filter={"muscle": ["soleus"]})) == ["soleus-one", "soleus-two"]
    chip = {c["value"]: c["count"] for c in find(gql)["facets"]["muscle"]}
    assert chip["soleus"] == 2


def test_facets_count_only_live_public_procedures(gql, make_procedure):
    before = find(gql)["facets"]
    make_procedure("draft-only", publish=False, approach="surgical", targets=["fat"])
    private = make_procedure("members-only", approach="surgical", targets=["fat"])
    from wagtail.models import PageViewRestriction

    PageViewRestriction.objects.create(page=private, restriction_type="login")
    assert find(gql)["facets"] == before


def random_filter(rng: random.Random) -> dict:
    chosen = {}
    for dimension, values in DIMENSIONS.items():
        if rng.random() < 0.5:
            chosen[dimension] = rng.sample(values, rng.randint(1, len(values)))
    if rng.random() < 0.3:
        chosen["muscle"] = rng.sample(["gastrocnemius", "soleus"], rng.randint(1, 2))
    return chosen


# Hundreds of reads from one address: the rate limit is not under test here.
@override_settings(GRAPHQL_RATE_LIMIT_POINTS=0)
def test_each_facet_count_is_the_length_of_the_list_it_would_give(gql, make_procedure):
    """A property over random filter combinations: the count beside each value equals the
    total of the list with that value as the filter's only one, the others unchanged."""
    rng = random.Random(18)
    muscles = list(Muscle.objects.filter(live=True))
    made = 0
    while made < 12:
        facts = {
            "approach": rng.choice([None, *(a.value for a in Approach)]),
            "invasiveness": rng.choice([None, *(i.value for i in Invasiveness)]),
            "permanence": rng.choice([None, *(p.value for p in Permanence)]),
            "targets": rng.sample([t.value for t in Tissue], rng.randint(0, 2)),
            **rng.choice(
                [{}, *({"recovery_days": d, "recovery_time": f"{d} days"} for d in (3, 10, 30))]
            ),
        }
        try:
            with transaction.atomic():
                make_procedure(
                    f"made-{made}", muscles=rng.sample(muscles, rng.randint(0, 2)), **facts
                )
        except ValidationError:
            continue  # facts the form refuses together (surgical and noninvasive, say)
        made += 1
    checked = 0
    for _ in range(25):
        chosen = random_filter(rng)
        extra = {"maxRecoveryDays": 10} if rng.random() < 0.3 else {}
        answer = find(gql, filter=chosen, **extra)
        assert answer["pagination"]["total"] == len(answer["items"])
        for dimension in [*DIMENSIONS, "muscle"]:
            for facet in answer["facets"][dimension]:
                alone = {**chosen, dimension: [facet["value"]]}
                expected = find(gql, filter=alone, **extra)["pagination"]["total"]
                assert facet["count"] == expected, (chosen, dimension, facet)
                checked += 1
    assert checked == 25 * 12  # every value of every filter, in every draw


def finder_queries(client) -> int:
    import json

    body = json.dumps({"query": FINDER, "variables": {"filter": {"target": ["FAT", "NERVE"]}}})
    client.post("/graphql/", body, content_type="application/json")  # renditions, once
    from django.core.cache import cache

    from freshness.memo import per_generation

    cache.clear()
    per_generation.clear()
    client.post("/graphql/", body, content_type="application/json")
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/graphql/", body, content_type="application/json")
    assert "errors" not in response.json(), response.json()
    return len(captured.captured_queries)


def test_the_finders_sql_does_not_grow_with_the_procedures(client, make_procedure):
    few = finder_queries(client)
    for n in range(15):
        make_procedure(f"more-{n}", targets=["fat"], approach="surgical")
    assert finder_queries(client) == few


@override_settings(GRAPHQL_SHARED_MAX_AGE=300)
def test_a_finder_answer_is_purged_by_any_procedure_or_muscle_change(client, make_procedure):
    from freshness.tags import tags_for_change

    query = "{ procedures { facets { target { value count } muscle { value count } } } }"
    tags = set(client.get("/graphql/", {"query": query})["xkey"].split())
    new = make_procedure("a-new-one", targets=["fat"])
    assert tags & tags_for_change(new)
    muscle = Muscle.objects.create(name="Tibialis", slug="tibialis", live=True)
    assert tags & tags_for_change(muscle)
