"""Operations: the background worker, health checks, metrics, logging and fault handling."""

from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import metrics

        metrics.connect()
