"""docs/API.md is the contract: its root-field table, its HTTP refusals and its error codes
are what the server has and does."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from cms.graphql.schema import schema

ROOT = Path(__file__).resolve().parent.parent
API_DOC = (ROOT / "docs" / "API.md").read_text()


def section(title: str) -> str:
    start = API_DOC.index(f"## {title}\n")
    end = API_DOC.find("\n## ", start + 1)
    return API_DOC[start : end if end != -1 else None]


def documented_root_fields() -> dict[str, set[str]]:
    fields = {}
    for row in re.findall(r"^\| `(\w+)(?:\(([^)]*)\))?:", section("Root fields"), re.MULTILINE):
        name, arguments = row
        fields[name] = {
            argument.split(":")[0].strip() for argument in arguments.split(",") if argument.strip()
        }
    return fields


def test_the_root_field_table_lists_every_field_with_every_argument():
    query = schema.graphql_schema.query_type
    actual = {name: set(field.args) for name, field in query.fields.items()}
    assert documented_root_fields() == actual


def test_every_error_code_the_server_sends_is_documented():
    text = section("HTTP")
    listed = text[text.index("Errors carry `extensions.code`") :]
    documented = set(re.findall(r"`([A-Z][A-Z_]+)`", listed))
    sources = [*(ROOT / "cms" / "graphql").glob("*.py"), *(ROOT / "ops").glob("*.py")]
    sent = set()
    for path in sources:
        code = path.read_text()
        sent |= set(re.findall(r"""code["']?\s*[:=]\s*"([A-Z][A-Z_]+)\"""", code))
        sent |= set(re.findall(r"""RequestErrors\(.*?"([A-Z][A-Z_]+)"\)""", code))
        sent |= set(re.findall(r"""^[A-Z_]+ = "([A-Z]+_[A-Z_]+)"$""", code, re.MULTILINE))
    sent -= {"GRAPHQL_LIMITS"}  # a settings name, not a code
    assert sent, "found no codes: the patterns no longer match the source"
    assert sent <= documented, sent - documented


def refusal_rows() -> dict[int, str]:
    rows = re.findall(r"^  \| `(\d{3})` \| (.+) \|$", section("HTTP"), re.MULTILINE)
    return {int(status): when for status, when in rows}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status, body, content_type",
    [
        (400, "{not json", "application/json"),
        (400, json.dumps({"variables": {}}), "application/json"),
        (413, json.dumps({"query": "{ __typename }", "pad": "x" * 40_000}), "application/json"),
        (415, "query=%7B__typename%7D", "text/plain"),
    ],
)
def test_each_documented_refusal_is_what_the_server_answers(client, status, body, content_type):
    assert status in refusal_rows()
    response = client.post(
        "/graphql/", body, content_type=content_type, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == status
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert settings.GRAPHQL_LIMITS["MAX_BODY_BYTES"] < 40_000


def test_the_refusal_table_names_every_accepted_content_type():
    from cms.graphql.views import ACCEPTED_CONTENT_TYPES

    for content_type in ACCEPTED_CONTENT_TYPES:
        assert f"`{content_type}`" in refusal_rows()[415]
