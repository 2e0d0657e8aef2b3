"""A real Varnish (with varnish-modules' xkey and the shipped VCL) in front of gunicorn: reads
are cached, and a publish, once acknowledged, has purged every answer that showed what it
changed and nothing else."""

import json
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

import pytest
from private_servers import seeded_copy
from servers import app_env, gunicorn, manage

from cms.throwaway import VarnishUnavailableError, free_port, throwaway_varnish

PROCEDURE = '{ procedure(slug: "calf-liposuction") { title summary } }'
OTHER_PROCEDURE = '{ procedure(slug: "botox-calf-reduction") { title summary } }'
MUSCLES = "{ muscles { name } }"
ARTICLE = (
    '{ article(slug: "calf-reduction-surgery-the-basics-explained") '
    "{ title body { ... on ProcedureBlock { procedure { slug summary } } } } }"
)
PREVIEW = '{ procedure(slug: "calf-liposuction", token: "not-a-token") { title } }'

PUBLISH = """
from procedures.models import ProcedurePage
page = ProcedurePage.objects.get(slug="calf-liposuction")
page.summary = "Purged from Varnish on publish."
page.save_revision().publish()
"""


@contextmanager
def varnish(backend: str, port: int):
    try:
        with throwaway_varnish(backend, port) as base:
            yield base
    except VarnishUnavailableError as missing:
        pytest.skip(str(missing))


def get(base: str, query: str, **headers: str):
    """A GET as an app sends it: status, headers and the decoded body."""
    url = base + "/graphql/?" + urllib.parse.urlencode({"query": query})
    request = urllib.request.Request(url, headers={"Host": "localhost", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read())


def cached(base: str, query: str, **headers: str) -> str:
    return get(base, query, **headers)[1]["X-Cache-Varnish"]


def warm(base: str, query: str) -> None:
    """Read until Varnish holds the answer. The answer Django computes for one client carries
    that client's rate-limit budget and is private; Django's response cache hit that follows
    is public, and that is the copy Varnish keeps: cached by the second or third read."""
    outcomes = [cached(base, query) for _ in range(3)]
    assert "HIT" in outcomes, (query, outcomes)


def test_varnish_caches_reads_and_a_publish_purges_exactly_what_it_changed():
    port = free_port()
    with seeded_copy() as database_url:
        env = app_env(
            database_url,
            "",
            HTTP_CACHE_PURGE_URLS=f"http://127.0.0.1:{port}",
            GRAPHQL_SHARED_MAX_AGE="300",
        )
        with gunicorn(env, as_served=True) as backend, varnish(backend, port) as base:
            # Straight from Django: the tags Varnish indexes the answer by.
            _, _, found = get(backend, '{ procedure(slug: "calf-liposuction") { id } }')
            procedure_tag = "p" + found["data"]["procedure"]["id"]
            _, direct, _ = get(backend, ARTICLE)
            assert "s-maxage=" in direct["Cache-Control"]
            article_tags = direct["xkey"].split()
            assert procedure_tag in article_tags  # a card in the article's body
            assert direct["Cache-Tag"] == ",".join(article_tags)
            assert direct["Surrogate-Key"] == direct["xkey"]

            for query in (PROCEDURE, OTHER_PROCEDURE, MUSCLES, ARTICLE):
                assert cached(base, query) == "MISS"
                warm(base, query)
                status, headers, _ = get(base, query)
                assert status == 200
                assert headers["X-Cache-Varnish"] == "HIT", query
                assert len(headers["X-Varnish"].split()) == 2  # this request's id, the object's
                # The tags are Varnish's business, not the client's.
                assert headers["xkey"] is None and headers["Cache-Tag"] is None

            manage(env, "shell", "-c", PUBLISH)  # acknowledged: the signal handlers purged

            status, headers, body = get(base, PROCEDURE)
            assert headers["X-Cache-Varnish"] == "MISS"
            assert body["data"]["procedure"]["summary"] == "Purged from Varnish on publish."
            _, headers, body = get(base, ARTICLE)
            assert headers["X-Cache-Varnish"] == "MISS"
            cards = [block["procedure"] for block in body["data"]["article"]["body"] if block]
            assert {"slug": "calf-liposuction", "summary": "Purged from Varnish on publish."} in (
                cards
            )
            # What the publish did not touch stays cached.
            assert cached(base, OTHER_PROCEDURE) == "HIT"
            assert cached(base, MUSCLES) == "HIT"
            warm(base, PROCEDURE)
            assert cached(base, PROCEDURE) == "HIT"


def test_previews_and_editors_never_enter_varnish():
    port = free_port()
    with seeded_copy() as database_url:
        env = app_env(
            database_url,
            "",
            HTTP_CACHE_PURGE_URLS=f"http://127.0.0.1:{port}",
            GRAPHQL_SHARED_MAX_AGE="300",
        )
        with gunicorn(env, as_served=True) as backend, varnish(backend, port) as base:
            for _ in range(2):
                _, headers, _ = get(base, PREVIEW)
                assert headers["X-Cache-Varnish"] == "MISS"
                assert "no-store" in headers["Cache-Control"]
            for _ in range(2):
                assert cached(base, PROCEDURE, Cookie="sessionid=an-editor") == "MISS"
            # The editor's reads did not fill the cache for anyone else either.
            assert cached(base, PROCEDURE) == "MISS"
            warm(base, PROCEDURE)
            assert cached(base, PROCEDURE) == "HIT"
            # A POST goes to Django every time.
            request = urllib.request.Request(
                base + "/graphql/",
                data=json.dumps({"query": PROCEDURE}).encode(),
                headers={"Host": "localhost", "Content-Type": "application/json"},
            )
            for _ in range(2):
                with urllib.request.urlopen(request, timeout=10) as response:
                    assert response.headers["X-Cache-Varnish"] == "MISS"
