"""gunicorn for `make serve`: sync workers, timeouts for a load balancer, metrics files.

gunicorn itself reads WEB_CONCURRENCY (workers) and PORT (bind 0.0.0.0:$PORT), and
GUNICORN_CMD_ARGS for anything else; this file sets only what they do not cover.
"""

import os
import shutil
import tempfile

workers = 2
timeout = 30
graceful_timeout = 30
# Longer than a typical load balancer's idle timeout would be wrong; shorter wastes handshakes.
keepalive = 5
# The app logs one JSON line per request with its request id (ops/requests.py).
accesslog = None
errorlog = "-"
# Recycle workers now and then, so a slow leak cannot grow without bound.
max_requests = 5000
max_requests_jitter = 500

# prometheus_client's multiprocess mode: each worker writes its metrics to files here and
# /metrics sums them. A fresh directory per gunicorn master, set before any worker starts.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="cms-prometheus-"))


def on_starting(server) -> None:
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
