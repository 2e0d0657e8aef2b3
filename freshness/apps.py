from django.apps import AppConfig


class FreshnessConfig(AppConfig):
    name = "freshness"
    verbose_name = "Freshness"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ops import health, resilient_cache, scheduler

        from . import (
            changes,
            checks,  # noqa: F401 (registers them)
            purge,
            response_cache,
            sync,
        )

        changes.connect()
        sync.connect()
        # ops knows nothing of freshness (imports go one way: ops <- freshness <- cms.graphql):
        # it announces replayed generation bumps and asks for the channel's state through these.
        resilient_cache.increments_replayed.connect(
            lambda **kwargs: response_cache.announce(), dispatch_uid="announce-replayed", weak=False
        )
        health.DEGRADABLE["cache_channel"] = response_cache.check_channel
        scheduler.JOBS.append(purge.retry_pending)
