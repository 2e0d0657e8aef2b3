"""Preview without a frontend: the admin renders the draft itself, and `/` serves the CMS."""

import pytest
from django.test import override_settings
from test_editing import procedure_form_data

from cms.readability import reading_grade
from procedures.models import ProcedurePage

FRONTEND = {"CLIENT_URLS": {"default": "http://localhost:3000"}}


def preview_html(client, page, **changes) -> str:
    endpoint = f"/admin/pages/{page.pk}/edit/preview/"
    data = procedure_form_data(page, **changes)
    data["related_procedures"] = [str(p.pk) for p in page.related_procedures.all()]
    data["image"] = page.image_id
    posted = client.post(endpoint, data)
    assert posted.json()["is_valid"] is True
    response = client.get(endpoint)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_preview_panel_renders_the_draft_with_its_facts_and_sources(admin_client):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    html = preview_html(admin_client, page, summary="A summary still in review.")
    assert "A summary still in review." in html
    assert '<p class="summary">Calf liposuction is a surgical procedure.' not in html
    # Facts with their labels and the sentence each comes from; unknowns say so.
    assert "Recovery time" in html and "One week" in html
    assert "Source: “The surgery requires one week of recovery.”" in html
    assert "Not stated in the source" in html
    assert "Radio-Frequency Calf Reduction" in html  # related procedure
    assert "Medical review: Never reviewed" in html
    assert "<img" in html
    assert "localhost:3000" not in html
    # Wagtail's Checks panel reads words and readability from the <main> of the preview.
    assert "<main>" in html
    assert "Reading grade" in html


@pytest.mark.django_db
def test_the_frontend_is_a_preview_mode_only_when_configured():
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    assert page.preview_modes == [("", "In the CMS")]
    with override_settings(WAGTAIL_HEADLESS_PREVIEW=FRONTEND):
        assert [mode for mode, _ in page.preview_modes] == ["", "frontend"]


@pytest.mark.django_db
def test_without_a_frontend_pages_are_served_by_the_cms(client):
    home = client.get("/")
    assert home.status_code == 200
    html = home.content.decode()
    for link in ('href="/admin/"', 'href="/graphql/"', 'href="/graphiql/"', 'href="/docs/"'):
        assert link in html
    procedure = client.get("/procedures/calf-liposuction/")
    assert procedure.status_code == 200
    assert "Calf liposuction is a surgical procedure." in procedure.content.decode()
    assert "is_preview" not in procedure.content.decode()
    docs = client.get("/docs/")
    assert docs.status_code == 200 and "For editors" in docs.content.decode()


@pytest.mark.django_db
def test_with_a_frontend_view_live_goes_there(client):
    with override_settings(WAGTAIL_HEADLESS_PREVIEW=FRONTEND):
        response = client.get("/procedures/calf-liposuction/")
    assert response.status_code == 302
    assert response["Location"] == "http://localhost:3000/procedures/calf-liposuction/"


def test_reading_grade_is_low_for_plain_words_and_high_for_dense_ones():
    assert reading_grade("The cat sat. The dog ran.") < 3
    dense = (
        "Pharmacological neuromodulation of gastrocnemius hypertrophy necessitates "
        "individualized consideration of contraindications and anticipated complications."
    )
    assert reading_grade(dense) > 12
    assert reading_grade("") is None  # no words, no grade (and no verdict)
