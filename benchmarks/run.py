"""`make bench`: how the API scales, against item-by-item resolution and a plain Django JSON view.

For 5, 50, 500 and 5,000 procedures in a throwaway PostgreSQL database it measures, for each
contract query (`benchmarks/queries.py`) and each way of answering it:

- `stock`: item-by-item resolution, as stock grapple resolves (our view with query planning
  and the response cache off, at `/bench/stock/graphql/`);
- `planned`: ours, uncached (`/bench/uncached/graphql/`), so every request runs the query;
- `cached`: ours at `/graphql/`, answered from the response cache;
- `cached-post`: the same hits asked by a JSON POST, as Apollo Client asks by default;
- `plain`: a hand-written Django JSON view over the ORM (`benchmarks/plain.py`), where the
  question has one; `hello`, a view that does nothing, is the floor of a Django request;
- `yardstick`: the leanest fair view of the list and one procedure (`plain.Yardstick`:
  Wagtail's `live().public()` and prefetches, no per-request site or collection lookups);
- `varnish`: the list and one procedure through a private Varnish with the shipped VCL
  (`freshness/varnish/default.vcl`) in front of a gunicorn that allows shared caching
  (`GRAPHQL_SHARED_MAX_AGE`), under load only; left out when varnishd is not installed;

the SQL queries per request, the p50 / p95 latency and the CPU time per request in process
(Django's test client), then the requests/s and the app's CPU time per request under load
through gunicorn (2 workers) driven by wrk: CPU time is steadier than wall time on a noisy
machine. Both run in rounds that take every cell once, in a shuffled order, so each ratio is
the median of per-round ratios measured side by side. It also times the first request for
image widths no rendition exists of yet. It writes `benchmarks/results/results.json`, and
from it `report.md` and `chart.png` (`benchmarks/report.py`).

    python -m benchmarks.run [--sizes 5 50 500 5000] [--repeat 30] [--rounds 3] [--duration 3]
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from cms.throwaway import VarnishUnavailableError, free_port, throwaway_postgres, throwaway_varnish

from . import fairness, machine, worst
from .report import MODES, RESULTS, write_report

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work"
REDIS_URL = "redis://127.0.0.1:6379/0"
WORKERS = 2
CONNECTIONS = 8
# The shuffles' seed (plus the size): a rerun requests the cells in the same orders.
SEED = 20_000
FLOOR = ("hello (floor)", "plain-floor", "/bench/plain/hello/")
ENDPOINTS = {
    "stock": "/bench/stock/graphql/",
    "planned": "/bench/uncached/graphql/",
    "cached": "/graphql/",
    "cached-post": "/graphql/",
}
# The questions the yardstick view answers (`plain.Yardstick`), by their plain view's name.
YARDSTICK = ("procedures", "procedure")
HIT_MODES = ("cached", "cached-post", "varnish")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 50, 500, 5000])
    parser.add_argument(
        "--repeat", type=int, default=30, help="in-process rounds: requests per cell"
    )
    parser.add_argument("--rounds", type=int, default=3, help="wrk rounds: runs per cell")
    parser.add_argument("--duration", type=int, default=3, help="seconds per wrk run")
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

    with ExitStack() as stack:
        try:
            url = stack.enter_context(throwaway_postgres("cms_bench"))
        except psycopg.OperationalError as error:
            fail(f"PostgreSQL is needed on 127.0.0.1:5432 ({error})")
        yield url


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
        # As production behind a load balancer that logs requests itself; a log line per
        # request would be measured as well.
        ACCESS_LOG="0",
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

    from freshness.response_cache import bump_generation
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
    """(query name, mode, URL path) for each contract query and each way of answering it; a
    POST's path is the endpoint, its body `post_body(name)`."""
    from .queries import CONTRACT_QUERIES

    for name, (query, plain_name) in CONTRACT_QUERIES.items():
        for mode in MODES:
            if mode == "cached-post":
                yield name, mode, ENDPOINTS[mode]
            elif mode not in ("plain", "yardstick"):
                yield name, mode, graphql_path(mode, query)
            elif mode == "plain" and plain_name:
                yield name, mode, f"/bench/plain/{plain_name}/"
            elif mode == "yardstick" and plain_name in YARDSTICK:
                yield name, mode, f"/bench/yardstick/{plain_name}/"


def post_body(name: str) -> str:
    from .queries import CONTRACT_QUERIES

    return json.dumps({"query": CONTRACT_QUERIES[name][0]})


def client_request(client, name: str, mode: str, path: str):
    if mode == "cached-post":
        return client.post(path, post_body(name), content_type="application/json")
    return client.get(path)


def url_request(url: str, name: str, mode: str) -> urllib.request.Request:
    if mode == "cached-post":
        return urllib.request.Request(
            url, data=post_body(name).encode(), headers={"Content-Type": "application/json"}
        )
    return urllib.request.Request(url)


# Through Varnish, only the list and one procedure, as apps read most.
VARNISH_QUERIES = ("procedures (100 per page)", "procedure (one, by slug)")


def varnish_paths():
    from .queries import CONTRACT_QUERIES

    for name in VARNISH_QUERIES:
        yield name, "varnish", graphql_path("cached", CONTRACT_QUERIES[name][0])


def check_answer(status: int, body: bytes, x_cache: str | None, mode: str, where: str) -> None:
    if status != 200:
        fail(f"{where} answered {status}: {body[:300]!r}")
    payload = json.loads(body)
    if payload.get("errors"):
        fail(f"{where} answered errors: {payload['errors']}")
    if mode in HIT_MODES and x_cache != "HIT":
        fail(f"{where} was not a cache hit: {x_cache}")


def check_response(response, mode: str, where: str) -> None:
    check_answer(
        response.status_code, response.content, response.headers.get("X-Cache"), mode, where
    )


def shuffled(cells: list, rounds: int, seed: int):
    """(round, cells in this round's order): each round shuffled anew, the same for a seed."""
    order = random.Random(seed)
    for number in range(rounds):
        cells = list(cells)
        order.shuffle(cells)
        yield number, cells


@contextmanager
def seeded_site(size: int):
    """A throwaway database, migrated, seeded and grown to `size` procedures, with Django set
    up on it; yields the environment its servers run with (the standalone cells' set-up)."""
    with throwaway_database() as database_url:
        env = bench_env(database_url)
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        call_command("load_seed_content", verbosity=0)
        grow_to(size)
        try:
            yield env
        finally:
            connections.close_all()


def in_process(size: int, rounds: int) -> list[dict]:
    """SQL queries and latency per query and mode, through Django's test client.

    Each round requests every cell once in a shuffled order, so a noisy moment of the
    machine lands on all sides of a comparison alike, and a ratio can be taken per round.
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    cells = list(measured_paths())
    rows = {}
    for name, mode, path in cells:
        client_request(client, name, mode, path)  # warm: the response cache, connections
        with CaptureQueriesContext(connection) as captured:
            response = client_request(client, name, mode, path)
        check_response(response, mode, f"{mode} {name}")
        rows[name, mode] = {
            "size": size,
            "query": name,
            "mode": mode,
            # Read now: the next request's start clears the log the capture slices.
            "sql": len(captured.captured_queries),
            "bytes": len(response.content),
            "ms": [None] * rounds,
            "cpu_ms": [None] * rounds,
        }
    for number, order in shuffled(cells, rounds, seed=SEED + size):
        for name, mode, path in order:
            started, cpu = time.perf_counter(), time.process_time()
            response = client_request(client, name, mode, path)
            elapsed = (time.perf_counter() - started) * 1000
            rows[name, mode]["cpu_ms"][number] = (time.process_time() - cpu) * 1000
            check_response(response, mode, f"{mode} {name}")
            rows[name, mode]["ms"][number] = elapsed
    for row in rows.values():
        timings = sorted(row["ms"])
        row["p50_ms"] = statistics.median(timings)
        row["p95_ms"] = timings[max(0, round(0.95 * len(timings)) - 1)]
        row["p50_cpu_ms"] = statistics.median(row["cpu_ms"])
        print(
            f"  {size:>5} {row['query']:<30} {row['mode']:<11} {row['sql']:>4} SQL  "
            f"p50 {row['p50_ms']:8.2f} ms  p95 {row['p95_ms']:8.2f} ms  "
            f"CPU {row['p50_cpu_ms']:8.2f} ms",
            flush=True,
        )
    return list(rows.values())


NEW_WIDTHS = '{ procedure(slug: "calf-liposuction") { image { srcSet(widths: [480, 768]) } } }'


def first_request_for_new_widths(size: int) -> dict:
    """An image with no rendition at the asked widths: the API's first answer (which promises
    them, `images/renditions.py`), then the first fetch of one (which makes it)."""
    from django.test import Client

    from procedures.models import ProcedurePage

    client = Client()
    image = ProcedurePage.objects.get(slug="calf-liposuction").image
    image.renditions.exclude(filter_spec__in=("width-320", "width-640")).delete()
    path = graphql_path("planned", NEW_WIDTHS)
    started = time.perf_counter()
    response = client.get(path)
    answered = (time.perf_counter() - started) * 1000
    check_response(response, "planned", "the first request for new widths")
    made_before = image.renditions.count()
    url = json.loads(response.content)["data"]["procedure"]["image"]["srcSet"].split(" ")[0]
    started = time.perf_counter()
    fetched = client.get(urllib.parse.urlsplit(url).path)
    made = (time.perf_counter() - started) * 1000
    if fetched.status_code != 302 or image.renditions.count() != made_before + 1:
        fail(f"the first fetch of a promised rendition answered {fetched.status_code}")
    row = {"size": size, "answer_ms": answered, "first_fetch_ms": made}
    print(
        f"  {size:>5} first request for new widths: answered in {answered:.1f} ms, no "
        f"rendition made; its first image fetch made one in {made:.1f} ms",
        flush=True,
    )
    return row


def where_the_time_goes(size: int, requests: int = 20) -> list[dict]:
    """cProfile of the uncached view and the plain one, for the questions both answer."""
    from django.test import Client

    from .profile import profile
    from .queries import CONTRACT_QUERIES

    client = Client()
    rows = []
    for name, (query, plain_name) in CONTRACT_QUERIES.items():
        if plain_name is None:
            continue
        for mode, path in (
            ("planned", graphql_path("planned", query)),
            ("plain", f"/bench/plain/{plain_name}/"),
        ):
            shares = profile(client, path, requests)
            rows.append({"size": size, "query": name, "mode": mode, "ms": shares})
    return rows


@contextmanager
def gunicorn(env: dict):
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
                urllib.request.urlopen(base + FLOOR[2], timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    fail("gunicorn did not start")
                time.sleep(0.2)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=20)


def worker_ticks(master: int) -> int:
    """CPU time (clock ticks) gunicorn's workers have used so far."""
    ticks = 0
    for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # a worker restarting
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks


TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def wait_until_idle(master: int) -> None:
    """Until gunicorn's workers have used no CPU for a while: requests still queued when a
    wrk run stops are served all the same, and must not eat into the next cell's run."""
    last, quiet, deadline = None, 0, time.monotonic() + 120
    while quiet < 4 and time.monotonic() < deadline:
        ticks = worker_ticks(master)
        quiet = quiet + 1 if ticks == last else 0
        last = ticks
        time.sleep(0.05)
    if quiet < 4:
        fail("gunicorn's workers were still busy 120 s after the last run")


def fetch_checked(url: str, mode: str, where: str, name: str = "") -> None:
    header = "X-Cache-Varnish" if mode == "varnish" else "X-Cache"
    try:
        with urllib.request.urlopen(url_request(url, name, mode), timeout=60) as response:
            status, body, x_cache = response.status, response.read(), response.headers[header]
    except urllib.error.HTTPError as error:
        status, body, x_cache = error.code, error.read(), None
    check_answer(status, body, x_cache, mode, where)


WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_REQUESTS = re.compile(r"(\d+) requests in")
WRK_BAD = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
WRK_SOCKET_ERRORS = re.compile(r"Socket errors:")  # wrk prints it only when there were some


def wrk(url: str, duration: int, body: str | None = None) -> tuple[float, int]:
    """Requests/s and the number of requests of one run; a `body` is POSTed as JSON."""
    script = []
    if body is not None:
        lua = WORK / "post.lua"
        lua.parent.mkdir(parents=True, exist_ok=True)
        lua.write_text(
            'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = {json.dumps(body)}\n"
        )
        script = ["-s", str(lua)]
    result = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration}s", "--timeout", "30s", *script, url],
        capture_output=True,
        text=True,
        check=True,
    )
    bad = WRK_BAD.search(result.stdout)
    if bad:
        fail(f"{bad.group(1)} failed responses under load from {url}:\n{result.stdout}")
    # Timeouts and read or connect errors: a run that lost requests measures nothing.
    if WRK_SOCKET_ERRORS.search(result.stdout):
        fail(f"socket errors under load from {url}:\n{result.stdout}")
    rps = float(WRK_RPS.search(result.stdout).group(1))
    if not rps:
        fail(f"no response in {duration} s under load from {url}:\n{result.stdout}")
    return rps, int(WRK_REQUESTS.search(result.stdout).group(1))


def varnish_in_front(stack: ExitStack, env: dict) -> tuple[str | None, int | None]:
    """A private Varnish in front of a gunicorn of its own that lets shared caches keep
    answers (the other cells' gunicorn does not: its SQL and latency stay as served); its URL
    and that gunicorn's master process."""
    try:
        backend, master = stack.enter_context(gunicorn({**env, "GRAPHQL_SHARED_MAX_AGE": "300"}))
        return stack.enter_context(throwaway_varnish(backend)), master
    except VarnishUnavailableError as missing:
        print(f"  (no Varnish cell: {missing})", flush=True)
        return None, None


def under_load(size: int, env: dict, duration: int, rounds: int) -> list[dict]:
    """Requests/s per query and mode through gunicorn, in rounds of every cell in a shuffled
    order; each URL is warmed and checked first, and the cached ones checked again after."""
    with gunicorn(env) as (base, master), ExitStack() as stack:
        varnish, varnish_backend = varnish_in_front(stack, env)
        bases = {"varnish": varnish}
        # Whose CPU a cell's requests cost: the app behind it (for Varnish, its backend's).
        masters = {"varnish": varnish_backend}
        cells = [FLOOR, *measured_paths(), *(varnish_paths() if bases["varnish"] else ())]
        rows = {
            (name, mode): {
                "size": size,
                "query": name,
                "mode": mode,
                "rps_rounds": [None] * rounds,
                "cpu_ms_rounds": [None] * rounds,
            }
            for name, mode, _ in cells
        }
        base_of = lambda mode: bases.get(mode) or base  # noqa: E731
        for name, mode, path in cells:
            for _ in range(WORKERS):  # both workers warm, and the cache filled
                request = url_request(base_of(mode) + path, name, mode)
                urllib.request.urlopen(request, timeout=60).read()
            fetch_checked(base_of(mode) + path, mode, f"{mode} {name} (gunicorn)", name)
        for number, order in shuffled(cells, rounds, seed=SEED + size):
            for name, mode, path in order:
                # Stock takes up to a second a request at 5,000 procedures: measured in the
                # first round only, for twice as long, so one run stays near 15 minutes.
                if mode == "stock" and number > 0:
                    continue
                seconds = duration * 2 if mode == "stock" else duration
                app = masters.get(mode) or master
                wait_until_idle(master)
                if app != master:
                    wait_until_idle(app)
                ticks = worker_ticks(app)
                body = post_body(name) if mode == "cached-post" else None
                rps, requests = wrk(base_of(mode) + path, seconds, body)
                # Requests still queued when wrk stops are served all the same: counted too.
                wait_until_idle(app)
                row = rows[name, mode]
                row["rps_rounds"][number] = rps
                row["cpu_ms_rounds"][number] = (worker_ticks(app) - ticks) * TICK_MS / requests
        for name, mode, path in cells:
            if mode in HIT_MODES:
                where = f"{mode} {name} (gunicorn, after the load)"
                fetch_checked(base_of(mode) + path, mode, where, name)
    for row in rows.values():
        row["rps"] = statistics.median(rps for rps in row["rps_rounds"] if rps is not None)
        row["cpu_ms"] = statistics.median(c for c in row["cpu_ms_rounds"] if c is not None)
        print(
            f"  {size:>5} {row['query']:<30} {row['mode']:<12} {row['rps']:9.1f} req/s  "
            f"app CPU {row['cpu_ms']:6.2f} ms/request"
        )
    return list(rows.values())


def main() -> None:
    args = parse_args()
    if args.report_only:
        saved = json.loads((RESULTS / "results.json").read_text())
        if "machine" not in saved["about"]:
            fail("results.json predates per-round results; run the benchmark again")
        write_report(saved)
        return
    # Stopped from outside: unwind, so the throwaway database is dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if shutil.which("wrk") is None:
        fail("wrk is not installed (make bench installs Debian's wrk)")
    started = time.monotonic()
    load_before, cpu_before = os.getloadavg(), machine.cpu_ticks()
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
        timing, load, new_widths = [], [], []
        for size in sorted(args.sizes):
            print(f"== {size} procedures", flush=True)
            grow_to(size)
            timing += in_process(size, args.repeat)
            new_widths.append(first_request_for_new_widths(size))
            load += under_load(size, env, args.duration, args.rounds)
        profiles = where_the_time_goes(max(args.sizes))
        # At the largest size: the most expensive query is then at its most expensive.
        print(f"== worst allowed queries ({max(args.sizes)} procedures)", flush=True)
        worst_found = worst.measure()
        print(f"== fairness ({max(args.sizes)} procedures)", flush=True)
        fair = fairness.measure(
            env, seconds=max(10, 4 * args.duration), expensive_query=worst_found["worst_document"]
        )
        versions = machine.versions(env.get("REDIS_URL"))
        cpu_after = machine.cpu_ticks()
        about = {
            "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "minutes": (time.monotonic() - started) / 60,
            "repeat": args.repeat,
            "rounds": args.rounds,
            "duration": args.duration,
            "seed": SEED,
            "workers": WORKERS,
            "connections": CONNECTIONS,
            "cache": "Redis" if env.get("REDIS_URL") else "local memory",
            "access_log": env["ACCESS_LOG"] == "1",
        }
        about["machine"] = {
            **machine.hardware(),
            "load_before": load_before,
            "load_after": os.getloadavg(),
            "others_cpu": machine.others_cpu_share(cpu_before, cpu_after),
            "versions": versions,
        }
        from django.db import connections

        connections.close_all()
    results = {
        "about": about,
        "sizes": sorted(args.sizes),
        "latency": timing,
        "load": load,
        "profiles": profiles,
        "fairness": fair,
        "worst": worst_found,
        "new_widths": new_widths,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "results.json").write_text(json.dumps(results, indent=1))
    write_report(results)
    print(f"wrote {RESULTS / 'report.md'}, chart.png and results.json")


if __name__ == "__main__":
    main()
