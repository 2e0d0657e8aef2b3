"""A full Redis (`maxmemory` reached under `noeviction`, as the README recommends) refuses
every write, as a read-only one does; the API answers from the database as in an outage,
never with a 500, and a publish made meanwhile is never hidden behind an entry stored before
it."""

import hashlib
import json
import time

import pytest
import redis
from private_servers import redis_server
from servers import free_port

from freshness import memory_cache
from freshness.response_cache import GENERATION_KEY
from ops import resilient_cache
from procedures.models import ProcedurePage

CACHED = '{ procedure(slug: "calf-liposuction") { summary } }'
UNCACHED = '{ procedure(slug: "selective-neurectomy") { title } procedures { items { slug } } }'


@pytest.fixture
def private_redis(settings):
    """Production's cache configuration on a private Redis with `noeviction`."""
    with redis_server() as server:
        raw = redis.Redis(port=server.port)
        raw.config_set("maxmemory-policy", "noeviction")
        settings.CACHES = {
            **settings.CACHES,
            "default": {
                "BACKEND": "ops.resilient_cache.ResilientRedisCache",
                "LOCATION": server.url,
                "KEY_PREFIX": f"full-{time.monotonic_ns()}",
                "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
            },
        }
        settings.CACHE_CHANNEL_GRACE_SECONDS = 1.0
        yield raw
        memory_cache.layer(GENERATION_KEY).listener.stop()
    # This process's memory of the failures belongs to that Redis, not to the next test's cache.
    resilient_cache.circuit.open_until = 0.0
    resilient_cache.circuit.tripped = False
    resilient_cache.refusals.reason = None


def fill(raw: redis.Redis) -> None:
    """Hold more than `maxmemory`: from then on every write is an OutOfMemoryError."""
    for number in range(12):
        raw.set(f"filler:{number}", b"x" * 256 * 1024)
    raw.config_set("maxmemory", "2mb")
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        raw.set("probe", 1)


def get(client, query: str, **params):
    return client.get("/graphql/", {"query": query, **params})


@pytest.mark.django_db
def test_a_private_redis_serves_from_the_database_without_a_500(
    client, private_redis, django_capture_on_commit_callbacks
):
    warm = get(client, CACHED)
    assert warm["X-Cache"] == "MISS"
    assert get(client, CACHED)["X-Cache"] == "HIT"

    fill(private_redis)
    for _ in range(2):
        response = get(client, UNCACHED)
        assert response.status_code == 200, response.content
        data = response.json()["data"]
        assert data["procedure"] == {"title": "Selective Neurectomy"}
        assert {"slug": "calf-liposuction"} in data["procedures"]["items"]
        assert "errors" not in response.json()

    # Registering a persisted query stores nothing, and says nothing of it to the client.
    query = '{ procedure(slug: "selective-neurectomy") { slug } }'
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    registered = client.post(
        "/graphql/", {"query": query, "extensions": extensions}, content_type="application/json"
    )
    assert registered.status_code == 200
    assert registered.json()["data"] == {"procedure": {"slug": "selective-neurectomy"}}
    by_hash = client.get("/graphql/", {"extensions": json.dumps(extensions)})
    assert by_hash.status_code == 200

    # A publish cannot bump the generation in a full Redis: the entry stored before it must
    # not be served after it.
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.summary = "Published while Redis was full."
    with django_capture_on_commit_callbacks(execute=True):  # as when the publish commits
        page.save_revision().publish()
    fresh = get(client, CACHED)
    assert fresh.status_code == 200
    assert fresh.json()["data"]["procedure"]["summary"] == "Published while Redis was full."

    ready = client.get("/readyz")
    assert ready.status_code == 200  # degraded, still serving
    assert ready.json()["checks"]["cache"] == {
        "ok": False,
        "detail": "refusing writes (OutOfMemoryError)",
    }

    # Room again: the cache is used again.
    private_redis.delete(*private_redis.keys("filler:*"))
    assert get(client, CACHED)["X-Cache"] == "MISS"
    hit = get(client, CACHED)
    assert hit["X-Cache"] == "HIT"
    assert hit.json()["data"]["procedure"]["summary"] == "Published while Redis was full."
    assert client.get("/readyz").json()["checks"]["cache"] == {"ok": True, "detail": "ok"}


@pytest.mark.django_db
def test_a_read_only_redis_serves_from_the_database_without_a_500(
    client, private_redis, django_capture_on_commit_callbacks
):
    assert get(client, CACHED)["X-Cache"] == "MISS"
    assert get(client, CACHED)["X-Cache"] == "HIT"
    # A replica of a master that never answers: READONLY to every write.
    private_redis.replicaof("127.0.0.1", free_port())
    with pytest.raises(redis.exceptions.ReadOnlyError):
        private_redis.set("probe", 1)

    response = get(client, UNCACHED)
    assert response.status_code == 200, response.content
    assert response.json()["data"]["procedure"] == {"title": "Selective Neurectomy"}
    query = '{ procedure(slug: "selective-neurectomy") { title } }'
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    registered = client.post(
        "/graphql/", {"query": query, "extensions": extensions}, content_type="application/json"
    )
    assert registered.status_code == 200
    assert registered.json()["data"] == {"procedure": {"title": "Selective Neurectomy"}}

    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.summary = "Published while Redis was read-only."
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    fresh = get(client, CACHED)
    assert fresh.status_code == 200
    assert fresh.json()["data"]["procedure"]["summary"] == "Published while Redis was read-only."
    private_redis.replicaof("NO", "ONE")
