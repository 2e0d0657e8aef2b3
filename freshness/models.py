from django.db import models


class ContentGeneration(models.Model):
    """One row: a counter bumped by every change to served content, in the change's own
    transaction. Without a shared cache (no Redis) every process reads it before answering from
    its own memory, so no process serves an answer from before a change another made."""

    value = models.BigIntegerField(default=1)

    def __str__(self) -> str:
        return f"content generation {self.value}"
