"""Prometheus metrics at `/metrics`, for the addresses in METRICS_ALLOWED_IPS and, where
METRICS_TOKEN is set (production requires it), for a scraper that sends it as a bearer token.

Under gunicorn each worker process counts its own requests; with PROMETHEUS_MULTIPROC_DIR
set (the gunicorn config sets it) prometheus_client's multiprocess mode writes them to files
that `/metrics` sums, so any process answers for the whole server. Queue depth, task and
webhook failures are read from the database when scraped, so they are the same whichever
process answers and need no worker-side exporter.
"""

import hmac
import ipaddress
import json
import re
import threading
import time
from urllib.parse import unquote_plus

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from .deadline import read_within

REQUESTS = Counter(
    "cms_graphql_requests_total",
    "GraphQL requests by operation name and status",
    ["operation", "status"],
)
LATENCY = Histogram(
    "cms_graphql_request_seconds",
    "GraphQL request latency by operation name",
    ["operation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CACHE = Counter("cms_graphql_cache_total", "Response cache outcomes (X-Cache)", ["result"])
ERRORS = Counter("cms_graphql_errors_total", "GraphQL errors in responses by code", ["code"])
HTTP = Counter("cms_http_requests_total", "Every HTTP request by status class", ["status"])

OPERATION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_operations: set[str] = set()
_operations_lock = threading.Lock()


def operation_label(name) -> str:
    """A bounded label: clients choose operation names, so cap how many distinct ones count."""
    if not name:
        return "anonymous"
    if not isinstance(name, str) or not OPERATION_NAME.match(name):
        return "invalid"
    with _operations_lock:
        if name in _operations:
            return name
        if len(_operations) >= settings.METRICS_MAX_OPERATIONS:
            return "other"
        _operations.add(name)
        return name


OPERATION_NAME_PARAMETER = re.compile(r"(?:^|&)operationName=([^&]*)")


def operation_name(request: HttpRequest):
    if request.method == "GET":
        # Read from the raw query string: parsing it all would unquote the whole document.
        found = OPERATION_NAME_PARAMETER.findall(request.META.get("QUERY_STRING", ""))
        return unquote_plus(found[-1]) if found else None
    try:
        data = json.loads(request.body or b"{}")
    except Exception:
        return None
    return data.get("operationName") if isinstance(data, dict) else None


def error_codes(response: HttpResponse) -> list[str]:
    if response.get("X-Cache") == "HIT":
        return []  # only responses without errors are cached
    if response.streaming or b'"errors"' not in response.content:
        return []
    try:
        errors = json.loads(response.content).get("errors") or []
    except (ValueError, AttributeError):
        return []
    codes = []
    for error in errors:
        code = (error.get("extensions") or {}).get("code") if isinstance(error, dict) else None
        codes.append(str(code)[:40] if code else f"HTTP_{response.status_code}")
    return codes


class MetricsMiddleware:
    """Counts `/graphql/` requests, their latency, cache outcomes and error codes."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        started = time.perf_counter()
        response = self.get_response(request)
        HTTP.labels(status=f"{response.status_code // 100}xx").inc()
        if request.path_info.rstrip("/") == "/graphql":
            operation = operation_label(operation_name(request))
            LATENCY.labels(operation=operation).observe(time.perf_counter() - started)
            REQUESTS.labels(operation=operation, status=str(response.status_code)).inc()
            if response.has_header("X-Cache"):
                CACHE.labels(result=response["X-Cache"]).inc()
            for code in error_codes(response):
                ERRORS.labels(code=code).inc()
        return response


def database_counts() -> tuple[dict, int, dict]:
    """Tasks by status, tasks ready to run, webhook deliveries by status."""
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from webhooks.models import Delivery

    by_status = dict(DBTaskResult.objects.values_list("status").annotate(n=Count("id")).order_by())
    ready = DBTaskResult.objects.ready().count()
    deliveries = dict(Delivery.objects.values_list("status").annotate(n=Count("id")).order_by())
    return by_status, ready, deliveries


class DatabaseCollector:
    """Task queue depth and failures, webhook deliveries, read from the database at scrape,
    within READYZ_TIMEOUT_SECONDS as `/readyz` reads it (a hung database must not hang the
    scrape); `cms_metrics_database_up` says whether they could be read."""

    def collect(self):
        try:
            by_status, ready, deliveries = read_within(
                "metrics", settings.READYZ_TIMEOUT_SECONDS, database_counts
            )
        except Exception:
            # Down or hung: /readyz says so; these series are left out of this scrape.
            yield self.up(0)
            return
        yield self.up(1)
        tasks = GaugeMetricFamily(
            "cms_tasks", "Background tasks in the queue table by status", labels=["status"]
        )
        for status, count in by_status.items():
            tasks.add_metric([status.lower()], count)
        yield tasks
        yield GaugeMetricFamily("cms_task_queue_depth", "Tasks ready to run now", value=ready)
        webhook = GaugeMetricFamily(
            "cms_webhook_deliveries", "Webhook deliveries by status", labels=["status"]
        )
        for status, count in deliveries.items():
            webhook.add_metric([status], count)
        yield webhook

    @staticmethod
    def up(value: int) -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "cms_metrics_database_up",
            "1 if this scrape read the database-derived series in time, else 0",
            value=value,
        )


def allowed(request: HttpRequest) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in settings.METRICS_ALLOWED_IPS
    )


def token_given(request: HttpRequest) -> bool:
    """The bearer token matches METRICS_TOKEN, or none is needed."""
    expected = settings.METRICS_TOKEN
    if not expected:
        return not settings.METRICS_TOKEN_REQUIRED
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {expected}".encode())


def view(request: HttpRequest) -> HttpResponse:
    if not (allowed(request) and token_given(request)):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    if settings.METRICS_MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    output = generate_latest(registry) + generate_latest(DATABASE_REGISTRY)
    response = HttpResponse(output, content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


DATABASE_REGISTRY = CollectorRegistry(auto_describe=False)


def connect() -> None:
    """Registered once, from `OpsConfig.ready`."""
    if not getattr(connect, "done", False):
        DATABASE_REGISTRY.register(DatabaseCollector())
        connect.done = True
