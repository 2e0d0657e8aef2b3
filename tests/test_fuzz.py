"""A bounded fuzz run: generated requests never fail the server and never leak drafts.

Valid and invalid documents generated from `schema.graphql` (hypothesis-graphql's positive
and negative modes), introspection documents, operation names that exist or not, and
variables of any JSON shape; sent as JSON, as a form (multipart, with a boundary, without,
or raw bytes; urlencoded), as `application/graphql` and by GET. Beside them, generated paths
(any bytes, percent-encoded) under every prefix the site routes. `FUZZ_EXAMPLES` sets the
count of each: 150 in `make test`, 1,000 in CI's production lane.
"""

import json
import os
import urllib.parse
from pathlib import Path

import hypothesis_graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, nodes

from procedures.models import ProcedurePage

SCHEMA = (Path(__file__).resolve().parent.parent / "schema.graphql").read_text()
MARKER = "FUZZMARKER"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))

# Inputs of the date scalars, so generated queries also reach `changes(since:)`.
CUSTOM_SCALARS = {
    "DateTime": st.datetimes().map(lambda value: value.isoformat()).map(nodes.String),
    "Date": st.dates().map(lambda value: value.isoformat()).map(nodes.String),
}
INTROSPECTION = [
    "{ __schema { queryType { name } types { name kind } } }",
    '{ __type(name: "ProcedurePage") { name fields { name args { name } } } }',
    '{ __type(name: "\\u0000") { name } }',
    "{ __typename procedures { __typename items { __typename } } }",
    "query { __schema { directives { name args { name type { name } } } } }",
]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def requests(draw) -> dict:
    """One request body: a document, maybe named, maybe with variables and operationName."""
    document = draw(
        st.one_of(
            hypothesis_graphql.queries(SCHEMA, custom_scalars=CUSTOM_SCALARS),
            hypothesis_graphql.queries(SCHEMA, custom_scalars=CUSTOM_SCALARS, mode=Mode.NEGATIVE),
            st.sampled_from(INTROSPECTION),
        )
    )
    name = draw(st.sampled_from([None, "Op", "Other"]))
    if name and document.lstrip().startswith("{"):
        document = f"query {name} {document}"
    body = {"query": document}
    operation = draw(st.sampled_from([None, "Op", "Missing", ""]))
    if operation is not None:
        body["operationName"] = operation
    if draw(st.booleans()):
        body["variables"] = draw(st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=3))
    return body


# How a request body travels; each is a (method, content type, body) the server must survive.
TRANSPORTS = [
    "multipart",
    "multipart without boundary",
    "multipart, raw bytes",
    "urlencoded",
    "graphql",
    "get",
]
PATH_PREFIXES = [
    "/",
    "/media/",
    "/media/original_images/",
    "/media/images/",
    "/documents/",
    "/documents/1/",
    "/procedures/",
    "/graphql/",
    "/static/",
    "/docs/",
    "/admin/",
    "/healthz",
]
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def form_fields(body: dict) -> dict[str, str]:
    """A GraphQL request as form fields: variables as a JSON string."""
    fields = {key: value for key, value in body.items() if key != "variables"}
    if "variables" in body:
        fields["variables"] = json.dumps(body["variables"])
    return fields


def send(client, transport: str, body: dict, raw: bytes):
    accept = {"HTTP_ACCEPT": "application/graphql-response+json,application/json;q=0.9"}
    if transport == "multipart":
        return client.post("/graphql/", form_fields(body), **accept)
    if transport == "multipart without boundary":
        return client.post("/graphql/", raw, content_type="multipart/form-data", **accept)
    if transport == "multipart, raw bytes":
        return client.post(
            "/graphql/", raw, content_type="multipart/form-data; boundary=fuzz", **accept
        )
    if transport == "urlencoded":
        encoded = urllib.parse.urlencode(form_fields(body))
        return client.post(
            "/graphql/", encoded, content_type="application/x-www-form-urlencoded", **accept
        )
    if transport == "graphql":
        return client.post("/graphql/", body["query"], content_type="application/graphql", **accept)
    return client.get("/graphql/", form_fields(body), **accept)


@pytest.fixture
def hidden_content(db, make_procedure) -> None:
    """A never-published page and an unpublished draft over a live page, both marked."""
    make_procedure("fuzz-draft", publish=False, title=f"{MARKER} draft", summary=MARKER)
    live = ProcedurePage.objects.get(slug="selective-neurectomy")
    live.title = f"{MARKER} newer draft"
    live.summary = MARKER
    live.save_revision()


@FUZZ_SETTINGS
@given(body=requests())
def test_generated_requests_never_fail_the_server_or_leak(client, hidden_content, body):
    response = client.post(
        "/graphql/",
        json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT="application/graphql-response+json,application/json;q=0.9",
    )
    assert response.status_code in (200, 400, 413), (response.status_code, body)
    text = response.content.decode()
    assert MARKER not in text, body
    payload = response.json()
    for error in payload.get("errors", []):
        assert error.get("extensions", {}).get("code") != "INTERNAL_SERVER_ERROR", (body, error)


@FUZZ_SETTINGS
@given(
    transport=st.sampled_from(TRANSPORTS),
    body=requests(),
    raw=st.binary(max_size=200) | st.just(b"--fuzz\r\nContent-Disposition: form-data\r\n"),
)
def test_every_body_encoding_is_answered_without_a_server_fault(
    client, hidden_content, transport, body, raw
):
    response = send(client, transport, body, raw)
    assert response.status_code in (200, 400, 405, 413, 415), (response.status_code, transport)
    assert MARKER not in response.content.decode(), (transport, body)
    for error in response.json().get("errors", []):
        code = error.get("extensions", {}).get("code")
        assert code != "INTERNAL_SERVER_ERROR", (transport, body, error)


@FUZZ_SETTINGS
@given(prefix=st.sampled_from(PATH_PREFIXES), rest=st.binary(max_size=40) | st.text(max_size=20))
def test_generated_paths_never_fail_the_server_or_leak(client, hidden_content, prefix, rest):
    raw = rest if isinstance(rest, bytes) else rest.encode("utf-8", "surrogatepass")
    path = prefix + urllib.parse.quote(raw, safe="/")
    response = client.get(path)
    assert response.status_code < 500, (path, response.status_code)
    assert MARKER.encode() not in b"".join(
        response.streaming_content if response.streaming else [response.content]
    ), path
