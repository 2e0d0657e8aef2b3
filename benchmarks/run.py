"""`make bench`: how the API scales, against item-by-item resolution and a plain Django JSON view.

For 5, 50, 500 and 5,000 procedures in a throwaway PostgreSQL database it measures, for each
contract query (`benchmarks/queries.py`) and each way of answering it:

- `stock`: item-by-item resolution, as stock grapple resolves (our view with query planning
  and the response cache off, at `/bench/stock/graphql/`);
- `planned`: ours, uncached (`/bench/uncached/graphql/`), so every request runs the query;
- `cached`: ours at `/graphql/`, answered from the response cache;
- `plain`: a hand-written Django JSON view over the ORM (`benchmarks/plain.py`), where the
  question has one; `hello`, a view that does nothing, is the floor of a Django request;

the SQL queries per request and the p50 / p95 latency in process (Django's test client), then
the requests/s under load through gunicorn (2 workers) driven by wrk. It writes
`benchmarks/results/report.md`, `results.json` and `chart.png`.

    python -m benchmarks.run [--sizes 5 50 500 5000] [--duration 5] [--repeat 30]
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
WORK = ROOT / "benchmarks" / "work"
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
WORKERS = 2
CONNECTIONS = 8
MODES = ("stock", "planned", "cached", "plain")
ENDPOINTS = {
    "stock": "/bench/stock/graphql/",
    "planned": "/bench/uncached/graphql/",
    "cached": "/graphql/",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 50, 500, 5000])
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per wrk run")
    parser.add_argument("--repeat", type=int, default=30, help="in-process requests per cell")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="write report.md and chart.png again from results.json, measuring nothing",
    )
    return parser.parse_args()


def fail(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr)
    sys.exit(2)


# --- the throwaway database and the environment every process shares ---------------------


@contextmanager
def throwaway_database():
    import psycopg

    name = f"cms_bench_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        fail(f"PostgreSQL is needed on 127.0.0.1:5432 ({error})")
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def bench_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        SECRET_KEY="bench-" + uuid.uuid4().hex * 2,
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=database_url,
        # Persistent connections, as production runs; connecting costs more than most queries.
        DATABASE_CONN_MAX_AGE="60",
        CACHE_KEY_PREFIX=f"bench-{uuid.uuid4().hex[:8]}",
        MEDIA_ROOT=str(WORK / "media"),
        STATIC_ROOT=str(WORK / "static"),
    )
    if redis_available():
        env["REDIS_URL"] = REDIS_URL
    else:
        env.pop("REDIS_URL", None)
    return env


# --- content ------------------------------------------------------------------------------


def grow_to(size: int) -> None:
    """Add live procedures, copies of the five seed ones, until there are `size`."""
    from django.db import transaction
    from django.utils import timezone

    from cms.graphql.response_cache import bump_generation
    from home.seeding import FACT_FIELDS
    from procedures.models import ProcedureIndexPage, ProcedurePage

    copied = ("summary", "body", "image", *FACT_FIELDS)

    index = ProcedureIndexPage.objects.get()
    seeds = list(ProcedurePage.objects.order_by("path")[:5].prefetch_related("muscles"))
    now = timezone.now()
    existing = ProcedurePage.objects.count()
    for start in range(existing, size, 250):
        with transaction.atomic():
            for number in range(start, min(size, start + 250)):
                seed = seeds[number % len(seeds)]
                page = ProcedurePage(
                    title=f"{seed.title} ({number})",
                    slug=f"{seed.slug}-{number}",
                    live=True,
                    first_published_at=now,
                    last_published_at=now,
                    **{field: getattr(seed, field) for field in copied},
                )
                page.muscles = list(seed.muscles.all())
                page.related_procedures = [seeds[(number + 1) % 5], seeds[(number + 2) % 5]]
                index.add_child(instance=page)
    # Pages made here skip the publish signal; say that content changed, as a publish would.
    bump_generation()
    # Fresh rows have no planner statistics until autovacuum (late, or off) gets to them; a
    # bench on bad plans measures the planner, not the API.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- measurements -------------------------------------------------------------------------


def graphql_path(mode: str, query: str) -> str:
    return ENDPOINTS[mode] + "?" + urllib.parse.urlencode({"query": query})


def measured_paths():
    """(query name, mode, URL path) for each contract query and each way of answering it."""
    from .queries import CONTRACT_QUERIES

    for name, (query, plain_name) in CONTRACT_QUERIES.items():
        for mode in MODES:
            if mode != "plain":
                yield name, mode, graphql_path(mode, query)
            elif plain_name:
                yield name, mode, f"/bench/plain/{plain_name}/"


def check_response(response, mode: str, where: str) -> None:
    if response.status_code != 200:
        fail(f"{where} answered {response.status_code}: {response.content[:300]!r}")
    payload = json.loads(response.content)
    if payload.get("errors"):
        fail(f"{where} answered errors: {payload['errors']}")
    if mode == "cached" and response.headers.get("X-Cache") != "HIT":
        fail(f"{where} was not a cache hit: {response.headers.get('X-Cache')}")


def in_process(size: int, repeat: int) -> list[dict]:
    """SQL queries and latency per query and mode, through Django's test client."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    rows = []
    for name, mode, path in measured_paths():
        client.get(path)  # warm: renditions, the response cache, connections
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        # Read now: the next request's start clears the log the capture slices.
        sql = len(captured.captured_queries)
        check_response(response, mode, f"{mode} {name}")
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        rows.append(
            {
                "size": size,
                "query": name,
                "mode": mode,
                "sql": sql,
                "p50_ms": statistics.median(timings),
                "p95_ms": timings[max(0, round(0.95 * len(timings)) - 1)],
                "bytes": len(response.content),
            }
        )
        print(
            f"  {size:>5} {name:<30} {mode:<8} {rows[-1]['sql']:>4} SQL  "
            f"p50 {rows[-1]['p50_ms']:8.2f} ms  p95 {rows[-1]['p95_ms']:8.2f} ms",
            flush=True,
        )
    return rows


@contextmanager
def gunicorn(env: dict):
    from tests.servers import free_port

    port = free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "cms.wsgi", "--bind", f"127.0.0.1:{port}"),
            *("--workers", str(WORKERS), "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/bench/plain/hello/", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    fail("gunicorn did not start")
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_BAD = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
WRK_ERRORS = re.compile(r"Socket errors:.*")


def wrk(url: str, duration: int) -> float:
    result = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration}s", "--timeout", "30s", url],
        capture_output=True,
        text=True,
        check=True,
    )
    bad = WRK_BAD.search(result.stdout)
    if bad:
        fail(f"{bad.group(1)} failed responses under load from {url}:\n{result.stdout}")
    return float(WRK_RPS.search(result.stdout).group(1))


def under_load(size: int, env: dict, duration: int) -> list[dict]:
    """Requests/s per query and mode through gunicorn; each URL is warmed first."""

    rows = []
    with gunicorn(env) as base:
        cells = [("hello (floor)", "plain-floor", "/bench/plain/hello/"), *measured_paths()]
        for name, mode, path in cells:
            for _ in range(2):  # both workers warm, and the cache filled
                urllib.request.urlopen(base + path, timeout=60).read()
            rps = wrk(base + path, duration)
            rows.append({"size": size, "query": name, "mode": mode, "rps": rps})
            print(f"  {size:>5} {name:<30} {mode:<12} {rps:9.1f} req/s", flush=True)
    return rows


# --- the report -----------------------------------------------------------------------------


def cell(rows: list[dict], key: str, fmt: str, **match) -> str:
    value = find(rows, key, **match)
    return "-" if value is None else format(value, fmt)


def find(rows: list[dict], key: str, **match) -> float | None:
    for row in rows:
        if all(row[name] == value for name, value in match.items()):
            return row[key]
    return None


def targets(sizes: list[int], timing: list[dict], load: list[dict]) -> list[str]:
    from .queries import CONTRACT_QUERIES

    lines = []
    small, large = min(sizes), max(sizes)
    constant = []
    for name in CONTRACT_QUERIES:
        ours = [find(timing, "sql", size=size, query=name, mode="planned") for size in sizes]
        stock = [find(timing, "sql", size=size, query=name, mode="stock") for size in sizes]
        verdict = "constant" if len(set(ours)) == 1 else "NOT constant"
        constant.append(
            f"{name}: {verdict}, {' / '.join(map(str, ours))} "
            f"(stock: {' / '.join(map(str, stock))})"
        )
    lines.append(
        f"- SQL per request at {' / '.join(map(str, sizes))} procedures: "
        + "; ".join(constant)
        + ". (`pages` + `search` take one query per page type found; which types the first"
        " 100 pages and the best search matches hold changes with the data.)"
    )
    name = "procedures (100 per page)"
    stock = find(timing, "p50_ms", size=large, query=name, mode="stock")
    ours = find(timing, "p50_ms", size=large, query=name, mode="planned")
    stock_rps = find(load, "rps", size=large, query=name, mode="stock")
    ours_rps = find(load, "rps", size=large, query=name, mode="planned")
    lines.append(
        f"- Uncached 100-item `procedures` at {large} procedures vs item-by-item (stock) "
        "resolution: "
        f"p50 {stock:.1f} ms → {ours:.1f} ms, **{stock / ours:.1f}x** faster; "
        f"{stock_rps:.1f} → {ours_rps:.1f} req/s, **{ours_rps / stock_rps:.1f}x** (target ≥ 5x)."
    )
    lines += [
        "",
        "Cached requests/s against the plain Django view answering the same question "
        "(target: at least 60%), and against the floor, a view that does nothing:",
        "",
        "| procedures | query | cached req/s | plain req/s | cached / plain | cached / floor |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for size in (small, large):
        floor = find(load, "rps", size=size, query="hello (floor)", mode="plain-floor")
        for query, (_, plain_name) in CONTRACT_QUERIES.items():
            cached = find(load, "rps", size=size, query=query, mode="cached")
            plain = find(load, "rps", size=size, query=query, mode="plain") if plain_name else None
            lines.append(
                f"| {size} | {query} | {cached:.0f} | "
                + (f"{plain:.0f} | {cached / plain:.0%}" if plain else "- | -")
                + f" | {cached / floor:.0%} |"
            )
    return lines


def machine() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    return (
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"PostgreSQL {postgres}, cache: "
        + ("Redis" if os.environ.get("REDIS_URL") else "local memory")
    )


def table(title: str, sizes: list[int], rows: list[dict], render) -> list[str]:
    """A markdown table: a row per query and mode measured, a column per size."""
    lines = [
        "",
        f"## {title}",
        "",
        "| query | mode | " + " | ".join(f"{size} procedures" for size in sizes) + " |",
        "|---|---|" + "---:|" * len(sizes),
    ]
    measured = list(dict.fromkeys((row["query"], row["mode"]) for row in rows))
    for name, mode in measured:
        values = [render({"size": size, "query": name, "mode": mode}) for size in sizes]
        lines.append(f"| {name} | {mode} | " + " | ".join(values) + " |")
    return lines


def write_report(args, timing: list[dict], load: list[dict], about: dict) -> None:

    RESULTS.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Benchmark: the procedure API",
        "",
        f"Measured by `make bench` on {about['date']} in {about['minutes']:.1f} minutes. "
        f"Machine: {about['machine']}.",
        "",
        "Modes: **stock** = item-by-item resolution, as stock grapple does (planning and "
        "response cache off); **planned** = ours without the response cache; **cached** = "
        "ours from the response cache; **plain** = a hand-written Django JSON view over the ORM "
        "(`benchmarks/plain.py`), for the questions it answers; **floor** = a Django view that "
        "does nothing. Every request is an anonymous GET.",
        "",
        "## Targets",
        "",
        *targets(args.sizes, timing, load),
        "",
        *table(
            "SQL queries per request",
            args.sizes,
            timing,
            lambda match: cell(timing, "sql", "d", **match),
        ),
        *table(
            f"Latency in process, ms (p50 / p95 of {about['repeat']} requests)",
            args.sizes,
            timing,
            lambda match: (
                cell(timing, "p50_ms", ".1f", **match)
                + " / "
                + cell(timing, "p95_ms", ".1f", **match)
            ),
        ),
        *table(
            f"Requests/s through gunicorn ({WORKERS} sync workers; wrk, 2 threads, "
            f"{CONNECTIONS} connections, {about['duration']} s per cell, on the same machine)",
            args.sizes,
            load,
            lambda match: cell(load, "rps", ".0f", **match),
        ),
    ]
    lines += ["", "![chart](chart.png)", ""]
    (RESULTS / "report.md").write_text("\n".join(lines))
    (RESULTS / "results.json").write_text(
        json.dumps({"about": about, "sizes": args.sizes, "latency": timing, "load": load}, indent=1)
    )
    chart(args.sizes, timing, load)


def chart(sizes: list[int], timing: list[dict], load: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    name = "procedures (100 per page)"
    figure, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    panels = [
        (axes[0], timing, "sql", "SQL queries per request"),
        (axes[1], timing, "p50_ms", "p50 latency in process (ms)"),
        (axes[2], load, "rps", f"requests/s, gunicorn {WORKERS} workers"),
    ]
    for axis, rows, key, title in panels:
        for mode in MODES:
            values = [find(rows, key, size=size, query=name, mode=mode) for size in sizes]
            if any(value is not None for value in values):
                axis.plot(sizes, values, marker="o", label=mode)
        if key == "rps":
            floor = [
                find(rows, key, size=s, query="hello (floor)", mode="plain-floor") for s in sizes
            ]
            axis.plot(sizes, floor, marker="o", linestyle="--", color="grey", label="floor")
        axis.set_xscale("log")
        # Cached requests run no SQL at all: a symmetric log scale can show the zero.
        axis.set_yscale("symlog" if key == "sql" else "log")
        axis.set_xlabel("procedures in the database")
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    figure.suptitle(f"`{name}` with images, srcSet, muscles and related procedures")
    figure.tight_layout()
    figure.savefig(RESULTS / "chart.png", dpi=110)


def main() -> None:
    args = parse_args()
    if args.report_only:
        saved = json.loads((RESULTS / "results.json").read_text())
        args.sizes = saved["sizes"]
        write_report(args, saved["latency"], saved["load"], saved["about"])
        return
    # Stopped from outside: unwind, so the throwaway database is dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if shutil.which("wrk") is None:
        fail("wrk is not installed (make bench installs Debian's wrk)")
    started = time.monotonic()
    sys.path.insert(0, str(ROOT))
    with throwaway_database() as database_url:
        env = bench_env(database_url)
        os.environ.update(env)
        if "REDIS_URL" not in env:
            os.environ.pop("REDIS_URL", None)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("load_seed_content", verbosity=0)
        timing, load = [], []
        for size in sorted(args.sizes):
            print(f"== {size} procedures", flush=True)
            grow_to(size)
            timing += in_process(size, args.repeat)
            load += under_load(size, env, args.duration)
        about = {
            "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "minutes": (time.monotonic() - started) / 60,
            "machine": machine(),
            "repeat": args.repeat,
            "duration": args.duration,
        }
        write_report(args, timing, load, about)
        from django.db import connections

        connections.close_all()
    print(f"wrote {RESULTS / 'report.md'} and chart.png")


if __name__ == "__main__":
    main()
