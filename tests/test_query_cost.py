"""The SQL estimate is honest: a query never runs more SQL than estimated, and a query whose
estimate is over the limit is refused before it runs any."""

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from graphql import get_operation_ast, parse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from test_editing import procedure_form_data
from test_preview import FRONTEND, token_of
from test_query_limits import OFFLINE_EVERYTHING, example_documents

from benchmarks.queries import CONTRACT_QUERIES
from cms.graphql.limits import QueryLimits, estimate
from cms.graphql.schema import schema
from home.models import ArticlePage
from procedures.models import Muscle, ProcedurePage

VARIABLES = {
    "since": "2020-01-01T00:00:00+00:00",
    "slug": "calf-liposuction",
    "urlPath": "/",
    "query": "calf",
    "token": "x",
    "slugs": ["calf-liposuction", "botox-calf-reduction"],
}

REPRESENTATIVE = {
    **{name: document for name, (document, _) in CONTRACT_QUERIES.items()},
    **{f"example client {number}": doc for number, doc in enumerate(example_documents())},
    "offline sync, every field": OFFLINE_EVERYTHING,
    "articles": "{ articles { items { title heroImage { srcSet } benefits review { reviewerName }"
    " body { ... on BenefitsBlock { items } ... on ProcedureBlock { procedure { slug } } } } } }",
    "pages of one type": "{ pages(pageType: PROCEDURE_PAGE, perPage: 100) { items { title } } }",
    "search with images and facts": """{ search(query: "calf", limit: 100) { title
        ... on ProcedurePage { image { url renditions(widths: [160], square: true) { url } }
                               factSources { fact confirmed citation { url } } reviewDue } } }""",
    "images in every format": """{ procedures { items { image { url alt
        srcSet(widths: [320, 640]) webp: srcSet(widths: [320], format: WEBP)
        renditions(widths: [160, 320], square: true, format: JPEG) { url width height } } } } }""",
    "siblings of each item": "{ procedures { items { siblings(limit: 5) { id title } } } }",
    "parent and ancestors of items": (
        "{ procedures(perPage: 3) { items { parent { title } ancestors { title } } } }"
    ),
    "children of children": """{ page(urlPath: "/") { children(limit: 5) { title
        ... on ProcedureIndexPage { children(limit: 50) { slug
            ... on ProcedurePage { image { srcSet } muscles { slug } relatedProcedures { slug } }
        } } } } }""",
    "every relation under descendants": """{ page(urlPath: "/") { descendants(limit: 30) {
        __typename
        ... on ProcedurePage { relatedProcedures { slug image { srcSet } muscles { slug } }
            factSources { fact confirmed citation { url } } review { reviewerName } reviewDue
            citations { url } image { renditions(widths: [160]) { url } } }
        ... on ArticlePage { heroImage { srcSet } benefits targetMuscles { slug }
            procedures { slug image { url } } citations { title }
            body { ... on BenefitsBlock { items }
                   ... on ProcedureBlock { procedure { slug muscles { slug } } } } } } } }""",
    "relations of a parent (not planned)": """{ procedure(slug: "calf-liposuction") {
        parent { ... on ProcedureIndexPage { children { ... on ProcedurePage {
            relatedProcedures { muscles { slug } image { srcSet } } } } } } } }""",
    "muscles and redirects": "{ muscles { name slug } redirects { oldPath newPath } }",
    "translations of a list and its relations": """{ procedures(perPage: 4) {
        items { translations { locale } relatedProcedures { translations { urlPath }
            relatedProcedures { translations { locale } } } } } }""",
    "translations of an article's procedures": """{ articles { items { translations { locale }
        procedures { translations { locale } relatedProcedures { translations { locale } } }
        body { ... on ProcedureBlock { procedure { translations { urlPath } } } } } } }""",
    "translations in the tree": """{ procedures(perPage: 3) { items { translations { locale }
            siblings(limit: 5) { translations { locale } } parent { translations { locale } } } }
        page(urlPath: "/") { children(limit: 5) { translations { locale } } } }""",
    "a comparison, every field": """{ compareProcedures(slugs: ["calf-liposuction",
        "botox-calf-reduction", "extra-0", "extra-1", "radio-frequency-calf-reduction"]) {
        procedures { slug image { srcSet } muscles { slug } relatedProcedures { slug }
            factSources { fact confirmed } review { reviewerName } citations { url } jsonLd }
        rows { fact label cells { procedureId known text
            source { source quote inferred confirmed setBy citation { url } } } } } }""",
    "JSON-LD of lists and routes": """{ procedures(perPage: 100) { items { jsonLd } }
        articles { items { jsonLd } }
        page(urlPath: "/procedures/calf-liposuction/") { ... on ProcedurePage { jsonLd } }
        search(query: "calf") { ... on ProcedurePage { jsonLd }
            ... on ArticlePage { jsonLd } } }""",
    "a wrong preview token": '{ preview(token: "x") { title } }',
}


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    """These tests send hundreds of queries from one address to count their SQL."""
    settings.GRAPHQL_RATE_LIMIT_POINTS = 0


@pytest.fixture
def bigger_site(make_procedure):
    """The seed site plus procedures with every relation, referred to by the article."""
    muscles = list(Muscle.objects.all())
    seed = list(ProcedurePage.objects.all())
    article = ArticlePage.objects.get()
    for number in range(8):
        page = make_procedure(
            f"extra-{number}", muscles=muscles, image=seed[number % 5].image, summary="More."
        )
        page.related_procedures = seed[:3]
        page.save_revision().publish()
        article.body.append(("procedure", {"procedure": page}))
    article.save_revision().publish()


def estimated_sql(document: str, variables: dict | None = None) -> int:
    operation = get_operation_ast(parse(document))
    found = estimate(schema.graphql_schema, parse(document), operation, variables, LIMITS())
    return found.sql_queries


def LIMITS() -> QueryLimits:  # noqa: N802 (read when called: tests may change the settings)
    return QueryLimits.from_settings()


def run(client: Client, document: str, variables: dict | None = None) -> tuple[dict, int]:
    """The response and the SQL queries the request ran, renditions already made and the
    response cache empty."""
    body = {"query": document, "variables": variables or {}}
    client.post("/graphql/", body, content_type="application/json")  # makes renditions
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/graphql/", body, content_type="application/json")
    return response.json(), len(captured.captured_queries)


@pytest.mark.django_db
def test_a_query_runs_no_more_sql_than_estimated(client, bigger_site):
    undercounted = {}
    for name, document in REPRESENTATIVE.items():
        variables = {key: value for key, value in VARIABLES.items() if f"${key}" in document}
        payload, ran = run(client, document, variables)
        assert "errors" not in payload, (name, payload)
        estimated = estimated_sql(document, variables)
        assert estimated <= settings.GRAPHQL_LIMITS["MAX_SQL_QUERIES"], name
        if ran > estimated:
            undercounted[name] = f"ran {ran} SQL queries, estimated {estimated}"
    assert undercounted == {}


@pytest.mark.django_db
def test_a_previews_relations_are_not_planned_and_are_estimated_so(client, django_user_model):
    with override_settings(WAGTAIL_HEADLESS_PREVIEW=FRONTEND):
        editor = Client()
        editor.force_login(django_user_model.objects.create_superuser("ed", "e@x.org", "pw"))
        page = ProcedurePage.objects.get(slug="calf-liposuction")
        endpoint = f"/admin/pages/{page.pk}/edit/preview/"
        data = procedure_form_data(page, summary="Draft.")
        # A multiple-choice field posts one value per checkbox.
        data["related_procedures"] = [p.pk for p in ProcedurePage.objects.exclude(pk=page.pk)]
        assert editor.post(endpoint, data).json()["is_valid"] is True
        shown = editor.get(endpoint, {"mode": "frontend"}).content.decode()
        url = re.search(r'(http://localhost:3000/[^"\']+)', shown).group(1)
        token = token_of(url.replace("&amp;", "&"))
        document = """query ($token: String!) { preview(token: $token) {
            ... on ProcedurePage { summary image { srcSet } muscles { slug } citations { url }
                factSources { fact confirmed } review { reviewerName }
                translations { locale }
                relatedProcedures { slug muscles { slug } image { srcSet }
                    translations { locale } } } } }"""
        payload, ran = run(client, document, {"token": token})
    assert payload.get("data"), payload
    assert payload["data"]["preview"]["summary"] == "Draft."
    assert payload["data"]["preview"]["relatedProcedures"], "nothing to count"
    assert payload["data"]["preview"]["translations"] == [{"locale": "en"}]
    estimated = estimated_sql(document, {"token": token})
    assert ran <= estimated


ATTACKS = {
    "siblings nested in siblings": (
        "{ procedures(perPage: 9) { items { siblings(limit: 10) { siblings(limit: 10) {"
        " siblings(limit: 10) { siblings(limit: 2) { id } } } } } } }"
    ),
    "children nested in children": (
        '{ page(urlPath: "/") { children(limit: 20) { children(limit: 20) {'
        " children(limit: 20) { id } } } } }"
    ),
    "ancestors of every item": "{ procedures(perPage: 100) { items { ancestors { title } } } }",
    "parents of every page": "{ pages(perPage: 60) { items { parent { title } } } }",
    "related procedures nested under tree fields": (
        "{ procedures(perPage: 20) { items { relatedProcedures { siblings(limit: 5) {"
        " ... on ProcedurePage { relatedProcedures { slug } } } } } } }"
    ),
    "related procedures of parents' children": (
        "{ procedures(perPage: 20) { items { parent { children(limit: 10) {"
        " ... on ProcedurePage {"
        " relatedProcedures { relatedProcedures { slug } } } } } } } }"
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(ATTACKS))
def test_a_query_estimated_over_the_limit_is_refused_before_any_sql(gql, name):
    document = ATTACKS[name]
    assert estimated_sql(document) > settings.GRAPHQL_LIMITS["MAX_SQL_QUERIES"]
    with CaptureQueriesContext(connection) as captured:
        response = gql.post(document)
    assert response.status_code == 400, response.content
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "SQL queries, over the limit of 100" in error["message"], error
    assert "data" not in response.json()
    assert captured.captured_queries == []


@pytest.mark.django_db
def test_the_issue_query_is_refused_by_the_sql_estimate_not_the_cost(gql):
    document = ATTACKS["siblings nested in siblings"]
    operation = get_operation_ast(parse(document))
    found = estimate(schema.graphql_schema, parse(document), operation, {}, LIMITS())
    assert found.cost < LIMITS().max_cost  # the field count alone let it through
    assert found.sql_queries > 9 * 10 * 10 * 10  # each of the 9,000 third-level pages asks
    message = gql.errors(document)[0]["message"]
    assert message.startswith(f"Query may run up to {found.sql_queries} SQL queries")


@pytest.mark.django_db
def test_the_sql_limit_is_a_setting(gql):
    document = "{ procedures(perPage: 3) { items { siblings(limit: 5) { id } } } }"
    estimated = estimated_sql(document)
    limits = settings.GRAPHQL_LIMITS
    with override_settings(GRAPHQL_LIMITS={**limits, "MAX_SQL_QUERIES": estimated}):
        assert gql(document)["procedures"]["items"]
    with override_settings(GRAPHQL_LIMITS={**limits, "MAX_SQL_QUERIES": estimated - 1}):
        errors = gql.errors(document)
    assert errors[0]["message"].startswith(
        f"Query may run up to {estimated} SQL queries, over the limit of {estimated - 1}."
    )


# Generated shapes: the schema's tree fields and page relations, nested, on a list of items.
PAGE_FIELDS = ["children", "siblings", "descendants", "ancestors", "parent"]
PROCEDURE_FIELDS = ["relatedProcedures", "image", "muscles", "factSources"]
# "@" stands for the field's alias.
LEAVES = {
    "image": "... on ProcedurePage { @: image { srcSet(widths: [320]) } }",
    "muscles": "... on ProcedurePage { @: muscles { slug } }",
    "factSources": "... on ProcedurePage { @: factSources { fact confirmed } }",
}


def shape(depth: int):
    """A selection: fields aliased by position, so that siblings never conflict."""
    leaf = st.just("id")
    if depth == 0:
        return leaf

    def field(parts) -> str:
        field, limit, inner = parts
        if field in LEAVES:
            return LEAVES[field]
        if field == "relatedProcedures":
            return f"... on ProcedurePage {{ @: relatedProcedures {{ id {inner} }} }}"
        size = "" if field == "parent" else f"(limit: {limit})"
        return f"@: {field}{size} {{ id {inner} }}"

    def aliased(fields: list[str]) -> str:
        return " ".join(text.replace("@", f"a{n}", 1) for n, text in enumerate(fields))

    one = st.tuples(
        st.sampled_from(PAGE_FIELDS + PROCEDURE_FIELDS),
        st.integers(min_value=1, max_value=6),
        shape(depth - 1),
    ).map(field)
    return st.lists(one, min_size=1, max_size=2).map(aliased) | leaf


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(per_page=st.integers(min_value=1, max_value=12), selection=shape(3))
def test_generated_nested_shapes_are_estimated_honestly(client, per_page, selection):
    document = f"{{ procedures(perPage: {per_page}) {{ items {{ id {selection} }} }} }}"
    estimated = estimated_sql(document)
    if estimated > settings.GRAPHQL_LIMITS["MAX_SQL_QUERIES"]:
        with CaptureQueriesContext(connection) as captured:
            response = client.post("/graphql/", {"query": document}, "application/json")
        assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert captured.captured_queries == []
        return
    payload, ran = run(client, document)
    if payload.get("errors"):
        # Over another limit (cost, depth): refused before running, so nothing to compare.
        assert payload["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX", payload
        return
    assert ran <= estimated, document


def test_the_readme_figures():
    contract = [estimated_sql(document) for document, _ in CONTRACT_QUERIES.values()]
    assert (min(contract), max(contract)) == (9, 23)
    assert estimated_sql(OFFLINE_EVERYTHING, {"since": VARIABLES["since"]}) == 32
    document = ATTACKS["siblings nested in siblings"]
    found = estimate(
        schema.graphql_schema, parse(document), get_operation_ast(parse(document)), {}, LIMITS()
    )
    assert found.cost == 46000
    assert 49000 < found.sql_queries < 51000
