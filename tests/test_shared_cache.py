"""The response cache on Redis, shared by several app processes, as in production."""

import json
import urllib.request
import uuid

import pytest
from django.core.cache import caches
from django.test import override_settings
from private_servers import seeded_copy
from servers import POSTGRES, REDIS, app_env, gunicorn, manage, require

from procedures.models import ProcedurePage

QUERY = '{ procedure(slug: "calf-liposuction") { summary } }'


def redis_cache_settings() -> dict:
    return {
        "default": {
            "BACKEND": "ops.redis_cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
            "KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
        }
    }


@pytest.mark.django_db
def test_redis_backed_cache_hits_and_is_invalidated_by_a_publish(client):
    require(REDIS, "Redis")
    with override_settings(CACHES=redis_cache_settings()):
        ask = lambda: client.post("/graphql/", {"query": QUERY}, content_type="application/json")  # noqa: E731
        assert ask()["X-Cache"] == "MISS"
        assert ask()["X-Cache"] == "HIT"
        page = ProcedurePage.objects.get(slug="calf-liposuction")
        page.summary = "Published through Redis."
        page.save_revision().publish()
        fresh = ask()
        assert fresh["X-Cache"] == "MISS"
        assert fresh.json()["data"]["procedure"]["summary"] == "Published through Redis."
        caches["default"].clear()


def fetch(base: str) -> tuple[str, str]:
    request = urllib.request.Request(
        base + "/graphql/",
        data=json.dumps({"query": QUERY}).encode(),
        # Behind a load balancer every process sees the site's public host.
        headers={"Content-Type": "application/json", "Host": "localhost"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.loads(response.read())
        return body["data"]["procedure"]["summary"], response.headers["X-Cache"]


PUBLISH = """
from procedures.models import ProcedurePage
page = ProcedurePage.objects.get(slug="calf-liposuction")
page.summary = "Published from a third process."
page.save_revision().publish()
"""


def test_after_a_publish_every_app_process_serves_the_new_content():
    """Two gunicorn processes share PostgreSQL and Redis; a third process publishes."""
    require(REDIS, "Redis")
    require(POSTGRES, "PostgreSQL")
    with seeded_copy() as database_url:
        env = app_env(database_url, "redis://127.0.0.1:6379/0")
        with gunicorn(env) as first, gunicorn(env) as second:
            original = "Calf liposuction is a surgical procedure."
            assert fetch(first) == (original, "MISS")
            assert fetch(second) == (original, "HIT")  # filled by the other process
            assert fetch(first) == (original, "HIT")

            manage(env, "shell", "-c", PUBLISH)

            for server in (second, first):
                summary, _ = fetch(server)
                assert summary == "Published from a third process."


def test_the_redis_cache_reuses_one_client_per_pool():
    require(REDIS, "Redis")
    with override_settings(CACHES=redis_cache_settings()):
        cache = caches["default"]
        cache.set("a", 1)
        cache.set_many({"b": 2, "c": 3})
        assert cache.get_many(["a", "b", "c"]) == {"a": 1, "b": 2, "c": 3}
        assert cache.incr("a") == 2
        client = cache._cache.get_client()
        assert cache._cache.get_client() is client
        assert cache._cache.get_client(write=True) is client  # one server: one pool
        cache.clear()


REDIRECTS = "{ redirects { oldPath newPath } }"
ADD_REDIRECT = """
from wagtail.contrib.redirects.models import Redirect
Redirect.objects.create(old_path="/calf-lipo", redirect_link="/procedures/calf-liposuction/")
"""


def read(base: str, query: str) -> tuple[dict, str]:
    request = urllib.request.Request(
        base + "/graphql/",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json", "Host": "localhost"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["data"], response.headers["X-Cache"]


def test_without_redis_no_process_serves_what_another_process_changed():
    """Production settings with no REDIS_URL: three gunicorn workers, each with its own memory
    cache; a shell publishes and adds a redirect. Every read after that is new."""
    require(POSTGRES, "PostgreSQL")
    with seeded_copy() as database_url:
        env = app_env(database_url, "")
        with gunicorn(env, workers=3, as_served=True) as base:
            original = "Calf liposuction is a surgical procedure."
            warm = [read(base, QUERY) for _ in range(30)]
            warm += [read(base, REDIRECTS) for _ in range(30)]
            assert {data["procedure"]["summary"] for data, _ in warm[:30]} == {original}
            assert "HIT" in {cache for _, cache in warm}, "the per-process cache is in use"

            manage(env, "shell", "-c", PUBLISH)
            manage(env, "shell", "-c", ADD_REDIRECT)

            after = [read(base, QUERY)[0]["procedure"]["summary"] for _ in range(30)]
            assert set(after) == {"Published from a third process."}
            redirects = [read(base, REDIRECTS)[0]["redirects"] for _ in range(30)]
            assert all(any(r["oldPath"] == "/calf-lipo" for r in found) for found in redirects)
