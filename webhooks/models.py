"""Endpoints editors register, and the log of every delivery made to them."""

import secrets
import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import models

EVENTS = ("published", "unpublished", "deleted", "moved")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Endpoint(models.Model):
    """A URL that receives signed page events, chosen by event and page type."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500, help_text="Receives a signed JSON POST per event.")
    secret = models.CharField(
        max_length=100,
        default=new_secret,
        help_text="Shared with the receiver: it checks the X-Webhook-Signature HMAC with it.",
    )
    active = models.BooleanField(default=True)
    on_published = models.BooleanField("published", default=True)
    on_unpublished = models.BooleanField("unpublished", default=True)
    on_deleted = models.BooleanField("deleted", default=True)
    on_moved = models.BooleanField("moved", default=True)
    page_types = models.ManyToManyField(
        ContentType,
        blank=True,
        help_text="Only pages of these types; none selected means every page type.",
    )
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    paused_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Set after WEBHOOK_PAUSE_AFTER_FAILURES failed attempts in a row; its "
        "deliveries wait (none is dropped) until someone resumes it.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str) -> bool:
        return self.active and getattr(self, f"on_{event}")


class Delivery(models.Model):
    """One event sent (or being sent) to one endpoint; attempts and their outcome."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RETRYING = "retrying"
        DELIVERED = "delivered"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=20, choices=[(event, event) for event in EVENTS])
    page_id = models.PositiveIntegerField()
    page_type = models.CharField(max_length=100)
    url_path = models.CharField(max_length=1000)
    payload = models.TextField(help_text="The JSON body, exactly as signed and sent.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # While an attempt is in flight; a worker that dies mid-attempt leaves it to run out, and
    # the delivery is then tried again (at least once).
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField(null=True, blank=True)
    resent_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resends"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.event} page {self.page_id} to {self.endpoint} ({self.status})"


class EventSequence(models.Model):
    """One row: the number of the last change announced. Taken in the change's transaction
    with the row locked, so numbers grow in the order changes commit (`events.next_sequence`)."""

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"event sequence at {self.value}"
