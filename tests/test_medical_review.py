"""Medical review: a reviewer other than the author approves, and the approval is recorded."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from wagtail.snippets.models import get_snippet_models

from home.models import ArticlePage
from procedures.models import ProcedurePage
from reviews.models import MedicalReview, MedicalReviewTask, ReviewerProfile, add_months
from reviews.setup import ensure_dev_accounts, ensure_medical_review

REVIEW_FIELDS = "review { reviewerName reviewerCredentials reviewedAt nextReviewDue } reviewDue"


@pytest.fixture
def author(django_user_model):
    user = django_user_model.objects.create_user("author", password="pw", first_name="Ann")
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def reviewer(django_user_model):
    user = django_user_model.objects.create_user(
        "doc", password="pw", first_name="Dana", last_name="Doctor"
    )
    user.groups.add(Group.objects.get(name="Medical reviewers"))
    ReviewerProfile.objects.create(user=user, credentials="MD, FACS")
    return user


def submit(page, user, **changes):
    """Save a draft with `changes` and submit it to the page's workflow, as the editor does."""
    draft = page.get_latest_revision_as_object()
    for name, value in changes.items():
        setattr(draft, name, value)
    draft.save_revision(user=user)
    return page.get_workflow().start(page, user)


def act(page, user, action: str):
    state = page.current_workflow_state
    state.current_task_state.task.specific.on_action(state.current_task_state, user, action)


@pytest.mark.django_db
@pytest.mark.parametrize("model", [ProcedurePage, ArticlePage])
def test_the_medical_review_workflow_guards_procedures_and_the_article(model):
    page = model.objects.first()
    workflow = page.get_workflow()
    assert workflow.name == "Medical review"
    task = workflow.tasks.get().specific
    assert isinstance(task, MedicalReviewTask)
    assert list(task.groups.values_list("name", flat=True)) == ["Medical reviewers"]


@pytest.mark.django_db
def test_setup_is_idempotent():
    ensure_medical_review()
    ensure_medical_review()
    assert MedicalReviewTask.objects.count() == 1
    assert Group.objects.filter(name="Medical reviewers").count() == 1


@pytest.mark.django_db
def test_the_author_cannot_approve_their_own_submission(author, reviewer):
    # Even an author who is also a reviewer.
    author.groups.add(Group.objects.get(name="Medical reviewers"))
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    submit(page, author, summary="Changed by the author.")
    page.refresh_from_db()
    task = page.current_workflow_task
    assert task.get_actions(page, author) == []
    assert task.locked_for_user(page, author)
    assert not task.get_task_states_user_can_moderate(author).exists()
    with pytest.raises(PermissionDenied):
        act(page, author, "approve")
    assert [name for name, *_ in task.get_actions(page, reviewer)] == [
        "reject",
        "approve",
        "approve",
    ]


@pytest.mark.django_db
def test_an_approval_publishes_and_records_the_reviewer_on_the_page(author, reviewer, gql):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    query = f'{{ procedure(slug: "calf-liposuction") {{ summary {REVIEW_FIELDS} }} }}'
    assert gql(query)["procedure"]["reviewDue"] is True
    submit(page, author, summary="Reviewed summary.")
    assert gql(query)["procedure"]["summary"] == "Calf liposuction is a surgical procedure."

    act(ProcedurePage.objects.get(pk=page.pk), reviewer, "approve")

    served = gql(query)["procedure"]
    today = timezone.localdate()
    assert served["summary"] == "Reviewed summary."
    assert served["review"]["reviewerName"] == "Dana Doctor"
    assert served["review"]["reviewerCredentials"] == "MD, FACS"
    assert served["review"]["reviewedAt"].startswith(today.isoformat())
    assert served["review"]["nextReviewDue"] == add_months(today, 12).isoformat()
    assert served["reviewDue"] is False
    review = MedicalReview.objects.for_object(page).get()
    assert review.revision_id == ProcedurePage.objects.get(pk=page.pk).live_revision_id


@pytest.mark.django_db
def test_the_article_shows_its_reviewer_and_review_date(author, reviewer, gql):
    article = ArticlePage.objects.get()
    submit(article, author)
    act(ArticlePage.objects.get(pk=article.pk), reviewer, "approve")
    query = f"{{ articles {{ items {{ {REVIEW_FIELDS} }} }} }}"
    served = gql(query)["articles"]["items"][0]
    assert served["review"]["reviewerName"] == "Dana Doctor"
    assert served["review"]["reviewerCredentials"] == "MD, FACS"
    assert served["review"]["reviewedAt"].startswith(timezone.localdate().isoformat())
    assert served["reviewDue"] is False


@pytest.mark.django_db
@override_settings(MEDICAL_REVIEW_INTERVAL_MONTHS=6)
def test_a_page_is_review_due_once_the_interval_has_passed(reviewer):
    page = ProcedurePage.objects.get(slug="botox-calf-reduction")
    assert page.review_due()
    review = MedicalReview.record(page.live_revision, reviewer)
    page = ProcedurePage.objects.get(pk=page.pk)
    assert not page.review_due()
    assert page.review_state().startswith("Reviewed by Dana Doctor")
    review.reviewed_at = timezone.now() - datetime.timedelta(days=200)
    review.save()
    page = ProcedurePage.objects.get(pk=page.pk)
    assert page.review_due()
    assert page.review_state().startswith("Review due since")


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2026, 11, 26), 12) == datetime.date(2027, 11, 26)
    assert add_months(datetime.date(2026, 3, 15), -6) == datetime.date(2025, 9, 15)


@pytest.mark.django_db
def test_the_dashboard_and_the_report_show_review_state(admin_client, reviewer):
    liposuction = ProcedurePage.objects.get(slug="calf-liposuction")
    MedicalReview.record(liposuction.live_revision, reviewer)
    dashboard = admin_client.get("/admin/").content.decode()
    assert "Medical review" in dashboard
    for page in ProcedurePage.objects.all():
        assert page.title.replace("®", "&reg;") in dashboard or page.title in dashboard
    assert "Reviewed by Dana Doctor" in dashboard
    assert "Never reviewed" in dashboard
    report = admin_client.get("/admin/reports/medical-review-due/").content.decode()
    assert "Selective Neurectomy" in report
    assert "Calf Liposuction" not in report


@pytest.mark.django_db
def test_dev_accounts_are_an_editor_and_a_reviewer(capsys):
    call_command("setup_medical_review", "--dev-accounts")
    out = capsys.readouterr().out
    assert "editor / changeme" in out and "reviewer / changeme" in out
    assert ensure_dev_accounts() == []  # idempotent
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    assert users.get(username="editor").groups.filter(name="Editors").exists()
    reviewer = users.get(username="reviewer")
    assert reviewer.groups.filter(name="Medical reviewers").exists()
    assert reviewer.reviewer_profile.credentials


@pytest.mark.django_db
def test_an_approval_of_a_later_draft_says_nothing_about_the_live_page(reviewer, gql):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.summary = "A draft approved but not published yet."
    draft = page.save_revision()
    MedicalReview.record(draft, reviewer)
    served = gql('{ procedure(slug: "calf-liposuction") { review { reviewerName } reviewDue } }')
    assert served["procedure"] == {"review": None, "reviewDue": True}
    listed = gql("{ procedures { items { slug review { reviewerName } } } }")["procedures"]
    assert {"slug": "calf-liposuction", "review": None} in listed["items"]


@pytest.mark.django_db
@pytest.mark.parametrize("model", [ProcedurePage, ArticlePage])
def test_a_review_is_never_typed_in(admin_client, model):
    """A review comes only from an approval: no admin screen edits one, and no field of a
    page's edit form names a reviewer or a review date."""
    assert MedicalReview not in get_snippet_models()
    fields = set(model.get_edit_handler().get_form_class().base_fields)
    reviewish = {name for name in fields if "review" in name.lower()}
    assert reviewish == set(), reviewish
    page = model.objects.live().first()
    edit = admin_client.get(f"/admin/pages/{page.pk}/edit/")
    assert edit.status_code == 200
    html = edit.content.decode()
    for name in ("reviewer_name", "reviewer_credentials", "reviewed_at"):
        assert f'name="{name}"' not in html
