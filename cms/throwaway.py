"""Free ports, throwaway PostgreSQL databases and Varnish servers, for the tests and
`make bench`/`make soak`.

Shared by `tests/` and `benchmarks/`, which do not import each other; the app never uses it.
"""

import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
VCL = Path(__file__).resolve().parent.parent / "freshness" / "varnish" / "default.vcl"


class VarnishUnavailableError(RuntimeError):
    """varnishd or varnish-modules' xkey is not installed (`make varnishd` installs them)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def throwaway_postgres(prefix: str) -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL for other processes to share; its URL.
    Dropped afterwards, with any connection still open to it."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def varnishd() -> str:
    found = shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin")
    if found is None:
        raise VarnishUnavailableError(
            "varnishd is not installed: `make test` installs it "
            "(apt-get install varnish varnish-modules)"
        )
    return found


@contextmanager
def throwaway_varnish(backend: str, port: int | None = None) -> Iterator[str]:
    """A private varnishd with the shipped VCL in front of `backend` (a base URL), on `port`
    (a free one by default); its base URL. Its storage and work directory go with it."""
    program = varnishd()
    port = port or free_port()
    address = urllib.parse.urlsplit(backend)
    with tempfile.TemporaryDirectory(prefix="varnish-") as workdir:
        vcl = Path(workdir) / "default.vcl"
        vcl.write_text(
            VCL.read_text()
            .replace("BACKEND_HOST", address.hostname)
            .replace("BACKEND_PORT", str(address.port))
        )
        # `-j none`: run as the calling user, who owns the work directory (root included).
        common = ["-j", "none", "-f", str(vcl), "-n", workdir]
        compiled = subprocess.run([program, "-C", *common], capture_output=True, text=True)
        if compiled.returncode != 0:
            if "xkey" in compiled.stderr:
                raise VarnishUnavailableError(
                    "varnish-modules (the xkey vmod) is not installed: `make test` installs it"
                )
            raise RuntimeError(compiled.stderr)
        process = subprocess.Popen(
            [program, "-F", "-a", f"127.0.0.1:{port}", "-T", "none", "-s", "malloc,32m", *common],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    raise RuntimeError(process.stderr.read().decode())
                try:
                    urllib.request.urlopen(base + "/graphql/?query=%7B__typename%7D", timeout=2)
                    break
                except urllib.error.HTTPError:
                    break  # it answered
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)
