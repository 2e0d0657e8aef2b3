"""Delivering one webhook: signed POST, retried with exponential backoff, every try logged."""

import logging
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from . import signing
from .models import Delivery

logger = logging.getLogger(__name__)


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: base, 2 * base, 4 * base... after the 1st, 2nd, 3rd failure."""
    return timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1))


def post(delivery: Delivery) -> tuple[int | None, str]:
    """Send once; the HTTP status (None when nothing came back) and an error, if any."""
    body = delivery.payload.encode()
    request = urllib.request.Request(
        delivery.endpoint.url,
        data=body,
        headers=signing.headers(delivery.endpoint.secret, str(delivery.id), delivery.event, body),
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        return None, f"{type(reason).__name__}: {reason}"[:500]


@task()
def deliver(delivery_id: str) -> str:
    """One attempt at a delivery; on failure it queues the next attempt itself."""
    delivery = Delivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status in (Delivery.Status.DELIVERED, Delivery.Status.FAILED):
        return "skipped"
    status, error = post(delivery)
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_status = status
    delivery.error = error
    if status is not None and 200 <= status < 300:
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
    delivery.save()
    if delivery.status == Delivery.Status.RETRYING:
        deliver.using(run_after=delivery.next_attempt_at).enqueue(delivery_id)
    logger.info(
        "Webhook delivery",
        extra={
            "delivery": str(delivery.pk),
            "endpoint": delivery.endpoint.url,
            "event": delivery.event,
            "attempt": delivery.attempts,
            "outcome": delivery.status,
            "response_status": status,
        },
    )
    return delivery.status


def resend(delivery: Delivery) -> Delivery:
    """A new delivery of the same event and body (with a fresh signature), queued now."""
    copy = Delivery.objects.create(
        endpoint=delivery.endpoint,
        event=delivery.event,
        page_id=delivery.page_id,
        page_type=delivery.page_type,
        url_path=delivery.url_path,
        payload=delivery.payload,
        resent_from=delivery,
    )
    deliver.enqueue(str(copy.pk))
    return copy
