"""Rate limits by cost: each client has a bucket of cost points that a query's cost drains.

A token bucket per client address (`ops/client_ip.py`, which honours TRUSTED_PROXIES), as
Shopify and GitHub limit their GraphQL APIs: it holds up to GRAPHQL_RATE_LIMIT_POINTS and
refills at GRAPHQL_RATE_LIMIT_RESTORE_PER_SECOND; a query that executes takes its requested
cost (the one the limits computed, `limits.py`), and one that finds too few points is
refused (429) before anything runs.

With Redis the bucket lives there, shared by every app server: one Lua script refills it by
the time elapsed (Redis's clock, the same for every server) and takes the points atomically;
its key expires once the bucket would be full again. Without Redis each process keeps its own
buckets in memory, so the budget is per process (a client of N processes gets up to N times it).
A bucket that cannot be reached fails open: the query runs, unthrottled, and the outage is
noted in the cache's circuit (`ops/resilient_cache.py`) so the next requests skip Redis.
"""

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import RedisError

from ops.resilient_cache import UNREACHABLE, cache_is_up, circuit

logger = logging.getLogger(__name__)

KEY_PREFIX = "graphql:rate:"
# The most clients a process keeps buckets for; the least recently seen is dropped first
# (it comes back with a full bucket, which it nearly always has by then).
MAX_LOCAL_CLIENTS = 10_000

# KEYS[1]: the bucket (a hash of `points` and `at`); ARGV: capacity, restore rate, cost.
# Returns {1 if taken else 0, the points left as a string (Lua numbers become integers)}.
TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local stored = redis.call('HMGET', KEYS[1], 'points', 'at')
local points = tonumber(stored[1])
local at = tonumber(stored[2])
if points == nil or at == nil then
  points = capacity
  at = now
end
points = math.min(capacity, points + math.max(0, now - at) * rate)
local taken = 0
if points >= cost then
  points = points - cost
  taken = 1
end
redis.call('HSET', KEYS[1], 'points', tostring(points), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - points) / rate * 1000) + 1000)
return {taken, tostring(points)}
"""


@dataclass(frozen=True)
class Throttle:
    """A client's bucket after a request was charged (or refused)."""

    allowed: bool
    requested: int
    available: float
    capacity: int
    restore_rate: int

    @property
    def charged(self) -> int:
        # A query dearer than the whole bucket (only when the bucket is set below
        # GRAPHQL_MAX_COST) needs a full bucket and empties it, rather than never running.
        return min(self.requested, self.capacity)

    @property
    def retry_after(self) -> int:
        """Whole seconds until the bucket holds this request's cost again."""
        return max(1, math.ceil((self.charged - self.available) / self.restore_rate))

    @property
    def seconds_to_full(self) -> int:
        return math.ceil((self.capacity - self.available) / self.restore_rate)

    def refusal(self) -> str:
        return (
            f"Rate limited: this query costs {self.requested} points and "
            f"{math.floor(self.available)} of {self.capacity} are left, restored at "
            f"{self.restore_rate} per second. Retry after {self.retry_after} s, or ask for less."
        )

    def status(self) -> dict:
        """Shopify's `throttleStatus`."""
        return {
            "maximumAvailable": self.capacity,
            "currentlyAvailable": math.floor(self.available),
            "restoreRate": self.restore_rate,
        }

    def headers(self) -> dict[str, str]:
        """The IETF draft's headers (draft-ietf-httpapi-ratelimit-headers), one "cost" policy:
        the quota `q` and, for a bucket, the window `w` it takes to refill from empty; the
        points remaining `r` and the seconds `t` until the bucket is full again."""
        window = math.ceil(self.capacity / self.restore_rate)
        return {
            "RateLimit-Policy": f'"cost";q={self.capacity};w={window}',
            "RateLimit": f'"cost";r={math.floor(self.available)};t={self.seconds_to_full}',
        }


def cost_extension(requested: int, throttle: "Throttle | None") -> dict:
    """`extensions.cost` of a response. The actual cost is the estimate (an upper bound: a
    list may hold fewer items than it was asked for), so both are the requested cost."""
    cost: dict = {"requestedQueryCost": requested, "actualQueryCost": requested}
    if throttle is not None:
        cost["throttleStatus"] = throttle.status()
    return cost


class LocalBuckets:
    """Buckets in this process's memory; `clock` (seconds, monotonic) may be replaced."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self.lock = threading.Lock()

    def take(self, client: str, cost: int, capacity: int, rate: int) -> tuple[bool, float]:
        now = self.clock()
        with self.lock:
            points, at = self.buckets.pop(client, (capacity, now))
            points = min(capacity, points + max(0.0, now - at) * rate)
            taken = points >= cost
            if taken:
                points -= cost
            self.buckets[client] = (points, now)
            if len(self.buckets) > MAX_LOCAL_CLIENTS:
                self.buckets.popitem(last=False)
        return taken, points

    def clear(self) -> None:
        with self.lock:
            self.buckets.clear()


local_buckets = LocalBuckets()


def shared_take(client: str, cost: int, capacity: int, rate: int) -> tuple[bool, float] | None:
    """Take from the bucket in Redis; None when Redis cannot answer (fail open)."""
    if not cache_is_up():
        return None  # Redis failed moments ago: do not wait for it on every request
    try:
        redis = cache.redis_client()
        # register_script only hashes the text; the script is sent once (EVALSHA after).
        taken, points = redis.register_script(TAKE)(
            keys=[cache.make_key(KEY_PREFIX + client)], args=[capacity, rate, cost]
        )
    except UNREACHABLE:
        circuit.trip()
        return None
    except RedisError:
        # Redis answered with an error (out of memory, a script refused): not an outage of
        # the cache, but no reason to refuse a client either.
        logger.warning("Rate limit bucket unavailable; request not limited", exc_info=True)
        return None
    return bool(taken), float(points)


def enabled() -> bool:
    return settings.GRAPHQL_RATE_LIMIT_POINTS > 0


def charge(client: str, cost: int) -> Throttle | None:
    """Take `cost` points from `client`'s bucket; None when rate limits are off or the bucket
    could not be reached (the request runs)."""
    if not enabled():
        return None
    capacity = settings.GRAPHQL_RATE_LIMIT_POINTS
    rate = settings.GRAPHQL_RATE_LIMIT_RESTORE_PER_SECOND
    if rate <= 0:
        raise ImproperlyConfigured("GRAPHQL_RATE_LIMIT_RESTORE_PER_SECOND must be positive.")
    charged = min(cost, capacity)
    if hasattr(cache, "redis_client"):
        outcome = shared_take(client, charged, capacity, rate)
    else:
        outcome = local_buckets.take(client, charged, capacity, rate)
    if outcome is None:
        return None
    taken, points = outcome
    return Throttle(taken, cost, points, capacity, rate)
