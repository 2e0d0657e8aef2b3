"""Delivering one webhook: a signed POST with a deadline on the whole exchange, its outcome
logged, retried with exponential backoff, and a failing endpoint paused."""

import contextlib
import http.client
import logging
import socket
import threading
import time
import urllib.parse
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from . import signing
from .models import Delivery, Endpoint

logger = logging.getLogger(__name__)

WAITING = (Delivery.Status.PENDING, Delivery.Status.RETRYING)


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: base, 2 * base, 4 * base... after the 1st, 2nd, 3rd failure."""
    return timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1))


def post(url: str, body: bytes, headers: dict[str, str], deadline: float) -> tuple[int | None, str]:
    """POST once; the HTTP status (None when no whole answer came) and an error, if any.

    A socket timeout bounds each read, not the exchange: a receiver sending a byte a second
    would hold the sender for as long as it likes. A watchdog shuts the socket down when the
    deadline passes, which ends any read or write in progress. (The name lookup before the
    connection is not covered; endpoints are normally resolvable at once.)
    """
    parts = urllib.parse.urlsplit(url)
    factory = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    started = time.monotonic()
    expired = threading.Event()
    connection = factory(parts.hostname, parts.port, timeout=deadline)
    sockets = []

    def cut() -> None:
        expired.set()
        # The plain socket's shutdown, under any TLS layer: it wakes a blocked read or write.
        # (Kept from the connect: http.client lets go of it once an answer closes the
        # connection, while the answer is still being read from it.)
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sockets[0], socket.SHUT_RDWR)

    watchdog = threading.Timer(deadline, cut)
    watchdog.daemon = True
    try:
        connection.connect()
        sockets.append(connection.sock)
        watchdog.interval = max(deadline - (time.monotonic() - started), 0)
        watchdog.start()
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException) as error:
        if expired.is_set() or isinstance(error, TimeoutError):
            return None, f"timed out: no whole answer within {deadline:g} s"
        return None, f"{type(error).__name__}: {error}"[:500]
    finally:
        watchdog.cancel()
        connection.close()
    return status, "" if 200 <= status < 300 else f"HTTP {status}"


def due(now=None):
    """Deliveries waiting to be tried now, to endpoints that are neither off nor paused."""
    now = now or timezone.now()
    return Delivery.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        status__in=WAITING,
        endpoint__active=True,
        endpoint__paused_at__isnull=True,
    )


def claim_next(endpoint_id: int) -> Delivery | None:
    """The oldest due delivery to this endpoint, claimed for one attempt (another worker
    skips it until the claim runs out), or None."""
    now = timezone.now()
    lease = timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 10)
    candidates = due(now).filter(endpoint_id=endpoint_id).order_by("created_at")
    for pk in candidates.values_list("pk", flat=True)[:10]:
        # Conditions on the delivery's own row only, so PostgreSQL rechecks them all when
        # two workers race for it.
        claimed = Delivery.objects.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            pk=pk,
            status__in=WAITING,
        ).update(claimed_until=now + lease)
        if claimed:
            return Delivery.objects.select_related("endpoint").get(pk=pk)
    return None


def attempt(delivery: Delivery) -> str:
    """Send a claimed delivery once and record the outcome; its new status."""
    endpoint = delivery.endpoint
    body = delivery.payload.encode()
    headers = signing.headers(endpoint.secret, str(delivery.id), delivery.event, body)
    status, error = post(endpoint.url, body, headers, settings.WEBHOOK_TIMEOUT_SECONDS)
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_status = status
    delivery.error = error
    delivery.claimed_until = None
    ok = status is not None and 200 <= status < 300
    if ok:
        delivery.status = Delivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = Delivery.Status.FAILED
        delivery.next_attempt_at = None
        logger.warning("Webhook delivery %s failed for good: %s", delivery.pk, error)
    else:
        delivery.status = Delivery.Status.RETRYING
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    with transaction.atomic():
        delivery.save()
        count_outcome(endpoint, ok, now)
    logger.info(
        "Webhook delivery",
        extra={
            "delivery": str(delivery.pk),
            "endpoint": endpoint.url,
            "event": delivery.event,
            "attempt": delivery.attempts,
            "outcome": delivery.status,
            "response_status": status,
        },
    )
    return delivery.status


def count_outcome(endpoint: Endpoint, ok: bool, now) -> None:
    """Reset the endpoint's run of failures, or extend it and pause the endpoint at the limit."""
    rows = Endpoint.objects.filter(pk=endpoint.pk)
    if ok:
        rows.update(consecutive_failures=0)
        return
    rows.update(consecutive_failures=F("consecutive_failures") + 1)
    limit = settings.WEBHOOK_PAUSE_AFTER_FAILURES
    if rows.filter(paused_at__isnull=True, consecutive_failures__gte=limit).update(paused_at=now):
        logger.warning("Webhook endpoint %s paused after %s failures in a row", endpoint, limit)


def resume(endpoint: Endpoint) -> None:
    """Deliver to a paused endpoint again: its waiting deliveries are due at once."""
    with transaction.atomic():
        Endpoint.objects.filter(pk=endpoint.pk).update(paused_at=None, consecutive_failures=0)
        endpoint.deliveries.filter(status__in=WAITING).update(next_attempt_at=None)


def resend(delivery: Delivery) -> Delivery:
    """A new delivery of the same event and body (with a fresh signature), due now."""
    return Delivery.objects.create(
        endpoint=delivery.endpoint,
        event=delivery.event,
        page_id=delivery.page_id,
        page_type=delivery.page_type,
        url_path=delivery.url_path,
        payload=delivery.payload,
        resent_from=delivery,
    )


def deliver_due() -> int:
    """Try every due delivery once, one after another, in this thread; how many.
    (The worker runs them in parallel, one thread per endpoint: `dispatcher`.)"""
    tried = 0
    for endpoint_id in set(due().values_list("endpoint_id", flat=True)):
        while (delivery := claim_next(endpoint_id)) is not None:
            attempt(delivery)
            tried += 1
    return tried
