"""Cached reads by POST (Apollo Client's default) are answered on the same early path as GETs
(`cms/graphql/cached_reads.py`): before the session, auth and lockout middleware, with the
same headers, and never for a body the view would refuse."""

import json

import pytest
from django.conf import settings

from procedures.models import ProcedurePage

pytestmark = pytest.mark.django_db

QUERY = '{ procedure(slug: "calf-liposuction") { title summary } }'
EARLY = "cms.graphql.cached_reads.CachedReadMiddleware"
REACHED: list[str] = []


class Reached:
    """A test's middleware just after the early path: it notes each request that got past."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        REACHED.append(request.method)
        return self.get_response(request)


@pytest.fixture
def probed(settings):
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(middleware.index(EARLY) + 1, f"{__name__}.Reached")
    settings.MIDDLEWARE = middleware
    REACHED.clear()
    return REACHED


def post(client, body, content_type="application/json", **headers):
    text = body if isinstance(body, str) else json.dumps(body)
    return client.post("/graphql/", text, content_type=content_type, **headers)


def test_a_post_hit_is_answered_before_the_rest_of_the_stack(client, probed):
    ran = post(client, {"query": QUERY})
    assert probed == ["POST"] and ran.get("X-Cache") != "HIT"
    hit = post(client, {"query": QUERY})
    assert hit["X-Cache"] == "HIT"
    assert probed == ["POST"]  # the hit did not get past the early path
    # The run's body also carries what it cost this client (`extensions.cost`).
    assert hit.json()["data"] == ran.json()["data"]


def test_a_post_hit_has_the_headers_of_a_get_hit(client):
    post(client, {"query": QUERY})
    by_post = post(client, {"query": QUERY})
    by_get = client.get("/graphql/", {"query": QUERY})
    assert by_post["X-Cache"] == by_get["X-Cache"] == "HIT"
    assert by_post.content == by_get.content
    ignored = {"X-Request-ID"}
    assert {k: v for k, v in by_post.items() if k not in ignored} == {
        k: v for k, v in by_get.items() if k not in ignored
    }


def test_a_post_hit_is_never_stale(client):
    post(client, {"query": QUERY})
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.summary = "Changed after the POST was cached."
    page.save_revision().publish()
    fresh = post(client, {"query": QUERY})
    assert fresh.get("X-Cache") != "HIT"
    assert fresh.json()["data"]["procedure"]["summary"] == "Changed after the POST was cached."


@pytest.mark.parametrize(
    ("send", "status"),
    [
        (lambda c: post(c, {"query": QUERY}, content_type="text/plain"), 415),
        # One error per operation; 200 for application/json, as Apollo's BatchHttpLink expects.
        (lambda c: post(c, [{"query": QUERY}]), 200),
        (lambda c: post(c, '{"query": ' + json.dumps(QUERY)), 400),
        (
            lambda c: post(
                c, {"query": QUERY, "pad": "x" * settings.GRAPHQL_LIMITS["MAX_BODY_BYTES"]}
            ),
            413,
        ),
    ],
    ids=["wrong-content-type", "batch", "broken-json", "too-large"],
)
def test_a_body_the_view_refuses_is_refused_even_when_its_query_is_cached(client, send, status):
    post(client, {"query": QUERY})
    assert post(client, {"query": QUERY})["X-Cache"] == "HIT"
    refused = send(client)
    assert refused.status_code == status
    assert refused.get("X-Cache") != "HIT"
    errors = refused.json()
    assert (errors[0] if isinstance(errors, list) else errors)["errors"]


def test_a_post_with_a_session_goes_to_the_view(client, django_user_model, probed):
    post(client, {"query": QUERY})
    client.force_login(django_user_model.objects.create_user("reader", password="pw"))
    probed.clear()
    post(client, {"query": QUERY})
    assert probed == ["POST"]
