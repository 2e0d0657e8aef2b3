"""A request id for every request: in the logs, in `X-Request-ID`, and from the load balancer.

An incoming `X-Request-ID` is kept when it looks like an id (so one id follows a request
through the load balancer and the app); anything else is replaced by a fresh one.
"""

import logging
import re
import time
import uuid
from contextvars import ContextVar

from django.http import HttpRequest

request_id: ContextVar[str] = ContextVar("request_id", default="-")
SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
access_log = logging.getLogger("cms.access")


def incoming_or_new(value: str | None) -> str:
    if value and SANE_ID.match(value):
        return value
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every log record (for the JSON formatter)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class RequestIdMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        rid = incoming_or_new(request.headers.get("X-Request-ID"))
        token = request_id.set(rid)
        request.request_id = rid
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            access_log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path_info,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "cache": response.get("X-Cache", ""),
                },
            )
            return response
        finally:
            request_id.reset(token)
