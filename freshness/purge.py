"""Purge shared HTTP caches (Varnish with xkey, Fastly, Cloudflare) by tag, once the change has
committed.

The purge is sent from the process that made the change, before its request returns, so a
read after an editor's publish is acknowledged never gets the old answer from the cache. A
purge that fails is kept (`PendingPurge`, naming its backend) and retried by the worker; every
change is also purged a second time a few seconds later, for an answer that read the rows
before the commit and reached the cache after the first purge. How each cache is asked is in
`purge_backends.py`.
"""

import logging
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import PendingPurge
from .purge_backends import Backend, PurgeIncompleteError, configured, for_pending
from .tags import tags_for_change

logger = logging.getLogger(__name__)

# The second purge waits for answers computed before the commit to reach the cache: at most
# one execution deadline, plus the worker's period.
MAX_ATTEMPTS = 20

_pending = threading.local()


def enabled() -> bool:
    return bool(configured())


def after_commit(instance=None) -> None:
    """Purge what a change to `instance` made stale once the current transaction commits
    (at once outside one). The tags of one transaction's changes go out together."""
    if not enabled():
        return
    tags = getattr(_pending, "tags", None)
    if tags is None:
        tags = _pending.tags = set()
    tags.update(tags_for_change(instance))
    transaction.on_commit(send_pending)


def send_pending() -> None:
    tags = getattr(_pending, "tags", None)
    _pending.tags = set()
    if tags:
        purge(tags)


def keep(backend: Backend, tags: Iterable[str], due_at: datetime) -> None:
    PendingPurge.objects.create(
        backend=backend.name, url=backend.url, tags=" ".join(sorted(tags)), due_at=due_at
    )


def purge(tags: set[str]) -> None:
    """Purge `tags` at every configured cache now; keep what failed for the worker, and a
    second purge of what went through for later."""
    second_at = timezone.now() + timedelta(seconds=settings.GRAPHQL_EXECUTION_DEADLINE_SECONDS + 1)
    for backend in configured():
        try:
            backend.send(tags)
        except PurgeIncompleteError as error:
            logger.warning(
                "HTTP cache purge at %s failed (%s); the worker retries it", backend.url, error
            )
            keep(backend, error.unsent, timezone.now())
            sent = set(tags) - set(error.unsent)
            if sent:  # the batches that went through still get their second purge
                keep(backend, sent, second_at)
        else:
            keep(backend, tags, second_at)


def retry_pending() -> int:
    """Send the purges that are due (run by the worker's tick); how many went through."""
    done = 0
    for pending in PendingPurge.objects.filter(due_at__lte=timezone.now()).order_by("due_at", "pk"):
        try:
            for_pending(pending.backend, pending.url).send(pending.tags.split())
        except PurgeIncompleteError as error:
            pending.attempts += 1
            if pending.attempts >= MAX_ATTEMPTS:
                logger.error("HTTP cache purge at %s given up: %s", pending.url, error)
                pending.delete()
            else:
                # What went through is not sent again.
                pending.tags = " ".join(error.unsent)
                pending.due_at = timezone.now() + timedelta(seconds=2 ** min(pending.attempts, 8))
                pending.save(update_fields=["attempts", "due_at", "tags"])
            continue
        pending.delete()
        done += 1
    return done
