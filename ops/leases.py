"""A lease row updated with one conditional UPDATE: a lock every worker process respects.

Written here because PostgreSQL advisory locks do not exist on SQLite (the embedded default)
and `select_for_update` is a no-op there; a conditional UPDATE is atomic on both.
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .models import Lease


def acquire(name: str, holder: str, seconds: float) -> bool:
    """Take the lease `name` for `seconds` unless another holder has it and it has not run out."""
    now = timezone.now()
    if not Lease.objects.filter(name=name).exists():
        try:
            with transaction.atomic():
                Lease.objects.create(name=name, holder="", expires_at=now)
        except IntegrityError:
            pass  # another process created it first
    taken = (
        Lease.objects.filter(name=name)
        .filter(Q(expires_at__lte=now) | Q(holder=holder))
        .update(holder=holder, expires_at=now + timedelta(seconds=seconds))
    )
    return taken == 1


def release(name: str, holder: str) -> None:
    Lease.objects.filter(name=name, holder=holder).update(expires_at=timezone.now())
