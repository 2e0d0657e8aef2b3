"""gunicorn for `make serve`: threaded workers that never all recycle at once, metrics files.

gunicorn itself reads PORT (bind 0.0.0.0:$PORT) and GUNICORN_CMD_ARGS (which override this
file); WEB_CONCURRENCY is read here, since a `workers` line would override gunicorn's default.

Why this shape (README, "Serving model"):
- gthread workers with threads: a sync worker answers one request at a time, so two clients
  streaming the most expensive allowed query kept both sync workers busy and every cached
  read queued behind them. Threads let a cheap read be answered beside a running expensive
  one (a cached read spends its time in I/O, where the GIL is free).
- preload_app: Django is imported once in the master and workers are forked from it, so a
  recycled worker is replaced in milliseconds instead of the seconds an import takes. Nothing
  opens a connection at import; the invalidation channel starts in each worker on first use.
  A code change needs a gunicorn restart (not HUP), which a deploy does anyway.
- max_requests with a jitter as large as itself: each worker's limit is drawn from
  [20,000, 40,000], so workers that started together recycle far apart. The old 5,000 +/- 500
  on two sync workers recycled both within a second or two of each other: 5-7 s of nothing.
- graceful_timeout: a recycling worker stops accepting and finishes what it holds (API
  requests are bounded by the query limits) while the others keep serving.
"""

import os
import shutil
import tempfile

workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
preload_app = True
# A gthread worker reports to the master between requests and while they run, so this bounds a
# stuck worker, not a slow request.
timeout = 30
graceful_timeout = 30
# Longer than a typical load balancer's idle timeout would be wrong; shorter wastes handshakes.
keepalive = 5
# The app logs one JSON line per request with its request id (ops/requests.py).
accesslog = None
errorlog = "-"
# Recycle workers now and then, so a slow leak cannot grow without bound; never together.
max_requests = 20000
max_requests_jitter = 20000

# prometheus_client's multiprocess mode: each worker writes its metrics to files here and
# /metrics sums them. A fresh directory per gunicorn master, set before any worker starts.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="cms-prometheus-"))


def on_starting(server) -> None:
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def when_ready(server) -> None:
    """In the master, after preloading Django: import the URLs, and with them the views and the
    GraphQL schema, so a (recycled) worker forks ready to answer. Django imports them on the
    first request otherwise, which in every new worker took seconds under load."""
    if server.cfg.preload_app:
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 (the import is the point)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
