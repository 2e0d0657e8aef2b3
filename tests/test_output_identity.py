"""Speed work never changes an answer: for every benchmark query, the planned answer, its
response cache hit (by GET and by POST) and item-by-item resolution with planning off (the
benchmark's "stock" mode) are byte-identical."""

import json
import urllib.parse

import pytest
from django.core.cache import cache

from benchmarks.queries import CONTRACT_QUERIES

pytestmark = [pytest.mark.django_db, pytest.mark.urls("benchmarks.urls")]


@pytest.mark.parametrize("name", list(CONTRACT_QUERIES))
def test_every_way_of_answering_a_benchmark_query_gives_the_same_bytes(client, settings, name):
    # Without the rate limit, a run's body carries no per-client `extensions.cost`: the bytes
    # of every way of answering can be compared as they are.
    settings.GRAPHQL_RATE_LIMIT_POINTS = 0
    query = CONTRACT_QUERIES[name][0]
    body = json.dumps({"query": query})
    get = "/graphql/?" + urllib.parse.urlencode({"query": query})
    stock = client.post("/bench/stock/graphql/", body, content_type="application/json")
    cache.clear()
    planned = client.get(get)
    hit_by_get = client.get(get)
    hit_by_post = client.post("/graphql/", body, content_type="application/json")
    assert hit_by_get["X-Cache"] == hit_by_post["X-Cache"] == "HIT"
    assert stock.status_code == planned.status_code == 200
    assert "errors" not in json.loads(planned.content)
    assert stock.content == planned.content == hit_by_get.content == hit_by_post.content
