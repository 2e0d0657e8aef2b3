"""The worker's periodic jobs: heartbeat, scheduled publishing and expiry, cache repairs."""

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.db import close_old_connections, connection
from django.utils import timezone

from . import leases
from .models import PendingCacheBump, WorkerHeartbeat

logger = logging.getLogger(__name__)

PUBLISH_LEASE = "publish_scheduled"


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


def publish_scheduled(worker_id: str) -> bool:
    """Wagtail's `publish_scheduled`, run by one worker at a time; True if this one ran it."""
    if not leases.acquire(PUBLISH_LEASE, worker_id, settings.WORKER_LEASE_SECONDS):
        return False
    try:
        call_command("publish_scheduled", verbosity=0)
    finally:
        leases.release(PUBLISH_LEASE, worker_id)
    return True


def repair_cache() -> None:
    """Replay generation bumps missed while the cache was down (see `resilient_cache`)."""
    from django.core.cache import cache

    from .resilient_cache import cache_is_up, replay_pending_increments

    if PendingCacheBump.objects.exists():
        cache.get("ops:ping")  # closes the circuit if Redis is back
        if cache_is_up():
            replay_pending_increments()


def tick(worker_id: str, started_at) -> None:
    """One round of periodic jobs; each survives the others' failures."""
    for job in (
        lambda: beat(worker_id, started_at),
        lambda: publish_scheduled(worker_id),
        repair_cache,
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
