"""Free ports and throwaway PostgreSQL databases, for the tests and `make bench`/`make soak`.

Shared by `tests/` and `benchmarks/`, which do not import each other; the app never uses it.
"""

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


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
