"""`schema.graphql` is what clients build against; it must match the code exactly."""

import re
from pathlib import Path

from django.core.management import call_command
from graphql import build_schema

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "schema.graphql"
API_DOCUMENT = ROOT / "docs" / "API.md"


def test_committed_schema_matches_the_code(tmp_path):
    generated = tmp_path / "schema.graphql"
    call_command("graphql_schema", out=str(generated), stdout=None)
    assert generated.read_text() == SCHEMA_FILE.read_text(), (
        "schema.graphql is out of date: if the change is intended, run `make schema` and commit it."
    )


def documented_root_fields() -> set[str]:
    """The names in the root-field table of docs/API.md (rows like "| `article(slug, ...`")."""
    return set(re.findall(r"^\| `(\w+)[(:]", API_DOCUMENT.read_text(), re.MULTILINE))


def test_the_root_fields_are_exactly_the_documented_ones():
    schema = build_schema(SCHEMA_FILE.read_text())
    assert set(schema.query_type.fields) == documented_root_fields()
    assert documented_root_fields() >= {"article", "procedures", "page", "changes", "preview"}


def test_contract_enums_are_in_the_schema():
    schema = SCHEMA_FILE.read_text()
    for enum_values in (
        "SURGICAL\n  NONSURGICAL",
        "INVASIVE\n  MINIMALLY_INVASIVE\n  NONINVASIVE",
        "PERMANENT\n  TEMPORARY",
        "FAT\n  MUSCLE\n  NERVE",
        "SINGLE\n  MULTIPLE",
        "IMMEDIATE\n  GRADUAL",
    ):
        assert enum_values in schema
