"""What editors save is what they meant: unknowns stay null, seed content round-trips cleanly."""

import re

import pytest
from django.core.exceptions import ValidationError
from test_editing import procedure_form_data
from wagtail.admin.rich_text.converters.contentstate import ContentstateConverter
from wagtail.models import PageLogEntry

from home.blocks import PARAGRAPH_FEATURES
from home.models import ArticlePage
from procedures.models import BODY_FEATURES, ProcedurePage


@pytest.mark.django_db
def test_an_unstated_fact_stays_null_through_a_form_save(admin_client, gql):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    data = procedure_form_data(page, summary="Only the summary changed.")
    data["action-save-draft"] = "action-save-draft"
    response = admin_client.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 302
    # Published as an approval publishes: the saved revision, as it is.
    ProcedurePage.objects.get(pk=page.pk).get_latest_revision().publish()
    page = ProcedurePage.objects.get(pk=page.pk)
    assert page.summary == "Only the summary changed."
    for fact in ("ideal_candidates", "invasiveness", "sessions", "onset"):
        assert getattr(page, fact) is None, fact
    served = gql('{ procedure(slug: "calf-liposuction") { idealCandidates invasiveness } }')
    assert served["procedure"] == {"idealCandidates": None, "invasiveness": None}
    # Compare shows only the summary as changed, no phantom change to an unknown fact.
    latest, previous = page.revisions.order_by("-pk")[:2]
    compare = admin_client.get(
        f"/admin/pages/{page.pk}/revisions/compare/{previous.pk}...{latest.pk}/"
    ).content.decode()
    assert "Ideal candidates" not in compare
    assert "Summary" in compare


@pytest.mark.django_db
def test_an_empty_choice_reads_not_stated_in_the_source(admin_client):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    html = admin_client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert '<option value="" selected>Not stated in the source</option>' in html
    assert "---------" not in html


@pytest.mark.django_db
def test_muscles_and_related_procedures_are_checkboxes(admin_client):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    html = admin_client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert 'type="checkbox" name="muscles"' in html
    assert 'type="checkbox" name="related_procedures"' in html
    assert '<select name="muscles"' not in html


@pytest.mark.django_db
def test_a_procedure_cannot_be_related_to_itself(admin_client):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    html = admin_client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert f'name="related_procedures" value="{page.pk}"' not in html
    data = procedure_form_data(page, **{"action-publish": "action-publish"})
    data["related_procedures"] = [str(page.pk)]
    response = admin_client.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 200
    assert "related_procedures" in response.context["form"].errors
    page.related_procedures = [page]
    with pytest.raises(ValidationError, match="related to itself"):
        page.clean()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "slug", ["calf-liposuction", "calf-reduction-surgery-the-basics-explained"]
)
def test_seed_versions_can_be_reviewed_and_restored_from_history(admin_client, slug):
    page = ProcedurePage.objects.filter(slug=slug).first() or ArticlePage.objects.get(slug=slug)
    entries = PageLogEntry.objects.filter(page=page, revision__isnull=False)
    assert entries.exists()
    revision = page.live_revision
    html = admin_client.get(f"/admin/pages/{page.pk}/history/").content.decode()
    assert f"/admin/pages/{page.pk}/revisions/{revision.pk}/view/" in html
    earliest = page.revisions.order_by("pk").first()
    revert = admin_client.get(f"/admin/pages/{page.pk}/revisions/{earliest.pk}/revert/")
    assert revert.status_code == 200


def round_trip(html: str, features: list[str]) -> str:
    converter = ContentstateConverter(features)
    return converter.to_database_format(converter.from_database_format(html))


@pytest.mark.django_db
def test_seed_html_is_stored_as_the_editor_would_save_it():
    article = ArticlePage.objects.get()
    assert 'data-block-key="' in article.intro
    assert round_trip(article.intro, PARAGRAPH_FEATURES) == article.intro
    for block in article.body.raw_data:
        if block["type"] == "paragraph":
            assert round_trip(block["value"], PARAGRAPH_FEATURES) == block["value"]
    for page in ProcedurePage.objects.all():
        assert round_trip(page.body, BODY_FEATURES) == page.body


@pytest.mark.django_db
def test_the_first_save_of_the_article_changes_nothing_in_its_intro(admin_client):
    article = ArticlePage.objects.get()
    html = admin_client.get(f"/admin/pages/{article.pk}/edit/").content.decode()
    # The editor re-serializes what it was given; block keys survive, so the text is unchanged.
    keys = re.findall(r'data-block-key="([^"]+)"', article.intro)
    assert keys and all(key in html for key in keys)
