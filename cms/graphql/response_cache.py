"""The response cache for anonymous, non-preview reads, never staler than the last publish.

Entries live in Django's cache (Redis when `REDIS_URL` is set, so every app process shares
them) under a key made of the normalized document, variables, operation name and host. Each
entry carries the content generation it was computed under; any content change bumps the
generation (`cms/cache_invalidation.py`), which makes every older entry a miss at once. One
`get_many` reads the entry and the current generation together. An entry also never outlives
the next `expire_at` of a live page, when the publication rule starts hiding that page.
"""

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.db.models import Min
from django.http import HttpRequest
from django.utils import timezone
from graphql import GraphQLError, parse, print_ast
from wagtail.models import Page, Revision

from ops.resilient_cache import cache_is_up

GENERATION_KEY = "graphql:generation"
ENTRY_PREFIX = "graphql:response:"


@dataclass(frozen=True)
class CachedResponse:
    body: bytes
    etag: str


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


def lookup(key: str) -> tuple[CachedResponse | None, int]:
    """The entry for `key` if it is of the current generation, and that generation."""
    found = cache.get_many([key, GENERATION_KEY])
    generation = found.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        generation = cache.get(GENERATION_KEY, 1)
    entry = found.get(key)
    if entry is not None and entry[0] == generation:
        return CachedResponse(body=entry[1], etag=entry[2]), generation
    return None, generation


def store(key: str, generation: int, response: CachedResponse) -> None:
    timeout = seconds_to_keep()
    if timeout > 0:
        cache.set(key, (generation, response.body, response.etag), timeout=timeout)


def seconds_to_keep() -> int:
    """The configured lifetime, cut short where content changes by the clock.

    A live page expires, or a scheduled revision (a page's or a muscle's) goes live: no entry
    outlives the next such time. Once a go-live time has passed, nothing is stored until the
    worker has published it, so a web process whose cache the worker cannot reach (the
    embedded default's local memory) serves the new content as soon as it is published.
    """
    timeout = settings.GRAPHQL_RESPONSE_CACHE_SECONDS
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


def bump_generation() -> None:
    """Make every stored response a miss; called on any change to served content."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.add(GENERATION_KEY, 2, timeout=None)
