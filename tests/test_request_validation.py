"""Every request is validated in full before anything runs, on every settings module.

graphql-core's specified rules always run with ours added; the limits apply to the operation
that executes, after its variables are coerced; and input no layer can store is refused at
the edge as the client's mistake, never answered as a server fault.
"""

import json

import pytest

from cms.graphql.arguments import MAX_SEARCH_WORDS
from cms.graphql.request_body import MAX_JSON_DEPTH

pytestmark = pytest.mark.django_db

CYCLE = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"


@pytest.fixture(params=[True, False], ids=["introspection on", "introspection off"])
def introspection(request, settings):
    """Production turns introspection off; that must not turn validation off with it."""
    settings.GRAPHQL_INTROSPECTION = request.param
    return request.param


def test_unknown_fields_are_refused_with_introspection_on_or_off(gql, introspection):
    response = gql.post("{ nosuchfield __typename }")
    assert response.status_code == 400
    payload = response.json()
    assert "data" not in payload
    assert "Cannot query field 'nosuchfield'" in payload["errors"][0]["message"]
    assert payload["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_fragment_cycles_are_refused(gql, introspection):
    response = gql.post(CYCLE)
    assert response.status_code == 400
    assert "Cannot spread fragment 'A' within itself" in response.json()["errors"][0]["message"]


def test_repeated_operation_names_are_refused(gql, introspection):
    slow = "query Q { muscles { slug } } query Q { procedures(perPage: 100) { items { slug } } }"
    response = gql.client.post(
        "/graphql/",
        json.dumps({"query": slow, "operationName": "Q"}),
        content_type="application/json",
        HTTP_ACCEPT="application/graphql-response+json",
    )
    assert response.status_code == 400
    assert "There can be only one operation named 'Q'." in response.content.decode()


def test_several_operations_without_an_operation_name_are_refused(gql):
    response = gql.post("query A { muscles { slug } } query B { muscles { name } }")
    assert response.status_code == 400
    assert "Must provide operationName" in response.json()["errors"][0]["message"]


def test_a_size_passed_as_a_string_variable_is_refused_not_uncosted(gql):
    query = 'query($l: String) { page(urlPath: "/") { children(limit: $l) { id } } }'
    response = gql.post(query, {"l": "100"})
    assert response.status_code == 400
    assert (
        "Variable '$l' of type 'String' used in position expecting type"
        in (response.json()["errors"][0]["message"])
    )


def test_limits_read_coerced_variables(gql, settings):
    settings.GRAPHQL_LIMITS = {**settings.GRAPHQL_LIMITS, "MAX_COST": 50}
    query = "query($n: Int) { procedures(perPage: $n) { items { slug title summary } } }"
    assert gql.post(query, {"n": 5}).status_code == 200
    refused = gql.post(query, {"n": 100})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


BAD_STRINGS = {
    "NUL": "calf\x00liposuction",
    "lone surrogate": "a\ud800b",
}


@pytest.mark.parametrize("kind", sorted(BAD_STRINGS))
@pytest.mark.parametrize("how", ["variable", "literal"])
def test_unstorable_text_is_a_client_error(client, kind, how):
    text = BAD_STRINGS[kind]
    if how == "variable":
        body = {
            "query": "query($s: String) { procedure(slug: $s) { slug } }",
            "variables": {"s": text},
        }
    else:
        # Escaped inside the GraphQL string, so it reaches the argument and not the lexer.
        escaped = json.dumps(text)[1:-1]
        body = {"query": '{ procedure(slug: "' + escaped + '") { slug } }'}
    response = client.post("/graphql/", json.dumps(body), content_type="application/json")
    assert response.status_code in (200, 400), response.content
    error = response.json()["errors"][0]
    # Refused by the edge, the argument check or graphql-core's own lexer: never a fault.
    assert error["extensions"]["code"] in ("BAD_REQUEST", "BAD_USER_INPUT", "GRAPHQL_PARSE_FAILED")
    assert any(word in error["message"] for word in ("NUL", "surrogate", "Unicode")), error


@pytest.mark.parametrize("value", ["²", "٣", "1e3", " 1", str(2**63), "-1"])
def test_ids_must_be_database_keys(gql, value):
    response = gql.post("query($id: ID) { procedure(id: $id) { slug } }", {"id": value})
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "must be a whole number" in error["message"]


def test_the_largest_database_key_is_a_fine_id_that_finds_nothing(gql):
    assert gql("query($id: ID) { procedure(id: $id) { slug } }", {"id": str(2**63 - 1)}) == {
        "procedure": None
    }


@pytest.mark.parametrize("path", ["procedures", "search"])
def test_searches_are_bounded_in_words(gql, path):
    words = " ".join(["leg"] * 120)  # within the 512-character limit
    query = {
        "procedures": "query($q: String) { procedures(searchQuery: $q) { items { slug } } }",
        "search": "query($q: String!) { search(query: $q) { id } }",
    }[path]
    response = gql.post(query, {"q": words})
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert f"more than {MAX_SEARCH_WORDS} words" in error["message"]
    ok = " ".join(["calf"] * MAX_SEARCH_WORDS)
    assert "errors" not in gql.post(query, {"q": ok}).json()


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("where", ["body", "variables", "extensions"])
def test_deeply_nested_json_is_a_400(client, where):
    deep = nested(5000)
    body = {
        "body": deep,
        "variables": '{"query": "{ muscles { slug } }", "variables": {"a": ' + deep + "}}",
        "extensions": '{"query": "{ muscles { slug } }", "extensions": {"a": ' + deep + "}}",
    }[where]
    response = client.post("/graphql/", body, content_type="application/json")
    assert response.status_code == 400
    assert f"nested deeper than {MAX_JSON_DEPTH} levels" in response.json()["errors"][0]["message"]


def test_deeply_nested_variables_by_get_are_a_400(client):
    response = client.get(
        "/graphql/", {"query": "{ muscles { slug } }", "variables": '{"a": ' + nested(5000) + "}"}
    )
    assert response.status_code == 400
    assert "nested deeper than" in response.json()["errors"][0]["message"]


def test_a_fault_outside_the_resolvers_is_json_with_the_api_headers(client, monkeypatch):
    from cms.graphql import views

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(views.APIView, "respond", broken)
    response = client.post(
        "/graphql/", '{"query": "{ muscles { slug } }"}', content_type="application/json"
    )
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    error = response.json()["errors"][0]
    assert error["message"] == "Internal server error."
    assert error["extensions"]["requestId"] == response["X-Request-ID"]
    assert "secret detail" not in response.content.decode()


def test_a_sane_request_id_from_the_load_balancer_is_kept(client):
    response = client.post(
        "/graphql/",
        '{"query": "{ muscles { slug } }"}',
        content_type="application/json",
        HTTP_X_REQUEST_ID="lb-12345678",
    )
    assert response["X-Request-ID"] == "lb-12345678"
    odd = client.post(
        "/graphql/",
        '{"query": "{ muscles { slug } }"}',
        content_type="application/json",
        HTTP_X_REQUEST_ID="<script>",
    )
    assert odd["X-Request-ID"] != "<script>" and len(odd["X-Request-ID"]) == 32


def test_batches_are_refused_with_one_readable_error_per_operation(client):
    batch = [{"query": "{ muscles { slug } }"}, {"query": "{ articles { items { id } } }"}]
    response = client.post(
        "/graphql/",
        json.dumps(batch),
        content_type="application/json",
        HTTP_ACCEPT="application/graphql-response+json,application/json;q=0.9",
    )
    assert response.status_code == 400
    payload = response.json()
    assert len(payload) == 2
    assert {item["errors"][0]["extensions"]["code"] for item in payload} == {
        "BATCHING_NOT_SUPPORTED"
    }


@pytest.mark.parametrize("method", ["post", "get"])
def test_deeply_nested_extensions_given_as_a_string_are_a_400(client, method):
    deep = nested(3000)
    if method == "post":
        body = json.dumps({"query": "{ muscles { slug } }", "extensions": deep})
        response = client.post("/graphql/", body, content_type="application/json")
    else:
        response = client.get("/graphql/", {"query": "{ muscles { slug } }", "extensions": deep})
    assert response.status_code == 400
    assert "nested deeper than" in response.json()["errors"][0]["message"]


def test_an_explicit_null_size_costs_what_the_default_costs(gql):
    nested_lists = (
        'query($l: Int) { changes(since: "2020-01-01T00:00:00Z", limit: $l) { pages { '
        "children(limit: $l) { children(limit: $l) { id title slug urlPath } } } } }"
    )
    default = gql.post(nested_lists.replace("limit: $l", "").replace("($l: Int)", ""))
    with_null = gql.post(nested_lists, {"l": None})
    assert default.status_code == with_null.status_code == 400
    assert with_null.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


def test_the_cache_keeps_http_and_https_apart(client):
    """Image URLs carry the scheme they were asked over."""
    query = '{"query": "{ procedure(slug: \\"calf-liposuction\\") { image { url } } }"}'
    plain = client.post("/graphql/", query, content_type="application/json")
    secure = client.post("/graphql/", query, content_type="application/json", secure=True)
    assert plain["X-Cache"] == "MISS" and secure["X-Cache"] == "MISS"
    assert secure.json()["data"]["procedure"]["image"]["url"].startswith("https://")
