"""A database outage answers 503 with Retry-After instead of a 500 or a half-empty 200."""

import logging

from django.conf import settings
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse

from .resilient_cache import cache_is_up

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)


def service_unavailable() -> JsonResponse:
    response = JsonResponse(
        {
            "errors": [
                {
                    "message": "Service temporarily unavailable; retry shortly.",
                    "extensions": {"code": "SERVICE_UNAVAILABLE"},
                }
            ]
        },
        status=503,
    )
    response["Retry-After"] = str(settings.RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def reraise_database_errors(result) -> None:
    """Raise the database error behind any GraphQL error, so the request becomes a 503.

    graphql-core turns a resolver's exception into an entry of `errors`; when the cause is
    the database being unreachable, the whole response is unusable, not a partial answer.
    """
    for error in result.errors or ():
        original = getattr(error, "original_error", None)
        if isinstance(original, DATABASE_ERRORS):
            raise original


class FaultMiddleware:
    """Turns an unreachable database, anywhere in a view, into 503 JSON with Retry-After;
    says `X-Cache: OFF` for a response that Redis failing mid-request kept out of the cache."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        response = self.get_response(request)
        if response.get("X-Cache") == "MISS" and not cache_is_up():
            response["X-Cache"] = "OFF"
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, DATABASE_ERRORS):
            logger.warning("Database unavailable: %s", exception)
            return service_unavailable()
        return None


def server_error(request: HttpRequest, *args, **kwargs):
    """`handler500`: a database outage met outside a view (in a middleware) is a 503 too."""
    import sys

    from django.views.defaults import server_error as django_server_error

    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return service_unavailable()
    return django_server_error(request, *args, **kwargs)
