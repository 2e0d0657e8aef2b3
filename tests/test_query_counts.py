"""SQL queries per contract query do not grow with the number of items, and unasked-for
relations are not fetched. Counts are exact, at two sizes."""

import pytest
from django.core.cache import cache

from benchmarks.queries import ACROSS_TYPES, ARTICLE, PROCEDURE, PROCEDURES, SLUGS_ONLY
from home.models import ArticlePage
from procedures.models import Muscle, ProcedurePage


@pytest.fixture(params=[0, 40], ids=["5 procedures", "45 procedures"])
def site_of_size(request, make_procedure):
    """The seed site, plus extra procedures that have everything a list can ask for."""
    muscles = list(Muscle.objects.all())
    seed = list(ProcedurePage.objects.all())
    article = ArticlePage.objects.get()
    for number in range(request.param):
        page = make_procedure(
            f"extra-{number}",
            muscles=muscles,
            image=seed[number % 5].image,
            summary="Another calf procedure.",
        )
        page.related_procedures = seed[:3]
        page.save_revision().publish()
        article.body.append(("procedure", {"procedure": page}))
    if request.param:
        article.save_revision().publish()
    return 5 + request.param


# Without Redis (as here), every answer that may be cached reads the content generation from the
# database (`freshness/generation.py`): one query, whatever the page count. The site, the
# privacy restrictions and the private collections are kept per generation
# (`freshness/memo.py`): the first request after a change reads them (3 more queries, see
# `test_the_site_and_privacy_facts_are_read_again_after_a_change`), the next ones do not.
def count_queries(client, django_assert_num_queries, query: str, expected: int) -> dict:
    client.post("/graphql/", {"query": query}, content_type="application/json")  # renditions
    cache.clear()
    with django_assert_num_queries(expected):
        response = client.post("/graphql/", {"query": query}, content_type="application/json")
    payload = response.json()
    assert "errors" not in payload, payload
    return payload["data"]


# Count and items (2), images and their renditions (2), muscles (1), related procedures with
# their images joined (1), cache expiry and go-live checks (2), the content generation (1).
@pytest.mark.django_db
def test_procedures_list_is_constant(client, django_assert_num_queries, site_of_size):
    data = count_queries(client, django_assert_num_queries, PROCEDURES, 9)
    assert len(data["procedures"]["items"]) == site_of_size


# The page with its image joined (1), renditions (1), muscles (1), related procedures with
# their images joined (1), cache expiry and go-live checks (2), the content generation (1).
@pytest.mark.django_db
def test_one_procedure_is_constant(client, django_assert_num_queries, site_of_size):
    data = count_queries(client, django_assert_num_queries, PROCEDURE, 7)
    assert data["procedure"]["slug"] == "calf-liposuction"


# Article with its hero image joined (1), renditions (1), benefits (1), target muscles (1),
# referenced procedures with their images joined, renditions and muscles (3), cache expiry
# and go-live checks (2), the content generation (1). The body is read from its raw data.
@pytest.mark.django_db
def test_article_with_its_procedures_is_constant(client, django_assert_num_queries, site_of_size):
    data = count_queries(client, django_assert_num_queries, ARTICLE, 10)
    assert len(data["article"]["procedures"]) == site_of_size


# Pages: count, ids and one query per page type (1 + 1 + 4), procedure images and muscles
# (2); search: the index, the ids,
# one query per page type, procedure images (1 + 1 + 3 + 1); cache expiry and go-live checks
# (2), the content generation (1).
# Page types are few; the count does not follow the page count.
@pytest.mark.django_db
def test_pages_and_search_across_types_are_constant(
    client, django_assert_num_queries, site_of_size
):
    data = count_queries(client, django_assert_num_queries, ACROSS_TYPES, 17)
    assert len(data["pages"]["items"]) == 3 + min(site_of_size, 97)


# Count and items (2), cache expiry and go-live checks (2), the content generation (1): no
# images, muscles or related procedures when the query does not ask for them.
@pytest.mark.django_db
def test_nothing_is_fetched_that_was_not_asked_for(client, django_assert_num_queries, site_of_size):
    data = count_queries(client, django_assert_num_queries, SLUGS_ONLY, 5)
    assert len(data["procedures"]["items"]) == site_of_size


# The site (1), the privacy restrictions (1) and the private collections (1) are read again by
# the first request after any content change, and then kept: a change to them is a content
# change (a new generation), so a kept value is never one a change has made wrong.
@pytest.mark.django_db
def test_the_site_and_privacy_facts_are_read_again_after_a_change(
    client, django_assert_num_queries
):
    count_queries(client, django_assert_num_queries, PROCEDURE, 7)
    page = ProcedurePage.objects.get(slug="botox-calf-reduction")
    page.save_revision().publish()
    cache.clear()
    with django_assert_num_queries(7 + 3):
        client.post("/graphql/", {"query": PROCEDURE}, content_type="application/json")
    cache.clear()
    with django_assert_num_queries(7):
        client.post("/graphql/", {"query": PROCEDURE}, content_type="application/json")


# The benchmark's "stock" endpoint: item-by-item resolution (as grapple does), planning off. Its
# queries grow with the items, which is what planning removes.
@pytest.mark.django_db
@pytest.mark.urls("benchmarks.urls")
def test_without_planning_queries_grow_with_the_items(client, make_procedure):
    def stock_count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        path = "/bench/stock/graphql/"
        client.post(path, {"query": PROCEDURES}, content_type="application/json")  # renditions
        with CaptureQueriesContext(connection) as captured:
            response = client.post(path, {"query": PROCEDURES}, content_type="application/json")
        assert "errors" not in response.json()
        assert response["X-Cache"] == "OFF"
        return len(captured.captured_queries)

    seed = list(ProcedurePage.objects.all())
    at_five = stock_count()
    for number in range(10):
        page = make_procedure(f"extra-{number}", muscles=Muscle.objects.all(), image=seed[0].image)
        page.related_procedures = seed[:2]
        page.save_revision().publish()
    assert stock_count() > at_five + 10 * 5  # image, renditions, muscles, related, theirs
    assert at_five > 10  # already more than the 10 of the planned query at 5 items


# As SLUGS_ONLY, and every item's translations (1): one query for the list, not one per page;
# with the related procedures (1) and theirs (1); an article (1), its translations (1), its
# procedures (1) and theirs (1), and the request's own (3).
@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, expected",
    [
        ("{ procedures(perPage: 100) { items { slug translations { locale urlPath } } } }", 6),
        (
            "{ procedures(perPage: 100) { items { slug translations { locale }"
            " relatedProcedures { translations { locale } } } } }",
            8,
        ),
        (
            '{ article(slug: "calf-reduction-surgery-the-basics-explained") {'
            " translations { locale } procedures { translations { locale } } } }",
            7,
        ),
    ],
    ids=["items", "items and their related procedures", "an article's procedures"],
)
def test_translations_are_one_query_per_batch(
    client, django_assert_num_queries, site_of_size, query, expected
):
    data = count_queries(client, django_assert_num_queries, query, expected)
    pages = data["procedures"]["items"] if "procedures" in data else data["article"]["procedures"]
    assert len(pages) == site_of_size
    assert all([t["locale"] for t in page["translations"]] == ["en"] for page in pages)
