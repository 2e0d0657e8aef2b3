"""Real PostgreSQL, Redis and gunicorn for tests that need more than one process."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from cms import throwaway
from cms.throwaway import free_port

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)


def reachable(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


def require(address: tuple[str, int], name: str) -> None:
    if not reachable(address):
        pytest.skip(f"{name} is not running on {address[0]}:{address[1]}")


@contextmanager
def throwaway_postgres():
    """A fresh PostgreSQL database for other processes to share; dropped afterwards."""
    with throwaway.throwaway_postgres("cms_test") as url:
        yield url


def app_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    # Not the test run's own choices (CI's production lane runs tasks inline): these
    # processes run as `make serve` does, with the database task queue the worker drains.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PYTEST") and key not in ("TASKS_BACKEND", "STATIC_ROOT")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CACHE_KEY_PREFIX=f"test-{uuid.uuid4().hex[:8]}",
        MEDIA_ROOT=str(ROOT / "media"),
    )
    env.update(extra)
    return env


def manage(env: dict, *args: str, timeout: int = 300) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@contextmanager
def gunicorn(env: dict, workers: int = 1, *, as_served: bool = False, port: int | None = None):
    """A gunicorn app server on `port` (a free one by default); yields its base URL.
    `as_served`: with the configuration `make serve` uses (ops/gunicorn_config.py: gthread,
    preloaded, recycling)."""
    port = port or free_port()
    config = ["-c", "ops/gunicorn_config.py"] if as_served else []
    # Its log goes to a file, not a pipe: nobody reads a pipe while the server runs, and once
    # the app's log lines (one per request) had filled it, every worker blocked on its next
    # write and stopped answering.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                *config,
                "cms.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(log.read().decode())
                try:
                    urllib.request.urlopen(base + "/graphql/?query=%7B__typename%7D", timeout=2)
                    break
                except urllib.error.HTTPError:
                    break  # it answered
                except OSError:
                    time.sleep(0.2)
            else:
                raise RuntimeError("gunicorn did not start within 30 seconds")
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)
