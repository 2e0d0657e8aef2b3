"""`compareProcedures`: procedures side by side, fact by fact, as the models hold them, each value
with its source; unknown is null; only live, public procedures of the site; errors named."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql import get_operation_ast, parse
from test_publication_rules import CASES, target  # noqa: F401

from cms.graphql.limits import QueryLimits, estimate
from cms.graphql.schema import schema
from procedures.facts import FACTS
from procedures.models import FactSource, Muscle, ProcedurePage

SEED_SLUGS = [
    "calf-liposuction",
    "botox-calf-reduction",
    "partial-muscle-removal",
    "selective-neurectomy",
    "radio-frequency-calf-reduction",
]
COMPARE = """
query Compare($slugs: [String!], $ids: [ID!]) {
  compareProcedures(slugs: $slugs, ids: $ids) {
    procedures { id slug title }
    rows {
      fact label
      cells { procedureId known text source { source inferred confirmed setBy quote } }
    }
  }
}
"""


def compared(gql, **variables) -> dict:
    return gql(COMPARE, variables)["compareProcedures"]


def expected_text(page: ProcedurePage, fact: str) -> str | None:
    """The value as readers read it, from the model's own fields and choices."""
    field = ProcedurePage._meta.get_field(fact)
    if fact == "muscles":
        return ", ".join(m.name for m in page.muscles.all() if m.live) or None
    value = getattr(page, fact)
    if value in (None, "", []):
        return None
    if fact == "targets":
        return ", ".join(dict(field.choices_enum.choices)[v] for v in value)
    if field.choices:
        return dict(field.choices)[value]
    return str(value)


def expected_source(page: ProcedurePage, fact: str) -> dict | None:
    """For the unedited, unreviewed seed: the seed's sentence; inferred ones unconfirmed."""
    row = FactSource.objects.filter(page=page, fact=fact).first()
    if row is None:
        return None
    return {
        "source": row.sentence,
        "inferred": row.inferred,
        "confirmed": not row.inferred,
        "setBy": "SEED",
        "quote": None,
    }


@pytest.mark.django_db
def test_every_fact_of_every_procedure_as_the_models_hold_it(gql):
    order = [SEED_SLUGS[4], SEED_SLUGS[0], SEED_SLUGS[2], SEED_SLUGS[1], SEED_SLUGS[3]]
    answer = compared(gql, slugs=order)
    pages = [ProcedurePage.objects.get(slug=slug) for slug in order]
    assert [p["slug"] for p in answer["procedures"]] == order
    assert [row["fact"] for row in answer["rows"]] == [fact.upper() for fact in FACTS]
    known = 0
    for row, fact in zip(answer["rows"], FACTS, strict=True):
        assert row["label"] == ProcedurePage._meta.get_field(fact).verbose_name.capitalize()
        assert [cell["procedureId"] for cell in row["cells"]] == [str(p.pk) for p in pages]
        for cell, page in zip(row["cells"], pages, strict=True):
            text = expected_text(page, fact)
            assert cell["text"] == text, (page.slug, fact)
            assert cell["known"] is (text is not None)
            assert cell["source"] == (expected_source(page, fact) if text else None)
            known += cell["known"]
    # The seed's 17 stated facts and 3 inferred approaches (tests/test_fact_sources.py).
    assert known == 20


@pytest.mark.django_db
def test_unknown_is_null_and_says_so_never_no(gql):
    answer = compared(gql, slugs=["radio-frequency-calf-reduction", "calf-liposuction"])
    approach = next(row for row in answer["rows"] if row["fact"] == "APPROACH")
    assert approach["cells"][0] == {
        "procedureId": str(ProcedurePage.objects.get(slug="radio-frequency-calf-reduction").pk),
        "known": False,
        "text": None,
        "source": None,
    }
    assert approach["cells"][1]["text"] == "Surgical"


@pytest.mark.django_db
def test_a_source_naming_tissues_in_another_order_is_still_the_seeds(gql):
    """Radio-frequency's sentence names nerves before fat; the page keeps the enum's order."""
    answer = compared(gql, slugs=["radio-frequency-calf-reduction", "botox-calf-reduction"])
    targets = next(row for row in answer["rows"] if row["fact"] == "TARGETS")
    cell = targets["cells"][0]
    assert cell["text"] == "Fat, Nerve"
    assert cell["source"]["setBy"] == "SEED"
    assert cell["source"]["source"].startswith("It uses radio-frequency energy")


@pytest.mark.django_db
def test_by_ids_in_the_order_asked(gql):
    pages = [ProcedurePage.objects.get(slug=slug) for slug in SEED_SLUGS[:3]]
    by_slug = compared(gql, slugs=[p.slug for p in reversed(pages)])
    by_id = compared(gql, ids=[str(p.pk) for p in reversed(pages)])
    assert by_id == by_slug
    assert [p["id"] for p in by_id["procedures"]] == [str(p.pk) for p in reversed(pages)]


@pytest.mark.django_db
def test_an_editors_value_is_shown_as_theirs(gql):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.recovery_days = 10
    page.save_revision().publish()
    answer = compared(gql, slugs=["calf-liposuction", "botox-calf-reduction"])
    days = next(row for row in answer["rows"] if row["fact"] == "RECOVERY_DAYS")
    assert days["cells"][0]["text"] == "10"
    assert days["cells"][0]["source"] == {
        "source": None,
        "inferred": False,
        "confirmed": False,
        "setBy": "EDITOR",
        "quote": None,
    }


@pytest.mark.django_db
def test_only_published_muscles_are_named(gql, make_procedure):
    soleus = Muscle.objects.get(slug="soleus")
    hidden = Muscle.objects.get(slug="medial-gastrocnemius")
    Muscle.objects.filter(pk=hidden.pk).update(live=False, name="Unpublished MARKERMUSCLE")
    make_procedure("with-muscles", muscles=[soleus, hidden])
    make_procedure("hidden-muscle-only", muscles=[hidden])
    response = gql.post(COMPARE, {"slugs": ["with-muscles", "hidden-muscle-only"]})
    assert "MARKERMUSCLE" not in response.content.decode()
    muscles = next(
        row
        for row in response.json()["data"]["compareProcedures"]["rows"]
        if row["fact"] == "MUSCLES"
    )
    assert [cell["text"] for cell in muscles["cells"]] == ["Soleus", None]
    assert [cell["known"] for cell in muscles["cells"]] == [True, False]


def error_of(gql, variables: dict) -> dict:
    response = gql.post(COMPARE, variables)
    payload = response.json()
    assert payload["data"] == {"compareProcedures": None}, payload
    [error] = payload["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    return error


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"slugs": ["calf-liposuction"]}, "Compare 2 to 5 procedures; got 1."),
        ({"slugs": []}, "Compare 2 to 5 procedures; got 0."),
        ({"slugs": [*SEED_SLUGS, "a-sixth"]}, "Compare 2 to 5 procedures; got 6."),
        (
            {"slugs": ["calf-liposuction", "botox-calf-reduction", "calf-liposuction"]},
            "Each procedure once: 'calf-liposuction' asked for more than once.",
        ),
        ({}, "Give the procedures to compare as either `slugs` or `ids`."),
        (
            {"slugs": SEED_SLUGS[:2], "ids": ["1", "2"]},
            "Give the procedures to compare as either `slugs` or `ids`.",
        ),
        ({"ids": ["1", "abc"]}, "Argument 'ids' must hold whole numbers; got 'abc'."),
        ({"ids": ["7", "07"]}, "Each procedure once: '7' asked for more than once."),
        (
            {"slugs": ["calf-liposuction", "no-such-procedure"]},
            "No live procedure has the slug 'no-such-procedure'.",
        ),
        (
            {"slugs": ["nope-one", "calf-liposuction", "nope-two"]},
            "No live procedure has the slugs 'nope-one', 'nope-two'.",
        ),
        ({"ids": ["999998", "999999"]}, "No live procedure has the ids '999998', '999999'."),
    ],
)
def test_what_cannot_be_compared_is_bad_input(gql, variables, message):
    assert error_of(gql, variables)["message"] == message


@pytest.mark.django_db
def test_an_unknown_slug_is_named_in_the_errors_extensions(gql):
    error = error_of(gql, {"slugs": ["nope", "calf-liposuction", "botox-calf-reduction"]})
    assert error["extensions"]["unknown"] == ["nope"]
    assert error["path"] == ["compareProcedures"]


@pytest.mark.parametrize("target", CASES, indirect=True)
@pytest.mark.parametrize("by", ["slugs", "ids"])
def test_a_hidden_procedure_is_unknown_like_a_missing_one(gql, target, by):  # noqa: F811
    hidden = target.procedure.slug if by == "slugs" else str(target.procedure.pk)
    first = (
        "calf-liposuction"
        if by == "slugs"
        else str(ProcedurePage.objects.get(slug="calf-liposuction").pk)
    )
    response = gql.post(COMPARE, {by: [first, hidden]})
    assert target.marker not in response.content.decode()
    payload = response.json()
    if target.visible:  # live, with a newer draft: compared in its live version
        titles = [p["title"] for p in payload["data"]["compareProcedures"]["procedures"]]
        assert titles == ["Calf Liposuction", "Live procedure"]
        return
    noun = "slug" if by == "slugs" else "id"
    assert payload["errors"][0]["message"] == f"No live procedure has the {noun} '{hidden}'."
    assert payload["errors"][0]["extensions"]["unknown"] == [hidden]
    assert payload["data"] == {"compareProcedures": None}


def estimated_sql(document: str, variables: dict) -> int:
    parsed = parse(document)
    found = estimate(
        schema.graphql_schema,
        parsed,
        get_operation_ast(parsed),
        variables,
        QueryLimits.from_settings(),
    )
    return found.sql_queries


def sql_of(client, document: str, variables: dict) -> int:
    body = {"query": document, "variables": variables}
    client.post("/graphql/", body, content_type="application/json")  # warm content types
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/graphql/", body, content_type="application/json")
    assert "errors" not in response.json(), response.json()
    return len(captured.captured_queries)


EVERYTHING = """
query Compare($slugs: [String!]) {
  compareProcedures(slugs: $slugs) {
    procedures { id slug image { url srcSet(widths: [320]) } muscles { slug }
                 factSources { fact confirmed } review { reviewerName } citations { url } }
    rows { fact label cells { procedureId known text
           source { source quote inferred confirmed setBy citation { title url } } } }
  }
}
"""


@pytest.mark.django_db
@pytest.mark.parametrize("document", [COMPARE, EVERYTHING])
def test_the_sql_is_the_same_for_two_procedures_as_for_five(client, settings, document):
    settings.GRAPHQL_RATE_LIMIT_POINTS = 0
    two = sql_of(client, document, {"slugs": SEED_SLUGS[:2]})
    five = sql_of(client, document, {"slugs": SEED_SLUGS})
    assert two == five
    assert five <= estimated_sql(document, {"slugs": SEED_SLUGS})
