"""Every root field and type field of the contract in PRODUCT.md, against the seed site."""

import re

import pytest

from home.models import ArticlePage
from procedures.models import ProcedurePage

ARTICLE_SLUG = "calf-reduction-surgery-the-basics-explained"
ARTICLE_PATH = f"/{ARTICLE_SLUG}/"

PROCEDURE_FIELDS = """
  id title slug urlPath summary body approach invasiveness permanence targets
  muscles { name slug } recoveryTime recoveryDays sessions onset idealCandidates
  image { url width height alt srcSet(sizes: [320, 640]) }
  relatedProcedures { slug } lastPublishedAt
"""


def without_block_keys(html: str) -> str:
    """Rich text as stored by the editor carries Draftail's block keys (random per block)."""
    return re.sub(r' data-block-key="[^"]*"', "", html)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "arguments",
    [
        'slug: "calf-liposuction"',
        'urlPath: "/procedures/calf-liposuction/"',
        'urlPath: "procedures/calf-liposuction"',
        "id: {id}",
    ],
)
def test_procedure_by_slug_path_or_id(gql, arguments):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    query = f"{{ procedure({arguments.format(id=page.pk)}) {{ {PROCEDURE_FIELDS} }} }}"
    procedure = gql(query)["procedure"]
    assert procedure["id"] == str(page.pk)
    assert procedure["title"] == "Calf Liposuction"
    assert procedure["slug"] == "calf-liposuction"
    assert procedure["urlPath"] == "/procedures/calf-liposuction/"
    assert procedure["summary"] == "Calf liposuction is a surgical procedure."
    assert without_block_keys(procedure["body"]).startswith("<p>It reshapes the calf")
    assert procedure["relatedProcedures"] == [{"slug": "radio-frequency-calf-reduction"}]
    assert procedure["lastPublishedAt"]


@pytest.mark.django_db
def test_procedure_image_has_alt_and_a_srcset_of_renditions(gql):
    image = gql(f'{{ procedure(slug: "selective-neurectomy") {{ {PROCEDURE_FIELDS} }} }}')[
        "procedure"
    ]["image"]
    assert image["alt"] == "Placeholder illustration in green with the words Selective Neurectomy."
    assert (image["width"], image["height"]) == (1600, 900)
    assert image["url"].endswith(".png")
    candidates = [c.strip().split(" ") for c in image["srcSet"].split(",")]
    assert [width for _, width in candidates] == ["320w", "640w"]
    assert all(".width-" in url for url, _ in candidates)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "arguments",
    ['slug: "no-such-procedure"', 'urlPath: "/procedures/nope/"', "id: 999999", ""],
)
def test_an_unknown_procedure_is_null_not_an_error(gql, arguments):
    query = f"{{ procedure{f'({arguments})' if arguments else ''} {{ slug }} }}"
    assert gql(query) == {"procedure": None}


@pytest.mark.django_db
def test_an_id_that_is_not_a_number_is_bad_input(gql):
    errors = gql.errors('{ procedure(id: "abc") { slug } }')
    assert errors[0]["message"] == "Argument 'id' must be a whole number; got 'abc'."


@pytest.mark.django_db
def test_a_procedure_slug_does_not_find_the_article(gql):
    assert gql(f'{{ procedure(slug: "{ARTICLE_SLUG}") {{ slug }} }}') == {"procedure": None}
    assert gql('{ article(slug: "calf-liposuction") { slug } }') == {"article": None}


@pytest.mark.django_db
@pytest.mark.parametrize("arguments", [f'slug: "{ARTICLE_SLUG}"', f'urlPath: "{ARTICLE_PATH}"'])
def test_article_by_slug_or_path(gql, arguments):
    article = gql(
        f"{{ article({arguments}) {{ id title slug urlPath intro benefits "
        "targetMuscles { slug } heroImage { alt } procedures { slug title } "
        "body { blockType field rawValue "
        "... on ProcedureBlock { procedure { slug } } "
        "... on RichTextBlock { value } ... on CharBlock { value } } } }"
    )["article"]
    assert article["title"] == "Calf Reduction Surgery: The Basics Explained"
    assert article["urlPath"] == ARTICLE_PATH
    assert without_block_keys(article["intro"]).startswith(
        "<p>Have you ever put on a pair of boots"
    )
    assert article["heroImage"]["alt"]
    assert next(p["slug"] for p in article["procedures"]) == "calf-liposuction"
    fields = [block["field"] for block in article["body"]]
    assert fields == [
        "heading",
        "paragraph",
        "paragraph",
        "benefits",
        "paragraph",
        "heading",
        "paragraph",
        *["procedure"] * 5,
        "paragraph",
    ]
    assert article["body"][0] == {
        "blockType": "CharBlock",
        "field": "heading",
        "rawValue": "What Is Calf Reduction Surgery?",
        "value": "What Is Calf Reduction Surgery?",
    }
    assert without_block_keys(article["body"][1]["value"]).startswith(
        "<p>Calf reduction surgery originated in Korea"
    )
    referenced = [b["procedure"]["slug"] for b in article["body"] if b["field"] == "procedure"]
    assert referenced == [p["slug"] for p in article["procedures"]]


@pytest.mark.django_db
def test_article_by_id(gql):
    article = ArticlePage.objects.get()
    assert gql(f"{{ article(id: {article.pk}) {{ slug }} }}") == {"article": {"slug": ARTICLE_SLUG}}


@pytest.mark.django_db
def test_articles_are_paginated(gql):
    articles = gql(
        "{ articles(perPage: 5) { items { slug } "
        "pagination { total count currentPage totalPages } } }"
    )["articles"]
    assert articles == {
        "items": [{"slug": ARTICLE_SLUG}],
        "pagination": {"total": 1, "count": 1, "currentPage": 1, "totalPages": 1},
    }


@pytest.mark.django_db
def test_muscles(gql):
    assert gql("{ muscles { name slug } }")["muscles"] == [
        {"name": "Medial gastrocnemius", "slug": "medial-gastrocnemius"},
        {"name": "Soleus", "slug": "soleus"},
    ]


@pytest.mark.django_db
def test_generic_page_by_url_path_resolves_the_specific_type(gql):
    page = gql(
        '{ page(urlPath: "/procedures/botox-calf-reduction/") { __typename title urlPath '
        "... on ProcedurePage { permanence } } }"
    )["page"]
    assert page == {
        "__typename": "ProcedurePage",
        "title": "BOTOX® Calf Reduction",
        "urlPath": "/procedures/botox-calf-reduction/",
        "permanence": "TEMPORARY",
    }


@pytest.mark.django_db
def test_pages_lists_the_site_for_navigation(gql):
    pages = gql("{ pages(limit: 20) { urlPath contentType } }")["pages"]
    paths = {page["urlPath"]: page["contentType"] for page in pages}
    assert paths["/"] == "home.HomePage"
    assert paths[ARTICLE_PATH] == "home.ArticlePage"
    assert paths["/procedures/"] == "procedures.ProcedureIndexPage"
    assert paths["/procedures/radio-frequency-calf-reduction/"] == "procedures.ProcedurePage"
    assert len(paths) == 8


@pytest.mark.django_db
def test_search_finds_pages_by_their_text(gql):
    results = gql('{ search(query: "liposuction") { __typename ... on ProcedurePage { slug } } }')[
        "search"
    ]
    assert {"__typename": "ProcedurePage", "slug": "calf-liposuction"} in results


@pytest.mark.django_db
def test_images_have_alt_text(gql):
    images = gql("{ images(limit: 20) { title alt width } }")["images"]
    assert len(images) == 6
    assert all(image["alt"] for image in images)


@pytest.mark.django_db
def test_redirects_root_field_exists(gql):
    assert gql("{ redirects { oldPath } }") == {"redirects": []}


@pytest.mark.django_db
def test_graphql_get_runs_a_query(client):
    response = client.get(
        "/graphql/", {"query": '{ procedure(slug: "calf-liposuction") { title } }'}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"procedure": {"title": "Calf Liposuction"}}}


@pytest.mark.django_db
def test_graphiql_is_served_when_enabled(client):
    response = client.get("/graphiql/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"graphiql" in response.content.lower()
