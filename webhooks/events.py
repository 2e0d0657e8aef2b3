"""Page signals become deliveries: one per matching endpoint, in the change's transaction."""

import json
import logging

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Q
from django.db.models.signals import post_delete
from django.utils import timezone
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

from freshness.tags import tags_for_change

from .models import Delivery, Endpoint, EventSequence

logger = logging.getLogger(__name__)


def describe(page: Page, event: str, url_path: str | None = None) -> dict:
    """What a receiver needs to revalidate or purge: which page, where, what happened, when."""
    content_type = ContentType.objects.get_for_id(page.content_type_id)
    url_path = url_path or page.url_path
    path = None
    try:
        parts = page.get_url_parts()
        path = parts[2] if parts else None
    except Exception:
        path = None
    return {
        "event": event,
        "page": {
            "id": page.pk,
            "type": f"{content_type.app_label}.{content_type.model_class().__name__}"
            if content_type.model_class()
            else f"{content_type.app_label}.{content_type.model}",
            "urlPath": url_path,
            "path": path,
            "slug": page.slug,
        },
        "occurredAt": timezone.now().isoformat(),
    }


def next_sequence() -> int:
    """The next event number: the row stays locked until the change commits, so a later
    commit never carries a smaller number (receivers may get them out of order, or twice)."""
    with transaction.atomic():
        if not EventSequence.objects.filter(pk=1).update(value=F("value") + 1):
            EventSequence.objects.get_or_create(pk=1, defaults={"value": 1})
        return EventSequence.objects.get(pk=1).value


def record(page: Page, event: str, url_path: str | None = None) -> None:
    """Queue a delivery to every endpoint that wants this event for this page type."""
    endpoints = Endpoint.objects.filter(active=True, **{f"on_{event}": True}).filter(
        Q(page_types__isnull=True) | Q(page_types=page.content_type_id)
    )
    if not endpoints.exists():
        return
    facts = describe(page, event, url_path)
    # What a receiver or a CDN in front of it should purge: the same tags the API's answers
    # carry (`freshness/tags.py`).
    facts["tags"] = sorted(tags_for_change(page))
    facts["sequence"] = next_sequence()
    # Written in the change's own transaction (an outbox): a rolled-back publish announces
    # nothing, and a committed one cannot lose its deliveries to a crash before they are sent.
    # The worker sends only committed rows (`dispatcher`), so never before the commit.
    for endpoint in endpoints.distinct():
        delivery = Delivery(
            endpoint=endpoint,
            event=event,
            page_id=facts["page"]["id"],
            page_type=facts["page"]["type"],
            url_path=facts["page"]["urlPath"],
        )
        delivery.payload = json.dumps({**facts, "deliveryId": str(delivery.id)})
        delivery.save()


def published(sender, instance, **kwargs) -> None:
    record(instance, "published")


def unpublished(sender, instance, **kwargs) -> None:
    record(instance, "unpublished")


def moved(sender, instance, url_path_before=None, url_path_after=None, **kwargs) -> None:
    if url_path_before != url_path_after or kwargs.get("parent_page_before") != kwargs.get(
        "parent_page_after"
    ):
        record(instance, "moved", url_path_after)


def deleted(sender, instance, **kwargs) -> None:
    # A page row is deleted once per table of its type (Page, then ProcedurePage...): announce
    # it once, for the instance of its own, most specific class.
    if isinstance(instance, Page) and type(instance) is instance.specific_class:
        record(instance, "deleted")


def connect() -> None:
    """Connected once, from `WebhooksConfig.ready`."""
    page_published.connect(published, dispatch_uid="webhooks-published")
    page_unpublished.connect(unpublished, dispatch_uid="webhooks-unpublished")
    post_page_move.connect(moved, dispatch_uid="webhooks-moved")
    post_delete.connect(deleted, dispatch_uid="webhooks-deleted")
