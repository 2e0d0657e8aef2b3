"""Autosave: the Add form leaves no page behind, and an editing session keeps one revision.

Wagtail 8 autosaves the edit form into one revision per session (`overwrite_revision_id`)
and refuses an autosave older than the newest revision; these tests hold us to that, and to
our Add form, which does not autosave (`cms/page_creation.py`).
"""

from html.parser import HTMLParser

import pytest
from wagtail.models import PageLogEntry, Revision

from procedures.models import ProcedureIndexPage, ProcedurePage

pytestmark = pytest.mark.django_db
AUTOSAVE = {"HTTP_ACCEPT": "application/json"}  # what Wagtail's autosave script sends


class FormFields(HTMLParser):
    """The fields the edit form would post, as a browser reads them from the page."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self.inside: tuple[str, str] | None = None
        self.in_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "data-edit-form" in attrs:
            self.in_form = True
        if not self.in_form or not attrs.get("name"):
            if tag == "option" and self.inside and "selected" in attrs:
                self.data.setdefault(self.inside[1], []).append(attrs.get("value", ""))
            return
        name = attrs["name"]
        if tag == "input" and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.data.setdefault(name, []).append(attrs.get("value", ""))
        elif tag in ("textarea", "select"):
            self.inside = (tag, name)
            if tag == "textarea":
                self.data.setdefault(name, []).append("")

    def handle_data(self, data):
        if self.inside and self.inside[0] == "textarea":
            self.data[self.inside[1]][-1] += data

    def handle_endtag(self, tag):
        if tag in ("textarea", "select"):
            self.inside = None
        if tag == "form":
            self.in_form = False


def edit_form(client, page) -> dict:
    parser = FormFields()
    parser.feed(client.get(f"/admin/pages/{page.pk}/edit/").content.decode())
    return parser.data


def test_the_add_form_does_not_autosave_but_the_edit_form_does(admin_client):
    index = ProcedureIndexPage.objects.get()
    add = admin_client.get(f"/admin/pages/add/procedures/procedurepage/{index.pk}/")
    assert add.status_code == 200
    assert "w-autosave-interval-value" not in add.content.decode()
    edit = admin_client.get(f"/admin/pages/{index.get_children().first().pk}/edit/")
    assert "w-autosave-interval-value" in edit.content.decode()


def test_an_editing_session_with_autosave_keeps_one_revision_and_one_history_entry(
    admin_client,
):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    revisions, logs = page.revisions.count(), PageLogEntry.objects.filter(page=page).count()
    form = edit_form(admin_client, page)
    url = f"/admin/pages/{page.pk}/edit/"
    first = admin_client.post(url, {**form, "summary": "Typed once."}, **AUTOSAVE).json()
    assert first["success"], first
    for n in range(2, 8):  # seven autosaves in one session
        answer = admin_client.post(
            url,
            {**form, "summary": f"Typed {n} times.", "overwrite_revision_id": first["revision_id"]},
            **AUTOSAVE,
        ).json()
        assert answer["success"] and answer["revision_id"] == first["revision_id"], answer
    assert page.revisions.count() == revisions + 1
    new_logs = PageLogEntry.objects.filter(page=page).order_by("pk")[logs:]
    assert {entry.uuid for entry in new_logs} == {new_logs[0].uuid}  # one entry in history
    assert Revision.objects.get(pk=first["revision_id"]).content["summary"] == "Typed 7 times."


def test_a_late_autosave_never_overwrites_a_newer_revision(admin_client):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    form = edit_form(admin_client, page)
    url = f"/admin/pages/{page.pk}/edit/"
    autosaved = admin_client.post(url, {**form, "summary": "Autosaved."}, **AUTOSAVE).json()
    admin_client.post(url, {**form, "summary": "Saved as a draft."})  # the Save draft button
    late = admin_client.post(
        url,
        {**form, "summary": "A late autosave.", "overwrite_revision_id": autosaved["revision_id"]},
        **AUTOSAVE,
    ).json()
    assert late["success"] is False and late["error_code"] == "invalid_revision"
    latest = ProcedurePage.objects.get(pk=page.pk).get_latest_revision()
    assert latest.content["summary"] == "Saved as a draft."
