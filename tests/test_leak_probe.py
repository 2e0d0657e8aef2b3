"""A probe driven by `schema.graphql`: every field that looks content up by id, slug, URL
path, token or search words is asked for hidden content of every kind, and nothing hidden
comes back. A field added later is probed without anyone remembering to add it here.
"""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from graphql import (
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    build_schema,
    get_named_type,
)
from test_client_contract import SCHEMA
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Collection, CollectionViewRestriction, Page, PageViewRestriction, Site

from home.models import HomePage
from procedures.models import ProcedureIndexPage, ProcedurePage

MARK = "probemark"
# The other site's page is public there, and hidden only from this site.
OTHER_MARK = "othersitemark"
LOOKUP_ARGUMENTS = {"id", "slug", "urlPath", "token", "query", "searchQuery"}
HIDDEN_CASES = ("draft", "unpublished", "expired", "private", "scheduled", "other-site")

assert isinstance(SCHEMA, type(build_schema("type Query { a: Int }")))


def lookup_fields() -> list[tuple[str, str]]:
    """(type, field) for every field taking a lookup argument, anywhere in the schema."""
    found = []
    for name, graphql_type in SCHEMA.type_map.items():
        if name.startswith("__") or not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field_name, field in graphql_type.fields.items():
            if LOOKUP_ARGUMENTS & set(field.args):
                found.append((name, field_name))
    return found


def selection(graphql_type, depth: int = 0) -> str:
    """Every field a client could read below `graphql_type`, two levels deep (each page type's
    own fields at the top; below that, what the interface shares)."""
    named = get_named_type(graphql_type)
    if isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return ""
    if depth >= 2:
        return "{ __typename }"
    parts = ["__typename"]
    types = [named]
    if isinstance(named, GraphQLInterfaceType) and depth == 0:
        types += list(SCHEMA.get_possible_types(named))
    for index, owner in enumerate(types):
        fields = []
        for field_name, field in owner.fields.items():
            arguments = ""
            required = [a for a, arg in field.args.items() if isinstance(arg.type, GraphQLNonNull)]
            if required == ["widths"]:
                arguments = "(widths: [320])"
            elif required:
                continue
            fields.append(f"{field_name}{arguments} {selection(field.type, depth + 1)}")
        if index == 0:
            parts += fields
        else:
            parts.append(f"... on {owner.name} {{ {' '.join(fields)} }}")
    return "{ " + " ".join(parts) + " }"


def hide(page: Page, case: str) -> None:
    if case == "draft":
        page.save_revision()
        return
    revision = page.save_revision()
    if case == "scheduled":
        page.go_live_at = timezone.now() + timedelta(days=1)
        page.save_revision().publish()
        return
    revision.publish()
    if case == "unpublished":
        page.unpublish()
    elif case == "expired":
        Page.objects.filter(pk=page.pk).update(expire_at=timezone.now() - timedelta(hours=1))
    elif case == "private":
        PageViewRestriction.objects.create(page=page, restriction_type="login")


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    """The probe sends hundreds of the most expensive allowed queries from one address."""
    settings.GRAPHQL_RATE_LIMIT_POINTS = 0


@pytest.fixture
def hidden(db, editor_client) -> dict:
    """Hidden pages of every kind, an image of a private collection on a live page, a
    redirect to a hidden page and tokens that must not work; returns what to look them up by."""
    index = ProcedureIndexPage.objects.get()
    other_home = HomePage(title="Other site", slug="other-home")
    Page.get_first_root_node().add_child(instance=other_home)
    other_home.save_revision().publish()
    Site.objects.create(hostname="other.example", port=80, root_page=other_home)
    pages = {}
    for case in HIDDEN_CASES:
        parent = other_home if case == "other-site" else index
        mark = OTHER_MARK if case == "other-site" else MARK
        page = ProcedurePage(
            title=f"Hidden {mark} {case}",
            slug=f"{mark}-{case}",
            summary=f"{mark} summary",
            live=case not in ("draft", "scheduled"),
        )
        parent.add_child(instance=page)
        hide(page, "live" if case == "other-site" else case)
        pages[case] = page
    # A live page with a newer draft: only the draft carries the mark.
    live = ProcedurePage.objects.get(slug="botox-calf-reduction")
    live.summary = f"{MARK} newer draft"
    live.save_revision()
    # An image in a child of a restricted collection, shown on a live page.
    private = Collection.get_first_root_node().add_child(name=f"{MARK} private")
    inner = private.add_child(name=f"{MARK} inner")
    CollectionViewRestriction.objects.create(collection=private, restriction_type="login")
    shown = ProcedurePage.objects.get(slug="calf-liposuction")
    shown.image.collection = inner
    shown.image.description = f"{MARK} alt"
    shown.image.save()
    Redirect.objects.create(old_path="/old-probe", redirect_page=pages["draft"])
    return {
        "ids": [str(page.pk) for page in pages.values()],
        "slugs": [page.slug for page in pages.values()],
        "paths": [f"/procedures/{page.slug}/" for page in pages.values()]
        + [f"/{pages['other-site'].slug}/"],
        "tokens": [editor_client.token(pages["draft"]) + "x", "id=1:forged:token", ""],
        "words": [MARK, f"{MARK} summary", OTHER_MARK],
    }


@pytest.fixture
def editor_client(client, django_user_model):
    """Makes genuine-looking but invalid tokens: a real token with a wrong signature."""

    class Tokens:
        @staticmethod
        def token(page) -> str:
            return page.create_page_preview().token

    return Tokens()


def values_for(argument: str, hidden: dict) -> list[str]:
    return {
        "id": hidden["ids"],
        "slug": hidden["slugs"],
        "urlPath": hidden["paths"],
        "token": hidden["tokens"],
        "query": hidden["words"],
        "searchQuery": hidden["words"],
    }[argument]


def test_the_probe_finds_the_lookup_fields():
    fields = {field for _, field in lookup_fields()}
    assert {"article", "procedure", "procedures", "page", "search", "preview"} <= fields
    # Lookups exist only at the root; a nested one needs a path here before it is probed.
    assert {owner for owner, _ in lookup_fields()} == {"Query"}


# The probe selects every readable field two levels deep, far past the cost, SQL and field
# limits an app meets; it tests visibility, so the limits are lifted for it.
@override_settings(
    GRAPHQL_LIMITS={
        "MAX_DEPTH": 20,
        "MAX_ALIASES": 20,
        "MAX_FIELDS": 100_000,
        "MAX_TOKENS": 100_000,
        "MAX_COST": 10**12,
        "MAX_SQL_QUERIES": 10**12,
        "MAX_BODY_BYTES": 10**7,
        "MAX_STRING_LENGTH": 512,
        "DEFAULT_LIST_SIZE": 10,
    }
)
@pytest.mark.parametrize(("owner", "field"), lookup_fields())
def test_no_lookup_field_shows_hidden_content(gql, hidden, owner, field):
    definition = SCHEMA.query_type.fields[field]
    probed = 0
    for argument, arg in definition.args.items():
        if argument not in LOOKUP_ARGUMENTS:
            continue
        named = get_named_type(arg.type)
        type_name = named.name + ("!" if isinstance(arg.type, GraphQLNonNull) else "")
        if isinstance(arg.type, GraphQLList):
            continue
        document = (
            f"query Probe($v: {type_name}) {{ {field}({argument}: $v) "
            f"{selection(definition.type)} }}"
        )
        for value in values_for(argument, hidden):
            for host in ("testserver", "other.example"):
                response = gql.client.post(
                    "/graphql/",
                    {"query": document, "variables": {"v": value}},
                    content_type="application/json",
                    HTTP_HOST=host,
                )
                assert response.status_code == 200, (field, argument, value, response.content)
                body = response.content.decode().lower()
                assert MARK not in body, (field, argument, value, host, body[:500])
                if host == "testserver":
                    assert OTHER_MARK not in body, (field, argument, value, body[:500])
                assert "internal_server_error" not in body, (field, argument, value, body[:500])
                probed += 1
    assert probed > 0


def test_the_probe_is_not_blind(gql, hidden):
    """The same lookups find public content, so an empty answer above means hidden, not broken."""
    found = gql('{ search(query: "liposuction") { urlPath } }')["search"]
    assert {"urlPath": "/procedures/calf-liposuction/"} in found
    listed = gql('{ procedures(searchQuery: "liposuction") { items { slug } } }')["procedures"]
    assert listed["items"] == [{"slug": "calf-liposuction"}]
    assert gql('{ procedure(slug: "botox-calf-reduction") { slug } }')["procedure"]


# --- rich text: links and embeds to what a reader of this site cannot open ------------------


@pytest.fixture
def linked(hidden, settings, tmp_path) -> dict:
    """Rich text on a live procedure and a live article linking to every hidden page, a
    private and a public document, and embedding a private and a public image."""
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model
    from wagtail.rich_text import RichText

    from home.models import ArticlePage

    settings.MEDIA_ROOT = tmp_path
    private_collection = Collection.objects.get(name=f"{MARK} inner")
    document_model = get_document_model()
    private_document = document_model.objects.create(
        title="Private",
        file=ContentFile(b"secret", name=f"{MARK}-private.txt"),
        collection=private_collection,
    )
    public_document = document_model.objects.create(
        title="Public",
        file=ContentFile(b"hello", name="public-leaflet.txt"),
        collection=Collection.get_first_root_node(),
    )
    private_image = ProcedurePage.objects.get(slug="calf-liposuction").image
    public_image = get_image_model().objects.exclude(collection=private_collection).first()
    public_page = ProcedurePage.objects.get(slug="botox-calf-reduction")
    links = "".join(
        f'<p><a linktype="page" id="{Page.objects.get(slug=slug).pk}">to {slug}</a></p>'
        for slug in hidden["slugs"]
    )
    html = (
        links
        + f'<p><a linktype="page" id="{public_page.pk}">to the public page</a></p>'
        + f'<p><a linktype="document" id="{private_document.pk}">private leaflet</a></p>'
        + f'<p><a linktype="document" id="{public_document.pk}">public leaflet</a></p>'
        + f'<embed embedtype="image" id="{private_image.pk}" format="fullwidth" alt="private"/>'
        + f'<embed embedtype="image" id="{public_image.pk}" format="fullwidth" alt="public"/>'
    )
    procedure = ProcedurePage.objects.get(slug="partial-muscle-removal").specific
    procedure.body = html
    procedure.save_revision().publish()
    article = ArticlePage.objects.get(slug="calf-reduction-surgery-the-basics-explained")
    article.intro = html
    article.body.append(("paragraph", RichText(html)))
    article.save_revision().publish()
    return {
        "hidden_urls": [f"/{slug}/" for slug in hidden["slugs"]]
        + [f"/documents/{private_document.pk}/", private_document.file.name],
        "public_urls": [f"/procedures/{public_page.slug}/", f"/documents/{public_document.pk}/"],
        "texts": [f"to {slug}" for slug in hidden["slugs"]] + ["private leaflet"],
        "private_image": private_image,
    }


RICH_TEXT_FIELDS = {
    "bodyHtml": (
        '{ procedure(slug: "partial-muscle-removal") { bodyHtml } }',
        lambda d: d["procedure"]["bodyHtml"],
    ),
    "introHtml": (
        '{ article(slug: "calf-reduction-surgery-the-basics-explained") { introHtml } }',
        lambda d: d["article"]["introHtml"],
    ),
    "ParagraphBlock.html": (
        '{ article(slug: "calf-reduction-surgery-the-basics-explained") '
        "{ body { ... on ParagraphBlock { html } } } }",
        lambda d: [b for b in d["article"]["body"] if b][-1]["html"],
    ),
}


@pytest.mark.parametrize("field", RICH_TEXT_FIELDS)
def test_rich_text_never_links_to_what_the_reader_cannot_open(gql, linked, field):
    query, html_of = RICH_TEXT_FIELDS[field]
    html = html_of(gql(query))
    for url in linked["hidden_urls"]:
        assert url not in html, (url, html)
    assert linked["private_image"].file.name.rsplit("/", 1)[-1].split(".")[0] not in html
    assert html.count("<img") == 1  # the public image only
    # The words stay; only the way to what is hidden goes.
    for text in linked["texts"]:
        assert f"<a>{text}</a>" in html, (text, html)
    for url in linked["public_urls"]:
        assert f'href="{url}' in html, (url, html)
