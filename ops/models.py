"""Rows the worker processes share: their heartbeats and missed cache bumps."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time each worker process was seen alive; `/readyz` reads the newest."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)
    rss_bytes = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.worker_id} seen at {self.seen_at}"


class PendingCacheBump(models.Model):
    """A cache increment (a content generation bump) made while the shared cache was down.

    Replayed once the cache answers again, by the process that notices and by the worker, so
    no entry stored before the change is served after the outage, even if the process that
    made the change has exited.
    """

    key = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"increment {self.key} (missed at {self.created_at})"
