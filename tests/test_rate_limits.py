"""Rate limits by cost: each client's bucket of points, drained by the queries that run."""

import json
import time

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from private_servers import redis_server
from servers import REDIS, free_port, require
from test_query_limits import example_documents

from cms.graphql import rate_limit
from ops.resilient_cache import cache_is_up

CHEAP = '{ procedure(slug: "calf-liposuction") { title } }'  # 1 + 1
EXPENSIVE = "{ procedures(perPage: 100) { items { slug title } } }"  # 1 + 100 x (1 + 2)
CHEAP_COST = 2
EXPENSIVE_COST = 301


class Clock:
    """The local buckets' clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(rate_limit.local_buckets, "clock", fake)
    return fake


@pytest.fixture
def small_bucket(settings, clock):
    """500 points, 10 per second, and no response cache: every request runs."""
    settings.GRAPHQL_RATE_LIMIT_POINTS = 500
    settings.GRAPHQL_RATE_LIMIT_RESTORE_PER_SECOND = 10
    settings.GRAPHQL_RESPONSE_CACHE_SECONDS = 0
    return settings


def ask(client, query: str, **extra):
    return client.post("/graphql/", {"query": query}, content_type="application/json", **extra)


def cost_of(response) -> dict:
    return response.json()["extensions"]["cost"]


def available(response) -> int:
    return cost_of(response)["throttleStatus"]["currentlyAvailable"]


@pytest.mark.django_db
def test_an_executed_response_reports_its_cost_and_the_budget_left(client, clock):
    response = ask(client, CHEAP)
    assert response.status_code == 200
    assert response.json()["data"] == {"procedure": {"title": "Calf Liposuction"}}
    assert cost_of(response) == {
        "requestedQueryCost": CHEAP_COST,
        "actualQueryCost": CHEAP_COST,
        "throttleStatus": {
            "maximumAvailable": 100_000,
            "currentlyAvailable": 100_000 - CHEAP_COST,
            "restoreRate": 5_000,
        },
    }
    # 100,000 points refill in 20 s; the 2 taken, within the next second.
    assert response["RateLimit-Policy"] == '"cost";q=100000;w=20'
    assert response["RateLimit"] == f'"cost";r={100_000 - CHEAP_COST};t=1'


@pytest.mark.django_db
def test_a_request_error_costs_nothing(client, clock):
    refused = ask(client, "{ procedure(slug: 1) { nope } }")
    assert refused.json()["errors"]
    assert "extensions" not in refused.json()
    assert "RateLimit" not in refused
    assert available(ask(client, CHEAP)) == 100_000 - CHEAP_COST


@pytest.mark.django_db
def test_a_query_costing_more_than_is_left_is_refused_and_runs_nothing(client, small_bucket):
    first = ask(client, EXPENSIVE)
    assert cost_of(first)["requestedQueryCost"] == EXPENSIVE_COST
    assert available(first) == 500 - EXPENSIVE_COST

    with CaptureQueriesContext(connection) as queries:
        refused = ask(client, EXPENSIVE)
    assert refused.status_code == 429
    assert len(queries) == 0
    assert refused["Cache-Control"] == "no-store"
    # 102 points missing at 10 per second.
    assert refused["Retry-After"] == "11"
    assert refused["RateLimit"] == f'"cost";r={500 - EXPENSIVE_COST};t=31'
    body = refused.json()
    assert "data" not in body
    [error] = body["errors"]
    assert "Retry after 11 s" in error["message"]
    assert error["extensions"] == {
        "code": "RATE_LIMITED",
        "cost": {
            "requestedQueryCost": EXPENSIVE_COST,
            "actualQueryCost": EXPENSIVE_COST,
            "throttleStatus": {
                "maximumAvailable": 500,
                "currentlyAvailable": 500 - EXPENSIVE_COST,
                "restoreRate": 10,
            },
        },
    }
    # A refusal takes nothing, and a cheaper query still fits.
    assert available(ask(client, CHEAP)) == 500 - EXPENSIVE_COST - CHEAP_COST


@pytest.mark.django_db
def test_the_budget_is_restored_over_time(client, small_bucket, clock):
    ask(client, EXPENSIVE)
    retry_after = int(ask(client, EXPENSIVE)["Retry-After"])
    clock.now += retry_after - 1
    assert ask(client, EXPENSIVE).status_code == 429
    clock.now += 1
    again = ask(client, EXPENSIVE)
    assert again.status_code == 200
    assert available(again) == 500 - EXPENSIVE_COST + retry_after * 10 - EXPENSIVE_COST
    clock.now += 3600
    assert available(ask(client, CHEAP)) == 500 - CHEAP_COST  # never more than the capacity


@pytest.mark.django_db
def test_a_query_dearer_than_the_whole_bucket_needs_a_full_one(client, settings, clock):
    settings.GRAPHQL_RATE_LIMIT_POINTS = 100
    settings.GRAPHQL_RATE_LIMIT_RESTORE_PER_SECOND = 10
    settings.GRAPHQL_RESPONSE_CACHE_SECONDS = 0
    assert available(ask(client, EXPENSIVE)) == 0
    refused = ask(client, EXPENSIVE)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "10"
    clock.now += 10
    assert ask(client, EXPENSIVE).status_code == 200


@pytest.mark.django_db
def test_each_client_address_has_its_own_bucket(client, small_bucket):
    ask(client, EXPENSIVE, REMOTE_ADDR="203.0.113.1")
    assert ask(client, EXPENSIVE, REMOTE_ADDR="203.0.113.1").status_code == 429
    other = ask(client, EXPENSIVE, REMOTE_ADDR="203.0.113.2")
    assert other.status_code == 200
    assert available(other) == 500 - EXPENSIVE_COST

    # Behind a trusted proxy, the address it saw; an untrusted one's header is ignored.
    small_bucket.TRUSTED_PROXIES = ["10.0.0.0/8"]
    behind = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "203.0.113.3"}
    assert available(ask(client, CHEAP, **behind)) == 500 - CHEAP_COST
    forged = {"REMOTE_ADDR": "203.0.113.1", "HTTP_X_FORWARDED_FOR": "203.0.113.4"}
    assert ask(client, EXPENSIVE, **forged).status_code == 429


@pytest.mark.django_db
def test_response_cache_hits_are_not_charged_and_hold_no_clients_cost(client, settings, clock):
    settings.GRAPHQL_RATE_LIMIT_POINTS = 500
    settings.GRAPHQL_RATE_LIMIT_RESTORE_PER_SECOND = 10
    ran = ask(client, EXPENSIVE)
    assert ran["X-Cache"] == "MISS"
    assert available(ran) == 500 - EXPENSIVE_COST
    # Too few points left to run it again, but a hit runs nothing: by POST through the view
    # and by GET through the early middleware.
    for hit in (ask(client, EXPENSIVE), client.get("/graphql/", {"query": EXPENSIVE})):
        assert hit.status_code == 200
        assert hit["X-Cache"] == "HIT"
        assert "RateLimit" not in hit
        # What the cache stored is the plain body: no one's cost or budget.
        assert json.loads(hit.content) == {"data": ran.json()["data"]}
    assert available(ask(client, CHEAP)) == 500 - EXPENSIVE_COST - CHEAP_COST
    # Another client's hit shows nothing of the first one's budget either.
    elsewhere = ask(client, EXPENSIVE, REMOTE_ADDR="203.0.113.9")
    assert elsewhere["X-Cache"] == "HIT"
    assert b"throttleStatus" not in elsewhere.content


@pytest.mark.django_db
def test_browser_apps_may_read_the_rate_limit_headers(client, clock):
    response = ask(client, CHEAP, HTTP_ORIGIN="http://localhost:3000")
    exposed = {name.strip() for name in response["Access-Control-Expose-Headers"].split(",")}
    assert {"RateLimit", "RateLimit-Policy", "Retry-After"} <= exposed
    assert response["RateLimit"].startswith('"cost";r=')


@pytest.mark.django_db
def test_a_rate_limit_of_zero_is_off(client, settings):
    settings.GRAPHQL_RATE_LIMIT_POINTS = 0
    response = ask(client, EXPENSIVE)
    assert response.status_code == 200
    assert "extensions" not in response.json()
    assert "RateLimit" not in response


def redis_settings(location: str, prefix: str) -> dict:
    return {
        "BACKEND": "ops.resilient_cache.ResilientRedisCache",
        "LOCATION": location,
        "KEY_PREFIX": prefix,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }


@pytest.fixture
def on_redis(settings):
    """Production's cache on a given Redis; no memory layer (no listener thread)."""
    settings.GRAPHQL_MEMORY_CACHE_MB = 0
    settings.GRAPHQL_RESPONSE_CACHE_SECONDS = 0

    def use(location: str, prefix: str) -> None:
        settings.CACHES = {**settings.CACHES, "default": redis_settings(location, prefix)}

    return use


@pytest.mark.django_db
def test_with_redis_every_app_server_shares_the_bucket(client, settings, on_redis):
    require(REDIS, "Redis")
    settings.GRAPHQL_RATE_LIMIT_POINTS = 700
    settings.GRAPHQL_RATE_LIMIT_RESTORE_PER_SECOND = 1
    prefix = f"ratelimit-{time.monotonic_ns()}"
    on_redis("redis://127.0.0.1:6379/0", prefix)
    first_connection = caches["default"]
    key = first_connection.make_key(rate_limit.KEY_PREFIX + "127.0.0.1")
    try:
        assert available(ask(client, EXPENSIVE)) == 700 - EXPENSIVE_COST
        # Another app server: its own cache connection to the same Redis.
        on_redis("redis://127.0.0.1:6379/0", prefix)
        assert caches["default"] is not first_connection
        second = ask(client, EXPENSIVE)
        # Two charges, and at most a second's worth (1 point) restored in between.
        assert available(second) in (700 - 2 * EXPENSIVE_COST, 700 - 2 * EXPENSIVE_COST + 1)
        assert ask(client, EXPENSIVE).status_code == 429
        assert not rate_limit.local_buckets.buckets  # nothing kept in this process
        # It expires once it would be full again: 602 points at 1 per second, and a second.
        assert 600 < caches["default"].redis_client().ttl(key) <= 603
    finally:
        caches["default"].redis_client().delete(key)


@pytest.mark.django_db
def test_with_redis_the_budget_is_restored_over_time(client, settings, on_redis):
    require(REDIS, "Redis")
    settings.GRAPHQL_RATE_LIMIT_POINTS = 500
    settings.GRAPHQL_RATE_LIMIT_RESTORE_PER_SECOND = 2000  # 301 points in 0.15 s
    on_redis("redis://127.0.0.1:6379/0", f"ratelimit-{time.monotonic_ns()}")
    key = caches["default"].make_key(rate_limit.KEY_PREFIX + "127.0.0.1")
    try:
        ask(client, EXPENSIVE)
        refused = ask(client, EXPENSIVE)
        if refused.status_code == 429:  # unless the second request itself took 0.15 s
            assert refused["Retry-After"] == "1"
        time.sleep(0.2)
        assert ask(client, EXPENSIVE).status_code == 200
    finally:
        caches["default"].redis_client().delete(key)


@pytest.mark.django_db
def test_an_unreachable_redis_fails_open(client, settings, on_redis):
    settings.CACHE_RETRY_SECONDS = 0  # the circuit closes again at once, for the next tests
    on_redis(f"redis://127.0.0.1:{free_port()}/0", "ratelimit-closed")
    response = ask(client, EXPENSIVE)
    assert response.status_code == 200
    assert response.json()["data"]["procedures"]["items"]
    # The cost is known, the budget is not.
    assert cost_of(response) == {
        "requestedQueryCost": EXPENSIVE_COST,
        "actualQueryCost": EXPENSIVE_COST,
    }
    assert "RateLimit" not in response


@pytest.fixture(scope="module")
def full_redis():
    """A private Redis that refuses every write: out of memory, with no eviction."""
    with redis_server() as server:
        import redis

        redis.Redis(port=server.port).config_set("maxmemory", 1)
        yield server


@pytest.mark.django_db
def test_a_redis_refusing_writes_fails_open(
    client, django_user_model, on_redis, full_redis, caplog
):
    on_redis(full_redis.url, "ratelimit-full")
    # An editor's query skips the response cache, which needs writes; the bucket is Redis's
    # first call.
    client.force_login(django_user_model.objects.create_superuser("ed", "ed@example.com", "pw"))
    response = ask(client, EXPENSIVE)
    assert response.status_code == 200
    assert "throttleStatus" not in cost_of(response)
    assert "maxmemory" in caplog.text  # Redis refused the script: logged, not raised
    assert cache_is_up()  # an error from Redis, not an outage: the cache is still used


@pytest.mark.django_db
def test_the_example_client_runs_far_within_the_default_budget(gql, settings, clock):
    settings.GRAPHQL_RESPONSE_CACHE_SECONDS = 0  # a cold start: every query runs
    variables = {
        "since": "2020-01-01T00:00:00+00:00",
        "slug": "calf-liposuction",
        "urlPath": "/",
        "query": "calf",
        "token": "x",
        "slugs": ["calf-liposuction", "botox-calf-reduction"],
    }
    spent = 0
    for document in example_documents():
        used = {name: value for name, value in variables.items() if f"${name}" in document}
        response = gql.post(document, used)
        assert response.status_code == 200, document
        spent += cost_of(response)["requestedQueryCost"]
    # Every screen and a whole sync page cost about 5,600 points (the finder and the
    # comparison count their lists at the page size): under a tenth of the bucket.
    assert spent < 100_000 / 10
    assert available(gql.post(CHEAP)) == 100_000 - spent - CHEAP_COST
