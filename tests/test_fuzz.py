"""A bounded fuzz run: queries generated from `schema.graphql` never 500 and never leak drafts."""

from pathlib import Path

import hypothesis_graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes

from procedures.models import ProcedurePage

SCHEMA = (Path(__file__).resolve().parent.parent / "schema.graphql").read_text()
MARKER = "FUZZMARKER"

# Inputs of our custom scalars, so generated queries also reach fields that take them.
CUSTOM_SCALARS = {
    "PositiveInt": st.integers(min_value=0, max_value=2**31 - 1).map(nodes.Int),
    "UUID": st.uuids().map(str).map(nodes.String),
    "DateTime": st.datetimes().map(lambda value: value.isoformat()).map(nodes.String),
    "Date": st.dates().map(lambda value: value.isoformat()).map(nodes.String),
    "JSONString": st.just("{}").map(nodes.String),
    "RichText": st.text(max_size=20).map(nodes.String),
}


@pytest.fixture
def hidden_content(db, make_procedure) -> None:
    """A never-published page and an unpublished draft over a live page, both marked."""
    make_procedure("fuzz-draft", publish=False, title=f"{MARKER} draft", summary=MARKER)
    live = ProcedurePage.objects.get(slug="selective-neurectomy")
    live.title = f"{MARKER} newer draft"
    live.summary = MARKER
    live.save_revision()


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(query=hypothesis_graphql.queries(SCHEMA, custom_scalars=CUSTOM_SCALARS))
def test_generated_queries_never_fail_the_server_or_leak(client, hidden_content, query):
    response = client.post("/graphql/", {"query": query}, content_type="application/json")
    assert response.status_code in (200, 400), (response.status_code, query)
    body = response.content.decode()
    assert MARKER not in body, query
    payload = response.json()
    for error in payload.get("errors", []):
        assert error["message"] != "Internal server error.", query
