"""Editors in the real Wagtail admin: tabbed forms, help text, and errors they can act on."""

import pytest
from conftest import page_by_slug
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.test.utils.form_data import nested_form_data, rich_text

from home.models import ArticlePage
from images.models import CMSImage
from procedures.enums import Tissue
from procedures.fields import ChoiceSetField
from procedures.models import ProcedurePage


@pytest.fixture
def editor(client, django_user_model):
    user = django_user_model.objects.create_superuser("editor", "editor@example.com", "pw")
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("slug", "help_text"),
    [
        ("calf-liposuction", "Leave empty if the source does not say."),
        (
            "calf-reduction-surgery-the-basics-explained",
            "The muscles the article says calf reduction targets.",
        ),
    ],
)
def test_edit_forms_group_fields_in_tabs_with_help_text(editor, slug, help_text):
    page = page_by_slug(slug)
    response = editor.get(f"/admin/pages/{page.pk}/edit/")
    assert response.status_code == 200
    html = response.content.decode()
    # Wagtail 8 shows the settings panels (scheduling, privacy) beside the form, not as a tab.
    for tab in ("content", "facts", "promote"):
        assert f'id="tab-label-{tab}"' in html
    assert help_text in html


def procedure_form_data(page: ProcedurePage, **overrides) -> dict:
    data = {
        "title": page.title,
        "slug": page.slug,
        "summary": page.summary,
        "body": rich_text(page.body),
        "image": page.image_id or "",
        "approach": page.approach or "",
        "invasiveness": page.invasiveness or "",
        "permanence": page.permanence or "",
        "targets": page.targets,
        "recovery_time": page.recovery_time or "",
        "recovery_days": page.recovery_days or "",
        "sessions": page.sessions or "",
        "onset": page.onset or "",
        "ideal_candidates": page.ideal_candidates or "",
        "seo_title": "",
        "search_description": "",
        "comments-TOTAL_FORMS": 0,
        "comments-INITIAL_FORMS": 0,
        "comments-MIN_NUM_FORMS": 0,
        "comments-MAX_NUM_FORMS": 1000,
        "citations-TOTAL_FORMS": 0,
        "citations-INITIAL_FORMS": 0,
        "citations-MIN_NUM_FORMS": 0,
        "citations-MAX_NUM_FORMS": 1000,
        "fact_citations-TOTAL_FORMS": 0,
        "fact_citations-INITIAL_FORMS": 0,
        "fact_citations-MIN_NUM_FORMS": 0,
        "fact_citations-MAX_NUM_FORMS": 1000,
    }
    data.update(overrides)
    # A multiple-choice field posts one value per checkbox, not nested form data.
    targets = data.pop("targets")
    form = nested_form_data(data)
    form["targets"] = targets
    return form


@pytest.mark.django_db
def test_an_editor_can_save_a_fact_change(editor):
    page = ProcedurePage.objects.get(slug="botox-calf-reduction")
    data = procedure_form_data(page, onset="gradual", targets=["muscle", "nerve"])
    response = editor.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    draft = ProcedurePage.objects.get(pk=page.pk).get_latest_revision_as_object()
    assert draft.onset == "gradual"
    assert draft.targets == ["muscle", "nerve"]
    # Saving a draft does not change what the API serves.
    assert ProcedurePage.objects.get(pk=page.pk).onset is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"summary": ""}, "summary", "This field is required."),
        ({"recovery_days": "-2"}, "recovery_days", "greater than or equal to 0"),
        ({"recovery_days": "soon"}, "recovery_days", "Enter a whole number."),
        ({"approach": "laser"}, "approach", "Select a valid choice."),
        ({"targets": ["bone"]}, "targets", "Select a valid choice."),
        (
            {"approach": "surgical", "invasiveness": "noninvasive"},
            "invasiveness",
            "A surgical procedure cannot be noninvasive.",
        ),
        (
            {"recovery_days": "5", "recovery_time": ""},
            "recovery_time",
            "Describe the recovery in words as well as in days.",
        ),
    ],
)
def test_bad_input_is_shown_on_the_field_and_nothing_is_saved(editor, overrides, field, message):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    revisions = page.revisions.count()
    # Submitting for review runs every check (Wagtail lets a draft skip required fields).
    data = procedure_form_data(page, **overrides, **{"action-submit": "action-submit"})
    response = editor.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    assert page.revisions.count() == revisions


def test_choice_set_field_round_trips_and_matches_whole_values():
    field = ChoiceSetField(choices_enum=Tissue)
    assert field.get_prep_value(["nerve", "fat"]) == ",fat,nerve,"
    assert field.to_python(",fat,nerve,") == ["fat", "nerve"]
    assert field.to_python("") == []
    assert field.get_prep_value([]) == ""
    assert ChoiceSetField.contains_lookup("targets", "fat") == {"targets__contains": ",fat,"}
    with pytest.raises(ValidationError):
        field.to_python(["bone"])


@pytest.mark.django_db  # Page() reads its ContentType, cached only once some test has read it
def test_model_clean_rejects_contradicting_facts():
    page = ProcedurePage(
        title="x", slug="x", summary="x", approach="nonsurgical", invasiveness="invasive"
    )
    with pytest.raises(ValidationError) as error:
        page.clean()
    assert "invasiveness" in error.value.message_dict


@pytest.mark.django_db
def test_an_image_without_alt_text_is_refused(editor):
    upload = SimpleUploadedFile("x.png", CMSImage.objects.first().file.read(), "image/png")
    response = editor.post(
        "/admin/images/add/", {"title": "No alt", "file": upload, "description": ""}
    )
    assert response.status_code == 200
    assert "description" in response.context["form"].errors
    assert not CMSImage.objects.filter(title="No alt").exists()


@pytest.mark.django_db
def test_article_edit_form_shows_benefits_and_procedure_blocks(editor):
    article = ArticlePage.objects.get()
    html = editor.get(f"/admin/pages/{article.pk}/edit/").content.decode()
    assert "Skin tightening" in html
    assert "Benefits list" in html
    assert "Procedure" in html


@pytest.mark.django_db
def test_the_image_form_keeps_the_chosen_file_after_a_refusal(editor):
    content = CMSImage.objects.first().file.read()
    upload = SimpleUploadedFile("kept.png", content, "image/png")
    refused = editor.post("/admin/images/add/", {"title": "Kept", "file": upload})
    assert refused.status_code == 200
    form = refused.context["form"]
    assert "description" in form.errors
    pending = form.data["pending_file"]
    assert pending.endswith("/kept.png")
    assert f'value="{pending}"' in refused.content.decode()

    accepted = editor.post(
        "/admin/images/add/",
        {"title": "Kept", "description": "A kept test image.", "pending_file": pending},
    )
    assert accepted.status_code == 302
    image = CMSImage.objects.get(title="Kept")
    assert (image.width, image.height) == (1600, 900)


@pytest.mark.django_db
def test_the_image_form_ignores_a_pending_file_it_did_not_make(editor):
    response = editor.post(
        "/admin/images/add/",
        {"title": "Sneaky", "description": "x", "pending_file": "original_images/other.png"},
    )
    assert response.status_code == 200
    assert "file" in response.context["form"].errors
