from django.db import models


class ContentGeneration(models.Model):
    """One row: a counter bumped by every change to served content, in the change's own
    transaction. Without a shared cache (no Redis) every process reads it before answering from
    its own memory, so no process serves an answer from before a change another made."""

    value = models.BigIntegerField(default=1)

    def __str__(self) -> str:
        return f"content generation {self.value}"


class PendingPurge(models.Model):
    """Tags a shared HTTP cache has still to purge: a purge that failed (the cache was down or
    slow), or the second purge each change gets once in-flight answers have landed. The worker
    sends each when it is due and deletes it once the cache acknowledged (`purge.py`)."""

    class Backend(models.TextChoices):
        VARNISH = "varnish", "Varnish"
        FASTLY = "fastly", "Fastly"
        CLOUDFLARE = "cloudflare", "Cloudflare"

    backend = models.CharField(max_length=20, choices=Backend, default=Backend.VARNISH)
    # The Varnish server, or the CDN API's purge endpoint (its token is never stored).
    url = models.CharField(max_length=500)
    tags = models.TextField(help_text="Space-separated, as the xkey-purge header takes them.")
    due_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.backend} purge {self.tags} at {self.url}"
