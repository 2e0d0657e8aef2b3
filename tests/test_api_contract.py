"""Every root field and type field of the contract in docs/API.md, against the seed site."""

from unittest.mock import ANY

import pytest

from home.models import ArticlePage
from procedures.models import ProcedurePage

ARTICLE_SLUG = "calf-reduction-surgery-the-basics-explained"
ARTICLE_PATH = f"/{ARTICLE_SLUG}/"

PROCEDURE_FIELDS = """
  id title slug urlPath summary bodyHtml approach invasiveness permanence targets
  muscles { name slug } recoveryTime recoveryDays sessions onset idealCandidates
  image { url width height alt srcSet(widths: [320, 640]) }
  relatedProcedures { slug } lastPublishedAt
"""


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
    assert procedure["bodyHtml"].startswith("<p>It reshapes the calf")
    assert "data-block-key" not in procedure["bodyHtml"]
    assert procedure["relatedProcedures"] == [{"slug": "radio-frequency-calf-reduction"}]
    assert procedure["lastPublishedAt"]


@pytest.mark.django_db
def test_procedure_image_has_alt_and_a_srcset_of_renditions(gql):
    image = gql(f'{{ procedure(slug: "selective-neurectomy") {{ {PROCEDURE_FIELDS} }} }}')[
        "procedure"
    ]["image"]
    assert image["alt"] == "Placeholder illustration in green with the words Selective Neurectomy."
    assert (image["width"], image["height"]) == (1600, 900)
    assert image["url"].startswith("http://testserver/media/") and image["url"].endswith(".png")
    candidates = [c.strip().split(" ") for c in image["srcSet"].split(",")]
    assert [width for _, width in candidates] == ["320w", "640w"]
    assert all(url.startswith("http://testserver/media/") for url, _ in candidates)
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


BODY = """
  body {
    __typename id
    ... on HeadingBlock { text }
    ... on ParagraphBlock { html }
    ... on ListBlock { items }
    ... on BenefitsBlock { items }
    ... on ProcedureBlock { procedure { slug } }
  }
"""


@pytest.mark.django_db
@pytest.mark.parametrize("arguments", [f'slug: "{ARTICLE_SLUG}"', f'urlPath: "{ARTICLE_PATH}"'])
def test_article_by_slug_or_path(gql, arguments):
    article = gql(
        f"{{ article({arguments}) {{ id title slug urlPath introHtml benefits "
        "targetMuscles { slug } heroImage { alt } procedures { slug title } " + BODY + "} }"
    )["article"]
    assert article["title"] == "Calf Reduction Surgery: The Basics Explained"
    assert article["urlPath"] == ARTICLE_PATH
    assert article["introHtml"].startswith("<p>Have you ever put on a pair of boots")
    assert article["heroImage"]["alt"]
    assert next(p["slug"] for p in article["procedures"]) == "calf-liposuction"
    kinds = [block["__typename"] for block in article["body"]]
    assert kinds == [
        "HeadingBlock",
        "ParagraphBlock",
        "ParagraphBlock",
        "BenefitsBlock",
        "ParagraphBlock",
        "HeadingBlock",
        "ParagraphBlock",
        *["ProcedureBlock"] * 5,
        "ParagraphBlock",
    ]
    heading = article["body"][0]
    assert heading["text"] == "What Is Calf Reduction Surgery?"
    assert len(heading["id"]) == 36  # the block's stable UUID
    assert article["body"][1]["html"].startswith("<p>Calf reduction surgery originated in Korea")
    assert article["body"][3]["items"] == article["benefits"] and article["benefits"]
    referenced = [b["procedure"]["slug"] for b in article["body"] if "procedure" in b]
    assert referenced == [p["slug"] for p in article["procedures"]]


@pytest.mark.django_db
def test_list_blocks_serve_their_items_as_strings(gql):
    article = ArticlePage.objects.get()
    article.body.append(("list", ["First point", "Second point"]))
    article.save_revision().publish()
    body = gql(f'{{ article(slug: "{ARTICLE_SLUG}") {{ {BODY} }} }}')["article"]["body"]
    assert body[-1]["__typename"] == "ListBlock"
    assert body[-1]["items"] == ["First point", "Second point"]


@pytest.mark.django_db
def test_a_catch_all_route_asks_every_page_type_in_one_query(gql):
    query = (
        "query($path: String) { page(urlPath: $path) { __typename id title "
        "... on ProcedurePage { summary bodyHtml image { url } } "
        "... on ArticlePage { introHtml " + BODY + "} } }"
    )
    procedure = gql(query, {"path": "/procedures/calf-liposuction/"})["page"]
    assert procedure["__typename"] == "ProcedurePage" and procedure["bodyHtml"]
    article = gql(query, {"path": ARTICLE_PATH})["page"]
    assert article["__typename"] == "ArticlePage" and len(article["body"]) == 13


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
def test_pages_lists_the_site_for_sitemaps(gql):
    listed = gql(
        "{ pages(perPage: 20) { items { __typename urlPath lastPublishedAt } "
        "pagination { total } } }"
    )["pages"]
    paths = {page["urlPath"]: page["__typename"] for page in listed["items"]}
    assert paths["/"] == "HomePage"
    assert paths[ARTICLE_PATH] == "ArticlePage"
    assert paths["/procedures/"] == "ProcedureIndexPage"
    assert paths["/procedures/radio-frequency-calf-reduction/"] == "ProcedurePage"
    assert len(paths) == listed["pagination"]["total"] == 8
    assert all(page["lastPublishedAt"] for page in listed["items"])


@pytest.mark.django_db
def test_pages_filter_by_page_type(gql):
    listed = gql("{ pages(pageType: PROCEDURE_PAGE) { items { __typename } } }")["pages"]
    assert [page["__typename"] for page in listed["items"]] == ["ProcedurePage"] * 5


@pytest.mark.django_db
def test_search_finds_pages_by_their_text(gql):
    results = gql('{ search(query: "liposuction") { __typename ... on ProcedurePage { slug } } }')[
        "search"
    ]
    assert {"__typename": "ProcedurePage", "slug": "calf-liposuction"} in results


@pytest.mark.django_db
def test_search_returns_pages_only_and_at_most_its_limit(gql):
    results = gql('{ search(query: "BOTOX", limit: 1) { __typename id } }')["search"]
    assert len(results) == 1
    assert results[0]["__typename"].endswith("Page")


@pytest.mark.django_db
def test_redirects_lead_from_old_paths_to_public_pages_only(gql):
    from wagtail.contrib.redirects.models import Redirect

    live = ProcedurePage.objects.get(slug="calf-liposuction")
    Redirect.objects.create(old_path="/lipo", redirect_page=live)
    Redirect.objects.create(old_path="/elsewhere", redirect_link="https://example.com/x")
    assert gql("{ redirects { oldPath newPath isPermanent } }") == {
        "redirects": [
            {"oldPath": "/elsewhere", "newPath": "https://example.com/x", "isPermanent": True},
            {"oldPath": "/lipo", "newPath": "/procedures/calf-liposuction/", "isPermanent": True},
        ]
    }
    live.unpublish()
    assert gql("{ redirects { oldPath newPath } }")["redirects"][1] == {
        "oldPath": "/lipo",
        "newPath": None,
    }


@pytest.mark.django_db
def test_graphql_get_runs_a_query(client):
    response = client.get(
        "/graphql/", {"query": '{ procedure(slug: "calf-liposuction") { title } }'}
    )
    assert response.status_code == 200
    assert response.json() == {
        "data": {"procedure": {"title": "Calf Liposuction"}},
        "extensions": ANY,  # this client's cost (tests/test_rate_limits.py)
    }


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_the_endpoint_answers_without_the_trailing_slash(client, method):
    query = '{ procedure(slug: "calf-liposuction") { title } }'
    if method == "get":
        response = client.get("/graphql", {"query": query})
    else:
        response = client.post("/graphql", {"query": query}, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {
        "data": {"procedure": {"title": "Calf Liposuction"}},
        "extensions": ANY,
    }


@pytest.mark.django_db
def test_graphiql_is_served_when_enabled(client):
    response = client.get("/graphiql/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"graphiql" in response.content.lower()


@pytest.mark.django_db
def test_body_blocks_say_their_kind_without_typename(gql):
    """`ListBlock` and `BenefitsBlock` have the same fields: `kind` tells them apart."""
    article = ArticlePage.objects.get(slug="calf-reduction-surgery-the-basics-explained")
    article.body.append(("list", ["One", "Two"]))
    article.save_revision().publish()
    body = gql(
        '{ article(slug: "calf-reduction-surgery-the-basics-explained") '
        "{ body { kind __typename } } }"
    )["article"]["body"]
    kinds = {block["__typename"]: block["kind"] for block in body}
    assert kinds["ListBlock"] == "LIST" and kinds["BenefitsBlock"] == "BENEFITS"
    assert len(set(kinds.values())) == len(kinds)
    from cms.graphql.schema import schema
    from home.api import BLOCK_KINDS, ArticleBlock

    implementations = schema.graphql_schema.get_implementations(
        schema.graphql_schema.get_type(ArticleBlock._meta.name)
    ).objects
    assert {t.name for t in implementations} == {t._meta.name for t in BLOCK_KINDS}
