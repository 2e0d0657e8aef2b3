"""The changes a reviewer asked for, where the editor works: the dashboard and the status panel.

Wagtail keeps a rejection's comment on the rejected `TaskState` and shows it only in the
workflow history; these read it from there, so nothing is stored twice.
"""

import datetime
from dataclasses import dataclass

from django.db import models
from wagtail.models import WorkflowState

from .models import reviewer_name


@dataclass(frozen=True)
class RequestedChanges:
    """A reviewer's "request changes" on an object whose workflow waits for the editor."""

    object: models.Model
    reviewer: str
    comment: str
    requested_at: datetime.datetime | None


def _from_state(state: WorkflowState, obj: models.Model) -> RequestedChanges | None:
    task_state = state.current_task_state
    if state.status != WorkflowState.STATUS_NEEDS_CHANGES or task_state is None:
        return None
    return RequestedChanges(
        object=obj,
        reviewer=reviewer_name(task_state.finished_by) if task_state.finished_by else "",
        comment=task_state.comment,
        requested_at=task_state.finished_at,
    )


def requested_changes(obj: models.Model) -> RequestedChanges | None:
    """What the reviewer asked for, while `obj`'s workflow waits for changes."""
    state = getattr(obj, "current_workflow_state", None)
    return _from_state(state, obj) if state is not None else None


def requested_changes_of(user) -> list[RequestedChanges]:
    """Every submission of `user`'s that a reviewer sent back, newest first."""
    states = (
        WorkflowState.objects.filter(status=WorkflowState.STATUS_NEEDS_CHANGES, requested_by=user)
        .select_related("current_task_state__finished_by")
        .prefetch_related("content_object")
        .order_by("-current_task_state__finished_at")
    )
    found = []
    for state in states:
        obj = state.content_object
        if obj is not None:
            obj = getattr(obj, "specific", obj)
            changes = _from_state(state, obj)
            if changes is not None:
                found.append(changes)
    return found
