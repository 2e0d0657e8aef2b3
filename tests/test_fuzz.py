"""A bounded fuzz run: generated documents never fail the server and never leak drafts.

Valid and invalid documents generated from `schema.graphql` (hypothesis-graphql's positive
and negative modes), introspection documents, operation names that exist or not, and
variables of any JSON shape. `FUZZ_EXAMPLES` sets the count: 150 in `make test`, 1,000 in
CI's production lane.
"""

import json
import os
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


@pytest.fixture
def hidden_content(db, make_procedure) -> None:
    """A never-published page and an unpublished draft over a live page, both marked."""
    make_procedure("fuzz-draft", publish=False, title=f"{MARKER} draft", summary=MARKER)
    live = ProcedurePage.objects.get(slug="selective-neurectomy")
    live.title = f"{MARKER} newer draft"
    live.summary = MARKER
    live.save_revision()


@settings(
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
