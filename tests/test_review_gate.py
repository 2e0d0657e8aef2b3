"""Medical review is the only way a medical page goes live: approval publishes exactly what was
reviewed, nobody publishes or unpublishes around it without a recorded reason, only complete
pages enter it, and expired pages stay editable. Driven through the admin's own forms."""

import datetime

import pytest
from admin_forms import rendered_form_data
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.test import override_settings
from django.utils import timezone
from wagtail.models import Comment, PageLogEntry, WorkflowState

from procedures.models import ProcedureIndexPage, ProcedurePage
from reviews.models import MedicalReview, ReviewerProfile

CITATION = {
    "title": "Calf contouring outcomes",
    "url": "https://example.org/calf",
    "accessed": "2026-11-02",
}
LIPOSUCTION_API = '{ procedure(slug: "calf-liposuction") { summary citations { title } } }'


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("ed", password="pw", first_name="Eddie")
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def reviewer(django_user_model):
    user = django_user_model.objects.create_user("doc", password="pw", first_name="Dana")
    user.groups.add(Group.objects.get(name="Medical reviewers"))
    ReviewerProfile.objects.create(user=user, credentials="MD")
    return user


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser("boss", "boss@example.com", "pw")


def edit_url(page) -> str:
    return f"/admin/pages/{page.pk}/edit/"


def form_as_rendered(client, user, page) -> dict[str, list[str]]:
    """What the user's browser would post back from the page's edit form, unchanged."""
    client.force_login(user)
    response = client.get(edit_url(page))
    assert response.status_code == 200
    return rendered_form_data(response.content.decode())


def with_citation(data: dict, **citation) -> dict:
    """The form data after the editor clicks "Add citation" and fills it in."""
    index = int(data["citations-TOTAL_FORMS"][0])
    data["citations-TOTAL_FORMS"] = [str(index + 1)]
    for name, value in {**citation, "id": "", "ORDER": str(index + 1), "DELETE": ""}.items():
        data[f"citations-{index}-{name}"] = [value]
    return data


def press(data: dict, *buttons: str, **fields: str) -> dict:
    return {**data, **{button: ["1"] for button in buttons}, **{k: [v] for k, v in fields.items()}}


def shown_messages(response) -> list[str]:
    """The messages the user reads: on the page itself, or on the page it redirects to."""
    if response.status_code == 302:
        response = response.client.get(response["Location"])
    return [str(message.message) for message in get_messages(response.wsgi_request)]


def submit_with_a_new_citation(client, editor, page):
    """The editor adds a citation to the live page and submits it for medical review."""
    data = with_citation(form_as_rendered(client, editor, page), **CITATION)
    response = client.post(edit_url(page), press(data, "action-submit"))
    assert response.status_code == 302, shown_messages(response)
    return ProcedurePage.objects.get(pk=page.pk)


# Approval loop


@pytest.mark.django_db
def test_approving_a_new_citation_from_the_edit_page_publishes_it_once(
    client, editor, reviewer, gql
):
    page = submit_with_a_new_citation(
        client, editor, ProcedurePage.objects.get(slug="calf-liposuction")
    )
    submitted = page.latest_revision_id
    assert gql(LIPOSUCTION_API)["procedure"]["citations"] == []

    data = form_as_rendered(client, reviewer, page)
    response = client.post(
        edit_url(page), press(data, "action-workflow-action", **{"workflow-action-name": "approve"})
    )

    assert response.status_code == 302
    said = " ".join(shown_messages(response))
    assert "Approved and published." in said
    assert "has been updated" not in said
    page = ProcedurePage.objects.get(pk=page.pk)
    # No new, identical revision: the reviewed one is the one that went live.
    assert page.latest_revision_id == submitted
    assert page.live_revision_id == submitted
    assert gql(LIPOSUCTION_API)["procedure"]["citations"] == [{"title": CITATION["title"]}]
    review = MedicalReview.objects.for_object(page).get()
    assert review.revision_id == submitted and review.reviewer == reviewer
    assert not page.workflow_in_progress
    history = list(
        PageLogEntry.objects.filter(page=page).order_by("pk").values_list("action", "user")
    )
    assert history[-3:] == [
        ("wagtail.workflow.start", editor.pk),
        ("wagtail.workflow.approve", reviewer.pk),
        ("wagtail.publish", reviewer.pk),
    ]


@pytest.mark.django_db
def test_approving_with_own_edits_needs_another_reviewer_and_records_no_approval(
    client, editor, reviewer
):
    page = submit_with_a_new_citation(
        client, editor, ProcedurePage.objects.get(slug="calf-liposuction")
    )
    data = form_as_rendered(client, reviewer, page)
    data["summary"] = ["The reviewer's corrected summary."]
    response = client.post(
        edit_url(page), press(data, "action-workflow-action", **{"workflow-action-name": "approve"})
    )
    assert "another medical reviewer must approve it" in " ".join(shown_messages(response))
    page = ProcedurePage.objects.get(pk=page.pk)
    assert page.workflow_in_progress
    assert page.current_workflow_task.get_actions(page, reviewer) == []
    assert not MedicalReview.objects.for_object(page).exists()
    assert page.summary == "Calf liposuction is a surgical procedure."


# Review bypass


def publish_buttons(client, user, page) -> set[str]:
    """Which of Publish, Unpublish and the emergency action the edit page offers."""
    client.force_login(user)
    html = client.get(edit_url(page)).content.decode()
    offered = {
        "publish": 'name="action-publish"' in html,
        "unpublish": f"/admin/pages/{page.pk}/unpublish/" in html,
        "emergency": f"/admin/reviews/emergency/{page.pk}/" in html,
    }
    return {name for name, shown in offered.items() if shown}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["reviewer", "admin"])
def test_nobody_is_offered_publish_or_unpublish_beside_the_review(client, who, request):
    user = request.getfixturevalue(who)
    page = ProcedurePage.objects.get(slug="botox-calf-reduction")
    assert publish_buttons(client, user, page) == {"emergency"}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["reviewer", "admin"])
def test_a_crafted_publish_or_schedule_only_saves_a_draft(client, who, request, gql):
    user = request.getfixturevalue(who)
    page = ProcedurePage.objects.get(slug="botox-calf-reduction")
    live_revision = page.live_revision_id
    data = form_as_rendered(client, user, page)
    data["summary"] = ["Published around the review."]
    client.post(edit_url(page), press(data, "action-publish"))
    tomorrow = (timezone.now() + datetime.timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    client.post(edit_url(page), press(data, "action-publish", go_live_at=tomorrow))
    page = ProcedurePage.objects.get(pk=page.pk)
    assert page.live_revision_id == live_revision
    assert page.scheduled_revision is None
    assert page.get_latest_revision_as_object().summary == "Published around the review."
    served = gql('{ procedure(slug: "botox-calf-reduction") { summary } }')["procedure"]
    assert served["summary"] != "Published around the review."


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["reviewer", "admin"])
def test_unpublish_view_and_bulk_actions_refuse_pages_under_review(client, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    index = ProcedureIndexPage.objects.get()
    botox = ProcedurePage.objects.get(slug="botox-calf-reduction")
    assert client.get(f"/admin/pages/{index.pk}/unpublish/").status_code in (302, 403)
    client.post(f"/admin/pages/{index.pk}/unpublish/", {"include_descendants": "on"})
    client.post(
        f"/admin/bulk/wagtailcore/page/unpublish/?id={botox.pk}", {"include_descendants": "on"}
    )
    draft = botox.get_latest_revision_as_object()
    draft.summary = "Bulk published around the review."
    draft.save_revision(user=user)
    client.post(f"/admin/bulk/wagtailcore/page/publish/?id={botox.pk}", {})
    assert ProcedureIndexPage.objects.get().live
    botox = ProcedurePage.objects.get(pk=botox.pk)
    assert botox.live and botox.summary != "Bulk published around the review."


@pytest.mark.django_db
def test_a_copy_is_not_published_around_the_review(client, admin):
    client.force_login(admin)
    index = ProcedureIndexPage.objects.get()
    botox = ProcedurePage.objects.get(slug="botox-calf-reduction")
    copy = {"new_title": "Botox copy", "new_slug": "botox-copy", "new_parent_page": index.pk}
    refused = client.post(f"/admin/pages/{botox.pk}/copy/", {**copy, "publish_copies": "on"})
    assert "You do not have permission to publish" in refused.content.decode()
    assert not ProcedurePage.objects.filter(slug="botox-copy").exists()
    client.post(f"/admin/pages/{botox.pk}/copy/", copy)
    assert not ProcedurePage.objects.get(slug="botox-copy").live


@pytest.mark.django_db
def test_a_new_page_is_not_published_around_the_review(client, admin):
    client.force_login(admin)
    index = ProcedureIndexPage.objects.get()
    add_url = f"/admin/pages/add/procedures/procedurepage/{index.pk}/"
    data = rendered_form_data(client.get(add_url).content.decode())
    data.update({"title": ["Calf test"], "slug": ["calf-test"], "summary": ["New."]})
    client.post(add_url, press(data, "action-publish"))
    assert not ProcedurePage.objects.get(slug="calf-test").live


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["reviewer", "admin"])
def test_an_emergency_action_needs_a_reason_that_history_and_the_report_show(
    client, who, request, gql
):
    user = request.getfixturevalue(who)
    client.force_login(user)
    page = ProcedurePage.objects.get(slug="botox-calf-reduction")
    url = f"/admin/reviews/emergency/{page.pk}/"

    refused = client.post(url, {"action": "unpublish", "reason": ""})
    assert refused.status_code == 200 and "This field is required." in refused.content.decode()
    assert ProcedurePage.objects.get(pk=page.pk).live

    reason = "The dosage in the summary is wrong and could harm readers."
    client.post(url, {"action": "unpublish", "reason": reason})
    assert not ProcedurePage.objects.get(pk=page.pk).live
    assert gql('{ procedure(slug: "botox-calf-reduction") { title } }')["procedure"] is None
    entry = PageLogEntry.objects.get(page=page, action="reviews.emergency_unpublish")
    assert entry.user == user and entry.data["reason"] == reason
    assert reason in client.get(f"/admin/pages/{page.pk}/history/").content.decode()
    report = client.get("/admin/reports/medical-review-due/").content.decode()
    assert reason in report

    client.post(url, {"action": "publish", "reason": "Corrected dosage, reviewer on leave."})
    page = ProcedurePage.objects.get(pk=page.pk)
    assert page.live
    assert PageLogEntry.objects.filter(page=page, action="reviews.emergency_publish").exists()


@pytest.mark.django_db
def test_an_editor_has_no_emergency_action(client, editor):
    page = ProcedurePage.objects.get(slug="botox-calf-reduction")
    assert publish_buttons(client, editor, page) == set()
    assert client.post(
        f"/admin/reviews/emergency/{page.pk}/", {"action": "unpublish", "reason": "x" * 20}
    ).status_code in (302, 403)
    assert ProcedurePage.objects.get(pk=page.pk).live


@pytest.mark.django_db
def test_an_emergency_publish_makes_a_reviewed_page_due_again(client, admin, reviewer):
    page = ProcedurePage.objects.get(slug="botox-calf-reduction")
    MedicalReview.record(page.live_revision, reviewer)
    client.force_login(admin)
    assert "BOTOX" not in client.get("/admin/reports/medical-review-due/").content.decode()
    client.post(
        f"/admin/reviews/emergency/{page.pk}/",
        {"action": "publish", "reason": "Urgent correction today."},
    )
    assert (
        "Urgent correction today."
        in client.get("/admin/reports/medical-review-due/").content.decode()
    )


# Completeness


@pytest.mark.django_db
def test_an_incomplete_page_is_refused_review_with_what_is_missing_and_keeps_the_typing(
    client, editor
):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    data = form_as_rendered(client, editor, page)
    data["summary"] = ["A summary the editor just typed."]
    for name in ProcedurePage.base_form_class.fact_fields:
        data.pop(name, None)
    data.pop("image", None)
    response = client.post(edit_url(page), press(data, "action-submit"))

    assert response.status_code == 200
    said = " ".join(shown_messages(response))
    for missing in ("at least one fact", "an image", "at least one citation"):
        assert missing in said
    assert "A summary the editor just typed." in response.content.decode()
    page = ProcedurePage.objects.get(pk=page.pk)
    assert not page.workflow_in_progress
    assert not WorkflowState.objects.filter(object_id=str(page.pk)).exists()


@pytest.mark.django_db
def test_a_page_with_facts_image_and_a_citation_enters_review(client, editor):
    page = submit_with_a_new_citation(
        client, editor, ProcedurePage.objects.get(slug="calf-liposuction")
    )
    assert page.workflow_in_progress


@pytest.mark.django_db
@override_settings(MEDICAL_REVIEW_REQUIREMENTS=[])
def test_the_requirements_are_a_setting(client, editor):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    response = client.post(
        edit_url(page), press(form_as_rendered(client, editor, page), "action-submit")
    )
    assert response.status_code == 302
    assert ProcedurePage.objects.get(pk=page.pk).workflow_in_progress


# Expired pages and comments


def expire(page) -> ProcedurePage:
    """The page as the worker leaves it once its expiry has passed."""
    page.expire_at = timezone.now() - datetime.timedelta(days=2)
    page.save_revision().publish()
    page = ProcedurePage.objects.get(pk=page.pk)
    page.unpublish(set_expired=True)
    return ProcedurePage.objects.get(pk=page.pk)


@pytest.mark.django_db
def test_an_expired_page_can_be_saved_and_rescheduled_through_review(client, editor, reviewer):
    page = expire(ProcedurePage.objects.get(slug="partial-muscle-removal"))
    assert page.expired and not page.live
    data = form_as_rendered(client, editor, page)
    data["summary"] = ["Back with a new schedule."]
    saved = client.post(edit_url(page), press(data, "action-save-draft"))
    assert saved.status_code == 302, shown_messages(saved)
    assert ProcedurePage.objects.get(pk=page.pk).get_latest_revision_as_object().summary == (
        "Back with a new schedule."
    )

    go_live = (timezone.now() + datetime.timedelta(days=3)).replace(second=0, microsecond=0)
    data = with_citation(form_as_rendered(client, editor, page), **CITATION)
    data["go_live_at"] = [timezone.localtime(go_live).strftime("%Y-%m-%d %H:%M")]
    assert client.post(edit_url(page), press(data, "action-submit")).status_code == 302
    data = form_as_rendered(client, reviewer, page)
    response = client.post(
        edit_url(page), press(data, "action-workflow-action", **{"workflow-action-name": "approve"})
    )
    assert "Approved; scheduled for" in " ".join(shown_messages(response))
    page = ProcedurePage.objects.get(pk=page.pk)
    assert page.scheduled_revision.approved_go_live_at == go_live
    assert page.scheduled_revision.as_object().expire_at is None


@pytest.mark.django_db
def test_a_past_expiry_typed_in_is_named_in_the_message(client, editor):
    page = ProcedurePage.objects.get(slug="partial-muscle-removal")
    data = form_as_rendered(client, editor, page)
    data["expire_at"] = ["2020-01-01 10:00"]
    response = client.post(edit_url(page), press(data, "action-save-draft"))
    assert response.status_code == 200
    said = " ".join(shown_messages(response))
    assert "Expiry date/time must be in the future." in said
    assert "publishing schedule" in said


def with_comment(data: dict, text: str) -> dict:
    """A field comment as the comments side panel posts it."""
    index = int(data.get("comments-TOTAL_FORMS", ["0"])[0])
    data.setdefault("comments-INITIAL_FORMS", ["0"])
    data.setdefault("comments-MIN_NUM_FORMS", ["0"])
    data.setdefault("comments-MAX_NUM_FORMS", ["1000"])
    data.update(
        {
            "comments-TOTAL_FORMS": [str(index + 1)],
            f"comments-{index}-id": [""],
            f"comments-{index}-contentpath": ["summary"],
            f"comments-{index}-text": [text],
            f"comments-{index}-position": [""],
            f"comments-{index}-DELETE": [""],
            f"comments-{index}-resolved": [""],
            f"comments-{index}-replies-TOTAL_FORMS": ["0"],
            f"comments-{index}-replies-INITIAL_FORMS": ["0"],
            f"comments-{index}-replies-MIN_NUM_FORMS": ["0"],
            f"comments-{index}-replies-MAX_NUM_FORMS": ["1000"],
        }
    )
    return data


@pytest.mark.django_db
def test_a_comment_survives_a_failed_save_of_an_expired_page(client, reviewer):
    page = expire(ProcedurePage.objects.get(slug="partial-muscle-removal"))
    data = with_comment(form_as_rendered(client, reviewer, page), "Check this dose.")
    data["recovery_days"] = ["soon"]  # a mistake: the save fails
    failed = client.post(edit_url(page), press(data, "action-save-draft"))
    assert failed.status_code == 200
    assert "Check this dose." in failed.content.decode()
    # The comments side panel posts it again with the corrected form, and it is saved.
    again = with_comment(rendered_form_data(failed.content.decode()), "Check this dose.")
    again["recovery_days"] = [""]
    saved = client.post(edit_url(page), press(again, "action-save-draft"))
    assert saved.status_code == 302, shown_messages(saved)
    assert Comment.objects.filter(page=page, text="Check this dose.").exists()
