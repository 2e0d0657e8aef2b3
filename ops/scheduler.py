"""The worker's periodic jobs: heartbeat, scheduled publishing and expiry, stranded tasks,
cache repairs."""

import logging
import os
import socket
import threading
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone
from wagtail.models import DraftStateMixin, Page, Revision

from . import stranded_tasks
from .models import PendingCacheBump, WorkerHeartbeat

logger = logging.getLogger(__name__)


def rss_bytes() -> int:
    """This process's resident memory, from /proc (0 where there is none)."""
    try:
        with open(f"/proc/{os.getpid()}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def beat(worker_id: str, started_at) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "seen_at": now,
            "rss_bytes": rss_bytes(),
        },
    )
    # Workers that stopped long ago are history, not signs of life.
    WorkerHeartbeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()


def draft_state_models() -> list[type]:
    """What Wagtail's `publish_scheduled` expires: pages and every other DraftStateMixin model."""
    return [Page] + [
        model
        for model in apps.get_models()
        if issubclass(model, DraftStateMixin) and not issubclass(model, Page)
    ]


def run_locked(change) -> bool:
    """Run `change()` (which locks its row, returns whether it did anything) in a transaction
    of its own: the cache bumps it queues with `on_commit`, and the sending of the webhook
    deliveries it writes, follow only a commit. One that fails is logged and rolled back
    whole, and the others still run.

    A SIGKILLed worker's socket closes at once, and PostgreSQL rolls back and unlocks. If its
    host vanished instead (no socket close), the session idles in the transaction and
    PostgreSQL ends it after 5 s, so another worker's next tick gets the row.
    """
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL idle_in_transaction_session_timeout = '5s'")
            return change()
    except DatabaseError:
        raise  # the database is away: the tick gives up and retries (see `tick`)
    except Exception:
        logger.exception("Scheduled publish or expiry failed; rolled back, retried next tick")
        return False


def expire_one(model: type, pk) -> bool:
    """Wagtail's scheduled unpublish of one object, if it is still live and past its expiry."""
    obj = (
        model.objects.select_for_update(skip_locked=True)
        .filter(pk=pk, live=True, expire_at__lt=timezone.now())
        .first()
    )
    if obj is None:
        return False  # another worker has it (locked) or did it already
    obj.unpublish(set_expired=True, log_action="wagtail.unpublish.scheduled")
    return True


def publish_one(revision_id: int) -> bool:
    """Wagtail's publish of one scheduled revision, if it is still scheduled and due."""
    revision = (
        Revision.objects.select_for_update(skip_locked=True)
        .filter(pk=revision_id, approved_go_live_at__lt=timezone.now())
        .first()
    )
    if revision is None:
        return False
    revision.publish(log_action="wagtail.publish.scheduled")
    return True


def publish_scheduled() -> int:
    """What Wagtail's `publish_scheduled` command does, one transaction per object.

    The command runs in autocommit: a worker killed inside `Revision.publish` has already
    cleared the revision's schedule but not made the page live, so the page never goes live.
    Here each expiry and each go-live commits whole or not at all, under a row lock
    (`SELECT ... FOR UPDATE SKIP LOCKED`) that dies with the worker's connection, so several
    workers never do one twice. SQLite has no row locks; its IMMEDIATE transactions serialize
    the workers and each re-reads the row, so it holds there too (one worker is advised).
    Returns how many objects this worker expired or published.
    """
    done = 0
    now = timezone.now()
    for model in draft_state_models():
        due = model.objects.filter(live=True, expire_at__lt=now).order_by("expire_at")
        for pk in list(due.values_list("pk", flat=True)):
            done += run_locked(lambda: expire_one(model, pk))  # noqa: B023 (called at once)
    due = Revision.objects.filter(approved_go_live_at__lt=now).order_by("approved_go_live_at")
    for revision_id in list(due.values_list("pk", flat=True)):
        done += run_locked(lambda: publish_one(revision_id))  # noqa: B023
    return done


def repair_cache() -> None:
    """Replay generation bumps missed while the cache was down (see `resilient_cache`)."""
    from django.core.cache import cache

    from .resilient_cache import cache_is_up, replay_pending_increments

    if PendingCacheBump.objects.exists():
        cache.get("ops:ping")  # closes the circuit if Redis is back
        if cache_is_up():
            replay_pending_increments()


# Periodic jobs of the apps above ops (freshness/apps.py adds its purge retries).
JOBS: list = []


def tick(worker_id: str, started_at) -> None:
    """One round of periodic jobs; each survives the others' failures."""
    for job in (
        lambda: beat(worker_id, started_at),
        publish_scheduled,
        stranded_tasks.requeue,
        repair_cache,
        *JOBS,
    ):
        try:
            job()
        except Exception:
            logger.exception("Worker periodic job failed; retrying next tick")
            # A broken connection (database restarted) must not outlive the outage.
            connection.close()
    close_old_connections()


class Scheduler(threading.Thread):
    """Runs `tick` every WORKER_SCHEDULE_SECONDS beside the task loop, in the same process."""

    def __init__(self, worker_id: str) -> None:
        super().__init__(name="scheduler", daemon=True)
        self.worker_id = worker_id
        self.started_at = timezone.now()
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            tick(self.worker_id, self.started_at)
            self.stopped.wait(settings.WORKER_SCHEDULE_SECONDS)
        connection.close()
