"""`schema.graphql` is what clients build against; it must match the code exactly."""

from pathlib import Path

from django.core.management import call_command

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_committed_schema_matches_the_code(tmp_path):
    generated = tmp_path / "schema.graphql"
    call_command("graphql_schema", out=str(generated), stdout=None)
    assert generated.read_text() == SCHEMA_FILE.read_text(), (
        "schema.graphql is out of date: if the change is intended, run `make schema` and commit it."
    )


def test_contract_root_fields_are_in_the_schema():
    schema = SCHEMA_FILE.read_text()
    for field in (
        "article(",
        "articles(",
        "procedure(",
        "procedures(",
        "muscles:",
        "page(",
        "pages(",
        "search(",
        "images(",
        "redirects",
    ):
        assert f"  {field}" in schema, field
    for enum_values in (
        "SURGICAL\n  NONSURGICAL",
        "INVASIVE\n  MINIMALLY_INVASIVE\n  NONINVASIVE",
        "PERMANENT\n  TEMPORARY",
        "FAT\n  MUSCLE\n  NERVE",
        "SINGLE\n  MULTIPLE",
        "IMMEDIATE\n  GRADUAL",
    ):
        assert enum_values in schema
