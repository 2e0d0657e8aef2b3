"""Publish webhooks: tell frontends (Next.js, a CDN, an app's cache) that content changed."""

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import events

        events.connect()
