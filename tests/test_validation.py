"""What editors type is refused with a clear message and kept, never mended or cut silently."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from test_editing import procedure_form_data

from cms.fields import DayInput
from procedures.models import SUMMARY_MAX_LENGTH, ProcedureCitation, ProcedurePage


@pytest.fixture
def page(db) -> ProcedurePage:
    return ProcedurePage.objects.get(slug="calf-liposuction")


def submitted_citations(page: ProcedurePage) -> list[ProcedureCitation]:
    """The citations of the revision in review (the live page changes only once approved)."""
    return list(
        ProcedurePage.objects.get(pk=page.pk).get_latest_revision_as_object().citations.all()
    )


def with_citation(page: ProcedurePage, url: str, accessed: str, **overrides) -> dict:
    # Submitted for review: the full validation, as publishing is only through review.
    data = procedure_form_data(page, **{"action-submit": "action-submit"}, **overrides)
    data.update(
        {
            "citations-TOTAL_FORMS": 1,
            "citations-0-title": "Calf reduction",
            "citations-0-url": url,
            "citations-0-accessed": accessed,
            "citations-0-ORDER": 1,
            "citations-0-id": "",
            "citations-0-DELETE": "",
        }
    )
    return data


def post(admin_client, page: ProcedurePage, data: dict):
    revisions = page.revisions.count()
    response = admin_client.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 200, "saved although the input is wrong"
    assert page.revisions.count() == revisions
    return response


def citation_form(response):
    return response.context["form"].formsets["citations"].forms[0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "www.nhs.uk/conditions/calf",
            "Start the address with https:// — did you mean https://www.nhs.uk/conditions/calf?",
        ),
        (
            "ftp://files.example.org/calf.pdf",
            "Enter a web address starting with https:// (or http://).",
        ),
        ("mailto:doctor@example.org", "Start the address with https://"),
    ],
)
def test_a_citation_url_is_a_web_address_typed_in_full(admin_client, page, url, message):
    response = post(admin_client, page, with_citation(page, url, "2026-11-01"))
    form = citation_form(response)
    assert message in " ".join(form.errors["url"])
    # The form shows what was typed, not a mended address.
    assert form["url"].value() == url
    assert f'value="{url}"' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["https://www.nhs.uk/conditions/calf/", "http://example.org/a"])
def test_https_and_http_citations_are_accepted(admin_client, page, url):
    data = with_citation(page, url, "2026-11-01")
    response = admin_client.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    assert [citation.url for citation in submitted_citations(page)] == [url]


@pytest.mark.django_db
def test_the_model_refuses_other_schemes_too(page):
    citation = ProcedureCitation(
        page=page, title="t", url="ftp://example.org/a", accessed=datetime.date(2026, 1, 1)
    )
    with pytest.raises(ValidationError) as refused:
        citation.full_clean()
    assert "url" in refused.value.message_dict


@pytest.mark.django_db
def test_the_url_field_is_labelled_url(admin_client, page):
    html = admin_client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert re.search(r'<label[^>]*for="id_citations-__prefix__-url"[^>]*>\s*URL\b', html)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("yesterday", "Enter the date as YYYY-MM-DD, e.g. 2026-11-01"),
        ("01/11/2026", "Enter the date as YYYY-MM-DD"),  # day or month first? refused, not guessed
        ("2026-02-30", "Enter the date as YYYY-MM-DD"),
    ],
)
def test_an_accessed_date_is_parsed_or_refused(admin_client, page, typed, message):
    response = post(admin_client, page, with_citation(page, "https://example.org/a", typed))
    form = citation_form(response)
    assert message in " ".join(form.errors["accessed"])
    assert form["accessed"].value() == typed


@pytest.mark.django_db
def test_an_accessed_date_in_the_future_is_refused(admin_client, page):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = post(admin_client, page, with_citation(page, "https://example.org/a", tomorrow))
    assert f"{tomorrow} is in the future" in " ".join(citation_form(response).errors["accessed"])


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["2026-11-01", "1 November 2026", "1 Nov 2026"])
def test_an_accessed_date_is_read_as_typed(admin_client, page, typed):
    data = with_citation(page, "https://example.org/a", typed)
    response = admin_client.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    [citation] = submitted_citations(page)
    assert citation.accessed == datetime.date(2026, 11, 1)


def test_the_date_picker_does_not_replace_unreadable_text_with_today():
    assert DayInput().get_config()["validateOnBlur"] is False


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "typed", "limit"),
    [
        ("title", "T" * 300, 255),
        ("recovery_time", "R" * 2000, 255),
        ("summary", "S" * 220_000, SUMMARY_MAX_LENGTH),
        ("ideal_candidates", "I" * 1001, 1000),
    ],
)
def test_too_long_text_is_refused_whole_and_kept(admin_client, page, field, typed, limit):
    response = post(admin_client, page, procedure_form_data(page, **{field: typed}))
    form = response.context["form"]
    assert (
        f"Ensure this value has at most {limit} characters (it has {len(typed)})."
        in form.errors[field]
    )
    assert form[field].value() == typed  # nothing cut
    assert ProcedurePage.objects.get(pk=page.pk).get_latest_revision_as_object().title != typed


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("title", "Up to 255 characters."),
        ("recovery_time", "Up to 255 characters."),
        ("summary", f"Up to {SUMMARY_MAX_LENGTH} characters."),
        ("ideal_candidates", "Up to 1,000 characters."),
        ("citations-__prefix__-title", "Up to 255 characters."),
        ("fact_citations-__prefix__-quote", "Up to 1,000 characters."),
    ],
)
def test_each_limit_is_shown_and_the_browser_does_not_cut_text(admin_client, page, field, limit):
    html = admin_client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    tag = re.search(rf'<(input|textarea)[^>]*name="{re.escape(field)}"[^>]*>', html)
    assert tag, field
    # The browser cuts pasted text at `maxlength` without a word, so the limit is said instead.
    assert "maxlength" not in tag.group(0)
    assert limit in html


@pytest.mark.django_db
def test_the_article_form_shows_its_limits_too(admin_client):
    from home.models import ArticlePage

    article = ArticlePage.objects.get()
    html = admin_client.get(f"/admin/pages/{article.pk}/edit/").content.decode()
    title = re.search(r'<(input|textarea)[^>]*name="title"[^>]*>', html).group(0)
    assert "maxlength" not in title
    assert "Up to 255 characters." in html


@pytest.mark.django_db
def test_the_model_refuses_an_overlong_summary(page):
    page.summary = "S" * (SUMMARY_MAX_LENGTH + 1)
    with pytest.raises(ValidationError) as refused:
        page.full_clean()
    assert "summary" in refused.value.message_dict


@pytest.mark.django_db
def test_the_seed_loader_still_loads_and_is_idempotent():
    from home.seeding import load_seed

    report = load_seed()
    assert report.created == [] and report.reset == []
    for procedure in ProcedurePage.objects.all():
        procedure.full_clean()  # the seed's text fits every limit
