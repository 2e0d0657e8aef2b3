"""The example TypeScript client in examples/: codegen, tsc, and its tests against a live API.

It proves with the real libraries (Apollo Client 4, graphql-codegen's client preset) that the
documents app teams copy validate against `schema.graphql` and work over HTTP against the seed.
Needs Node 20+ and npm; skipped without them.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from private_servers import redis_server
from servers import ROOT, app_env, gunicorn, manage

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# A browser app's origin, as Vite serves it during development.
APP_ORIGIN = "http://localhost:5173"
DRAFT_SUMMARY = "A draft summary, seen only through the preview token."

pytestmark = pytest.mark.skipif(
    shutil.which("npm") is None or shutil.which("node") is None,
    reason="the example client needs node and npm on PATH",
)


def npm(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Runs npm in examples/; its output is shown only when it fails."""
    result = subprocess.run(
        ["npm", *args],
        cwd=EXAMPLES,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, (
        f"`npm {' '.join(args)}` exited with {result.returncode}\n"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )
    return result


@pytest.fixture(scope="module")
def node_modules() -> None:
    """`npm ci` when node_modules is missing or older than package-lock.json."""
    installed = EXAMPLES / "node_modules" / ".package-lock.json"
    lock = EXAMPLES / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        npm("ci", "--no-audit", "--no-fund")


def test_the_example_client_typechecks_against_the_schema(node_modules):
    """codegen validates every document against schema.graphql; tsc checks the code using them."""
    npm("run", "typecheck")


PREVIEW_SCRIPT = f"""
import django
django.setup()
from wagtail.models import Locale
from procedures.models import ProcedurePage
page = ProcedurePage.objects.get(slug="selective-neurectomy", locale=Locale.get_default())
page.summary = {DRAFT_SUMMARY!r}
print(page.create_page_preview().token)
"""


KO_SLUG = "calf-liposuction"
KO_TITLE = "종아리 지방흡입"
# Korean, and one procedure translated with wagtail-localize and published by a medical
# reviewer (its review), as in the admin.
TRANSLATION_SCRIPT = f"""
import django
django.setup()
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from wagtail.models import Locale
from wagtail_localize.operations import translate_object
from procedures.models import ProcedurePage
from reviews.models import REVIEWERS_GROUP
from reviews.setup import ensure_medical_review
ensure_medical_review()
call_command("setup_locale", "ko")
korean = Locale.objects.get(language_code="ko")
page = ProcedurePage.objects.get(slug={KO_SLUG!r}, locale=Locale.get_default())
translate_object(page, [korean])
translation = page.get_translation(korean).specific
translation.title = {KO_TITLE!r}
reviewer, _ = User.objects.get_or_create(username="example-reviewer")
reviewer.groups.add(Group.objects.get_or_create(name=REVIEWERS_GROUP)[0])
translation.save_revision(user=reviewer).publish(user=reviewer)
"""


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """The API as an operator runs it: production settings under gunicorn with Redis (so the
    app's cached reads come from each process's memory), on a database of its own (migrated
    and seeded here), so the session's test database is left alone."""
    with redis_server() as redis:
        yield from serve_api(tmp_path_factory, redis.url)


def serve_api(tmp_path_factory, redis_url: str):
    database = tmp_path_factory.mktemp("example-client") / "api.sqlite3"
    env = app_env(
        f"sqlite:///{database}",
        redis_url,
        CORS_ALLOWED_ORIGINS=APP_ORIGIN,
        MEDIA_ROOT=str(database.parent / "media"),
    )
    manage(env, "migrate", "--noinput")
    manage(env, "load_seed_content")
    subprocess.run([sys.executable, "-c", TRANSLATION_SCRIPT], cwd=ROOT, env=env, check=True)
    # Production queues Wagtail's search and reference indexing for the worker; drain the
    # queue once, as a running `manage.py worker` would.
    manage(env, "db_worker", "--batch")
    token = subprocess.run(
        [sys.executable, "-c", PREVIEW_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with gunicorn(env) as base:
        yield base, token


def test_the_example_client_against_the_live_api(node_modules, api):
    base, preview_token = api
    result = npm(
        "test",
        env={
            "API_URL": f"{base}/graphql/",
            "PREVIEW_TOKEN": preview_token,
            "PREVIEW_SUMMARY": DRAFT_SUMMARY,
            "KO_SLUG": KO_SLUG,
            "KO_TITLE": KO_TITLE,
            "CORS_ORIGIN": APP_ORIGIN,
        },
    )
    # Every live test ran: none was skipped for want of API_URL or PREVIEW_TOKEN.
    assert "is not set" not in result.stdout, result.stdout
