"""Response cache hits answered before the session, auth, messages and lockout middleware.

An anonymous GET of a cached query needs none of them, and on a hit from memory they were
most of the time the request took. Placed after the middleware every response needs (request
ids, metrics, security headers, CORS). Anything this cannot answer from the cache (a POST, a
session cookie, a preview, a miss, a request the view would refuse) goes on to the view
unchanged, which applies every check and answers it.
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

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method == "GET"
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
            # The key is a function of these alone (a persisted hash names one document).
            raw = (request.META.get("QUERY_STRING", ""), request.scheme, request.get_host())
            key = layer.keys.get(raw)
            if key is None:
                key = self.cache_key(request)
                if key is not None:
                    layer.keys.put(raw, key, len(raw[0]) + len(raw[2]) + len(key))
            elif not cache_is_up():
                key = None
        return None if key is None else response_cache.lookup(key)[0]

    @staticmethod
    def cache_key(request: HttpRequest) -> str | None:
        try:
            query, variables, operation_name, _ = APIView.get_graphql_params(request, {})
            extensions = persisted_queries.extensions_of(request, None)
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
