"""Frontend preview: with a frontend configured, its preview mode opens it with a signed,
expiring token. (Without one, the admin renders the preview itself: test_embedded_preview.py.)"""

import re
import time
from unittest import mock
from unittest.mock import ANY
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client, override_settings
from test_editing import procedure_form_data

from procedures.models import ProcedurePage

SELECTIONS = {
    "procedure": "title summary",
    "page": "title ... on ProcedurePage { summary }",
    "preview": "title ... on ProcedurePage { summary }",
    "article": "title",
}


def query(field: str) -> str:
    return f"query ($token: String) {{ {field}(token: $token) {{ {SELECTIONS[field]} }} }}"


FRONTEND = {
    "CLIENT_URLS": {"default": "http://localhost:3000"},
    "SERVE_BASE_URL": None,
    "REDIRECT_ON_PREVIEW": False,
    "ENFORCE_TRAILING_SLASH": True,
}


@pytest.fixture(autouse=True)
def frontend_configured():
    with override_settings(WAGTAIL_HEADLESS_PREVIEW=FRONTEND):
        yield


@pytest.fixture
def editor(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("ed", "ed@example.com", "pw"))
    return client


def preview_url(editor: Client, page: ProcedurePage, **changes) -> str:
    """Press Preview in the editor with unsaved changes; return the URL the admin opens."""
    endpoint = f"/admin/pages/{page.pk}/edit/preview/"
    posted = editor.post(endpoint, procedure_form_data(page, **changes))
    assert posted.json()["is_valid"] is True
    shown = editor.get(endpoint, {"mode": "frontend"})
    assert shown.status_code == 200
    match = re.search(r'(http://localhost:3000/[^"\']+)', shown.content.decode())
    assert match, "the preview page should point at the frontend"
    return match.group(1).replace("&amp;", "&")


def token_of(url: str) -> str:
    return parse_qs(urlparse(url).query)["token"][0]


@pytest.mark.django_db
def test_preview_opens_the_frontend_with_a_token_for_the_draft(editor, gql):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    url = preview_url(editor, page, summary="A summary still in review.")
    assert url.startswith("http://localhost:3000/?")
    assert parse_qs(urlparse(url).query)["content_type"] == ["procedures.procedurepage"]
    token = token_of(url)

    for field in ("procedure", "page"):
        data = gql(query(field), {"token": token})[field]
        assert data == {"title": "Calf Liposuction", "summary": "A summary still in review."}
    # The token is for a procedure, not an article.
    assert gql(query("article"), {"token": token}) == {"article": None}
    # Readers without the token still get the live page.
    live = gql('{ procedure(slug: "calf-liposuction") { summary } }')["procedure"]
    assert live["summary"] == "Calf liposuction is a surgical procedure."


@pytest.mark.django_db
def test_preview_of_a_never_published_page(editor, gql, make_procedure):
    draft = make_procedure("brand-new", publish=False, summary="Not yet published.")
    token = token_of(preview_url(editor, draft))
    data = gql(query("procedure"), {"token": token})["procedure"]
    assert data["summary"] == "Not yet published."
    assert gql('{ procedure(slug: "brand-new") { slug } }') == {"procedure": None}


@pytest.mark.django_db
def test_preview_responses_are_never_cached(editor, gql):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    token = token_of(preview_url(editor, page))
    response = gql.post(query("procedure"), {"token": token})
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["procedure", "page", "article"])
def test_a_wrong_token_returns_nothing(editor, gql, field):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    token = token_of(preview_url(editor, page, summary="Secret draft."))
    for wrong in (token[:-2] + "xx", "id=1:abc:def", "", "garbage"):
        response = gql.post(query(field), {"token": wrong})
        assert response.status_code == 200
        assert "Secret draft." not in response.content.decode()
        assert response.json() == {"data": {field: None}, "extensions": ANY}


@pytest.mark.django_db
@override_settings(PREVIEW_TOKEN_MAX_AGE=600)
def test_an_expired_token_returns_nothing(editor, gql):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    token = token_of(preview_url(editor, page, summary="Old draft."))
    assert gql(query("procedure"), {"token": token})["procedure"]["summary"] == "Old draft."
    eleven_minutes_later = time.time() + 660
    with mock.patch("django.core.signing.time.time", return_value=eleven_minutes_later):
        response = gql.post(query("procedure"), {"token": token})
    assert response.json() == {"data": {"procedure": None}, "extensions": ANY}


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["procedure", "page", "preview"])
def test_a_deleted_pages_token_returns_nothing(editor, gql, make_procedure, field):
    page = make_procedure("short-lived")
    token = token_of(preview_url(editor, page, summary="Draft of a page about to go."))
    lookup = (
        query(field).replace("$token: String", "$token: String!")
        if field == "preview"
        else query(field)
    )
    assert gql(lookup, {"token": token})[field] is not None
    ProcedurePage.objects.get(pk=page.pk).delete()
    assert gql(lookup, {"token": token}) == {field: None}


@pytest.mark.django_db
@override_settings(PREVIEW_TOKEN_MAX_AGE=600)
@pytest.mark.parametrize("field", ["page", "preview"])
def test_every_token_field_applies_the_same_age(editor, gql, field):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    token = token_of(preview_url(editor, page, summary="Old draft."))
    lookup = (
        query(field).replace("$token: String", "$token: String!")
        if field == "preview"
        else query(field)
    )
    eleven_minutes_later = time.time() + 660
    with mock.patch("django.core.signing.time.time", return_value=eleven_minutes_later):
        response = gql.post(lookup, {"token": token})
    assert response.json() == {"data": {field: None}, "extensions": ANY}


def publish_draft(page: ProcedurePage, summary: str) -> None:
    page = ProcedurePage.objects.get(pk=page.pk)
    page.summary = summary
    page.save_revision().publish()


def unpublish(page: ProcedurePage) -> None:
    ProcedurePage.objects.get(pk=page.pk).unpublish()


def make_private(page: ProcedurePage) -> None:
    from wagtail.models import PageViewRestriction

    PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )


def save_another_draft(page: ProcedurePage) -> None:
    page = ProcedurePage.objects.get(pk=page.pk)
    page.summary = "A later draft."
    page.save_revision()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        lambda page: publish_draft(page, "The published text."),
        unpublish,
        make_private,
        save_another_draft,
    ],
    ids=["published", "unpublished", "made private", "saved again"],
)
@pytest.mark.parametrize("field", ["procedure", "page", "preview"])
def test_a_token_dies_when_its_page_moves_on(editor, gql, field, change):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    token = token_of(preview_url(editor, page, summary="Draft before the change."))
    lookup = (
        query(field).replace("$token: String", "$token: String!")
        if field == "preview"
        else query(field)
    )
    assert gql(lookup, {"token": token})[field]["summary"] == "Draft before the change."
    change(page)
    response = gql.post(lookup, {"token": token})
    assert "Draft before the change." not in response.content.decode()
    assert response.json() == {"data": {field: None}, "extensions": ANY}


@pytest.mark.django_db
def test_a_private_pages_section_makes_its_tokens_die_too(editor, gql):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    token = token_of(preview_url(editor, page, summary="Draft under a section."))
    make_private(page.get_parent())
    assert gql(query("procedure"), {"token": token}) == {"procedure": None}
