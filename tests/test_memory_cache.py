"""Responses kept in each process's memory, in front of Redis, and never stale.

The tests own a redis-server on a spare port, so they can cut the invalidation channel (deny
SUBSCRIBE and drop the subscribed connections) without touching anyone else's Redis.
"""

import gzip
import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.core.cache import cache
from private_servers import redis_server, seeded_copy
from servers import POSTGRES, app_env, gunicorn, manage, require

from freshness import channel as invalidation
from freshness import memory_cache, response_cache
from freshness.response_cache import GENERATION_KEY
from procedures.models import ProcedurePage

QUERY = '{ procedure(slug: "calf-liposuction") { summary } }'
URL = "/graphql/?query=" + urllib.parse.quote(QUERY)
ORIGINAL = "Calf liposuction is a surgical procedure."


@pytest.fixture(scope="module")
def private_redis():
    with redis_server() as server:
        yield server


def raw(server):
    import redis

    return redis.Redis(port=server.port)


def cut_channel(server) -> None:
    """The channel drops and cannot come back: SUBSCRIBE denied, subscribers disconnected."""
    client = raw(server)
    client.execute_command("ACL", "SETUSER", "default", "-subscribe", "-psubscribe")
    client.execute_command("CLIENT", "KILL", "TYPE", "pubsub")


def restore_channel(server) -> None:
    raw(server).execute_command("ACL", "SETUSER", "default", "+subscribe", "+psubscribe")


def drop_shared_entries(server) -> int:
    """Delete every response entry from Redis: what is still a hit comes from memory."""
    client = raw(server)
    keys = list(client.scan_iter(match="*graphql:response:*"))
    return client.delete(*keys) if keys else 0


@pytest.fixture
def redis_cache(settings, private_redis):
    """Production's cache configuration, on the private Redis."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "ops.resilient_cache.ResilientRedisCache",
            "LOCATION": private_redis.url,
            "KEY_PREFIX": f"memory-{time.monotonic_ns()}",
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        },
    }
    settings.CACHE_CHANNEL_GRACE_SECONDS = 1.0
    restore_channel(private_redis)
    layer = memory_cache.layer(GENERATION_KEY)
    yield layer
    layer.listener.stop()
    restore_channel(private_redis)


def wait_for_state(layer, state: str) -> None:
    deadline = time.monotonic() + 10
    while layer.listener.state != state or (
        state == "subscribed" and layer.listener.trusted_generation() is None
    ):
        layer.listener.trusted_generation()  # starts it
        assert time.monotonic() < deadline, f"channel is {layer.listener.state}, not {state}"
        time.sleep(0.02)


@pytest.mark.django_db
def test_a_hit_is_answered_from_memory_before_the_session_and_auth_middleware(
    client, redis_cache, private_redis
):
    wait_for_state(redis_cache, "subscribed")
    miss = client.get(URL, HTTP_ORIGIN="http://localhost:3000", HTTP_ACCEPT_ENCODING="gzip")
    assert miss["X-Cache"] == "MISS"
    assert hasattr(miss.wsgi_request, "user")  # the view ran, below AuthenticationMiddleware

    assert drop_shared_entries(private_redis) == 1
    hit = client.get(URL, HTTP_ORIGIN="http://localhost:3000", HTTP_ACCEPT_ENCODING="gzip")
    assert hit["X-Cache"] == "HIT"
    assert not hasattr(hit.wsgi_request, "user")  # answered above it
    # The same response as the view gives, header for header, but for the run's budget: its
    # copy is private and has the RateLimit headers (tests/test_rate_limits.py).
    assert miss["Cache-Control"] == hit["Cache-Control"].replace("public", "private")
    assert miss["ETag"] == "W/" + hit["ETag"].removeprefix("W/")
    # The run's copy is longer (its cost), long enough to gzip where the stored body is not.
    assert set(hit["Vary"].split(", ")) | {"Accept-Encoding"} == set(miss["Vary"].split(", "))
    for name in (
        "Content-Type",
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Access-Control-Allow-Origin",
        "Access-Control-Expose-Headers",
        "Referrer-Policy",
    ):
        assert hit.get(name) == miss.get(name), name
    assert set(miss.headers) - {"Content-Encoding", "RateLimit", "RateLimit-Policy"} <= set(
        hit.headers
    )
    ran = gzip.decompress(miss.content) if miss.get("Content-Encoding") else miss.content
    assert json.loads(ran)["data"] == json.loads(hit.content)["data"]

    # An editor's request (a session cookie) goes on to the view, which decides.
    client.cookies["sessionid"] = "not-a-session"
    assert hasattr(client.get(URL).wsgi_request, "user")


@pytest.mark.django_db
def test_apollo_posts_are_answered_from_memory_too(gql, redis_cache, private_redis):
    wait_for_state(redis_cache, "subscribed")
    assert gql.post(QUERY)["X-Cache"] == "MISS"
    drop_shared_entries(private_redis)
    hit = gql.post(QUERY)
    assert hit["X-Cache"] == "HIT"
    assert hit.json()["data"]["procedure"]["summary"] == ORIGINAL


@pytest.mark.django_db
def test_a_publish_returns_only_once_this_process_heard_it(
    client, redis_cache, private_redis, django_capture_on_commit_callbacks
):
    wait_for_state(redis_cache, "subscribed")
    assert client.get(URL)["X-Cache"] == "MISS"
    assert client.get(URL)["X-Cache"] == "HIT"
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.summary = "Heard on the channel."
    with django_capture_on_commit_callbacks(execute=True):  # as the commit would
        page.save_revision().publish()
    assert redis_cache.listener.generation == cache.get(GENERATION_KEY)
    fresh = client.get(URL)
    assert fresh["X-Cache"] == "MISS"
    assert fresh.json()["data"]["procedure"]["summary"] == "Heard on the channel."


@pytest.mark.django_db
def test_a_publish_waits_for_every_process_it_reached_even_if_redis_lost_the_registry(
    redis_cache, private_redis
):
    wait_for_state(redis_cache, "subscribed")
    client = raw(private_redis)
    client.delete(
        cache.make_key(invalidation.LISTENERS), cache.make_key(invalidation.KNOWN)
    )  # evicted, or flushed
    response_cache.bump_generation()
    assert redis_cache.listener.generation == cache.get(GENERATION_KEY)


@pytest.mark.django_db
def test_while_the_channel_is_down_memory_is_checked_against_redis_on_every_request(
    client, redis_cache, private_redis
):
    wait_for_state(redis_cache, "subscribed")
    assert client.get(URL)["X-Cache"] == "MISS"
    cut_channel(private_redis)
    wait_for_state(redis_cache, "down")
    assert client.get("/readyz").json()["checks"]["cache_channel"]["ok"] is False

    drop_shared_entries(private_redis)
    assert client.get(URL)["X-Cache"] == "HIT"  # memory, at the generation Redis holds
    # A change the channel cannot carry: the next request reads it from Redis.
    raw(private_redis).incr(cache.make_key(GENERATION_KEY))
    assert client.get(URL)["X-Cache"] == "MISS"

    restore_channel(private_redis)
    wait_for_state(redis_cache, "subscribed")
    assert client.get("/readyz").json()["checks"]["cache_channel"]["ok"] is True
    drop_shared_entries(private_redis)
    assert client.get(URL)["X-Cache"] == "HIT"


@pytest.mark.django_db
def test_a_publish_waits_for_a_listener_until_it_confirms_or_its_trust_expires(
    redis_cache, private_redis
):
    client = raw(private_redis)
    seconds, micros = client.time()
    deadline = seconds + micros / 1e6 + 0.3
    silent = "0" * 32  # registered, trusted for 0.3 s more, and deaf from now on
    client.zadd(cache.make_key(invalidation.LISTENERS), {silent: deadline})
    client.hset(cache.make_key(invalidation.KNOWN), silent, 1)
    invalidation.publish(client, cache.make_key, 2)
    seconds, micros = client.time()
    assert seconds + micros / 1e6 >= deadline  # it returned only once that trust ran out


@pytest.mark.django_db
def test_a_lost_generation_starts_again_above_every_value_it_had(redis_cache, private_redis):
    response_cache.bump_generation()
    before = cache.get(GENERATION_KEY)
    raw(private_redis).delete(cache.make_key(GENERATION_KEY))  # evicted, or Redis restarted
    response_cache.bump_generation()
    assert cache.get(GENERATION_KEY) > before


@pytest.mark.django_db
def test_with_redis_a_hit_runs_no_sql(client, redis_cache, django_assert_num_queries):
    query = {"query": '{ procedure(slug: "calf-liposuction") { summary } }'}
    assert client.get("/graphql/", query)["X-Cache"] == "MISS"
    with django_assert_num_queries(0):
        assert client.get("/graphql/", query)["X-Cache"] == "HIT"
        assert client.post("/graphql/", query, content_type="application/json")["X-Cache"] == "HIT"


@pytest.mark.django_db
def test_persisted_documents_are_kept_in_memory(client, redis_cache, private_redis):
    import hashlib

    digest = hashlib.sha256(QUERY.encode()).hexdigest()
    extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}})
    register = client.get(URL + "&extensions=" + urllib.parse.quote(extensions))
    assert register.status_code == 200
    client_redis = raw(private_redis)
    client_redis.delete(*client_redis.scan_iter(match="*graphql:*"))
    by_hash = client.get("/graphql/?extensions=" + urllib.parse.quote(extensions))
    assert by_hash.json()["data"]["procedure"]["summary"] == ORIGINAL


# --- two gunicorn processes: the acceptance test ------------------------------------------


def fetch(base: str) -> tuple[str, str]:
    request = urllib.request.Request(base + URL, headers={"Host": "localhost"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["data"]["procedure"]["summary"], response.headers[
            "X-Cache"
        ]


def channel(base: str) -> dict:
    request = urllib.request.Request(base + "/readyz", headers={"Host": "localhost"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["checks"]["cache_channel"]


def wait_until_subscribed(*bases: str) -> None:
    deadline = time.monotonic() + 20
    while not all(channel(base)["detail"] == "subscribed" for base in bases):
        assert time.monotonic() < deadline, [channel(base) for base in bases]
        time.sleep(0.1)


def publish(env: dict, summary: str) -> None:
    manage(
        env,
        "shell",
        "-c",
        "from procedures.models import ProcedurePage\n"
        'page = ProcedurePage.objects.get(slug="calf-liposuction")\n'
        f"page.summary = {summary!r}\n"
        "page.save_revision().publish()\n",
    )


def assert_both_serve_from_memory(private_redis, first: str, second: str, text: str) -> None:
    for server in (first, second):
        fetch(server)  # fills this process's memory
    drop_shared_entries(private_redis)
    assert fetch(first) == (text, "HIT")
    assert fetch(second) == (text, "HIT")


def test_after_a_publish_each_process_serves_the_new_content_even_when_the_channel_drops(
    private_redis,
):
    require(POSTGRES, "PostgreSQL")
    with seeded_copy() as database_url:
        env = app_env(database_url, private_redis.url, CACHE_CHANNEL_GRACE_SECONDS="1")
        with gunicorn(env) as first, gunicorn(env) as second:
            wait_until_subscribed(first, second)
            assert_both_serve_from_memory(private_redis, first, second, ORIGINAL)

            publish(env, "Published while both listen.")
            assert fetch(first)[0] == "Published while both listen."
            assert fetch(second)[0] == "Published while both listen."

            # The channel drops and stays down: each process falls back to Redis's generation.
            assert_both_serve_from_memory(private_redis, first, second, fetch(first)[0])
            cut_channel(private_redis)
            publish(env, "Published while the channel is down.")
            assert fetch(first)[0] == "Published while the channel is down."
            assert fetch(second)[0] == "Published while the channel is down."
            assert channel(first)["ok"] is False

            # It recovers: memory again, and a publish still reaches both.
            restore_channel(private_redis)
            wait_until_subscribed(first, second)
            assert_both_serve_from_memory(
                private_redis, first, second, "Published while the channel is down."
            )
            publish(env, "Published after the channel came back.")
            assert fetch(first)[0] == "Published after the channel came back."
            assert fetch(second)[0] == "Published after the channel came back."


@pytest.mark.django_db
def test_too_many_parameters_are_a_400_on_every_path(client, redis_cache):
    flood = URL + "".join(f"&p{n}=1" for n in range(1100))
    assert client.get(flood).status_code == 400  # answered above the view
    client.cookies["sessionid"] = "not-a-session"
    response = client.get(flood)  # answered by the view
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
