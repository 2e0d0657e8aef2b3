"""The shared Redis cache, made optional: while Redis is unreachable every call is a miss.

A call that cannot reach Redis opens a circuit for CACHE_RETRY_SECONDS, during which calls
skip Redis at once (the API answers from the database with `X-Cache: OFF`) instead of each
waiting for a timeout. An `incr` that could not reach Redis is a content change the response
cache did not hear about (it is only used to bump generations): it is remembered in the
database and replayed when Redis answers again, by this process on recovery and by the worker,
so entries stored before the change are never served after the outage.

A read-only Redis (a replica) is taken as unreachable. One that answers but refuses otherwise
(out of memory under `noeviction`, any other error reply) degrades the same way without
opening the circuit, as its reads are still good: the refused call is a miss, the response
comes from the database, one warning is logged until Redis takes a write again. A refused
`incr` is remembered as in an outage, and the count is deleted (DEL is allowed when Redis is
full) so that no process serves the entries it would have outdated; where even that is
refused, the circuit opens.
"""

import contextlib
import logging
import threading
import time

from django.conf import settings
from django.dispatch import Signal
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .redis_cache import RedisCache

logger = logging.getLogger(__name__)

# Sent when generation bumps recorded during an outage have been applied to Redis.
increments_replayed = Signal()

# A read-only Redis (a replica, a failover under way) counts as gone: nothing it holds can be
# outdated by a publish, so nothing it holds may be served (see `refused_increment`).
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, ReadOnlyError, OSError)


class Circuit:
    """Per process: whether Redis failed recently, and whether a recovery is still to handle."""

    def __init__(self) -> None:
        self.open_until = 0.0
        self.tripped = False
        self.lock = threading.Lock()

    def is_open(self) -> bool:
        return time.monotonic() < self.open_until

    def trip(self) -> None:
        with self.lock:
            if not self.tripped:
                logger.warning("Redis cache unreachable; serving without it")
            self.tripped = True
            self.open_until = time.monotonic() + settings.CACHE_RETRY_SECONDS

    def close(self) -> bool:
        """Note a success; True for the first success after a failure."""
        if not self.tripped:
            return False
        with self.lock:
            recovered, self.tripped = self.tripped, False
        return recovered


circuit = Circuit()


class Refusals:
    """Per process: whether Redis refused a call (an error reply) since it last took a write."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self.lock = threading.Lock()

    def note(self, error: RedisError) -> None:
        with self.lock:
            if self.reason is None:
                logger.warning("Redis cache refused a call (%s); answering without storing", error)
            self.reason = type(error).__name__

    def clear(self) -> None:
        if self.reason is not None:
            with self.lock:
                self.reason = None
            logger.warning("Redis cache takes writes again")


refusals = Refusals()


def cache_is_up() -> bool:
    """False while the circuit is open (Redis failed in the last CACHE_RETRY_SECONDS)."""
    return not circuit.is_open()


def replay_pending_increments() -> None:
    """Apply the increments recorded while Redis was down (generation bumps)."""
    from django.core.cache import cache

    from .models import PendingCacheBump

    pending = list(PendingCacheBump.objects.values_list("pk", "key")[:1000])
    for key in {key for _, key in pending}:
        # A key that is gone starts again above its old values (`initial_generation`).
        with contextlib.suppress(ValueError):
            cache.incr(key)
    if pending:
        # Processes keeping responses in memory must hear of it (freshness/apps.py listens).
        increments_replayed.send(sender=None)
    if pending and cache_is_up():
        PendingCacheBump.objects.filter(pk__in=[pk for pk, _ in pending]).delete()


class ResilientRedisCache(RedisCache):
    """`ops.redis_cache.RedisCache` whose calls degrade to misses when Redis is unreachable
    or refuses them."""

    def guarded(self, default, call, *args, write: bool = False):
        if circuit.is_open():
            return default
        try:
            result = call(*args)
        except UNREACHABLE:
            circuit.trip()
            return default
        except RedisError as error:
            refusals.note(error)
            return default
        if write:
            refusals.clear()
        if circuit.close():
            logger.warning("Redis cache reachable again")
            try:
                replay_pending_increments()
            except Exception:
                logger.exception("Could not replay cache increments; the worker will")
            # Read again: what came back before the replay may be an entry it just outdated.
            return self.guarded(default, call, *args, write=write)
        return result

    def get(self, key, default=None, version=None):
        return self.guarded(default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self.guarded({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self.guarded(False, super().has_key, key, version)

    def set(self, key, value, timeout=None, version=None):
        return self.guarded(None, super().set, key, value, timeout, version, write=True)

    def add(self, key, value, timeout=None, version=None):
        return self.guarded(False, super().add, key, value, timeout, version, write=True)

    def set_many(self, data, timeout=None, version=None):
        return self.guarded(list(data), super().set_many, data, timeout, version, write=True)

    def touch(self, key, timeout=None, version=None):
        return self.guarded(False, super().touch, key, timeout, version, write=True)

    def delete(self, key, version=None):
        return self.guarded(False, super().delete, key, version)

    def delete_many(self, keys, version=None):
        return self.guarded(None, super().delete_many, keys, version)

    def clear(self):
        return self.guarded(None, super().clear)

    def incr(self, key, delta=1, version=None):
        if circuit.is_open():
            # Tried even so: a content change that processes whose Redis answers must hear of.
            try:
                return super().incr(key, delta, version)
            except UNREACHABLE:
                self.remember_increment(key)
                return None
            except RedisError as error:
                refusals.note(error)
                self.refused_increment(key, version)
                return None
        missed = object()
        result = self.guarded(missed, super().incr, key, delta, version, write=True)
        if result is missed:
            if circuit.is_open():
                self.remember_increment(key)
            else:
                self.refused_increment(key, version)
            return None
        return result

    def refused_increment(self, key, version=None) -> None:
        """Redis answered but would not count: remember the increment, and delete the count so
        no process serves what it outdated (a lost generation starts again above its values).
        Where Redis refuses that too, nothing is read from it until the circuit closes."""
        self.remember_increment(key)
        try:
            super().delete(key, version)
        except (RedisError, OSError):
            circuit.trip()

    @staticmethod
    def remember_increment(key: str) -> None:
        from .models import PendingCacheBump

        try:
            PendingCacheBump.objects.create(key=key)
        except Exception:
            logger.exception("Could not record a cache increment missed during an outage")
