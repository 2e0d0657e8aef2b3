"""Anonymous clients see only live, public content of the request's site, on every path.

Each test builds one hidden page in one unpublished state, references it from everywhere
a page can be reached, and asks for it along one path. The page's marker text must never
appear in the response; where the path can show the page, it must not (except the live
version of a page whose newer draft is unpublished, which must show the live text).
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page, PageViewRestriction, Site

from home.models import ArticlePage, HomePage
from procedures.models import ProcedureIndexPage, ProcedurePage

CASES = [
    "never_published",
    "unpublished",
    "newer_draft",
    "scheduled",
    "expired",
    "password",
    "login",
    "groups",
    "other_site",
]


@dataclass
class Target:
    procedure: ProcedurePage
    article: ArticlePage
    child: Page
    marker: str
    visible: bool  # the live version may be shown (only for "newer_draft")


def publish(page: Page) -> None:
    page.save_revision().publish()


def put_in_state(page: Page, parent: Page, case: str, marker: str) -> Page:
    """Add `page` under `parent` and leave it in the unpublished state `case`."""
    page.live = case not in ("never_published", "scheduled")
    parent.add_child(instance=page)
    if case == "never_published":
        page.save_revision()
    elif case == "scheduled":
        page.go_live_at = timezone.now() + timedelta(days=1)
        page.save_revision().publish()
    else:
        publish(page)
    if case == "unpublished":
        page.unpublish()
    elif case == "newer_draft":
        page.title = f"Draft title {marker}"
        if isinstance(page, ProcedurePage):
            page.summary = f"Draft summary {marker}"
        page.save_revision()
    elif case == "expired":
        # Expiry has passed but the `publish_scheduled` job has not run yet: still `live`.
        Page.objects.filter(pk=page.pk).update(expire_at=timezone.now() - timedelta(hours=1))
    elif case in ("password", "login", "groups"):
        restriction = PageViewRestriction.objects.create(
            page=page, restriction_type=case, password="secret" if case == "password" else ""
        )
        if case == "groups":
            restriction.groups.add(Group.objects.get_or_create(name=f"Clinicians {marker}")[0])
    page.refresh_from_db()
    return page


def other_site_home() -> HomePage:
    home = HomePage(title="Other site", slug="other-site-home")
    Page.get_first_root_node().add_child(instance=home)
    publish(home)
    Site.objects.create(hostname="other.example", port=80, root_page=home)
    return home


@pytest.fixture
def target(request, db) -> Target:
    case = request.param
    marker = f"MARKER{case.upper()}"
    home = HomePage.objects.get(slug="home")
    index = ProcedureIndexPage.objects.get()
    parent_for_procedure, parent_for_article = index, home
    state = case
    if case == "other_site":
        parent_for_procedure = parent_for_article = other_site_home()
        state = "live"
    live_text = "Live" if case == "newer_draft" else marker
    procedure = put_in_state(
        ProcedurePage(
            title=f"{live_text} procedure",
            slug=f"hidden-{case}",
            summary=f"{live_text} summary of a hidden procedure.",
            targets=["fat"],
            invasiveness="noninvasive",
        ),
        parent_for_procedure,
        state,
        marker,
    )
    article = put_in_state(
        ArticlePage(
            title=f"{live_text} article",
            slug=f"hidden-article-{case}",
            intro=f"<p>{live_text} intro.</p>",
            body=[],
        ),
        parent_for_article,
        state,
        marker,
    )
    child = ProcedurePage(
        title="Child of the hidden procedure", slug=f"child-{case}", summary="A live child."
    )
    procedure.add_child(instance=child)
    publish(child)

    # Reference the hidden procedure from every live place that can point at a page.
    seed_article = ArticlePage.objects.get(slug="calf-reduction-surgery-the-basics-explained")
    seed_article.body.append(("procedure", {"procedure": procedure}))
    publish(seed_article)
    liposuction = ProcedurePage.objects.get(slug="calf-liposuction")
    liposuction.related_procedures = [*liposuction.related_procedures.all(), procedure]
    publish(liposuction)
    Redirect.objects.create(old_path=f"/old-{case}", redirect_page=procedure)
    return Target(procedure, article, child, marker, visible=case == "newer_draft")


def slugs_in(items) -> set[str]:
    return {item["slug"] for item in items if item}


PATHS = {
    "procedure(slug)": (
        '{ procedure(slug: "%(slug)s") { slug title summary } }',
        lambda d, t: d["procedure"] is not None,
    ),
    "procedure(urlPath)": (
        '{ procedure(urlPath: "/procedures/%(slug)s/") { slug title summary } }',
        lambda d, t: d["procedure"] is not None,
    ),
    "procedure(id)": (
        "{ procedure(id: %(id)s) { slug title summary } }",
        lambda d, t: d["procedure"] is not None,
    ),
    "procedures": (
        "{ procedures(perPage: 100) { items { slug title summary } } }",
        lambda d, t: t.procedure.slug in slugs_in(d["procedures"]["items"]),
    ),
    "procedures(filtered)": (
        "{ procedures(target: FAT, invasiveness: NONINVASIVE) { items { slug title } } }",
        lambda d, t: t.procedure.slug in slugs_in(d["procedures"]["items"]),
    ),
    "article(slug)": (
        '{ article(slug: "%(article_slug)s") { slug title introHtml } }',
        lambda d, t: d["article"] is not None,
    ),
    "articles": (
        "{ articles(perPage: 100) { items { slug title introHtml } } }",
        lambda d, t: t.article.slug in slugs_in(d["articles"]["items"]),
    ),
    "page(urlPath)": (
        '{ page(urlPath: "/procedures/%(slug)s/") { slug title } }',
        lambda d, t: d["page"] is not None,
    ),
    "page(id)": ("{ page(id: %(id)s) { slug title } }", lambda d, t: d["page"] is not None),
    "pages": (
        "{ pages(perPage: 100) { items { slug title } } }",
        lambda d, t: t.procedure.slug in slugs_in(d["pages"]["items"]),
    ),
    "search": (
        '{ search(query: "hidden") { ... on ProcedurePage { slug title summary } } }',
        lambda d, t: t.procedure.slug in slugs_in(d["search"]),
    ),
    "article.procedures": (
        '{ article(slug: "calf-reduction-surgery-the-basics-explained") '
        "{ procedures { slug title summary } } }",
        lambda d, t: t.procedure.slug in slugs_in(d["article"]["procedures"]),
    ),
    "body page chooser": (
        '{ article(slug: "calf-reduction-surgery-the-basics-explained") { body { '
        "... on ProcedureBlock { procedure { slug title summary } } } } }",
        lambda d, t: (
            t.procedure.slug in slugs_in(block.get("procedure") for block in d["article"]["body"])
        ),
    ),
    "relatedProcedures": (
        '{ procedure(slug: "calf-liposuction") { relatedProcedures { slug title summary } } }',
        lambda d, t: t.procedure.slug in slugs_in(d["procedure"]["relatedProcedures"]),
    ),
    "children": (
        '{ page(urlPath: "/procedures/") { children(limit: 100) { slug title } } }',
        lambda d, t: t.procedure.slug in slugs_in(d["page"]["children"]),
    ),
    "descendants": (
        '{ page(urlPath: "/") { descendants(limit: 100) { slug title } } }',
        lambda d, t: t.procedure.slug in slugs_in(d["page"]["descendants"]),
    ),
    "siblings": (
        '{ procedure(slug: "calf-liposuction") { siblings(limit: 100) { slug title } } }',
        lambda d, t: t.procedure.slug in slugs_in(d["procedure"]["siblings"]),
    ),
    "parent": (
        "{ page(id: %(child_id)s) { parent { slug title } } }",
        lambda d, t: bool(d["page"] and d["page"]["parent"]),
    ),
    "ancestors": (
        "{ page(id: %(child_id)s) { ancestors(limit: 100) { slug title } } }",
        lambda d, t: bool(d["page"]) and t.procedure.slug in slugs_in(d["page"]["ancestors"]),
    ),
    "redirects": (
        "{ redirects { oldPath newPath } }",
        lambda d, t: any(t.procedure.slug in (r["newPath"] or "") for r in d["redirects"]),
    ),
}


@pytest.mark.parametrize("target", CASES, indirect=True)
@pytest.mark.parametrize("path", PATHS)
def test_path_never_shows_unpublished_content(gql, target, path):
    query, shows_target = PATHS[path]
    query %= {
        "slug": target.procedure.slug,
        "id": target.procedure.pk,
        "article_slug": target.article.slug,
        "child_id": target.child.pk,
    }
    response = gql.post(query)
    assert response.status_code == 200
    payload = response.json()
    assert "errors" not in payload, payload
    assert target.marker not in response.content.decode()
    # A page that is live with a newer draft is visible wherever it would be anyway (parent
    # and ancestors of its live child, and every list that includes it), in its live version.
    if not target.visible:
        assert not shows_target(payload["data"], target)


@pytest.mark.django_db
def test_the_other_site_sees_its_own_pages(client):
    home = other_site_home()
    page = ProcedurePage(title="Only on the other site", slug="elsewhere", summary="x")
    home.add_child(instance=page)
    publish(page)
    query = '{ procedure(urlPath: "/elsewhere/") { title } }'
    other = client.post(
        "/graphql/", {"query": query}, content_type="application/json", HTTP_HOST="other.example"
    ).json()
    ours = client.post("/graphql/", {"query": query}, content_type="application/json").json()
    assert other["data"] == {"procedure": {"title": "Only on the other site"}}
    assert ours["data"] == {"procedure": None}
    assert "errors" not in other and "errors" not in ours


@pytest.mark.django_db
def test_a_page_with_a_newer_draft_serves_its_live_version(gql):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.summary = "An unreviewed draft summary."
    page.save_revision()
    procedure = gql('{ procedure(slug: "calf-liposuction") { summary } }')["procedure"]
    assert procedure["summary"] == "Calf liposuction is a surgical procedure."


@pytest.mark.django_db
def test_scheduled_pages_are_not_live_until_their_time():
    index = ProcedureIndexPage.objects.get()
    page = put_in_state(
        ProcedurePage(title="Soon", slug="soon", summary="x"), index, "scheduled", "M"
    )
    assert page.live is False
    assert page.go_live_at > timezone.now()


@pytest.mark.django_db
def test_editorial_fields_are_not_in_the_schema(gql):
    errors = gql.errors('{ procedure(slug: "calf-liposuction") { draftTitle } }')
    assert "Cannot query field 'draftTitle'" in errors[0]["message"]
    for field in ("hasUnpublishedChanges", "aliasOf", "latestRevisionCreatedAt", "path"):
        errors = gql.errors(f'{{ procedure(slug: "calf-liposuction") {{ {field} }} }}')
        assert f"Cannot query field '{field}'" in errors[0]["message"]


# Every path that can reach a procedure (the article's own fields are not below the index).
PROCEDURE_PATHS = [path for path in PATHS if path not in ("article(slug)", "articles")]


@pytest.fixture
def below_unpublished_index(db) -> Target:
    """A live procedure (with a live child) under the procedure index, which is then unpublished
    the way Wagtail's unpublish view does when "include descendants" is left unticked."""
    index = ProcedureIndexPage.objects.get()
    marker = "MARKERBELOWUNPUBLISHED"
    procedure = ProcedurePage(
        title=f"{marker} procedure",
        slug="below-unpublished",
        summary=f"{marker} hidden summary.",
        targets=["fat"],
        invasiveness="noninvasive",
    )
    index.add_child(instance=procedure)
    publish(procedure)
    child = ProcedurePage(title="Child", slug="child-below-unpublished", summary="A live child.")
    procedure.add_child(instance=child)
    publish(child)
    seed_article = ArticlePage.objects.get(slug="calf-reduction-surgery-the-basics-explained")
    seed_article.body.append(("procedure", {"procedure": procedure}))
    publish(seed_article)
    liposuction = ProcedurePage.objects.get(slug="calf-liposuction")
    liposuction.related_procedures = [*liposuction.related_procedures.all(), procedure]
    publish(liposuction)
    Redirect.objects.create(old_path="/old-below-unpublished", redirect_page=procedure)
    index.unpublish()
    procedure.refresh_from_db()
    assert procedure.live and child.live  # Wagtail left them live
    return Target(procedure, seed_article, child, marker, visible=False)


@pytest.mark.parametrize("path", PROCEDURE_PATHS)
def test_a_page_is_served_only_under_live_ancestors(gql, below_unpublished_index, path):
    target = below_unpublished_index
    query, shows_target = PATHS[path]
    query %= {
        "slug": target.procedure.slug,
        "id": target.procedure.pk,
        "article_slug": target.article.slug,
        "child_id": target.child.pk,
    }
    response = gql.post(query)
    payload = response.json()
    assert "errors" not in payload, payload
    assert target.marker not in response.content.decode()
    # Where the path starts at a page below the index (a sibling, the index), that page is
    # hidden too and the answer is null; elsewhere the procedure is not among the results.
    data = payload["data"]
    assert None in data.values() or not shows_target(data, target)


@pytest.mark.django_db
def test_unpublishing_the_index_hides_every_procedure(gql):
    ProcedureIndexPage.objects.get().unpublish()
    data = gql(
        '{ page(urlPath: "/procedures/") { title } procedures { items { slug } } '
        'procedure(urlPath: "/procedures/calf-liposuction/") { slug } '
        'search(query: "calf") { __typename } }'
    )
    assert data["page"] is None and data["procedure"] is None
    assert data["procedures"] == {"items": []}
    assert "ProcedurePage" not in {hit["__typename"] for hit in data["search"]}


@pytest.mark.django_db
def test_the_html_front_end_hides_pages_below_an_unpublished_parent(client):
    article_path = "/calf-reduction-surgery-the-basics-explained/"
    card = 'href="/procedures/calf-liposuction/"'
    assert client.get("/procedures/calf-liposuction/").status_code == 200
    assert card in client.get(article_path).content.decode()
    ProcedureIndexPage.objects.get().unpublish()
    assert client.get("/procedures/").status_code == 404
    assert client.get("/procedures/calf-liposuction/").status_code == 404
    assert client.get("/").status_code == 200
    article = client.get(article_path)
    assert article.status_code == 200
    assert card not in article.content.decode()
