"""`make serve` starts the production process set from a clean checkout and serves the API
and the static files collectstatic built.

The test runs the Makefile's own `serve` target (migrate, collectstatic, the worker, gunicorn
with ops/gunicorn_config.py) with production settings on a spare port, so a step that breaks
on a fresh clone (a source map collectstatic cannot find) fails here, in CI, first.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from unittest.mock import ANY

import pytest
from servers import POSTGRES, ROOT, free_port, reachable, throwaway_postgres

HOST = "localhost"
METRICS_TOKEN = "make-serve-test-metrics-token"


def get(base: str, path: str, **headers: str) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(base + path, headers={"Host": HOST, **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@contextmanager
def make_serve(static_root: Path, database_url: str) -> Iterator[str]:
    """`make serve` on a free port in its own process group; yields the base URL."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the Makefile sets the production settings
    env.update(
        SECRET_KEY="make-serve-test-" + "x" * 50,
        ALLOWED_HOSTS=HOST,
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=database_url,
        STATIC_ROOT=str(static_root),
        MEDIA_ROOT=str(static_root.parent / "media"),
        TASKS_BACKEND="django_tasks_db.DatabaseBackend",
        METRICS_TOKEN=METRICS_TOKEN,
    )
    env.pop("REDIS_URL", None)
    venv = Path(sys.executable).parent.parent
    # `-o install`: the virtualenv and GraphiQL's files are this test run's own (CI's
    # `make test` built them); everything `serve` itself does runs as written.
    command = ["make", "-s", "-o", "install", "serve", f"VENV={venv}", f"PORT={port}"]
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the `finally` below)
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240  # migrate on an empty database comes first
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail("make serve did not start:\n" + log.read().decode()[-4000:])
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, Path]]:
    """The service as `make serve` starts it, on a fresh database and static root."""
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="make-serve-")))
        if reachable(POSTGRES):
            database_url = stack.enter_context(throwaway_postgres())
        else:
            database_url = f"sqlite:///{folder / 'db.sqlite3'}"
        static_root = folder / "static"
        yield stack.enter_context(make_serve(static_root, database_url)), static_root


def test_make_serve_answers_graphql(served):
    base, _ = served
    status, _, body = get(base, "/graphql/?query=%7B__typename%7D")
    assert status == 200, body
    assert json.loads(body) == {"data": {"__typename": "Query"}, "extensions": ANY}


def test_make_serve_serves_collected_static_files_and_their_source_maps(served):
    base, static_root = served
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    stylesheet = manifest["vendor/graphiql/graphiql.min.css"]
    status, headers, body = get(base, "/static/" + stylesheet)
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    # The comment collectstatic rewrote points at the hashed map, which is served too.
    source_map = manifest["vendor/graphiql/graphiql.min.css.map"]
    assert f"sourceMappingURL={Path(source_map).name}".encode() in body
    status, _, body = get(base, "/static/" + source_map)
    assert status == 200
    assert json.loads(body)["version"] == 3


def test_make_serve_sums_metrics_over_its_workers_for_the_token_holder_only(served):
    base, _ = served
    for _ in range(12):  # spread over the workers
        get(base, "/graphql/?query=%7B__typename%7D")
    assert get(base, "/metrics")[0] == 403
    status, _, body = get(base, "/metrics", Authorization=f"Bearer {METRICS_TOKEN}")
    assert status == 200
    total = sum(
        float(line.rsplit(" ", 1)[1])
        for line in body.decode().splitlines()
        if line.startswith("cms_http_requests_total{")
    )
    assert total >= 12
