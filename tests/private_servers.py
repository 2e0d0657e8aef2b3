"""Redis and PostgreSQL servers a test owns, to stop and start them mid-test; and workers."""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from servers import POSTGRES, ROOT, app_env, free_port, manage, reachable, require

PG_BIN = Path("/usr/lib/postgresql/15/bin")
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


class RedisServer:
    """redis-server on `port` (a spare loopback port by default); `stop(save=True)` keeps its
    data for `start()`."""

    def __init__(self, port: int | None = None) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            pytest.skip("redis-server is not installed")
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="ops-redis-")
        self.process = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(("127.0.0.1", self.port), "redis-server")

    def stop(self, save: bool = False) -> None:
        """Shut down; with `save`, write the data so the next `start()` loads it back."""
        import redis

        # It closes the connection as it exits.
        with contextlib.suppress(redis.exceptions.ConnectionError):
            redis.Redis(port=self.port).shutdown(save=save, nosave=not save)
        self.process.wait(timeout=10)

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class PostgresCluster:
    """A private PostgreSQL cluster (initdb as the postgres OS user) on a spare port."""

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists() or shutil.which("runuser") is None:
            pytest.skip(f"PostgreSQL server binaries are not in {PG_BIN}")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="ops-pg-")
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        result = self.as_postgres(
            str(PG_BIN / "initdb"),
            "-D",
            self.data,
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        if result.returncode != 0:
            pytest.skip(f"initdb failed: {result.stderr[-300:]}")

    def as_postgres(self, *command: str) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=60, cwd=self.dir
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"-c unix_socket_directories={self.dir}"
        )
        result = self.as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            self.data,
            "-o",
            options,
            "-l",
            os.path.join(self.dir, "log"),
            "-w",
            "start",
        )
        if result.returncode != 0:
            pytest.skip(f"pg_ctl start failed: {result.stderr[-300:]}")

    def stop(self) -> None:
        # A stopped (SIGSTOP) process would never exit, and pg_ctl would wait for it.
        with contextlib.suppress(OSError, ValueError):
            self.resume()
        self.as_postgres(str(PG_BIN / "pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop")

    def processes(self) -> list[int]:
        """The postmaster and its children (the backends and helpers)."""
        with open(os.path.join(self.data, "postmaster.pid")) as pidfile:
            postmaster = int(pidfile.readline())
        children = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError), open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == postmaster:
                        children.append(int(entry))
        return [postmaster, *children]

    @contextmanager
    def hung(self):
        """Every PostgreSQL process stopped (SIGSTOP): connections and queries get no answer,
        as from a server that hangs; resumed (SIGCONT) afterwards."""
        stopped = self.processes()
        try:
            for pid in stopped:
                # A backend may exit between the listing and the signal.
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
            yield
        finally:
            self.resume(stopped)

    def resume(self, pids: list[int] | None = None) -> None:
        for pid in pids if pids is not None else self.processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_for(address: tuple[str, int], name: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not reachable(address):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start on port {address[1]}")
        time.sleep(0.05)


@contextmanager
def redis_server(port: int | None = None):
    server = RedisServer(port)
    try:
        server.start()
        yield server
    finally:
        server.close()


@contextmanager
def postgres_cluster():
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.close()


def start_worker(env: dict, worker_id: str) -> subprocess.Popen:
    """One `manage.py worker` process; its log goes to a temporary file (`process.log`)."""
    descriptor, log = tempfile.mkstemp(prefix=f"{worker_id}-", suffix=".log")
    with open(descriptor, "wb") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "worker",
                "--no-reload",
                "--no-startup-delay",
                "--interval",
                "0.2",
                "--worker-id",
                worker_id,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    process.log = log
    return process


def stop_worker(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it has not exited within 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    with contextlib.suppress(OSError):
        os.unlink(process.log)


@contextmanager
def workers(env: dict, count: int = 1):
    """`manage.py worker` processes; yields them, stops them (SIGTERM) afterwards."""
    processes = [start_worker(env, f"test-worker-{n}") for n in range(count)]
    try:
        yield processes
    finally:
        for process in processes:
            stop_worker(process)


_template: dict[str, str] = {}


def seeded_template() -> str:
    """A database on the shared PostgreSQL, migrated and seeded once per test session.

    Migrating a fresh database takes most of a multi-process test's time; copies of this
    one (`seeded_copy`, `restore_into`) take about a second.
    """
    require(POSTGRES, "PostgreSQL")
    if "name" not in _template:
        import atexit

        import psycopg

        name = f"ops_template_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')

        def drop() -> None:
            with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        atexit.register(drop)
        env = app_env(f"postgres://postgres@127.0.0.1:5432/{name}", "")
        manage(env, "migrate", "--noinput")
        manage(env, "load_seed_content")
        # Seeding queued search and reference index tasks; the copies start with an empty queue.
        manage(
            env,
            "shell",
            "-c",
            "from django_tasks_db.models import DBTaskResult as T; T.objects.all().delete()",
        )
        _template["name"] = name
    return _template["name"]


@contextmanager
def seeded_copy():
    """A throwaway copy of the seeded template on the shared PostgreSQL; its URL."""
    import psycopg

    template = seeded_template()
    name = f"ops_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def restore_into(cluster: "PostgresCluster", env: dict) -> None:
    """Copy the seeded template into a private cluster's `postgres` database (or, without the
    shared PostgreSQL to hold the template, migrate and seed it there, more slowly)."""
    if not reachable(POSTGRES):
        manage(env, "migrate", "--noinput")
        manage(env, "load_seed_content")
        return
    dump = subprocess.run(
        [
            str(PG_BIN / "pg_dump"),
            "--no-owner",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            seeded_template(),
        ],
        capture_output=True,
        check=True,
        timeout=120,
    )
    subprocess.run(
        [
            str(PG_BIN / "psql"),
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            str(cluster.port),
            "-U",
            "postgres",
            "postgres",
        ],
        input=dump.stdout,
        capture_output=True,
        check=True,
        timeout=120,
    )
