"""Bad requests get a GraphQL `errors` response and the right status; never a 500 or a trace.

GraphQL over HTTP: a malformed HTTP request (bad body, content type, method) gets 4xx with
no `data`. A GraphQL request error (syntax, validation, variables) gets 400 as
`application/graphql-response+json` (what Apollo Client 4 accepts) and 200 as legacy
`application/json`, with no `data` either way. A request that ran but had a bad argument
value gets 200 with `errors` beside `data`.
"""

import json

import pytest

Q = '{ procedure(slug: "calf-liposuction") { title } }'
LIST = (
    "query ($page: Int, $perPage: Int) "
    "{ procedures(page: $page, perPage: $perPage) { items { slug } } }"
)


def post(client, body, content_type="application/json"):
    return lambda: client.post("/graphql/", body, content_type=content_type)


def post_json(client, payload):
    return post(client, json.dumps(payload))


CASES = {
    "invalid JSON": (lambda c: post(c, "{not json"), 400, "POST body sent invalid JSON."),
    "JSON that is not an object": (
        lambda c: post(c, "[1, 2]"),
        400,
        "The received data is not a valid JSON query.",
    ),
    "empty body": (
        # The test client leaves out the content type of an empty body unless told.
        lambda c: (
            lambda: c.post(
                "/graphql/", "", content_type="application/json", CONTENT_TYPE="application/json"
            )
        ),
        400,
        "POST body sent invalid JSON.",
    ),
    "wrong content type": (lambda c: post(c, Q, "text/plain"), 415, "Unsupported content type"),
    "no content type": (lambda c: post(c, Q, ""), 415, "Unsupported content type"),
    "invalid UTF-8 (JSON)": (
        lambda c: post(c, b'{"query": "\xff\xfe"}'),
        400,
        "Request body is not valid UTF-8.",
    ),
    "invalid UTF-8 (GraphQL)": (
        lambda c: post(c, b"{ muscles \xff }", "application/graphql"),
        400,
        "Request body is not valid UTF-8.",
    ),
    "multipart without a boundary": (
        lambda c: post(c, b"--x\r\nContent-Disposition: form-data\r\n", "multipart/form-data"),
        400,
        "Malformed multipart/form-data body (Invalid boundary in multipart: None)",
    ),
    "multipart with a boundary but no query": (
        lambda c: post(c, b"--x--\r\n", "multipart/form-data; boundary=x"),
        400,
        "Must provide query string.",
    ),
    "no query": (lambda c: post_json(c, {}), 400, "Must provide query string."),
    "query not a string": (lambda c: post_json(c, {"query": 42}), 400, "query must be a string."),
    "syntax error": (lambda c: post_json(c, {"query": "{ procedure("}), 400, "Syntax Error"),
    "unknown field": (
        lambda c: post_json(c, {"query": "{ secrets }"}),
        400,
        "Cannot query field 'secrets'",
    ),
    "unknown operation name": (
        lambda c: post_json(c, {"query": f"query A {Q}", "operationName": "B"}),
        400,
        "Unknown operation named 'B'.",
    ),
    "operation name not a string": (
        lambda c: post_json(c, {"query": Q, "operationName": ["A"]}),
        400,
        "operationName must be a string.",
    ),
    "variables of the wrong type": (
        lambda c: post_json(c, {"query": LIST, "variables": {"page": "two"}}),
        400,
        "Int cannot represent non-integer value: 'two'",
    ),
    "variables not an object": (
        lambda c: post_json(c, {"query": LIST, "variables": [1]}),
        400,
        "variables must be a JSON object.",
    ),
    "variables as invalid JSON (GET)": (
        lambda c: lambda: c.get("/graphql/", {"query": LIST, "variables": "{oops"}),
        400,
        "Variables are invalid JSON.",
    ),
    "enum value outside the enum": (
        lambda c: post_json(c, {"query": "{ procedures(approach: LASER) { items { slug } } }"}),
        400,
        "Value 'LASER' does not exist in 'Approach' enum.",
    ),
    "mutation by GET": (
        lambda c: lambda: c.get("/graphql/", {"query": "mutation { x }"}),
        405,
        "Can only perform a mutation operation from a POST request.",
    ),
    "subscription by GET": (
        lambda c: lambda: c.get("/graphql/", {"query": "subscription { x }"}),
        405,
        "Can only perform a subscription operation from a POST request.",
    ),
    "mutation by POST": (
        lambda c: post_json(c, {"query": "mutation { x }"}),
        400,
        "Schema is not configured to execute mutation operation.",
    ),
    "PUT": (lambda c: lambda: c.put("/graphql/", Q), 405, "only supports GET and POST"),
    "DELETE": (lambda c: lambda: c.delete("/graphql/"), 405, "only supports GET and POST"),
    "absurdly long body": (
        lambda c: post_json(c, {"query": '{ procedure(slug: "' + "a" * 100_000 + '") { slug } }'}),
        413,
        "Request body is larger than",
    ),
    "absurdly long string argument": (
        lambda c: post_json(c, {"query": '{ procedure(slug: "' + "a" * 5000 + '") { slug } }'}),
        200,
        "Argument 'slug' is longer than 512 characters.",
    ),
    "negative page": (
        lambda c: post_json(c, {"query": LIST, "variables": {"page": -1}}),
        200,
        "page must be 1 or more; got -1.",
    ),
    "huge page": (
        lambda c: post_json(c, {"query": LIST, "variables": {"page": 2_000_000_000}}),
        200,
        "page must be at most 10000",
    ),
    "page beyond 32 bits": (
        lambda c: post_json(c, {"query": LIST, "variables": {"page": 2**40}}),
        400,
        "Int cannot represent non 32-bit signed integer value",
    ),
    "zero per page": (
        lambda c: post_json(c, {"query": LIST, "variables": {"perPage": 0}}),
        200,
        "perPage must be between 1 and 100; got 0.",
    ),
    "order by a private column": (
        lambda c: post_json(
            c, {"query": "{ procedures(order: owner__password) { pagination { total } } }"}
        ),
        400,
        "Value 'owner__password' does not exist in 'ProcedureOrder' enum.",
    ),
    "page type outside the enum": (
        lambda c: post_json(c, {"query": "{ pages(pageType: USER) { items { id } } }"}),
        400,
        "Value 'USER' does not exist in 'PageType' enum.",
    ),
    "non-numeric id": (
        lambda c: post_json(c, {"query": '{ page(id: "") { id } }'}),
        200,
        "Argument 'id' must be a whole number; got ''.",
    ),
    "image width below one": (
        lambda c: post_json(
            c, {"query": "{ procedures { items { image { srcSet(widths: [0]) } } } }"}
        ),
        200,
        "Image widths must be positive; got 0.",
    ),
    "search limit too high": (
        lambda c: post_json(c, {"query": '{ search(query: "calf", limit: 1000) { id } }'}),
        200,
        "limit must be between 1 and 100; got 1000.",
    ),
    "tree limit too high": (
        lambda c: post_json(c, {"query": '{ page(urlPath: "/") { children(limit: 101) { id } } }'}),
        200,
        "limit must be between 0 and 100; got 101.",
    ),
}


# GraphQL request errors: 400 for Apollo's Accept, 200 for plain `application/json`.
REQUEST_ERRORS = {
    "syntax error",
    "unknown field",
    "unknown operation name",
    "variables of the wrong type",
    "enum value outside the enum",
    "mutation by POST",
    "page beyond 32 bits",
    "order by a private column",
    "page type outside the enum",
}
APOLLO_ACCEPT = "application/graphql-response+json,application/json;q=0.9"


@pytest.mark.django_db
@pytest.mark.parametrize("accept", [APOLLO_ACCEPT, "application/json"], ids=["apollo", "json"])
@pytest.mark.parametrize("case", CASES)
def test_bad_input_gets_a_clear_error(client, case, accept):
    make_request, status, message = CASES[case]
    client.defaults["HTTP_ACCEPT"] = accept
    response = make_request(client)()
    plain_json = accept == "application/json"
    expected = 200 if plain_json and case in REQUEST_ERRORS else status
    assert response.status_code == expected, response.content
    media_type = "application/json" if plain_json else "application/graphql-response+json"
    assert response["Content-Type"] == media_type
    body = response.content.decode()
    assert "Traceback" not in body and 'File "' not in body
    payload = response.json()
    assert message in payload["errors"][0]["message"], payload
    assert payload["errors"][0]["extensions"]["code"], payload
    if status != 200:
        assert "data" not in payload


@pytest.mark.django_db
def test_the_server_keeps_serving_after_bad_input(client, gql):
    for make_request, _, _ in CASES.values():
        make_request(client)()
    assert gql(Q) == {"procedure": {"title": "Calf Liposuction"}}


@pytest.mark.django_db
def test_a_server_fault_is_reported_without_details(gql, monkeypatch):
    import procedures.api

    def broken(*args, **kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(procedures.api, "public_html", broken)
    response = gql.post('{ procedure(slug: "calf-liposuction") { bodyHtml } }')
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert error["message"] == "Internal server error."
    # The client can quote the id; the log line carries the same one.
    assert error["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": response["X-Request-ID"],
    }
    assert "hunter2" not in response.content.decode()


# Database full-text syntax (FTS5 on SQLite, tsquery on PostgreSQL) that a reader may type.
SEARCH_SYNTAX = ['"', '"liposuction', "lipo*", "(nerves", "NEAR(", "-", "^", "AND", "'", ":*", "\\"]

SEARCH_PATHS = {
    "procedures": "query($q: String) { procedures(searchQuery: $q) { items { slug } } }",
    "search": "query($q: String!) { search(query: $q) { __typename } }",
}


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(SEARCH_PATHS))
@pytest.mark.parametrize("text", SEARCH_SYNTAX)
def test_search_syntax_is_taken_as_words(gql, path, text):
    data = gql(SEARCH_PATHS[path], {"q": text})
    assert isinstance(data[path]["items"] if path == "procedures" else data[path], list)


@pytest.mark.django_db
def test_search_still_finds_the_words_around_stray_syntax(gql):
    data = gql(SEARCH_PATHS["procedures"], {"q": '"liposuction'})
    assert [item["slug"] for item in data["procedures"]["items"]] == ["calf-liposuction"]


# Paths a scanner sends: NUL bytes (which PostgreSQL refuses in a query), broken percent
# escapes, traversal. Each is a plain "not found", never a server fault.
ODD_PATHS = [
    "/media/x%00",
    "/media/original_images/a%00.png",
    "/media/images/%2e%2e/%2e%2e/etc/passwd",
    "/media/%ff%fe.png",
    "/x%00/",
    "/procedures/x%00/",
    "/documents/1/x%00.pdf",
    "/static/x%00",
    "/docs/%00",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ODD_PATHS)
def test_odd_paths_are_not_found(client, path):
    response = client.get(path)
    assert response.status_code == 404, response.content[:300]
