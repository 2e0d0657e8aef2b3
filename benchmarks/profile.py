"""Where an uncached request's time goes: cProfile's own time, summed by the code it ran in.

For the report's "where the time goes" table: the planned (uncached) view and the plain view
answer the same question, and the difference between their rows is what GraphQL costs.
cProfile slows Python down, so these are shares, not latencies.
"""

import cProfile
import pstats
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)
# Installed packages, by the first match: (what the report calls it, the package's folder).
LIBRARIES = (
    ("waiting for PostgreSQL (psycopg)", "/site-packages/psycopg/"),
    ("Django ORM: building SQL, making objects", "/site-packages/django/db/"),
    ("graphql-core: executing fields", "/site-packages/graphql/"),
    ("graphene", "/site-packages/graphene"),
    ("Wagtail", "/site-packages/wagtail/"),
    ("Django: request, response, middleware", "/site-packages/django/"),
)
OURS = "ours (cms, procedures, home, reviews, ops, benchmarks)"
OTHER = "Python itself and other libraries"


def area(filename: str) -> str:
    for name, folder in LIBRARIES:
        if folder in filename:
            return name
    if filename.startswith(ROOT) and "/site-packages/" not in filename:
        return OURS
    return OTHER


def profile(client, path: str, requests: int) -> dict[str, float]:
    """Milliseconds (under the profiler) per request, by area."""
    for _ in range(3):
        client.get(path)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path)
    profiler.disable()
    shares: dict[str, float] = {}
    for (filename, _, _), (_, _, own, _, _) in pstats.Stats(profiler).stats.items():
        name = area(filename)
        shares[name] = shares.get(name, 0.0) + own * 1000 / requests
    return shares
