"""`make soak`: two gunicorn servers and the worker under mixed reads, publishing every 10 s.

Reports errors (target 0), stale reads after a publish across processes (target 0), p50/p95
latency, and the worker's memory at start and end, in `benchmarks/soak/report.md`.

A stale read: a request to either server that started after a publish had committed and
still returned the text from before it. The publish runs in this process (a third one),
like an editor's in the admin; the two servers share PostgreSQL and Redis.

    python -m benchmarks.soak [--minutes 10] [--publish-every 10] [--readers 4]
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from cms.throwaway import free_port, throwaway_postgres

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "benchmarks" / "soak" / "report.md"
REDIS_URL = "redis://127.0.0.1:6379/5"
SLUG = "calf-liposuction"
WATCHED = f'{{ procedure(slug: "{SLUG}") {{ summary }} }}'
READS = {
    "procedure": WATCHED,
    "procedures": "{ procedures(perPage: 10) { items { slug title summary } } }",
    "article": (
        '{ article(slug: "calf-reduction-surgery-the-basics-explained") '
        "{ title benefits body { __typename id } } }"
    ),
    "pages": "{ pages(perPage: 20) { items { id title urlPath } } }",
    # 40 page sizes: each publish empties the cache, so these keep running SQL.
    "varied": "{ procedures(perPage: %d) { items { slug } } }",
}
REVISION = re.compile(r"soak revision (\d+)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--publish-every", type=float, default=10, help="seconds")
    parser.add_argument("--readers", type=int, default=4, help="concurrent reading threads")
    parser.add_argument("--out", type=Path, default=REPORT)
    return parser.parse_args()


def environment(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY="soak-" + "x" * 60,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        CACHE_KEY_PREFIX=f"soak-{uuid.uuid4().hex[:8]}",
        ACCESS_LOG="0",
        LOG_LEVEL="WARNING",
        # The readers are one address standing for many clients.
        GRAPHQL_RATE_LIMIT_POINTS="0",
    )
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
    )


@contextmanager
def process(env: dict, *command: str):
    child = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()


def wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{base} did not start")


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Soak:
    def __init__(self, servers: list[str]) -> None:
        self.servers = servers
        self.lock = threading.Lock()
        self.published: list[tuple[int, float]] = [(0, 0.0)]  # revision, committed at
        self.samples: list[tuple[str, float, str]] = []  # read, seconds, X-Cache
        self.errors: list[str] = []
        self.stale: list[str] = []
        self.reads = 0
        self.stop = threading.Event()

    def committed_before(self, moment: float) -> int:
        with self.lock:
            return max(revision for revision, at in self.published if at <= moment)

    def read(self, number: int) -> None:
        name = list(READS)[number % len(READS)]
        base = self.servers[number % len(self.servers)]
        started = time.monotonic()
        known = self.committed_before(started)
        document = READS[name] % (number % 40 + 1) if "%d" in READS[name] else READS[name]
        url = base + "/graphql/?query=" + urllib.parse.quote(document)
        request = urllib.request.Request(url, headers={"Host": "localhost"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                body = json.loads(response.read())
                cache = response.headers.get("X-Cache", "")
        except (urllib.error.URLError, OSError, ValueError) as error:
            with self.lock:
                self.errors.append(f"{name} on {base}: {error}")
            return
        elapsed = time.monotonic() - started
        if "errors" in body:
            with self.lock:
                self.errors.append(f"{name}: {body['errors']}")
        if name == "procedure":
            match = REVISION.search(body["data"]["procedure"]["summary"])
            seen = int(match.group(1)) if match else 0
            if seen < known:
                with self.lock:
                    self.stale.append(f"{base}: saw revision {seen} after {known} committed")
        with self.lock:
            self.samples.append((name, elapsed, cache))
            self.reads += 1

    def reader(self, offset: int) -> None:
        number = offset
        while not self.stop.is_set():
            self.read(number)
            number += 1


def publish(revision: int) -> None:
    from procedures.models import ProcedurePage

    page = ProcedurePage.objects.get(slug=SLUG)
    page.summary = f"Calf liposuction, soak revision {revision}."
    page.save_revision().publish()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000 if ordered else 0


def main() -> None:
    args = parse_args()
    started_at = datetime.now(UTC)
    with ExitStack() as stack:
        database_url = stack.enter_context(throwaway_postgres("soak"))
        env = environment(database_url)
        print("migrating and seeding a throwaway database...", flush=True)
        manage(env, "migrate", "--noinput")
        manage(env, "load_seed_content")
        worker = stack.enter_context(
            process(env, sys.executable, "manage.py", "worker", "--no-startup-delay")
        )
        servers = []
        for _ in range(2):
            port = free_port()
            stack.enter_context(
                process(
                    env,
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    "ops/gunicorn_config.py",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "cms.wsgi",
                )
            )
            servers.append(f"http://127.0.0.1:{port}")
        for base in servers:
            wait_until_up(base)
        time.sleep(2)
        worker_start = rss_mib(worker.pid)

        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()

        soak = Soak(servers)
        threads = [threading.Thread(target=soak.reader, args=(n,)) for n in range(args.readers)]
        for thread in threads:
            thread.start()
        print(f"soaking for {args.minutes} minutes...", flush=True)
        deadline = time.monotonic() + args.minutes * 60
        revision = 0
        publish_seconds = []
        while time.monotonic() < deadline:
            time.sleep(min(args.publish_every, max(0, deadline - time.monotonic())))
            if time.monotonic() >= deadline:
                break
            revision += 1
            began = time.monotonic()
            publish(revision)
            done = time.monotonic()
            publish_seconds.append(done - began)
            with soak.lock:
                soak.published.append((revision, done))
        soak.stop.set()
        for thread in threads:
            thread.join()
        worker_end = rss_mib(worker.pid)
        worker_alive = worker.poll() is None

    write_report(
        args, soak, started_at, revision, publish_seconds, worker_start, worker_end, worker_alive
    )


def write_report(
    args, soak, started_at, revisions, publish_seconds, worker_start, worker_end, worker_alive
) -> None:
    latencies = [seconds for _, seconds, _ in soak.samples]
    caches = [cache for _, _, cache in soak.samples]
    rows = []
    for name in READS:
        values = [seconds for read, seconds, _ in soak.samples if read == name]
        rows.append(
            f"| `{name}` | {len(values):,} | {percentile(values, 0.5):.1f} | "
            f"{percentile(values, 0.95):.1f} |"
        )
    minutes = args.minutes
    length = "the full 10 minutes" if minutes >= 10 else f"{minutes:g} minutes, short of 10"
    lines = [
        "# Soak run",
        "",
        f"`make soak` ({length}),"
        f" started {started_at:%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs "
        f"({platform.processor() or platform.machine()}), shared with other work.",
        "",
        "Two gunicorn servers (`ops/gunicorn_config.py`, 2 sync workers each) and one "
        "`manage.py worker`, on one throwaway PostgreSQL database and Redis; "
        f"{args.readers} reader threads alternate between the servers and {len(READS)} queries; "
        f"this process publishes `{SLUG}` every {args.publish_every:g} s.",
        "",
        "| figure | value | target |",
        "|---|---:|---:|",
        f"| duration | {minutes:g} min | 10 min |",
        f"| reads | {soak.reads:,} ({soak.reads / (minutes * 60):.0f}/s) | |",
        f"| publishes | {revisions} | |",
        f"| errors (non-200, GraphQL errors, timeouts) | {len(soak.errors)} | 0 |",
        f"| stale reads after a publish, across processes | {len(soak.stale)} | 0 |",
        f"| p50 latency, all reads | {percentile(latencies, 0.5):.1f} ms | |",
        f"| p95 latency, all reads | {percentile(latencies, 0.95):.1f} ms | |",
        f"| response cache hits | {caches.count('HIT') / max(1, len(caches)):.1%} | |",
        f"| publish (save_revision + publish), median | "
        f"{statistics.median(publish_seconds) * 1000 if publish_seconds else 0:.0f} ms | |",
        f"| worker memory (RSS) at start | {worker_start:.1f} MiB | |",
        f"| worker memory (RSS) at end | {worker_end:.1f} MiB | |",
        f"| worker still running at the end | {'yes' if worker_alive else 'NO'} | yes |",
        "",
        "| query | reads | p50 ms | p95 ms |",
        "|---|---:|---:|---:|",
        *rows,
        "",
    ]
    if soak.errors or soak.stale:
        lines += ["First problems:", "", *[f"- {p}" for p in (soak.errors + soak.stale)[:20]], ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
