"""`/healthz` (the process answers) and `/readyz` (it can serve), for load balancers.

Answered by the first middleware, before host validation, the HTTPS redirect and anything
else: a load balancer probes with its own Host header (often the instance's IP) over plain
HTTP, and a probe must never be cached, redirected or throttled.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from . import metrics
from .deadline import DeadlineError, read_within

_migrations_applied = False


def check_database() -> tuple[bool, str]:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, "ok"
    except Exception as error:
        connections[DEFAULT_DB_ALIAS].close()
        return False, type(error).__name__


def check_migrations() -> tuple[bool, str]:
    """No unapplied migration; once true it stays true for this process's code."""
    global _migrations_applied
    if _migrations_applied:
        return True, "ok"
    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:
        return False, type(error).__name__
    if plan:
        return False, f"{len(plan)} unapplied"
    _migrations_applied = True
    return True, "ok"


def check_cache() -> tuple[bool, str]:
    from .resilient_cache import cache_is_up, refusals

    key = "ops:readyz"
    cache.set(key, 1, timeout=30)
    if refusals.reason is not None and cache_is_up():
        return False, f"refusing writes ({refusals.reason})"
    if cache.get(key) != 1 or not cache_is_up():
        return False, "unreachable"
    return True, "ok"


def check_worker() -> tuple[bool, str]:
    from .models import WorkerHeartbeat

    try:
        newest = WorkerHeartbeat.objects.order_by("-seen_at").first()
    except Exception as error:
        return False, type(error).__name__
    if newest is None:
        return False, "no heartbeat"
    age = (timezone.now() - newest.seen_at).total_seconds()
    if age > settings.WORKER_HEARTBEAT_MAX_AGE:
        return False, f"last heartbeat {int(age)}s ago"
    return True, f"{int(age)}s ago"


def check_database_in_time() -> tuple[bool, str]:
    """`check_database` within READYZ_TIMEOUT_SECONDS, or a failure (`ops/deadline.py`: a
    hung PostgreSQL never answers, and its own statement_timeout cannot fire); the other
    database checks run only once it has answered."""
    try:
        return read_within("readyz", settings.READYZ_TIMEOUT_SECONDS, check_database)
    except DeadlineError as late:
        return False, str(late)


# A failure of these takes the server out of rotation. Without the cache the API still
# answers (from the database), and without the worker it still serves; pulling every app
# server because Redis or the worker is down would turn a degradation into an outage, so
# those two are reported (and make `?strict=1` fail, for monitoring) but keep it ready.
REQUIRED = {"database": check_database_in_time, "migrations": check_migrations}
# freshness/apps.py adds "cache_channel": whether this process hears content changes.
DEGRADABLE = {"cache": check_cache, "worker": check_worker}
ASK_THE_DATABASE = {"migrations", "worker"}


def no_store(payload: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(payload, status=status)
    response["Cache-Control"] = "no-store"
    return response


def healthz(request: HttpRequest) -> JsonResponse:
    return no_store({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    started = time.perf_counter()
    checks, ready, degraded = {}, True, False
    for name, check in {**REQUIRED, **DEGRADABLE}.items():
        if name in ASK_THE_DATABASE and not checks["database"]["ok"]:
            outcome = (False, "database unavailable")
        else:
            outcome = check()
        if outcome is None:
            continue  # not part of this configuration
        ok, detail = outcome
        checks[name] = {"ok": ok, "detail": detail}
        if not ok:
            if name in REQUIRED:
                ready = False
            else:
                degraded = True
    strict = request.GET.get("strict") == "1"
    status = "unavailable" if not ready else ("degraded" if degraded else "ok")
    failed = not ready or (strict and degraded)
    payload = {
        "status": status,
        "checks": checks,
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }
    if failed:
        payload["code"] = "SERVICE_UNAVAILABLE"  # as the API's 503 errors say it
    return no_store(payload, 503 if failed else 200)


ROUTES = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics.view}


class ProbeMiddleware:
    """First in MIDDLEWARE: answers the probes and `/metrics` before anything else runs."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        view = ROUTES.get(request.path_info.rstrip("/") or "/")
        if view is not None and request.method in ("GET", "HEAD"):
            return view(request)
        return self.get_response(request)
