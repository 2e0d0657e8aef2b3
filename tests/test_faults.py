"""Redis and PostgreSQL outages degrade the API and it recovers, under gunicorn, no restart.

The test owns a redis-server and a PostgreSQL cluster on spare ports and stops them while
a gunicorn app server (production settings) and a worker keep running.
"""

import json
import time
import urllib.error
import urllib.request

import pytest
from private_servers import postgres_cluster, redis_server, restore_into, seeded_template, workers
from servers import POSTGRES, app_env, gunicorn, manage, reachable

CACHED = '{ procedure(slug: "calf-liposuction") { summary } }'
UNCACHED = '{ procedure(slug: "soleus-x") { title } procedures { items { slug } } }'

PUBLISH = """
from procedures.models import ProcedurePage
page = ProcedurePage.objects.get(slug="calf-liposuction")
page.summary = "Published while Redis was down."
page.save_revision().publish()
"""


METRICS_TOKEN = "fault-test-metrics-token"


def get(base: str, path: str, timeout: float = 10, **headers: str) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(base + path, headers={"Host": "localhost", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def query(base: str, document: str, timeout: float = 10) -> tuple[int, dict, dict]:
    status, headers, body = get(base, "/graphql/?query=" + urllib.parse.quote(document), timeout)
    return status, headers, json.loads(body)


def summary(base: str) -> tuple[str, str]:
    status, headers, body = query(base, CACHED)
    assert status == 200, body
    return body["data"]["procedure"]["summary"], headers["X-Cache"]


@pytest.fixture(scope="module")
def stack():
    """A private Redis and PostgreSQL, migrated and seeded, a gunicorn and a worker."""
    if reachable(POSTGRES):
        seeded_template()  # before the private servers start, so they run only while needed
    with redis_server() as redis, postgres_cluster() as postgres:
        env = app_env(
            postgres.url,
            redis.url,
            CACHE_RETRY_SECONDS="0.5",
            REDIS_TIMEOUT_SECONDS="0.3",
            WORKER_SCHEDULE_SECONDS="0.5",
            METRICS_TOKEN=METRICS_TOKEN,
        )
        restore_into(postgres, env)
        # Served as `make serve` serves: two gthread workers of four threads, preloaded.
        with gunicorn(env, workers=2, as_served=True) as base, workers(env, 1):
            yield {"base": base, "env": env, "redis": redis, "postgres": postgres}


def test_without_redis_the_api_answers_from_the_database_and_never_serves_stale_after(stack):
    base, redis = stack["base"], stack["redis"]
    original = "Calf liposuction is a surgical procedure."
    assert summary(base) == (original, "MISS")
    assert summary(base) == (original, "HIT")

    # Redis goes away with the entry and the generation it was stored under.
    redis.stop(save=True)
    answers = [summary(base) for _ in range(3)]
    assert [text for text, _ in answers] == [original] * 3
    assert answers[-1][1] == "OFF"

    # A publish while Redis is down cannot bump the generation in Redis.
    manage(stack["env"], "shell", "-c", PUBLISH)
    assert summary(base) == ("Published while Redis was down.", "OFF")

    # Redis comes back with the old entry, still under the old generation.
    redis.start()
    time.sleep(0.6)  # past CACHE_RETRY_SECONDS
    assert summary(base)[0] == "Published while Redis was down."
    # The cache is used again.
    assert summary(base) == ("Published while Redis was down.", "HIT")


def test_without_postgresql_cached_reads_are_served_and_the_rest_is_503_until_it_returns(stack):
    base, postgres = stack["base"], stack["postgres"]
    warm, _ = summary(base)
    assert summary(base) == (warm, "HIT")

    postgres.stop()
    try:
        assert summary(base) == (warm, "HIT")
        status, headers, body = query(base, UNCACHED)
        assert status == 503
        assert headers["Retry-After"] == "5"
        assert headers["Cache-Control"] == "no-store"
        assert body["errors"][0]["message"].startswith("Service temporarily unavailable")
        assert body["errors"][0]["extensions"] == {"code": "SERVICE_UNAVAILABLE"}
        assert get(base, "/healthz")[0] == 200
        status, _, ready = get(base, "/readyz")
        assert status == 503
        assert json.loads(ready)["checks"]["database"]["ok"] is False
        assert json.loads(ready)["code"] == "SERVICE_UNAVAILABLE"
        assert get(base, "/procedures/")[0] == 503  # a Wagtail view, not the API
    finally:
        postgres.start()
    restarted = time.time()

    status, _, body = query(base, UNCACHED)
    assert status == 200, body
    assert get(base, "/readyz")[0] == 200
    # The worker lived through it: it beats again after the restart.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        status, _, ready = get(base, "/readyz")
        if json.loads(ready)["checks"]["worker"]["ok"] and json.loads(ready)["checks"]["worker"][
            "detail"
        ] in ("0s ago", "1s ago"):
            break
        time.sleep(0.3)
    else:
        pytest.fail(f"no worker heartbeat since the restart at {restarted}: {ready!r}")


def test_a_hung_postgresql_makes_readyz_answer_503_and_metrics_answer_within_two_seconds(stack):
    base, postgres = stack["base"], stack["postgres"]
    scraper = f"Bearer {METRICS_TOKEN}"
    assert get(base, "/readyz")[0] == 200
    warm, _ = summary(base)
    with postgres.hung():
        # urllib's timeout: no answer within 2 s raises instead of returning.
        request = urllib.request.Request(base + "/readyz", headers={"Host": "localhost"})
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(request, timeout=2)
        assert answer.value.code == 503
        body = json.loads(answer.value.read())
        assert body["checks"]["database"] == {"ok": False, "detail": "no answer within 1 s"}
        assert body["code"] == "SERVICE_UNAVAILABLE"
        # /metrics reads the database within the same deadline, and says it could not.
        status, _, metrics = get(base, "/metrics", timeout=2, Authorization=scraper)
        assert status == 200
        assert "cms_metrics_database_up 0.0" in metrics.decode()
        assert "cms_task_queue_depth" not in metrics.decode()

        # Cached reads keep flowing (within the same 2 s each), beside requests that wait
        # for the database.
        for _ in range(5):
            status, headers, body = query(base, CACHED, timeout=2)
            assert (status, headers["X-Cache"]) == (200, "HIT")
            assert body["data"]["procedure"]["summary"] == warm
        # A read that needs the database fails within its connect_timeout (3 s), as a 503 with
        # a Retry-After, instead of holding its thread for as long as the database hangs.
        status, headers, body = query(base, '{ procedure(slug: "hung-x") { title } }', timeout=6)
        assert status == 503, body
        assert headers["Retry-After"] == "5"
        assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    # Once it answers again, so does the probe (the waiting probe thread finishes first).
    deadline = time.monotonic() + 15
    while get(base, "/readyz")[0] != 200:
        assert time.monotonic() < deadline, "not ready again after PostgreSQL resumed"
        time.sleep(0.2)
    while b"cms_metrics_database_up 1.0" not in get(base, "/metrics", Authorization=scraper)[2]:
        assert time.monotonic() < deadline, "metrics still without the database after it resumed"
        time.sleep(0.2)
    assert b"cms_task_queue_depth" in get(base, "/metrics", Authorization=scraper)[2]


def test_a_full_redis_answers_from_the_database_without_a_500(stack):
    """Redis at `maxmemory` under `noeviction` (the README's policy) refuses every write."""
    import hashlib

    import redis

    base, server = stack["base"], stack["redis"]
    raw = redis.Redis(port=server.port)
    raw.config_set("maxmemory-policy", "noeviction")
    fillers = [f"filler:{number}" for number in range(12)]
    for name in fillers:
        raw.set(name, b"x" * 256 * 1024)
    raw.config_set("maxmemory", "2mb")
    try:
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            raw.set("probe", 1)
        for slug in ("calf-liposuction", "selective-neurectomy", "not-a-procedure"):
            document = f'{{ procedure(slug: "{slug}") {{ slug }} muscles {{ name }} }}'
            status, _, body = query(base, document)
            assert status == 200, body
            assert "errors" not in body, body
        # Registering a persisted query (Apollo's first GET with the document) is no 500 either.
        document = '{ procedure(slug: "calf-liposuction") { title } }'
        extensions = json.dumps(
            {
                "persistedQuery": {
                    "version": 1,
                    "sha256Hash": hashlib.sha256(document.encode()).hexdigest(),
                }
            }
        )
        status, _, body = get(
            base,
            "/graphql/?" + urllib.parse.urlencode({"query": document, "extensions": extensions}),
        )
        assert status == 200, body
        assert json.loads(body)["data"]["procedure"]["title"] == "Calf Liposuction"
        status, _, ready = get(base, "/readyz")
        assert status == 200  # degraded: the API serves without the cache
        assert json.loads(ready)["checks"]["cache"]["ok"] is False
    finally:
        raw.config_set("maxmemory", "0")
        raw.delete(*fillers)


def test_a_database_error_outside_any_view_is_a_503_too(rf):
    from django.db.utils import OperationalError

    from ops.faults import server_error

    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = server_error(rf.get("/admin/"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert json.loads(response.content) == {
        "errors": [
            {
                "message": "Service temporarily unavailable; retry shortly.",
                "extensions": {"code": "SERVICE_UNAVAILABLE"},
            }
        ]
    }
