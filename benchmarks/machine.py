"""What a benchmark ran on: the hardware, its load, other processes' CPU use, and versions."""

import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGES = (
    "Django",
    "wagtail",
    "graphene",
    "graphene-django",
    "graphql-core",
    "gunicorn",
    "psycopg",
    "redis",
)
# Servers this run asks to work: their CPU time is the run's, not other processes'.
SERVERS = ("postgres", "redis-server")
TICKS = os.sysconf("SC_CLK_TCK")


def hardware() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    models = [
        line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line
    ]
    meminfo = Path("/proc/meminfo").read_text().split()
    ram_kib = int(meminfo[meminfo.index("MemTotal:") + 1])
    return {
        "cpu": models[0] if models else platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "ram_gib": round(ram_kib / 2**20, 1),
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
    }


def versions(redis_url: str | None) -> dict:
    """Python, the packages that serve a request, and the servers and tools the run used."""
    from django.db import connection

    found = {"Python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        found["PostgreSQL"] = cursor.fetchone()[0]
    if redis_url:
        import redis

        found["Redis"] = redis.Redis.from_url(redis_url).info("server")["redis_version"]
    else:
        found["Redis"] = "not used (local memory cache)"
    # `wrk -v` prints its version and usage, and exits 1.
    first = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]
    found["wrk"] = first.split(" Copyright")[0].removeprefix("wrk ")
    return found


def cpu_ticks() -> dict:
    """Clock ticks so far: the machine's in all, busy, and spent by this run and its servers.

    This process's own and its waited-for children's (gunicorn and its workers, wrk) come from
    `os.times`; the servers' from /proc, with what their exited children (PostgreSQL's
    backends) left to them.
    """
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:9]
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, fields)
    total = user + nice + system + idle + iowait + irq + softirq + steal
    own = os.times()
    ours = (own.user + own.system + own.children_user + own.children_system) * TICKS
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # ended while we looked
            continue
        name, rest = text[text.index("(") + 1 :].split(")", 1)
        if name in SERVERS:
            # Fields 14 to 17 of stat(5): utime, stime, cutime, cstime; `rest` starts at 3.
            ours += sum(int(value) for value in rest.split()[11:15])
    return {"total": total, "busy": total - idle - iowait, "ours": ours}


def others_cpu_share(before: dict, after: dict) -> float:
    """The mean share of the machine's CPU that processes other than this run's used."""
    elapsed = after["total"] - before["total"]
    others = (after["busy"] - before["busy"]) - (after["ours"] - before["ours"])
    return max(0.0, others / elapsed) if elapsed else 0.0
