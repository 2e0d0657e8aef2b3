"""Apollo-style automatic persisted queries: a client may send a document's sha256 instead.

The client sends `extensions.persistedQuery.sha256Hash`. Unknown hash: the response says
`PersistedQueryNotFound` and the client sends the document with its hash once; it is checked
and kept in the shared cache, and from then on the hash alone, by GET, is enough.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from . import memory_cache, request_body
from .response_cache import GENERATION_KEY

KEY_PREFIX = "graphql:apq:"


class PersistedQueryNotFoundError(Exception):
    message = "PersistedQueryNotFound"
    code = "PERSISTED_QUERY_NOT_FOUND"


class PersistedQueryError(ValueError):
    """A malformed persisted-query request; the message is for the client."""


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


def resolve_query(query: str | None, extensions: dict) -> str | None:
    """The document to run: `query` itself, or the one kept for the persisted hash."""
    persisted = extensions.get("persistedQuery")
    if persisted is None:
        return query
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise PersistedQueryError("Unsupported persisted query version; use version 1.")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or len(digest) != 64:
        raise PersistedQueryError("persistedQuery.sha256Hash must be a sha256 hex digest.")
    digest = digest.lower()
    if query is None:
        return persisted_document(digest)
    if hashlib.sha256(query.encode()).hexdigest() != digest:
        raise PersistedQueryError("provided sha does not match query")
    cache.set(KEY_PREFIX + digest, query, timeout=settings.GRAPHQL_PERSISTED_QUERY_SECONDS)
    remember(digest, query)
    return query


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
