"""Each limit at its edge: a request at the limit runs, one step over gets a clear error."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from graphql import OverlappingFieldsCanBeMergedRule, get_introspection_query

from cms.graphql.limits import QueryLimits
from cms.graphql.schema import schema
from cms.graphql.validation import _prepared, prepare


def limits(**changes):
    return override_settings(GRAPHQL_LIMITS={**settings.GRAPHQL_LIMITS, **changes})


def assert_refused(response, message: str, status: int = 400) -> None:
    assert response.status_code == status, response.content
    payload = response.json()
    assert "data" not in payload or payload["data"] is None
    assert message in payload["errors"][0]["message"], payload


def assert_runs(response) -> None:
    assert response.status_code == 200, response.content
    assert "errors" not in response.json(), response.json()


@pytest.mark.django_db
def test_depth(gql):
    with limits(MAX_DEPTH=3):
        assert_runs(gql.post("{ procedures { items { slug } } }"))
        assert_refused(
            gql.post("{ procedures { items { image { url } } } }"),
            "Query depth 4 exceeds the limit of 3.",
        )


@pytest.mark.django_db
def test_depth_counts_through_fragments(gql):
    query = """
      { procedures { items { ...Deep } } }
      fragment Deep on ProcedurePage { relatedProcedures { image { url } } }
    """
    with limits(MAX_DEPTH=5):
        assert_runs(gql.post(query))
    with limits(MAX_DEPTH=4):
        assert_refused(gql.post(query), "Query depth 5 exceeds the limit of 4.")


@pytest.mark.django_db
def test_aliases(gql):
    with limits(MAX_ALIASES=2):
        assert_runs(gql.post("{ a: muscles { slug } b: muscles { slug } }"))
        assert_refused(
            gql.post("{ a: muscles { slug } b: muscles { slug } c: muscles { slug } }"),
            "Query uses more than 2 aliases.",
        )


@pytest.mark.django_db
def test_fields(gql):
    with limits(MAX_FIELDS=3):
        assert_runs(gql.post("{ muscles { name slug } }"))
        assert_refused(
            gql.post("{ muscles { name slug __typename } }"), "Query selects more than 3 fields"
        )


@pytest.mark.django_db
def test_fields_counts_each_use_of_a_fragment(gql):
    query = "{ a: muscles { ...M } b: muscles { ...M } } fragment M on Muscle { name slug }"
    with limits(MAX_FIELDS=6):
        assert_runs(gql.post(query))
    with limits(MAX_FIELDS=5):
        assert_refused(gql.post(query), "Query selects more than 5 fields")


@pytest.mark.django_db
def test_tokens(gql):
    with limits(MAX_TOKENS=6):
        assert_runs(gql.post("{ muscles { slug } }"))
        assert_refused(
            gql.post("{ muscles { slug name } }"), "Document contains more than 6 tokens."
        )


@pytest.mark.django_db
def test_cost_counts_list_sizes(gql):
    # procedures (1) + 10 items x (1 + slug 1) = 21
    query = "{ procedures(perPage: 10) { items { slug } } }"
    with limits(MAX_COST=21):
        assert_runs(gql.post(query))
    with limits(MAX_COST=20):
        assert_refused(gql.post(query), "Query cost 21 exceeds the limit of 20.")


@pytest.mark.django_db
def test_cost_reads_sizes_from_variables(gql):
    query = "query ($n: Int) { procedures(perPage: $n) { items { slug } } }"
    with limits(MAX_COST=41):
        assert_runs(gql.post(query, {"n": 20}))
        assert_refused(gql.post(query, {"n": 21}), "Query cost 43 exceeds the limit of 41.")


@pytest.mark.django_db
def test_cost_of_nested_lists_multiplies(gql):
    # procedures 1 + 10 x (items 1 + muscles 10 x (1 + name 1)) = 1 + 10 x 21 = 211
    query = "{ procedures { items { muscles { name } } } }"
    with limits(MAX_COST=211):
        assert_runs(gql.post(query))
    with limits(MAX_COST=210):
        assert_refused(gql.post(query), "Query cost 211 exceeds the limit of 210.")


@pytest.mark.django_db
def test_request_body_size(client):
    body = json.dumps({"query": "{ muscles { slug } }"})
    with limits(MAX_BODY_BYTES=len(body)):
        ok = client.post("/graphql/", body, content_type="application/json")
        assert ok.status_code == 200
        too_big = client.post("/graphql/", body + " ", content_type="application/json")
        assert_refused(too_big, f"Request body is larger than {len(body)} bytes.", status=413)


@pytest.mark.django_db
def test_per_page_ceiling(gql):
    ceiling = settings.API_MAX_PAGE_SIZE
    assert_runs(gql.post(f"{{ procedures(perPage: {ceiling}) {{ items {{ slug }} }} }}"))
    response = gql.post(f"{{ procedures(perPage: {ceiling + 1}) {{ items {{ slug }} }} }}")
    assert response.status_code == 200
    assert response.json()["data"] is None
    assert "perPage must be between 1 and 100; got 101." in response.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_page_number_ceiling(gql):
    assert_runs(gql.post("{ procedures(page: 10000) { items { slug } } }"))
    errors = gql.errors("{ procedures(page: 10001) { items { slug } } }")
    assert "page must be at most 10000; got 10001." in errors[0]["message"]


@pytest.mark.django_db
def test_string_argument_length(gql):
    longest = "a" * 512
    assert gql(f'{{ procedure(slug: "{longest}") {{ slug }} }}') == {"procedure": None}
    errors = gql.errors(f'{{ procedure(slug: "{longest}a") {{ slug }} }}')
    assert errors[0]["message"] == "Argument 'slug' is longer than 512 characters."
    assert errors[0]["extensions"] == {"code": "BAD_USER_INPUT"}


def test_defaults_are_sensible():
    defaults = QueryLimits.from_settings()
    assert defaults.max_depth == 10
    assert defaults.max_cost == 50000
    assert defaults.max_body_bytes == 32768


@pytest.mark.django_db
def test_a_100_item_contract_query_fits_the_default_cost(gql):
    query = """
    { procedures(perPage: 100) { items {
        id title slug urlPath summary bodyHtml approach invasiveness permanence targets
        muscles { name slug } recoveryTime recoveryDays sessions onset idealCandidates
        image { url width height alt srcSet(widths: [320, 640, 1280]) }
        relatedProcedures { slug title }
        lastPublishedAt
      } pagination { total } } }
    """
    assert_runs(gql.post(query))


EXAMPLE_QUERIES = Path(__file__).resolve().parent.parent / "examples" / "src" / "queries"
OFFLINE_EVERYTHING = """
query Offline($since: DateTime!) {
  changes(since: $since, limit: 100) {
    pages {
      __typename id title slug urlPath seoTitle searchDescription lastPublishedAt
      ... on ProcedurePage {
        summary bodyHtml approach invasiveness permanence targets recoveryTime recoveryDays
        sessions onset idealCandidates muscles { id name slug }
        image { id url width height alt srcSet(widths: [320, 640, 960])
                renditions(widths: [160], square: true) { url width height } }
        relatedProcedures { id slug title image { url alt } }
      }
      ... on ArticlePage {
        introHtml benefits targetMuscles { id name slug } reviewDue
        review { reviewerName reviewedAt } citations { title url }
        heroImage { id url alt srcSet }
        body { __typename id ... on HeadingBlock { text } ... on ParagraphBlock { html }
               ... on ListBlock { items } ... on BenefitsBlock { items }
               ... on ProcedureBlock { procedure { id slug } } }
      }
    }
    removed { id urlPath removedAt }
    until hasMore
  }
}
"""


def example_documents() -> list[str]:
    """Each operation of the example client, with the fragments it spreads (as codegen sends it)."""
    sources = [
        match.group(1)
        for path in sorted(EXAMPLE_QUERIES.glob("*.ts"))
        for match in re.finditer(r"graphql\(`(.*?)`\)", path.read_text(), re.DOTALL)
    ]
    fragments = {
        re.search(r"fragment (\w+)", source).group(1): source
        for source in sources
        if source.lstrip().startswith("fragment")
    }
    return [
        source + "".join(body for name, body in fragments.items() if f"...{name}" in source)
        for source in sources
        if not source.lstrip().startswith("fragment")
    ]


@pytest.mark.django_db
def test_every_example_client_query_fits_the_limits(gql):
    documents = example_documents()
    assert len(documents) >= 7
    for document in documents:
        variables = {
            "since": "2020-01-01T00:00:00+00:00",
            "slug": "calf-liposuction",
            "urlPath": "/",
            "query": "calf",
            "token": "x",
            "slugs": ["calf-liposuction", "botox-calf-reduction"],
        }
        used = {name: value for name, value in variables.items() if f"${name}" in document}
        response = gql.post(document, used)
        assert response.status_code == 200, (document, response.content)
        codes = [e["extensions"]["code"] for e in response.json().get("errors", [])]
        assert "QUERY_TOO_COMPLEX" not in codes, document


@pytest.mark.django_db
def test_a_whole_offline_sync_page_fits_the_default_cost(gql):
    assert_runs(gql.post(OFFLINE_EVERYTHING, {"since": "2020-01-01T00:00:00+00:00"}))


@pytest.mark.django_db
def test_nested_page_lists_stay_refused(gql):
    abusive = (
        "{ pages(perPage: 100) { items { descendants(limit: 100) { "
        "descendants(limit: 100) { id title } } } } }"
    )
    assert_refused(gql.post(abusive), "exceeds the limit of 50000")


@pytest.mark.django_db
def test_a_repeated_document_is_checked_under_the_limits_it_is_sent_under(gql):
    # Prepared operations are reused per process: the limits and variables are part of the key.
    query = "query ($n: Int) { procedures(perPage: $n) { items { slug } } }"
    assert_runs(gql.post(query, {"n": 21}))
    with limits(MAX_COST=41):
        assert_runs(gql.post(query, {"n": 20}))
        assert_refused(gql.post(query, {"n": 21}), "Query cost 43 exceeds the limit of 41.")
    assert_runs(gql.post(query, {"n": 21}))


def test_a_repeated_document_is_parsed_and_validated_once():
    def prepared():
        return prepare(
            schema.graphql_schema,
            "{ procedures { items { slug } } }",
            None,
            None,
            QueryLimits.from_settings(),
        )

    assert prepared() is prepared()


def alternating_muscles(count: int) -> str:
    """About 8 KB at 490: same-named fields that graphql-core's overlap rule compares pairwise."""
    return "{ " + " ".join(f"muscles {{ {('name', 'slug')[n % 2]} }}" for n in range(count)) + " }"


class CountingOverlapRule(OverlappingFieldsCanBeMergedRule):
    """graphql-core's own overlap rule, counting the selection sets it enters."""

    entered = 0

    def enter_selection_set(self, *args):
        type(self).entered += 1
        return super().enter_selection_set(*args)


def prepare_with_counting_rule(query: str):
    CountingOverlapRule.entered = 0
    return prepare(
        schema.graphql_schema,
        query,
        None,
        None,
        QueryLimits.from_settings(),
        (CountingOverlapRule,),
    )


@pytest.mark.django_db
def test_a_document_over_the_field_limit_is_refused_before_graphql_cores_rules(gql):
    document = alternating_muscles(490)
    assert len(document) > 8000
    response = gql.post(document)
    assert_refused(response, "Query selects more than 300 fields")
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    # The validation pass holding graphql-core's rules never starts for it...
    refused = prepare_with_counting_rule(document)
    assert refused.errors[0].extensions["code"] == "QUERY_TOO_COMPLEX"
    assert CountingOverlapRule.entered == 0
    # ...and runs, every rule, for a document within the bounds.
    prepare_with_counting_rule(alternating_muscles(20))
    assert CountingOverlapRule.entered > 0


def test_graphql_cores_rules_still_run_within_the_bounds():
    conflict = prepare_with_counting_rule("{ muscles { name } muscles: redirects { oldPath } }")
    assert conflict.errors[0].extensions["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "Fields 'muscles' conflict" in conflict.errors[0].message


@pytest.mark.parametrize(
    "where",
    [
        "{ unknownField { %s } }",  # the schema is not consulted: unknown fields count too
        "{ muscles { slug } } fragment Unused on Muscle { %s }",
        "{ __schema { types { %s } } }",
    ],
)
def test_the_field_limit_counts_what_graphql_cores_rules_would_compare(where):
    selections = " ".join(f"f: name f: description x{n}: name" for n in range(110))
    refused = prepare_with_counting_rule(where % selections)
    assert refused.errors[0].extensions["code"] == "QUERY_TOO_COMPLEX"
    assert CountingOverlapRule.entered == 0


@pytest.mark.django_db
def test_graphiqls_introspection_query_fits_the_limits(gql):
    assert_runs(gql.post(get_introspection_query(descriptions=True, specified_by_url=True)))


def test_spacing_and_comments_share_one_prepared_operation():
    texts = [
        "{ procedures { items { slug } } }",
        "# a comment\n{\n  procedures {\n    items { slug }\n  }\n}\n",
        "{procedures{items{slug}}} # another",
    ]
    _prepared.cache_clear()
    outcomes = [
        prepare(schema.graphql_schema, text, None, None, QueryLimits.from_settings())
        for text in texts
    ]
    info = _prepared.cache_info()
    assert (info.misses, info.hits) == (1, 2)
    assert outcomes[0] is outcomes[1] is outcomes[2]
