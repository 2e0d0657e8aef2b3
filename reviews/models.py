"""The medical review task, reviewers' credentials and the record each approval leaves."""

import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from wagtail.admin.panels import FieldPanel
from wagtail.models import AbstractGroupApprovalTask, Revision, TaskState, WorkflowState

REVIEWERS_GROUP = "Medical reviewers"


class MedicalReviewTask(AbstractGroupApprovalTask):
    """A group approval in which nobody approves their own submission or edits, and each
    approval that puts a revision live is recorded as a `MedicalReview` of it."""

    class Meta:
        verbose_name = "Medical review"
        verbose_name_plural = "Medical reviews"

    @classmethod
    def get_description(cls) -> str:
        return "A medical reviewer other than the author checks the medical content."

    @staticmethod
    def _submitted_by(obj, user) -> bool:
        return authored(getattr(obj, "current_workflow_state", None), user)

    def get_actions(self, obj, user) -> list:
        if self._submitted_by(obj, user):
            return []
        return super().get_actions(obj, user)

    def locked_for_user(self, obj, user) -> bool:
        return self._submitted_by(obj, user) or super().locked_for_user(obj, user)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        states = super().get_task_states_user_can_moderate(user, **kwargs)
        return states.exclude(workflow_state__requested_by=user).exclude(revision__user=user)

    def on_action(self, task_state: TaskState, user, action_name: str, **kwargs):
        # The approval is recorded when the approved revision goes live (reviews/approval.py),
        # not here: an approval that only restarts the review leaves no record.
        if action_name == "approve" and authored(task_state.workflow_state, user, task_state):
            raise PermissionDenied("The author cannot approve their own submission.")
        return super().on_action(task_state, user, action_name, **kwargs)


def authored(state: WorkflowState | None, user, task_state: TaskState | None = None) -> bool:
    """The user asked for this review, or wrote the revision under review (a reviewer's own
    edits need another reader). `task_state`: the one being acted on, when known (reading
    `state.current_task_state` would cache a copy that the action then makes stale)."""
    if state is None:
        return False
    task_state = task_state or state.current_task_state
    revision_author = task_state.revision.user_id if task_state and task_state.revision_id else None
    return user.pk in (state.requested_by_id, revision_author)


class ReviewerProfile(models.Model):
    """What an approval records about the reviewer beside their name."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reviewer_profile",
        help_text="The admin user who reviews medical content.",
    )
    credentials = models.CharField(
        max_length=255,
        help_text="Qualifications as readers should see them, e.g. 'MD, FACS'.",
    )

    panels = [FieldPanel("user"), FieldPanel("credentials")]

    class Meta:
        verbose_name = "reviewer credentials"
        verbose_name_plural = "reviewer credentials"

    def __str__(self) -> str:
        return f"{reviewer_name(self.user)}, {self.credentials}"


def reviewer_name(user) -> str:
    return user.get_full_name() or user.get_username()


class MedicalReviewQuerySet(models.QuerySet):
    def for_object(self, obj) -> "MedicalReviewQuerySet":
        content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
        return self.filter(content_type=content_type, object_id=str(obj.pk))


class MedicalReview(models.Model):
    """One approval by a medical reviewer: who, with which credentials, when, of what."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=255, db_index=True)
    revision = models.ForeignKey(
        Revision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Copied at approval, so the record keeps what was true then.
    reviewer_name = models.CharField(max_length=255)
    reviewer_credentials = models.CharField(max_length=255, blank=True)
    reviewed_at = models.DateTimeField(default=timezone.now)

    objects = MedicalReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-reviewed_at", "-pk"]
        get_latest_by = "reviewed_at"

    def __str__(self) -> str:
        return f"{self.reviewer_name} on {self.reviewed_at:%Y-%m-%d}"

    @classmethod
    def record(cls, revision: Revision, user) -> "MedicalReview":
        profile = ReviewerProfile.objects.filter(user=user).first()
        return cls.objects.create(
            content_type_id=revision.content_type_id,
            object_id=revision.object_id,
            revision=revision,
            reviewer=user,
            reviewer_name=reviewer_name(user),
            reviewer_credentials=profile.credentials if profile else "",
        )

    @property
    def next_review_due(self) -> datetime.date:
        return add_months(self.reviewed_at.date(), settings.MEDICAL_REVIEW_INTERVAL_MONTHS)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the month's last day when it has fewer days."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=candidate)
        except ValueError:
            continue
    raise ValueError(day)
