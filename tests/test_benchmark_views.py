"""The benchmark's yardstick: the plain Django views answer the same questions as the API."""

import json
import urllib.parse

import pytest

from benchmarks.queries import ARTICLE, PROCEDURE, PROCEDURES

pytestmark = [pytest.mark.django_db, pytest.mark.urls("benchmarks.urls")]


def graphql(client, query: str) -> dict:
    response = client.get("/graphql/?" + urllib.parse.urlencode({"query": query}))
    assert response.status_code == 200
    return response.json()["data"]


def plain(client, name: str) -> dict:
    response = client.get(f"/bench/plain/{name}/")
    assert response.status_code == 200
    return json.loads(response.content)


def test_plain_procedures_match_the_api(client):
    api = graphql(client, PROCEDURES)["procedures"]
    view = plain(client, "procedures")["procedures"]
    assert view["pagination"]["total"] == api["pagination"]["total"] == 5
    for ours, theirs in zip(api["items"], view["items"], strict=True):
        for field in ("slug", "title", "summary", "recoveryDays", "idealCandidates"):
            assert ours[field] == theirs[field]
        assert ours["muscles"] == theirs["muscles"]
        assert ours["image"]["alt"] == theirs["image"]["alt"]
        assert len(ours["image"]["srcSet"].split(", ")) == len(
            theirs["image"]["srcSet"].split(", ")
        )
        assert [r["slug"] for r in ours["relatedProcedures"]] == [
            r["slug"] for r in theirs["relatedProcedures"]
        ]


@pytest.mark.parametrize("view", ["plain", "yardstick"])
def test_the_yardstick_views_answer_one_procedure_as_the_api_does(client, view):
    api = graphql(client, PROCEDURE)["procedure"]
    response = client.get(f"/bench/{view}/procedure/")
    ours = json.loads(response.content)["procedure"]
    for field in ("slug", "title", "summary", "recoveryDays", "idealCandidates", "muscles"):
        assert ours[field] == api[field]
    assert ours["image"]["srcSet"] == api["image"]["srcSet"]
    assert [r["slug"] for r in ours["relatedProcedures"]] == [
        r["slug"] for r in api["relatedProcedures"]
    ]


def test_the_yardstick_reads_no_site_privacy_or_collection_facts(client, django_assert_num_queries):
    client.get("/bench/yardstick/procedure/")
    # The page with its image (1), renditions (1), muscles (1), related procedures (1), and
    # Wagtail's `public()` reading the restrictions for each of the two querysets (2): no site,
    # no content generation, no private collections.
    with django_assert_num_queries(6):
        client.get("/bench/yardstick/procedure/")


def test_plain_procedure_and_article_match_the_api(client):
    assert (
        plain(client, "procedure")["procedure"]["summary"]
        == (graphql(client, PROCEDURE)["procedure"]["summary"])
    )
    api = graphql(client, ARTICLE)["article"]
    view = plain(client, "article")["article"]
    assert view["title"] == api["title"]
    assert view["benefits"] == api["benefits"]
    assert {p["slug"] for p in view["procedures"]} == {p["slug"] for p in api["procedures"]}
    assert len(view["body"]) == len(api["body"])


def test_the_worst_query_cell_runs_every_allowed_shape_without_a_server_error():
    """`make bench`'s search for the most expensive allowed shapes, on the seed site (chains of
    up to two tree fields here; three in the benchmark)."""
    from benchmarks import worst

    found = worst.measure(top=3, max_chain=2)
    assert found["tried"] == len(worst.ROOTS) * (1 + 6 + 36)
    assert found["ran"] + found["refused"] == found["tried"]
    assert found["ran"] > 0
    assert found["server_errors"] == 0
    assert len(found["worst"]) == 3
    assert found["worst"][0]["ms"] >= found["worst"][-1]["ms"]
    # The worst shape's document is one the limits allow, at the size reported.
    assert f"{found['worst'][0]['size']}" in found["worst_document"]
