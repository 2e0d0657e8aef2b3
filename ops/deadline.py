"""Database reads with a deadline, for `/readyz` and `/metrics`, which must answer while
PostgreSQL hangs.

A hung PostgreSQL (stopped, or its host gone) never answers, and its server-side
statement_timeout cannot fire: a read would hang as the requests do. So the read runs in a
thread of its own, on its own connection, and the caller waits at most its deadline. At most
one thread per purpose waits on a hung database; until it is done, later calls fail at once.
"""

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connections

T = TypeVar("T")


class DeadlineError(Exception):
    """The read did not answer in time (or an earlier one is still waiting): the message
    says which."""


_waiting: dict[str, threading.Thread] = {}
_lock = threading.Lock()


def read_within(purpose: str, seconds: float, read: Callable[[], T]) -> T:
    """`read()`'s result, or its exception, if it finishes within `seconds`; else DeadlineError."""
    with _lock:
        earlier = _waiting.get(purpose)
        if earlier is not None and earlier.is_alive():
            raise DeadlineError("an earlier probe is still waiting")
    outcome: list = []

    def run() -> None:
        try:
            outcome.append((True, read()))
        except Exception as error:
            outcome.append((False, error))
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=run, name=purpose, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        with _lock:
            _waiting[purpose] = thread
        raise DeadlineError(f"no answer within {seconds:g} s")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value
