"""Response cache hits answered before the session, auth, messages and lockout middleware.

An anonymous read of a cached query needs none of them, and on a hit from memory they were
most of the time the request took. Placed after the middleware every response needs (request
ids, metrics, security headers, CORS). GETs and POSTs alike (Apollo Client POSTs by default):
a POST body is read with the view's own parser, so a body the view would refuse is never
answered here. Anything this cannot answer from the cache (a session cookie, a preview, a
miss, a request the view would refuse) goes on to the view unchanged, which applies every
check and answers it.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from graphene_django.views import HttpError

from freshness import memory_cache, response_cache
from ops.resilient_cache import cache_is_up

from . import persisted_queries
from .views import APIView, asks_for_preview, cache_hit_response


class CachedReadMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response
        endpoint = reverse("graphql")
        self.paths = {endpoint, endpoint.rstrip("/")}
        # Reads a POST body exactly as the view does (content type, size, JSON nesting).
        self.parser = APIView()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method in ("GET", "POST")
            and request.path_info in self.paths
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
        ):
            hit = self.cached(request)
            if hit is not None:
                return cache_hit_response(request, hit)
        return self.get_response(request)

    def cached(self, request: HttpRequest) -> response_cache.CachedResponse | None:
        layer = memory_cache.layer(response_cache.GENERATION_KEY)
        if layer is None:
            key = self.cache_key(request)
        else:
            # The key is a function of these alone (a persisted hash names one document; the
            # content type decides how a POST body is read).
            raw = (
                request.META.get("QUERY_STRING", ""),
                request.scheme,
                request.get_host(),
                request.method,
                request.META.get("CONTENT_TYPE", ""),
                self.body(request),
            )
            key = layer.keys.get(raw)
            if key is None:
                key = self.cache_key(request)
                if key is not None:
                    size = len(raw[0]) + len(raw[2]) + len(raw[4]) + len(raw[5]) + len(key)
                    layer.keys.put(raw, key, size)
            elif not cache_is_up():
                key = None
        return None if key is None else response_cache.lookup(key)[0]

    @staticmethod
    def body(request: HttpRequest) -> bytes:
        """A JSON POST's body within the size limit (the view refuses a larger one), else none.
        Form bodies go to the view: parsing one here would spend Django's only parse of it."""
        if request.method != "POST" or request.content_type != "application/json":
            return b""
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return b""
        if not 0 < declared <= settings.GRAPHQL_LIMITS["MAX_BODY_BYTES"]:
            return b""
        return request.body

    def cache_key(self, request: HttpRequest) -> str | None:
        if request.method == "POST" and not self.body(request):
            return None  # not JSON, empty or too large: the view answers it
        try:
            data = self.parser.parse_body(request)
            if not isinstance(data, dict):
                return None  # a batch: the view refuses it
            query, variables, operation_name, _ = APIView.get_graphql_params(request, data)
            extensions = persisted_queries.extensions_of(request, data)
            query, offered = persisted_queries.resolve_query(query, extensions)
        except (
            HttpError,
            persisted_queries.PersistedQueryError,
            persisted_queries.PersistedQueryNotFoundError,
        ):
            return None  # the view answers it, with the error it deserves
        if not query or offered is not None or asks_for_preview(query):
            return None  # a document offered for keeping goes to the view, which keeps it
        return response_cache.cache_key(request, query, variables, operation_name)
