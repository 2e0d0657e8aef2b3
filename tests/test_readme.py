"""The README states what the tests prove; these keep the two in step."""

import re
from pathlib import Path

from test_publication_rules import CASES, PATHS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_readme_starts_with_the_two_commands():
    first_lines = README.splitlines()[:5]
    assert any(line.strip().startswith("make run") for line in first_lines)
    assert any(line.strip().startswith("make test") for line in first_lines)


def test_security_table_lists_exactly_the_tested_paths_and_cases():
    header = next(line for line in README.splitlines() if line.startswith("| path \\ case"))
    assert re.findall(r"`(\w+)`", header) == CASES
    rows = [line for line in README.splitlines() if re.match(r"^\| `[^`]+` \| ✓", line)]
    assert [re.match(r"^\| `([^`]+)`", row).group(1) for row in rows] == list(PATHS)
    assert all(row.count("✓") == len(CASES) for row in rows)
