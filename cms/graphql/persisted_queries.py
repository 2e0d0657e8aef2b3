"""Apollo-style automatic persisted queries: a client may send a document's sha256 instead.

The client sends `extensions.persistedQuery.sha256Hash`. Unknown hash: the response says
`PersistedQueryNotFound` and the client sends the document with its hash once; it is checked
and kept in the shared cache, and from then on the hash alone, by GET, is enough.

Only a document the API would run is kept: within GRAPHQL_PERSISTED_QUERY_MAX_BYTES, and
parsed and validated by the view (`cms/graphql/validation.py`, limits included) before
`keep`. Anything else is answered with its errors and leaves nothing in the cache, so a
client cannot fill Redis with text of its choosing by sending its hash along.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from freshness import memory_cache
from freshness.response_cache import GENERATION_KEY

from . import request_body

KEY_PREFIX = "graphql:apq:"


class PersistedQueryNotFoundError(Exception):
    message = "PersistedQueryNotFound"
    code = "PERSISTED_QUERY_NOT_FOUND"


class PersistedQueryError(ValueError):
    """A malformed persisted-query request; the message is for the client."""


class PersistedQueryTooLargeError(Exception):
    """An offered document over GRAPHQL_PERSISTED_QUERY_MAX_BYTES: refused, not kept."""

    code = "PERSISTED_QUERY_TOO_LARGE"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"Persisted query is larger than {limit} bytes; send it without "
            "extensions.persistedQuery."
        )


def extensions_of(request: HttpRequest, data) -> dict:
    raw = request.GET.get("extensions") or (data.get("extensions") if data else None)
    if raw is None:
        return {}
    if isinstance(raw, str):
        try:
            raw = request_body.loads(raw, "extensions")
        except request_body.BadRequestBodyError as error:
            raise PersistedQueryError(str(error)) from error
        except ValueError as error:
            raise PersistedQueryError("extensions must be a JSON object.") from error
    if not isinstance(raw, dict):
        raise PersistedQueryError("extensions must be a JSON object.")
    return raw


def resolve_query(query: str | None, extensions: dict) -> tuple[str | None, str | None]:
    """The document to run (`query` itself, or the one kept for the persisted hash), and the
    hash under which the request offers `query` to be kept (None when it offers nothing).

    Nothing is kept here: the view keeps an offered document once it has validated it.
    """
    persisted = extensions.get("persistedQuery")
    if persisted is None:
        return query, None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise PersistedQueryError("Unsupported persisted query version; use version 1.")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or len(digest) != 64:
        raise PersistedQueryError("persistedQuery.sha256Hash must be a sha256 hex digest.")
    digest = digest.lower()
    if query is None:
        return persisted_document(digest), None
    if hashlib.sha256(query.encode()).hexdigest() != digest:
        raise PersistedQueryError("provided sha does not match query")
    return query, digest


def check_size(query: str) -> None:
    """Refuse to keep a document larger than GRAPHQL_PERSISTED_QUERY_MAX_BYTES."""
    limit = settings.GRAPHQL_PERSISTED_QUERY_MAX_BYTES
    if len(query.encode()) > limit:
        raise PersistedQueryTooLargeError(limit)


def keep(digest: str, query: str) -> None:
    """Keep a document that has been checked: within the size cap, parsed and validated."""
    cache.set(KEY_PREFIX + digest, query, timeout=settings.GRAPHQL_PERSISTED_QUERY_SECONDS)
    remember(digest, query)


def persisted_document(digest: str) -> str:
    """The document kept for `digest`: from this process's memory, else from the shared cache.

    A document never changes under its hash, so a copy in memory needs no invalidation.
    """
    layer = memory_cache.layer(GENERATION_KEY)
    stored = layer.documents.get(digest) if layer is not None else None
    if stored is None:
        stored = cache.get(KEY_PREFIX + digest)
        if stored is None:
            raise PersistedQueryNotFoundError
        remember(digest, stored)
    return stored


def remember(digest: str, document: str) -> None:
    layer = memory_cache.layer(GENERATION_KEY)
    if layer is not None:
        layer.documents.put(digest, document, len(document))
