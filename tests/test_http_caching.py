"""CDN- and app-friendly HTTP: GET queries, persisted queries, ETag with 304, Cache-Control."""

import hashlib
import json
from unittest.mock import ANY

import pytest

from procedures.models import ProcedurePage

QUERY = '{ procedure(slug: "calf-liposuction") { title summary } }'


def get(client, query: str | None = QUERY, **params):
    if query is not None:
        params["query"] = query
    return client.get("/graphql/", params)


@pytest.mark.django_db
def test_public_get_responses_are_cacheable_and_revalidated(client):
    ran = get(client)
    response = get(client)
    assert response.status_code == 200
    assert response["X-Cache"] == "HIT"
    assert response["Cache-Control"] == "public, max-age=0, must-revalidate"
    assert response["ETag"].startswith('"') and len(response["ETag"]) == 34
    # The run's copy carries this client's rate limit budget: for its own cache only.
    assert ran["Cache-Control"] == "private, max-age=0, must-revalidate"
    assert ran["ETag"] == "W/" + response["ETag"]
    for each in (ran, response):
        assert "Origin" in each["Vary"]
        assert "Cookie" not in each.get("Vary", "")
        assert not each.cookies


@pytest.mark.django_db
def test_an_unchanged_response_is_a_304(client):
    etag = get(client)["ETag"]
    not_modified = client.get("/graphql/", {"query": QUERY}, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == etag


@pytest.mark.django_db
def test_a_gzipped_hit_revalidates_with_the_etag_and_vary_of_its_variant(client):
    big = "{ procedures(perPage: 100) { items { slug title summary } } }"
    get(client, big)  # stored
    hit = client.get("/graphql/", {"query": big}, HTTP_ACCEPT_ENCODING="gzip")
    assert hit["X-Cache"] == "HIT"
    assert hit["Content-Encoding"] == "gzip"
    assert hit["ETag"].startswith('W/"')
    again = client.get(
        "/graphql/", {"query": big}, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=hit["ETag"]
    )
    assert again.status_code == 304
    assert again["ETag"] == hit["ETag"]
    assert again["Vary"] == hit["Vary"]
    assert not again.content


@pytest.mark.django_db
def test_after_a_publish_the_old_etag_gets_the_new_content(client):
    etag = get(client)["ETag"]
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.summary = "Republished."
    page.save_revision().publish()
    response = client.get("/graphql/", {"query": QUERY}, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert response.json()["data"]["procedure"]["summary"] == "Republished."


@pytest.mark.django_db
def test_the_etag_names_the_same_data_from_cache_and_from_a_fresh_run(client):
    first = get(client)
    # Weak from the run: its body adds this client's `extensions.cost`.
    assert first["ETag"] == "W/" + get(client)["ETag"]


@pytest.mark.django_db
def test_max_age_is_configurable(client, settings):
    settings.GRAPHQL_HTTP_MAX_AGE = 60
    assert get(client)["Cache-Control"] == "private, max-age=60"
    assert get(client)["Cache-Control"] == "public, max-age=60"


@pytest.mark.django_db
def test_errors_are_not_cacheable(client):
    response = get(client, "{ procedure(slug: ) }")
    assert response.status_code == 200  # plain JSON: a GraphQL request error is still 200
    assert "errors" in response.json()
    assert response["Cache-Control"] == "no-store"
    assert "ETag" not in response


@pytest.mark.django_db
def test_logged_in_editors_get_private_responses(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("ed", "e@example.com", "pw"))
    response = get(client)
    assert response["Cache-Control"] == "private, no-store"
    assert "ETag" not in response


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(digest: str, version: int = 1) -> str:
    return json.dumps({"persistedQuery": {"version": version, "sha256Hash": digest}})


@pytest.mark.django_db
def test_persisted_query_round_trip(client):
    digest = sha256(QUERY)
    unknown = get(client, None, extensions=persisted(digest))
    assert unknown.status_code == 200
    assert unknown.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }
    # The client sends the document once with its hash ...
    registered = client.post(
        "/graphql/",
        {"query": QUERY, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}},
        content_type="application/json",
    )
    assert registered.json()["data"]["procedure"]["title"] == "Calf Liposuction"
    # ... and from then on the hash alone, by GET, with HTTP caching.
    by_hash = get(client, None, extensions=persisted(digest))
    assert by_hash.json()["data"] == registered.json()["data"]
    assert by_hash["Cache-Control"] == "public, max-age=0, must-revalidate"
    again = client.get(
        "/graphql/", {"extensions": persisted(digest)}, HTTP_IF_NONE_MATCH=by_hash["ETag"]
    )
    assert again.status_code == 304


@pytest.mark.django_db
def test_persisted_query_with_variables_by_get(client):
    query = "query ($slug: String) { procedure(slug: $slug) { title } }"
    client.post(
        "/graphql/",
        {
            "query": query,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}},
        },
        content_type="application/json",
    )
    response = get(
        client,
        None,
        extensions=persisted(sha256(query)),
        variables=json.dumps({"slug": "selective-neurectomy"}),
    )
    assert response.json() == {
        "data": {"procedure": {"title": "Selective Neurectomy"}},
        "extensions": ANY,  # this client's cost (tests/test_rate_limits.py)
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extensions", "message"),
    [
        (persisted(sha256("{ other }")), "provided sha does not match query"),
        (persisted(sha256(QUERY), version=2), "Unsupported persisted query version"),
        (persisted("abc"), "sha256Hash must be a sha256 hex digest"),
        ("not json", "extensions must be a JSON object."),
    ],
)
def test_bad_persisted_queries_are_refused(client, extensions, message):
    response = get(client, QUERY, extensions=extensions)
    assert response.status_code == 400
    assert message in response.json()["errors"][0]["message"]


def offer(client, query: str, **extra):
    """Send a document with its hash, as Apollo's link does after PersistedQueryNotFound."""
    return client.post(
        "/graphql/",
        {
            "query": query,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}},
        },
        content_type="application/json",
        **extra,
    )


def kept(query: str) -> bool:
    from django.core.cache import cache

    from cms.graphql.persisted_queries import KEY_PREFIX

    return cache.get(KEY_PREFIX + sha256(query)) is not None


@pytest.mark.django_db
def test_junk_sent_with_its_own_hash_is_not_kept(client):
    junk = "x" * 5000
    response = offer(client, junk)
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert not kept(junk)
    by_hash = get(client, None, extensions=persisted(sha256(junk)))
    assert by_hash.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("document", "code"),
    [
        ("{ procedure(slug: 1) { nonsense } }", "GRAPHQL_VALIDATION_FAILED"),
        # Parses and validates, but over the limits: refused as it would be when run.
        ("{ procedures(perPage: 100000) { items { slug } } }", "QUERY_TOO_COMPLEX"),
    ],
)
def test_a_document_the_api_would_refuse_is_not_kept(client, document, code):
    response = offer(client, document)
    assert response.json()["errors"][0]["extensions"]["code"] == code
    assert "data" not in response.json()
    assert not kept(document)


@pytest.mark.django_db
def test_an_oversized_persisted_query_is_refused_with_a_code(client, settings):
    settings.GRAPHQL_PERSISTED_QUERY_MAX_BYTES = 100
    padded = QUERY + " " * 100
    response = offer(client, padded, HTTP_ACCEPT="application/graphql-response+json")
    assert response.status_code == 400
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "errors": [
            {
                "message": "Persisted query is larger than 100 bytes; send it without "
                "extensions.persistedQuery.",
                "extensions": {"code": "PERSISTED_QUERY_TOO_LARGE"},
            }
        ]
    }
    assert not kept(padded)
    # Sent as a plain query it runs: only keeping it is refused.
    assert get(client, padded).json()["data"]["procedure"]["title"] == "Calf Liposuction"


@pytest.mark.django_db
def test_a_valid_document_is_kept_and_then_served_by_its_hash_alone(client):
    response = offer(client, QUERY)
    assert response.json()["data"]["procedure"]["title"] == "Calf Liposuction"
    assert kept(QUERY)
    by_hash = get(client, None, extensions=persisted(sha256(QUERY)))
    assert by_hash.json()["data"] == response.json()["data"]


@pytest.mark.django_db
def test_a_document_offered_by_get_is_kept_even_when_its_response_is_cached(client):
    get(client, QUERY)  # the response is cached before any client offers the document
    offered = get(client, QUERY, extensions=persisted(sha256(QUERY)))
    assert offered.json()["data"]["procedure"]["title"] == "Calf Liposuction"
    assert kept(QUERY)
