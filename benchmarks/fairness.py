"""The fairness cell of `make bench`: a cached read's latency while two clients stream the most
expensive allowed query, under gunicorn as `ops/gunicorn_config.py` runs it.

Three servers, each measured the same way (wrk: two connections stream the expensive query
uncached, one connection reads a cached query and reports its latency percentiles):

- `ops/gunicorn_config.py` as shipped;
- the same with workers recycled every 100-200 requests (`--max-requests 100
  --max-requests-jitter 100`, the shipped 20,000 + up to 20,000 scaled down) so recycles
  happen inside the run;
- the previous model, 2 sync workers, no preload, recycled at 100 + up to 10 (5,000 + up to
  500 scaled down), for comparison.

Alone, on a throwaway database: `python -m benchmarks.fairness [--size 500] [--seconds 10]`.
"""

import argparse
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from cms.throwaway import free_port

from .queries import PROCEDURE, PROCEDURES

ROOT = Path(__file__).resolve().parent.parent
# The offline-sync page: 100 procedures with every field, about 33,000 of the 50,000 cost
# points a query may spend; uncached, so every request runs it.
EXPENSIVE = "/bench/uncached/graphql/?" + urllib.parse.urlencode({"query": PROCEDURES})
CACHED = "/graphql/?" + urllib.parse.urlencode({"query": PROCEDURE})
CONFIG = ("-c", "ops/gunicorn_config.py")
SERVERS = {
    "ops/gunicorn_config.py": CONFIG,
    "ops/gunicorn_config.py, recycling every 100-200 requests": (
        *CONFIG,
        *("--max-requests", "100", "--max-requests-jitter", "100"),
    ),
    "previous: 2 sync workers, recycling every 100-110 requests": (
        *("--workers", "2", "--max-requests", "100", "--max-requests-jitter", "10"),
    ),
}
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
LATENCY = re.compile(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
MAX = re.compile(r"^\s+Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)", re.MULTILINE)
REQUESTS = re.compile(r"(\d+) requests in")


@contextmanager
def server(env: dict, args: tuple[str, ...]):
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", *args, "--bind", f"127.0.0.1:{port}"]
    process = subprocess.Popen(
        [*command, "--log-level", "warning", "cms.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + CACHED, timeout=5).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn {' '.join(args)} did not start") from None
                time.sleep(0.2)
        for _ in range(20):  # every worker warm, the cached answer stored
            urllib.request.urlopen(base + CACHED, timeout=30).read()
            urllib.request.urlopen(base + EXPENSIVE, timeout=30).read()
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)


def wrk(url: str, connections: int, seconds: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            *("wrk", f"-t{connections}", f"-c{connections}", f"-d{seconds}s"),
            *("--timeout", "30s", "--latency", url),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )


def measure(env: dict, seconds: int, only: str = "", expensive_query: str = "") -> list[dict]:
    """p50/p90/p99/max of the cached read per server, and how many expensive queries ran.

    `expensive_query`: the document to stream (the worst-query cell's find); else the
    offline-sync page."""
    path = EXPENSIVE
    if expensive_query:
        path = "/bench/uncached/graphql/?" + urllib.parse.urlencode({"query": expensive_query})
    rows = []
    for name, args in SERVERS.items():
        if only not in name:
            continue
        with server(env, args) as base:
            expensive = wrk(base + path, 2, seconds)
            time.sleep(1)  # the expensive stream running first
            cached = wrk(base + CACHED, 1, seconds - 2)
            cached_out, _ = cached.communicate()
            expensive_out, _ = expensive.communicate()
        if "Non-2xx" in cached_out or "Socket errors" in cached_out:
            raise RuntimeError(f"cached reads failed under {name}:\n{cached_out}")
        percentiles = {p: float(v) * UNITS[u] for p, v, u in LATENCY.findall(cached_out)}
        top, unit = MAX.search(cached_out).groups()
        row = {
            "server": name,
            "cached_p50_ms": percentiles["50"],
            "cached_p90_ms": percentiles["90"],
            "cached_p99_ms": percentiles["99"],
            "cached_max_ms": float(top) * UNITS[unit],
            "cached_requests": int(REQUESTS.search(cached_out).group(1)),
            "expensive_requests": int(REQUESTS.search(expensive_out).group(1)),
            "seconds": seconds,
            "expensive_query": expensive_query or "the offline-sync page",
        }
        print(
            f"  {name:<60} cached p50 {row['cached_p50_ms']:7.1f}  p99 "
            f"{row['cached_p99_ms']:7.1f}  max {row['cached_max_ms']:7.1f} ms; "
            f"{row['expensive_requests']} expensive queries",
            flush=True,
        )
        rows.append(row)
    return rows


def section(rows: list[dict], size: int) -> list[str]:
    """The report's lines for this cell."""
    if not rows:
        return []
    lines = [
        f"## Fairness: a cached read while two clients stream the most expensive query "
        f"({size} procedures)",
        "",
        "Two connections stream the most expensive allowed query (the worst-query cell's find, "
        f"`{rows[0].get('expensive_query', 'the offline-sync page')}`), uncached, back to "
        "back; a third reads one cached procedure. Target: cached p99 under 50 ms with the "
        "shipped config.",
        "",
        "| server | cached p50 ms | p99 ms | max ms | cached reads | expensive queries |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['server']} | {row['cached_p50_ms']:.1f} | {row['cached_p99_ms']:.1f} "
            f"| {row['cached_max_ms']:.1f} | {row['cached_requests']} "
            f"| {row['expensive_requests']} |"
        )
    return ["", *lines]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--only", default="", help="only the servers whose name has this")
    parser.add_argument(
        "--shape",
        default="",
        help="stream this worst-query shape (e.g. procedures.siblings.relatedProcedures) at "
        "--shape-size, instead of the offline-sync page",
    )
    parser.add_argument("--shape-size", type=int, default=10)
    args = parser.parse_args()
    expensive_query = ""
    if args.shape:
        from .worst import document_of

        expensive_query = document_of({"shape": args.shape, "size": args.shape_size})

    from .run import seeded_site

    with seeded_site(args.size) as env:
        from django.db import connections

        connections.close_all()  # the servers open their own
        measure(env, args.seconds, args.only, expensive_query)


if __name__ == "__main__":
    main()
