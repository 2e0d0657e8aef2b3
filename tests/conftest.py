"""Shared fixtures: the seed site loaded once per test database, and a GraphQL client."""

import json

import pytest
from django.core.cache import cache
from django.test import Client
from wagtail.models import Page

from cms.graphql.rate_limit import local_buckets
from freshness.memo import per_generation
from home.seeding import load_seed
from procedures.facts import default_locale_id
from procedures.models import ProcedureIndexPage, ProcedurePage
from reviews.setup import ensure_medical_review


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test starts from the seed site under medical review; changes are rolled back."""
    with django_db_blocker.unblock():
        ensure_medical_review()
        load_seed()
        # Read once per process (its first request's one query), here rather than inside a
        # test that counts queries.
        default_locale_id()


@pytest.fixture(autouse=True)
def empty_cache():
    """Cached responses, persisted queries and rate limit buckets must not carry over from one
    test to another."""
    cache.clear()
    local_buckets.clear()
    per_generation.clear()
    yield
    cache.clear()
    local_buckets.clear()
    per_generation.clear()


# What Apollo Client 4 sends: GraphQL request errors then come back as 400.
APOLLO_ACCEPT = "application/graphql-response+json,application/json;q=0.9"


class GraphQLClient:
    """POSTs GraphQL documents to `/graphql/` the way an app (Apollo Client 4) does."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def post(self, query: str, variables: dict | None = None, **extra):
        body = {"query": query}
        if variables is not None:
            body["variables"] = variables
        extra.setdefault("HTTP_ACCEPT", APOLLO_ACCEPT)
        return self.client.post(
            "/graphql/", json.dumps(body), content_type="application/json", **extra
        )

    def __call__(self, query: str, variables: dict | None = None) -> dict:
        """The `data` of a query that must succeed."""
        response = self.post(query, variables)
        payload = response.json()
        assert response.status_code == 200, payload
        assert "errors" not in payload, payload["errors"]
        return payload["data"]

    def errors(self, query: str, variables: dict | None = None) -> list[dict]:
        """The `errors` of a query that must fail."""
        response = self.post(query, variables)
        payload = response.json()
        assert payload.get("errors"), payload
        return payload["errors"]


@pytest.fixture
def gql(client) -> GraphQLClient:
    return GraphQLClient(client)


@pytest.fixture
def procedure_index(db) -> ProcedureIndexPage:
    return ProcedureIndexPage.objects.get()


@pytest.fixture
def make_procedure(procedure_index):
    """Publish a procedure page under the index with the given facts."""

    def make(slug: str, *, publish: bool = True, muscles=(), **fields) -> ProcedurePage:
        fields.setdefault("title", slug.replace("-", " ").title())
        fields.setdefault("summary", f"Summary of {slug}.")
        page = ProcedurePage(slug=slug, live=publish, **fields)
        page.muscles = list(muscles)
        procedure_index.add_child(instance=page)
        revision = page.save_revision()
        if publish:
            revision.publish()
        return ProcedurePage.objects.get(pk=page.pk)

    return make


def page_by_slug(slug: str) -> Page:
    return Page.objects.get(slug=slug).specific
