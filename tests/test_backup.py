"""`manage.py backup` and `restore`: one archive of the database and the media, restored into
a fresh database and a fresh media folder, serves the same API answers and the same files."""

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parent.parent
QUERIES = [
    "{ procedures(perPage: 100) { items { id title slug urlPath summary bodyHtml"
    " muscles { slug } image { url alt width height srcSet(widths: [320]) }"
    " relatedProcedures { slug } } pagination { total } } }",
    '{ article(slug: "calf-reduction-surgery-the-basics-explained") { title introHtml'
    " body { __typename ... on ParagraphBlock { html } ... on ProcedureBlock"
    " { procedure { slug } } } } }",
    "{ pages(perPage: 100) { items { __typename id title urlPath } } }",
    '{ search(query: "calf") { __typename ... on ProcedurePage { slug } } }',
    "{ muscles { name slug } }",
]

# Runs in a fresh process, on a fresh SQLite database and media folder: migrate, restore,
# then ask the same questions and fetch the image files the answers point at.
RESTORE_AND_ASK = """
import json, sys, django
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
call_command("restore", sys.argv[1], interactive=False, verbosity=0)
client = Client()
answers = [
    client.post("/graphql/", json.dumps({"query": query}), content_type="application/json").json()
    for query in json.loads(sys.argv[2])
]
files = {path: client.get(path).status_code for path in json.loads(sys.argv[3])}
print(json.dumps({"answers": answers, "files": files}))
"""


def image_paths(answer: dict) -> list[str]:
    """The media paths of the images a procedures answer shows."""
    return sorted(
        "/media/" + item["image"]["url"].split("/media/", 1)[1]
        for item in answer["data"]["procedures"]["items"]
        if item["image"]
    )


@pytest.mark.django_db(transaction=True)
def test_a_restored_backup_serves_the_same_answers_and_files(gql, tmp_path):
    answers = [gql.post(query).json() for query in QUERIES]
    assert all("errors" not in answer for answer in answers), answers
    images = image_paths(answers[0])
    assert images, "the seed's procedures show images"
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), verbosity=0)

    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert {"manifest.json", "contenttypes.json", "database.json"} <= set(names)
    assert all(f"media{path.removeprefix('/media')}" in names for path in images)

    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.dev",
        DATABASE_URL=f"sqlite:///{tmp_path / 'restored.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "restored-media"),
        TASKS_BACKEND="django_tasks.backends.immediate.ImmediateBackend",
    )
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            RESTORE_AND_ASK,
            str(archive),
            json.dumps(QUERIES),
            json.dumps(images),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    restored = json.loads(result.stdout.strip().splitlines()[-1])
    for query, before, after in zip(QUERIES, answers, restored["answers"], strict=True):
        assert "errors" not in after, query
        # The same data; `extensions.cost` reports each client's own rate-limit budget.
        before, after = before["data"], after["data"]
        if query.startswith("{ search"):
            # The same pages; ties in relevance may come in another order from a new index.
            before, after = (sorted(map(str, data["search"])) for data in (before, after))
        assert after == before, query
    assert restored["files"] == {path: 200 for path in images}


def test_restore_refuses_what_is_not_a_backup(tmp_path, db):
    archive = tmp_path / "not-a-backup.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(__file__, arcname="hello.py")
    with pytest.raises(CommandError, match=r"Not a backup made by `manage\.py backup`"):
        call_command("restore", str(archive), interactive=False)
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("restore", str(tmp_path / "missing.tar.gz"), interactive=False)
