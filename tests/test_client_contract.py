"""What app developers met with Apollo Client and graphql-codegen, each now a specification.

The schema-wide rules make codegen's types useful: every id is `ID!`, counts are `Int!`, one
field name has one type on every page type, and no generic block type is left.
"""

import gzip
import json
import re
import subprocess
from pathlib import Path

import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    build_schema,
    get_named_type,
)
from test_preview import editor, frontend_configured, preview_url, token_of  # noqa: F401
from wagtail.models import Collection, CollectionViewRestriction

from procedures.models import ProcedurePage

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = build_schema((ROOT / "schema.graphql").read_text())
STANDARD_SCALARS = {"ID", "String", "Int", "Float", "Boolean"}
# Strings on the wire, mapped to `string` in codegen's config.
DATE_SCALARS = {"DateTime", "Date"}
GENERIC_BLOCKS = {"CharBlock", "RichTextBlock", "StreamFieldBlock", "EmailBlock", "RegexBlock"}


def output_types():
    return [
        t
        for name, t in SCHEMA.type_map.items()
        if not name.startswith("__") and isinstance(t, GraphQLObjectType | GraphQLInterfaceType)
    ]


def test_every_output_id_is_non_null_id():
    for graphql_type in output_types():
        field = graphql_type.fields.get("id")
        if field is not None:
            assert str(field.type) == "ID!", graphql_type.name


def test_no_output_field_uses_a_custom_scalar_other_than_dates():
    for graphql_type in output_types():
        for name, field in graphql_type.fields.items():
            named = get_named_type(field.type)
            if isinstance(named, GraphQLScalarType):
                assert named.name in STANDARD_SCALARS | DATE_SCALARS, (graphql_type.name, name)


def test_pagination_counts_are_non_null_ints():
    pagination = SCHEMA.type_map["Pagination"]
    for name in ("total", "count", "perPage", "currentPage", "totalPages"):
        assert str(pagination.fields[name].type) == "Int!"


def test_one_field_name_has_one_type_on_every_page_type():
    page_types = [t for t in output_types() if SCHEMA.type_map["Page"] in t.interfaces]
    assert {t.name for t in page_types} == {
        "HomePage",
        "ArticlePage",
        "ProcedureIndexPage",
        "ProcedurePage",
    }
    seen: dict[str, tuple[str, str]] = {}
    for page_type in page_types:
        for name, field in page_type.fields.items():
            first = seen.setdefault(name, (str(field.type), page_type.name))
            assert first[0] == str(field.type), (name, first, page_type.name)


def test_no_generic_block_or_wagtail_surface_is_in_the_schema():
    names = set(SCHEMA.type_map)
    assert not names & GENERIC_BLOCKS
    assert not {"StreamFieldInterface", "PageInterface", "PositiveInt", "RichText"} & names
    assert not {"sites", "documents", "collections", "tags", "snippets", "images"} & set(
        SCHEMA.query_type.fields
    )
    block = SCHEMA.type_map["ArticleBlock"]
    implementations = {t.name for t in SCHEMA.get_possible_types(block)}
    assert implementations == {
        "HeadingBlock",
        "ParagraphBlock",
        "ListBlock",
        "BenefitsBlock",
        "ProcedureBlock",
    }
    for name in implementations:
        assert isinstance(SCHEMA.type_map[name].fields["id"].type, GraphQLNonNull)


@pytest.mark.django_db
def test_introspection_of_one_type_works(gql):
    data = gql('{ __type(name: "ProcedurePage") { name fields { name } } }')
    assert data["__type"]["name"] == "ProcedurePage"
    assert "bodyHtml" in {field["name"] for field in data["__type"]["fields"]}


@pytest.mark.django_db
def test_srcset_without_widths_uses_the_documented_default(gql):
    items = gql("{ procedures { items { image { srcSet } } } }")["procedures"]["items"]
    widths = re.findall(r" (\d+)w", items[0]["image"]["srcSet"])
    assert widths == ["320", "640", "960", "1280", "1600"]  # the originals are 1600 wide


@pytest.mark.django_db
def test_asked_widths_snap_up_to_allowed_ones_and_renditions_are_structured(gql):
    image = gql(
        '{ procedure(slug: "calf-liposuction") { image { '
        "srcSet(widths: [375, 750, 1125]) "
        "renditions(widths: [375, 750]) { url width height } "
        "thumbs: renditions(widths: [100], square: true, format: WEBP) { url width height } "
        "} } }"
    )["procedure"]["image"]
    assert re.findall(r" (\d+)w", image["srcSet"]) == ["480", "768", "1280"]
    assert [(r["width"], r["height"]) for r in image["renditions"]] == [(480, 270), (768, 432)]
    assert image["thumbs"] == [{"url": image["thumbs"][0]["url"], "width": 160, "height": 160}]
    assert image["thumbs"][0]["url"].endswith(".webp")


@pytest.mark.django_db
def test_image_urls_are_absolute_for_the_host_the_app_called(client):
    query = '{ procedure(slug: "calf-liposuction") { image { url srcSet(widths: [320]) } } }'
    response = client.post(
        "/graphql/",
        {"query": query},
        content_type="application/json",
        HTTP_HOST="192.168.1.20:8000",
    )
    image = response.json()["data"]["procedure"]["image"]
    assert image["url"].startswith("http://192.168.1.20:8000/media/original_images/")
    assert image["srcSet"].startswith("http://192.168.1.20:8000/media/images/")


@pytest.mark.django_db
# A storage's URL from the root replaces the base's path, as `urljoin` resolves it.
@pytest.mark.parametrize("base", ["https://cdn.example.com/", "https://cdn.example.com/assets/"])
def test_a_configured_public_media_base_wins(gql, settings, base):
    settings.MEDIA_PUBLIC_URL = base
    image = gql('{ procedure(slug: "calf-liposuction") { image { url } } }')["procedure"]["image"]
    assert image["url"].startswith("https://cdn.example.com/media/original_images/")


@pytest.mark.django_db
def test_media_files_are_served_with_cache_headers(client, gql):
    image = gql('{ procedure(slug: "calf-liposuction") { image { url srcSet(widths: [320]) } } }')[
        "procedure"
    ]["image"]
    rendition_path = image["srcSet"].split(" ")[0].removeprefix("http://testserver")
    rendition = client.get(rendition_path)
    assert rendition.status_code == 200
    assert rendition["Cache-Control"] == "public, max-age=31536000, immutable"
    original = client.get(image["url"].removeprefix("http://testserver"))
    assert original.status_code == 200
    assert client.get("/media/original_images/not-an-image.txt").status_code == 404


@pytest.mark.django_db
def test_images_of_private_collections_are_not_served_anywhere(client, gql):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    image = page.image
    rendition = image.get_rendition("width-320")
    private = Collection.get_first_root_node().add_child(name="Private")
    child = private.add_child(name="Inside private")
    CollectionViewRestriction.objects.create(collection=private, restriction_type="login")
    image.collection = child
    image.save()
    data = gql('{ procedure(slug: "calf-liposuction") { image { url } } }')
    assert data["procedure"]["image"] is None
    assert client.get(f"/media/{image.file.name}").status_code == 404
    assert client.get(f"/media/{rendition.file.name}").status_code == 404


PREVIEW_AND_LIVE = """
query($t: String!) {
  preview(token: $t) { id isPreview ... on ProcedurePage { summary } }
  procedure(slug: "calf-liposuction") { id isPreview summary }
}
"""


@pytest.mark.django_db
@pytest.mark.usefixtures("frontend_configured")
def test_a_preview_cannot_be_confused_with_the_live_page_in_a_client_cache(gql, editor):  # noqa: F811
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    token = token_of(preview_url(editor, page, summary="Draft summary."))
    data = gql(PREVIEW_AND_LIVE, {"t": token})
    assert data["preview"] == {
        "id": f"{page.pk}:preview",
        "isPreview": True,
        "summary": "Draft summary.",
    }
    assert data["procedure"] == {
        "id": str(page.pk),
        "isPreview": False,
        "summary": "Calf liposuction is a surgical procedure.",
    }
    assert gql(PREVIEW_AND_LIVE, {"t": token[:-2] + "xx"})["preview"] is None


@pytest.mark.django_db
def test_public_responses_are_gzipped_for_clients_that_accept_it(client):
    response = client.post(
        "/graphql/",
        {"query": "{ procedures(perPage: 100) { items { slug summary bodyHtml } } }"},
        content_type="application/json",
        HTTP_ACCEPT_ENCODING="gzip",
    )
    assert response["Content-Encoding"] == "gzip"
    body = json.loads(gzip.decompress(response.content))
    assert len(body["data"]["procedures"]["items"]) == 5


@pytest.mark.django_db
@pytest.mark.parametrize("origin", ["http://localhost:5173", "http://127.0.0.1:3000"])
def test_development_cors_allows_local_apps_and_apollo_headers(client, settings, origin):
    settings.CORS_ALLOWED_ORIGIN_REGEXES = [r"^http://(localhost|127\.0\.0\.1)(:\d+)?$"]
    preflight = client.options(
        "/graphql/",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "apollographql-client-name,content-type",
        },
    )
    assert preflight["Access-Control-Allow-Origin"] == origin
    assert "apollographql-client-name" in preflight["Access-Control-Allow-Headers"]
    response = client.post(
        "/graphql/",
        {"query": "{ muscles { slug } }"},
        content_type="application/json",
        headers={"Origin": origin},
    )
    exposed = response["Access-Control-Expose-Headers"]
    assert "ETag" in exposed and "X-Cache" in exposed


def test_development_settings_allow_any_local_port():
    from cms.settings import dev

    patterns = [re.compile(pattern) for pattern in dev.CORS_ALLOWED_ORIGIN_REGEXES]
    for origin in ("http://localhost:5173", "http://127.0.0.1:3000", "http://localhost"):
        assert any(pattern.match(origin) for pattern in patterns)
    assert not any(pattern.match("http://evil.example:3000") for pattern in patterns)


def test_the_repository_stands_alone():
    tracked = subprocess.run(
        ["git", "grep", "-n", "-I", r"\.\./shared", "--", ".", ":!.ci"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert tracked.stdout == "", tracked.stdout
    assert (ROOT / "home" / "seed" / "calf-reduction-surgery-the-basics-explained.txt").exists()
    assert (ROOT / "docs" / "API.md").exists()
