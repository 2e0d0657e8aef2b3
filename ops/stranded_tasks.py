"""Tasks a worker was running when it died go back to the queue.

django-tasks-db 0.12 marks a task RUNNING with the ids of the workers that claimed it
(`worker_ids`) and has no heartbeat, lease or command that notices a dead worker (its
`prune_db_task_results` only deletes finished results), so a task running when its worker was
killed stays RUNNING forever. Our workers already beat (`WorkerHeartbeat`): a RUNNING task
whose last worker stopped beating, or restarted since it claimed the task, is requeued.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)


def is_alive(heartbeat: WorkerHeartbeat | None, claimed_at, now) -> bool:
    """Whether the worker process that claimed a task at `claimed_at` still runs."""
    if heartbeat is None or claimed_at is None:
        return False
    fresh = heartbeat.seen_at >= now - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE)
    # A worker restarted under the same id started after the claim: the claimant is gone.
    return fresh and heartbeat.started_at <= claimed_at


def requeue() -> int:
    """Put the RUNNING tasks of dead workers back to READY (or FAILED after
    WORKER_TASK_MAX_CLAIMS claims, so a task that kills its worker cannot loop); how many."""
    now = timezone.now()
    running = list(DBTaskResult.objects.running().only("id", "worker_ids", "started_at"))
    if not running:
        return 0
    last_workers = {task.worker_ids[-1] for task in running if task.worker_ids}
    heartbeats = {
        beat.worker_id: beat for beat in WorkerHeartbeat.objects.filter(worker_id__in=last_workers)
    }
    moved = 0
    for task in running:
        worker = task.worker_ids[-1] if task.worker_ids else None
        if is_alive(heartbeats.get(worker), task.started_at, now):
            continue
        # Only if nobody changed it since it was read: two workers may sweep at once.
        same_claim = DBTaskResult.objects.filter(
            pk=task.pk, status=TaskResultStatus.RUNNING, started_at=task.started_at
        )
        if len(task.worker_ids) >= settings.WORKER_TASK_MAX_CLAIMS:
            moved += same_claim.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path="ops.stranded_tasks.WorkerLostError",
                traceback=f"Its worker stopped while running it, {len(task.worker_ids)} times.",
            )
            logger.error("Task %s failed: its worker died %s times", task.pk, len(task.worker_ids))
        else:
            moved += same_claim.update(status=TaskResultStatus.READY, started_at=None)
            logger.warning("Task %s requeued: worker %s stopped while running it", task.pk, worker)
    return moved


class WorkerLostError(Exception):
    """Recorded on a task whose workers kept dying while running it."""
