"""The content generation in the database, for modes without a shared cache.

With Redis, the generation lives there and every process hears bumps on a channel
(`freshness/channel.py`). Without it, each process's cache is its own memory, which
another process's publish (a second gunicorn worker, the worker publishing a schedule, a
shell) cannot reach; so the generation lives in the database: one indexed read per cached
answer, and a bump that commits with the change it announces.
"""

from django.db.models import F

from .models import ContentGeneration

ROW = 1


def current() -> int:
    value = ContentGeneration.objects.filter(pk=ROW).values_list("value", flat=True).first()
    if value is None:
        # Migrations create the row; a flushed database (a test) starts it again.
        value = ContentGeneration.objects.get_or_create(pk=ROW)[0].value
    return value


def bump() -> None:
    if not ContentGeneration.objects.filter(pk=ROW).update(value=F("value") + 1):
        ContentGeneration.objects.get_or_create(pk=ROW, defaults={"value": 2})
