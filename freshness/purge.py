"""Purge shared HTTP caches (Varnish with xkey) by tag, once the change has committed.

The purge is sent from the process that made the change, before its request returns, so a
read after an editor's publish is acknowledged never gets the old answer from Varnish. A purge
that fails is kept (`PendingPurge`) and retried by the worker; every change is also purged a
second time a few seconds later, for an answer that read the rows before the commit and
reached the cache after the first purge.
"""

import logging
import threading
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import PendingPurge
from .tags import tags_for_change

logger = logging.getLogger(__name__)

PURGE_HEADER = "xkey-purge"
# The second purge waits for answers computed before the commit to reach the cache: at most
# one execution deadline, plus the worker's period.
MAX_ATTEMPTS = 20

_pending = threading.local()


def enabled() -> bool:
    return bool(settings.HTTP_CACHE_PURGE_URLS)


def after_commit(instance=None) -> None:
    """Purge what a change to `instance` made stale once the current transaction commits
    (at once outside one). The tags of one transaction's changes go out in one request."""
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


def purge(tags: set[str]) -> None:
    """Purge `tags` at every configured cache now; keep what failed for the worker, and a
    second purge of all of them for later."""
    second_at = timezone.now() + timedelta(seconds=settings.GRAPHQL_EXECUTION_DEADLINE_SECONDS + 1)
    for url in settings.HTTP_CACHE_PURGE_URLS:
        try:
            send(url, tags)
        except OSError as error:
            logger.warning("HTTP cache purge at %s failed (%s); the worker retries it", url, error)
            PendingPurge.objects.create(url=url, tags=" ".join(sorted(tags)), due_at=timezone.now())
        else:
            PendingPurge.objects.create(url=url, tags=" ".join(sorted(tags)), due_at=second_at)


def send(url: str, tags) -> None:
    """`PURGE /` with the tags in `xkey-purge`, as the shipped VCL takes them."""
    request = urllib.request.Request(
        url.rstrip("/") + "/", method="PURGE", headers={PURGE_HEADER: " ".join(sorted(tags))}
    )
    timeout = settings.HTTP_CACHE_PURGE_TIMEOUT_SECONDS
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()


def retry_pending() -> int:
    """Send the purges that are due (run by the worker's tick); how many went through."""
    done = 0
    for pending in PendingPurge.objects.filter(due_at__lte=timezone.now()).order_by("due_at"):
        try:
            send(pending.url, pending.tags.split())
        except OSError as error:
            pending.attempts += 1
            if pending.attempts >= MAX_ATTEMPTS:
                logger.error("HTTP cache purge at %s given up: %s", pending.url, error)
                pending.delete()
            else:
                pending.due_at = timezone.now() + timedelta(seconds=2 ** min(pending.attempts, 8))
                pending.save(update_fields=["attempts", "due_at"])
            continue
        pending.delete()
        done += 1
    return done
