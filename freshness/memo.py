"""Facts every request works out from content that rarely changes (which site a host names,
which pages and collections are private), kept in this process while the content generation
stands.

A GraphQL execution needs them before it reads anything else: the site by host, the rule's
restricted and unpublished paths, the private collections. Read per request they were three
SQL queries and most of a one-procedure answer's fixed cost. Every change to them bumps the
content generation (`freshness/changes.py`: pages, sites, collections and their privacy), so a
value computed under generation G serves every request that reads G, and none after. A value
may also say until when it holds (a page's `expire_at` changes the rule at that time with no
change to any row). With no generation known (Redis unreachable), each request computes its own.
"""

import threading
import time
from collections.abc import Callable, Hashable

from . import memory_cache, response_cache

# Above this many keys (hosts, mostly), the memo starts again rather than grow.
MAX_ENTRIES = 1000


class PerGeneration:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation: int | None = None
        self.values: dict[Hashable, tuple[object, float]] = {}

    def get(
        self, generation: int | None, key: Hashable, compute: Callable[[], tuple[object, float]]
    ):
        """The value for `key` under `generation`; `compute` returns it and until when (a
        `time.time()`) it holds, `float("inf")` for as long as the generation stands."""
        if generation is None:
            return compute()[0]
        with self.lock:
            if generation != self.generation or len(self.values) > MAX_ENTRIES:
                self.generation, self.values = generation, {}
            found = self.values.get(key)
        if found is not None and time.time() < found[1]:
            return found[0]
        value, until = compute()
        with self.lock:
            if generation == self.generation:
                self.values[key] = (value, until)
        return value

    def clear(self) -> None:
        with self.lock:
            self.generation, self.values = None, {}


per_generation = PerGeneration()


def known_generation() -> int | None:
    """The content generation, as cheaply as this process can know it: heard on the channel
    (free), else read where the response cache reads it (Redis, or one SQL query)."""
    layer = memory_cache.layer(response_cache.GENERATION_KEY)
    if layer is not None:
        trusted = layer.listener.trusted_generation()
        if trusted is not None:
            return trusted
    return response_cache.current_generation()
