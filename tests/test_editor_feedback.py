"""Editors, round two: feedback reaches the editor, readers see no editorial state, one
readability verdict, compare shows moved blocks, and the admin calls no third party."""

import os
import re
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from test_embedded_preview import preview_html
from test_medical_review import submit

from cms.readability import page_readability, reading_grade
from home.models import ArticlePage
from procedures.models import ProcedurePage
from reviews.models import ReviewerProfile

COMMENT = "Please cite a source for the recovery time."
BASE_URL = "http://cms.example:8123"


@pytest.fixture
def author(django_user_model):
    user = django_user_model.objects.create_user(
        "author", "author@example.com", "pw", first_name="Ann"
    )
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def reviewer(django_user_model):
    user = django_user_model.objects.create_user(
        "doc", "doc@example.com", "pw", first_name="Dana", last_name="Doctor"
    )
    user.groups.add(Group.objects.get(name="Medical reviewers"))
    ReviewerProfile.objects.create(user=user, credentials="MD, FACS")
    return user


def act(page, user, action: str, **data) -> None:
    """What the reviewer's action button does, through the task's own `on_action`."""
    page.refresh_from_db()
    state = page.current_workflow_state
    state.current_task_state.task.specific.on_action(state.current_task_state, user, action, **data)


@pytest.fixture
def sent_back(author, reviewer):
    """A procedure the author submitted and the reviewer sent back with a comment."""
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    submit(page, author, summary="Changed by the author.")
    mail.outbox.clear()
    with override_settings(WAGTAILADMIN_BASE_URL=BASE_URL):
        act(page, reviewer, "reject", comment=COMMENT)
    page.refresh_from_db()
    return page


def test_make_run_links_emails_to_the_address_it_serves():
    """`make run PORT=8001` sets WAGTAILADMIN_BASE_URL for every process it starts (the
    recipe's commands echo the setting here instead of running), unless it is set already."""

    def seen(**env):
        result = subprocess.run(
            [
                "make",
                "-s",
                "-o",
                "install",
                "run",
                "HOST=127.0.0.1",
                "PORT=8001",
                "PY=printenv WAGTAILADMIN_BASE_URL; true",
            ],
            cwd=Path(__file__).resolve().parent.parent,
            env={k: v for k, v in os.environ.items() if k != "WAGTAILADMIN_BASE_URL"} | env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return set(result.stdout.split())

    assert seen() == {"http://127.0.0.1:8001"}
    assert seen(WAGTAILADMIN_BASE_URL="https://cms.example") == {"https://cms.example"}


@pytest.mark.django_db
def test_requested_changes_email_the_submitter_the_comment_and_a_link_to_the_admin(sent_back):
    [message] = [m for m in mail.outbox if m.to == ["author@example.com"]]
    assert COMMENT in message.body
    assert f"{BASE_URL}/admin/pages/{sent_back.pk}/edit/" in message.body


@pytest.mark.django_db
def test_the_editor_sees_the_comment_on_the_dashboard_and_in_the_status_panel(
    client, author, sent_back
):
    client.force_login(author)
    dashboard = client.get("/admin/").content.decode()
    panel = dashboard[dashboard.index("data-changes-requested-panel") :]
    assert COMMENT in panel and "Dana Doctor" in panel
    assert f"/admin/pages/{sent_back.pk}/edit/" in panel
    edit = client.get(f"/admin/pages/{sent_back.pk}/edit/").content.decode()
    assert edit.count("data-requested-changes") == 1
    status = edit[edit.index("data-requested-changes") :]
    assert "Changes requested" in status and COMMENT in status


@pytest.mark.django_db
def test_the_comment_leaves_the_dashboard_once_the_page_is_resubmitted(client, author, sent_back):
    sent_back.current_workflow_state.resume(user=author)
    client.force_login(author)
    assert COMMENT not in client.get("/admin/").content.decode()


EDITORIAL = re.compile(r"in (medical )?review|review due|never reviewed|medical review:", re.I)


@pytest.mark.django_db
def test_readers_never_see_editorial_state_only_who_reviewed_the_live_text(
    client, author, reviewer
):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    never = client.get(page.url).content.decode()
    assert not EDITORIAL.search(never)
    submit(page, author, summary="Changed by the author.")
    in_review = client.get(page.url).content.decode()
    assert not EDITORIAL.search(in_review)
    act(page, reviewer, "approve")
    reviewed = client.get(page.url).content.decode()
    assert not EDITORIAL.search(reviewed)
    assert "Medically reviewed by Dana Doctor, MD, FACS, on" in reviewed
    article = ArticlePage.objects.get()
    assert not EDITORIAL.search(client.get(article.url).content.decode())


@pytest.mark.django_db
def test_the_preview_the_form_and_the_checks_panel_share_one_readability_verdict(admin_client):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    readability = page_readability(page)
    preview = preview_html(admin_client, page)
    form = admin_client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert preview.count("Reading grade") == 1
    assert readability.verdict in preview
    assert readability.verdict in form
    # What Wagtail's Checks panel shows (cms/static/cms/readability_checks.js reads it).
    assert f'data-readability-verdict="{readability.short}"' in preview
    assert "cms/readability_checks.js" in form


@pytest.mark.django_db
def test_a_page_without_text_gets_no_readability_verdict():
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.summary, page.body = "", ""
    readability = page_readability(page)
    assert readability.grade is None and readability.suits_patients is None
    assert "suits" not in readability.verdict and "too hard" not in readability.verdict
    assert readability.short == "No text"
    assert reading_grade("") is None


@pytest.mark.django_db
def test_compare_marks_swapped_stream_blocks_as_moved(admin_client):
    article = ArticlePage.objects.get()
    before = article.save_revision()
    draft = article.get_latest_revision_as_object()
    raw = list(draft.body.raw_data)
    raw[0], raw[1] = raw[1], raw[0]
    draft.body = raw
    after = draft.save_revision()
    url = reverse("wagtailadmin_pages:revisions_compare", args=[article.pk, before.pk, after.pk])
    html = admin_client.get(url).content.decode()
    assert html.count("comparison__moved") == 1
    assert "<strong>Moved</strong> (was block" in html
    unchanged = reverse(
        "wagtailadmin_pages:revisions_compare", args=[article.pk, before.pk, before.pk]
    )
    assert "comparison__moved" not in admin_client.get(unchanged).content.decode()


@pytest.mark.django_db
def test_the_admin_requests_nothing_from_gravatar(admin_client):
    assert "gravatar.com" not in admin_client.get("/admin/").content.decode()


def settings_in(module: str, **env: str) -> dict:
    """EMAIL_BACKEND and EMAIL_FILE_PATH as `module` reads them from `env`, in a fresh process."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps({'backend': settings.EMAIL_BACKEND, 'path': settings.EMAIL_FILE_PATH}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "PYTEST"))}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**clean, "DJANGO_SETTINGS_MODULE": module, "SECRET_KEY": "x", **env},
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_development_writes_email_to_files_and_production_sends_by_smtp(tmp_path):
    dev = settings_in("cms.settings.dev", EMAIL_FILE_PATH=str(tmp_path))
    assert dev == {
        "backend": "django.core.mail.backends.filebased.EmailBackend",
        "path": str(tmp_path),
    }
    console = "django.core.mail.backends.console.EmailBackend"
    assert settings_in("cms.settings.dev", EMAIL_BACKEND=console)["backend"] == console
    production = settings_in("cms.settings.production", ALLOWED_HOSTS="cms.example")
    assert production["backend"] == "django.core.mail.backends.smtp.EmailBackend"
