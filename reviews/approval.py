"""How a finished medical review ends: the approved revision goes live (or is scheduled) and
the approval is recorded for it, once."""

from django.utils import timezone

# Wagtail imports `WAGTAIL_FINISH_WORKFLOW_ACTION` while defining its models: models are
# imported inside the functions.


def approved_revision(workflow_state):
    """The revision the last task approved: what the reviewer read."""
    task_state = workflow_state.current_task_state
    if task_state is not None and task_state.revision_id is not None:
        return task_state.revision
    return workflow_state.content_object.get_latest_revision()


def publish_approved_revision(workflow_state, user=None) -> None:
    """`WAGTAIL_FINISH_WORKFLOW_ACTION`: publish (or schedule, when it has a go-live date) the
    approved revision and record each medical approval of it.

    Wagtail's default publishes the latest revision as the approver, checking the approver's
    publish permission; here the approval itself is the authority (reviewers cannot publish
    directly, reviews/gate.py) and an approval is recorded only for a revision that goes live.
    """
    from wagtail.models import TaskState

    from .models import MedicalReview, MedicalReviewTask

    revision = approved_revision(workflow_state)
    approvals = TaskState.objects.filter(
        workflow_state=workflow_state,
        revision=revision,
        status=TaskState.STATUS_APPROVED,
        task__in=MedicalReviewTask.objects.all(),
    ).select_related("finished_by")
    for task_state in approvals:
        MedicalReview.record(revision, task_state.finished_by or user)
    revision.publish(user=user, skip_permission_checks=True)


def approval_outcome(obj) -> str | None:
    """What the last workflow action did to `obj`, in the words the editor reads, or None
    when its review goes on."""
    from wagtail.models import WorkflowState

    if obj.workflow_in_progress:
        return None
    state = obj.workflow_states.order_by("-created_at", "-pk").first()
    if state is None or state.status != WorkflowState.STATUS_APPROVED:
        return None
    scheduled = type(obj).objects.get(pk=obj.pk).scheduled_revision  # not a cached one
    if scheduled is not None and scheduled.approved_go_live_at > timezone.now():
        when = timezone.localtime(scheduled.approved_go_live_at)
        return f"Approved; scheduled for {when:%-d %B %Y, %H:%M}."
    return "Approved and published."
