"""The response cache for anonymous, non-preview reads, never staler than the last publish.

Entries live in Django's cache (Redis when `REDIS_URL` is set, so every app process shares
them) under a key made of the normalized document, variables, operation name and host. Each
entry carries the content generation it was computed under; any content change bumps the
generation (`freshness/changes.py`), which makes every older entry a miss at once. One
`get_many` reads the entry and the current generation together. An entry also never outlives
the next `expire_at` of a live page, when the publication rule starts hiding that page.

Without Redis (the embedded default, or several processes with no REDIS_URL) each process's
cache is its own memory, which another process's change cannot reach: the generation is then
read from the database (`freshness.generation`) for every cached answer, and bumped in the
transaction of the change.

In front of Redis, each process keeps entries in memory too (`memory_cache.py`), checked
against the generation the invalidation channel pushes (`invalidation.py`); while that channel
is down, against the shared generation, read on every request.
"""

import gzip
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.db.models import Min
from django.http import HttpRequest
from django.utils import timezone
from graphql import GraphQLError, parse, print_ast
from wagtail.models import Page, Revision

from freshness import generation as database_generation
from ops.resilient_cache import cache_is_up

from . import channel as invalidation
from . import memory_cache

logger = logging.getLogger(__name__)

GENERATION_KEY = "graphql:generation"
# v3: entries carry their expiry time, for the copies kept in memory, their dependency tags
# and how long shared caches may keep them.
ENTRY_PREFIX = "graphql:response:v3:"
# Python's objects around an entry in memory (the dataclass, tuples, the ordered dict's node).
ENTRY_OVERHEAD = 400


@dataclass
class CachedResponse:
    body: bytes
    etag: str
    expires_at: float = float("inf")
    # Dependency tags for the HTTP cache headers (`freshness.tags`), and until when (a time)
    # shared caches may keep the answer (`s-maxage`); 0: not beyond what browsers may.
    tags: tuple[str, ...] = ()
    shared_until: float = 0.0
    compressed: bytes | None = field(default=None, repr=False)

    def gzipped(self) -> bytes:
        """The body gzipped once, however many hits send it (`mtime=0`: the same bytes).

        Unlike GZipMiddleware, no random padding against BREACH: these bodies hold no secret.
        """
        if self.compressed is None:
            self.compressed = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self.compressed


@lru_cache(maxsize=2048)
def normalized_document(query: str) -> str | None:
    """The document reprinted in canonical form, so spacing and comments share one entry.

    A pure function of the text, so a per-process memo is safe.
    """
    try:
        return print_ast(parse(query, no_location=True))
    except GraphQLError:
        return None


def cache_key(request: HttpRequest, query: str, variables, operation_name) -> str | None:
    document = normalized_document(query)
    if document is None or not cache_is_up():
        return None  # unparsable, or the shared cache is down (X-Cache: OFF)
    # The limits are part of the key: a response stored under looser limits must not answer
    # a request that tighter limits would refuse.
    material = json.dumps(
        [
            document,
            variables or {},
            operation_name or "",
            # Image URLs are absolute, built from the request's scheme and host.
            request.scheme,
            request.get_host(),
            settings.GRAPHQL_LIMITS,
        ],
        sort_keys=True,
        separators=(",", ":"),
    )
    return ENTRY_PREFIX + hashlib.sha256(material.encode()).hexdigest()


def memory_lookup(key: str) -> CachedResponse | None:
    """The entry for `key` from this process's memory, if it is of the current generation."""
    layer = memory_cache.layer(GENERATION_KEY)
    if layer is None:
        return None
    generation = layer.listener.trusted_generation()
    if generation is None:
        # The channel may have missed a change: ask Redis (the circuit breaker skips it
        # while Redis is down, and then nothing is served from memory either).
        generation = cache.get(GENERATION_KEY)
        if generation is None:
            return None
    return layer.response(key, generation)


def channel_state() -> str | None:
    """This process's invalidation channel: "subscribed", "down", "not started"; None if unused."""
    layer = memory_cache.layer(GENERATION_KEY)
    if layer is None:
        return None
    layer.listener.trusted_generation()  # starts it in this process, if it was not
    return layer.listener.state


def check_channel() -> tuple[bool, str] | None:
    """/readyz's `cache_channel`: whether this process hears content changes; None where it
    keeps no responses in memory."""
    state = channel_state()
    if state is None:
        return None
    if state == "subscribed":
        return True, state
    return False, f"{state}: reading the shared generation on every request"


def shared() -> bool:
    """Whether every process reads the same cache (Redis), and hears its generation."""
    return hasattr(cache, "redis_client")


def lookup(key: str) -> tuple[CachedResponse | None, int | None]:
    """The entry for `key` if it is of the current generation, and that generation (None
    when not read yet: then `current_generation()` before the query runs)."""
    if shared():
        hit = memory_lookup(key)
        if hit is not None:
            return hit, None
        found = cache.get_many([key, GENERATION_KEY])
        generation = found.get(GENERATION_KEY)
        if generation is None:
            generation = start_generation(default=1)
    else:
        found = {key: cache.get(key)}
        if found[key] is None:
            # Read before the query runs (`current_generation`), once it is known to run: a
            # request refused by validation or the rate limit then runs no SQL at all.
            return None, None
        generation = database_generation.current()
    entry = found.get(key)
    if entry is not None and entry[0] == generation:
        response = CachedResponse(
            body=entry[1], etag=entry[2], expires_at=entry[3], tags=entry[4], shared_until=entry[5]
        )
        remember(key, generation, response)
        return response, generation
    return None, generation


def current_generation() -> int | None:
    """The generation a response about to be computed is stored under: read before it runs,
    so a change committed while it runs makes it a miss."""
    if shared():
        return start_generation()
    return database_generation.current()


def store(key: str, generation: int, response: CachedResponse) -> None:
    timeout = seconds_to_keep()
    if timeout > 0:
        response.expires_at = time.time() + timeout
        entry = (
            generation,
            response.body,
            response.etag,
            response.expires_at,
            response.tags,
            response.shared_until,
        )
        cache.set(key, entry, timeout=timeout)
        remember(key, generation, response)


def remember(key: str, generation: int, response: CachedResponse) -> None:
    layer = memory_cache.layer(GENERATION_KEY)
    if layer is not None:
        # Compressed now, so the budget counts it; most clients accept gzip.
        size = len(response.body) + len(response.gzipped()) + len(key) + ENTRY_OVERHEAD
        layer.responses.put(key, (generation, response), size)


def seconds_to_keep() -> int:
    """The configured lifetime, cut short where content changes by the clock.

    A live page expires, or a scheduled revision (a page's or a muscle's) goes live: no entry
    outlives the next such time. Once a go-live time has passed, nothing is stored until the
    worker has published it, so a web process whose cache the worker cannot reach (the
    embedded default's local memory) serves the new content as soon as it is published.
    """
    return within_clock_changes(settings.GRAPHQL_RESPONSE_CACHE_SECONDS)


def shared_until() -> float:
    """Until when shared HTTP caches may keep an answer computed now (0: not at all): the
    GRAPHQL_SHARED_MAX_AGE, cut short where content changes by the clock, as entries here are."""
    seconds = within_clock_changes(settings.GRAPHQL_SHARED_MAX_AGE)
    return time.time() + seconds if seconds > 0 else 0.0


def within_clock_changes(timeout: int) -> int:
    """`timeout`, cut short by the next page expiry or scheduled go-live (0 once one passed)."""
    if timeout <= 0:
        return 0
    now = timezone.now()
    next_expiry = Page.objects.filter(live=True, expire_at__gt=now).aggregate(
        next=Min("expire_at")
    )["next"]
    next_go_live = Revision.objects.filter(approved_go_live_at__isnull=False).aggregate(
        next=Min("approved_go_live_at")
    )["next"]
    for moment in (next_expiry, next_go_live):
        if moment is not None:
            timeout = min(timeout, int((moment - now).total_seconds()))
    return max(timeout, 0)


def start_generation(default: int | None = None) -> int | None:
    """The generation once Redis has one: started from the clock where it was missing."""
    cache.add(GENERATION_KEY, invalidation.initial_generation(), timeout=None)
    return cache.get(GENERATION_KEY, default)


def bump_generation(confirm: bool = True) -> None:
    """Make every stored response a miss; called on any change to served content.

    With `confirm`, it returns once every process keeping responses in memory has heard.
    """
    if not shared():
        database_generation.bump()
        return
    lost = False
    try:
        generation = cache.incr(GENERATION_KEY)
    except ValueError:
        # Redis lost the count (a restart, a flush): its listener registry may be gone too.
        lost = True
        generation = start_generation()
    if generation is None and cache_is_up():
        # Redis answers but will not count (full under `noeviction`): the count is gone
        # (`ops/resilient_cache.py` deletes it), and PUBLISH still works. A generation above
        # every value it had makes each process's memory drop what it holds.
        announce(invalidation.initial_generation(), confirm=confirm)
    elif generation is not None:
        announce(generation, confirm=confirm)
        if lost and confirm and hasattr(cache, "redis_client"):
            time.sleep(invalidation.grace_seconds() + settings.REDIS_TIMEOUT_SECONDS)


def announce(generation: int | None = None, confirm: bool = True) -> None:
    """Tell every process's memory layer (when the cache is Redis) of the new generation."""
    if not hasattr(cache, "redis_client"):
        return
    client = cache.redis_client()
    if generation is None:
        try:
            generation = invalidation.read_generation(client, cache.make_key(GENERATION_KEY))
        except invalidation.UNREACHABLE:
            return  # Redis is gone again: every listener lost its trust with it
    invalidation.publish(client, cache.make_key, generation, confirm=confirm)
