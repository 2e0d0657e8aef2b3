"""Dependency tags: each answer names what it read, each change what it made stale, and the
HTTP caches in front are purged by them once the change commits (no Varnish here: a small
HTTP server stands in for it; tests/test_varnish.py runs the real one)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings
from wagtail.images import get_image_model
from wagtail.models import Collection, Site

from freshness import purge
from freshness.models import PendingPurge
from freshness.tags import MANY, tags_for_change
from home.models import ArticlePage
from procedures.models import Muscle, ProcedurePage

ARTICLE = (
    '{ article(slug: "calf-reduction-surgery-the-basics-explained") '
    "{ title body { ... on ProcedureBlock { procedure { title } } } } }"
)
PROCEDURE = '{ procedure(slug: "calf-liposuction") { title summary } }'
SHARED = override_settings(GRAPHQL_SHARED_MAX_AGE=300)


def tags_of(response) -> set[str]:
    return set(response["xkey"].split())


def article() -> ArticlePage:
    return ArticlePage.objects.get(slug="calf-reduction-surgery-the-basics-explained")


@pytest.mark.django_db
@SHARED
def test_the_article_answer_is_tagged_with_every_procedure_it_embeds(client):
    response = client.get("/graphql/", {"query": ARTICLE})
    tags = tags_of(response)
    embedded = {f"p{pk}" for pk in article().referenced_procedure_ids()}
    assert embedded and embedded <= tags
    assert f"p{article().pk}" in tags
    assert f"s{Site.objects.get(is_default_site=True).pk}" in tags
    assert "s-maxage=" in response["Cache-Control"]
    # The three header dialects carry the same tags.
    assert response["Surrogate-Key"] == response["xkey"]
    assert set(response["Cache-Tag"].split(",")) == tags
    # A hit of the response cache carries them too.
    hit = client.get("/graphql/", {"query": ARTICLE})
    assert hit["X-Cache"] == "HIT"
    assert tags_of(hit) == tags


@pytest.mark.django_db
@SHARED
def test_a_hidden_procedure_still_tags_the_article_so_its_return_purges_it(client):
    hidden = ProcedurePage.objects.get(pk=article().referenced_procedure_ids()[0])
    hidden.unpublish()
    response = client.get("/graphql/", {"query": ARTICLE})
    titles = [block.get("procedure") for block in response.json()["data"]["article"]["body"]]
    assert {"title": hidden.title} not in titles
    assert f"p{hidden.pk}" in tags_of(response)
    assert f"p{hidden.pk}" in tags_for_change(hidden)


@pytest.mark.django_db
@SHARED
def test_lists_and_lookups_that_found_nothing_depend_on_the_list(client):
    muscles = tags_of(client.get("/graphql/", {"query": "{ muscles { name } }"}))
    assert "muscles" in muscles and "pages" not in muscles
    assert {f"m{pk}" for pk in Muscle.objects.filter(live=True).values_list("pk", flat=True)} <= (
        muscles
    )
    nothing = client.get("/graphql/", {"query": '{ procedure(slug: "not-yet") { title } }'})
    assert "pages" in tags_of(nothing)
    found = tags_of(client.get("/graphql/", {"query": PROCEDURE}))
    assert "pages" not in found  # another page's publish leaves this answer cached
    listing = client.get("/graphql/", {"query": "{ procedures { items { title } } }"})
    assert "pages" in tags_of(listing)


@pytest.mark.django_db
@SHARED
@override_settings(HTTP_CACHE_MAX_TAGS=3)
def test_an_answer_with_too_many_tags_is_tagged_by_its_site_and_many(client):
    response = client.get("/graphql/", {"query": ARTICLE})
    site = Site.objects.get(is_default_site=True)
    assert tags_of(response) == {f"s{site.pk}", MANY}
    assert MANY in tags_for_change(ProcedurePage.objects.get(slug="calf-liposuction"))


@pytest.mark.django_db
def test_without_a_shared_max_age_answers_are_not_tagged(client):
    ran = client.get("/graphql/", {"query": PROCEDURE})
    # The answer that ran carries its client's rate-limit budget (private); the hit is shared.
    hit = client.get("/graphql/", {"query": PROCEDURE})
    assert hit["X-Cache"] == "HIT"
    assert hit["Cache-Control"] == "public, max-age=0, must-revalidate"
    for response in (ran, hit):
        assert "xkey" not in response and "Cache-Tag" not in response


@pytest.mark.django_db
@SHARED
def test_previews_posts_and_editors_are_never_tagged(client, admin_user):
    post = client.post("/graphql/", {"query": PROCEDURE}, content_type="application/json")
    assert "xkey" not in post and "s-maxage" not in post["Cache-Control"]
    preview = client.get(
        "/graphql/", {"query": '{ procedure(slug: "calf-liposuction", token: "x") { title } }'}
    )
    assert "xkey" not in preview and "no-store" in preview["Cache-Control"]
    client.force_login(admin_user)
    editor = client.get("/graphql/", {"query": PROCEDURE})
    assert "xkey" not in editor and editor["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_the_purge_set_of_each_change_names_what_answers_were_tagged_with():
    procedure = ProcedurePage.objects.get(slug="calf-liposuction")
    assert {f"p{procedure.pk}", "pages"} <= tags_for_change(procedure)
    index = procedure.get_parent()
    assert f"p{procedure.pk}" in tags_for_change(index)  # its path shows in the child's
    muscle = Muscle.objects.first()
    assert {f"m{muscle.pk}", "muscles"} <= tags_for_change(muscle)
    parent = Collection.get_first_root_node().add_child(name="Parent")
    child = parent.add_child(name="Child")
    assert {f"c{parent.pk}", f"c{child.pk}"} <= tags_for_change(parent)
    image = get_image_model().objects.first()
    assert f"i{image.pk}" in tags_for_change(image)
    sites = {f"s{pk}" for pk in Site.objects.values_list("pk", flat=True)}
    assert sites <= tags_for_change(Site.objects.first())
    assert sites <= tags_for_change(None)  # a bulk action: anything may have changed


class PurgeRecorder(BaseHTTPRequestHandler):
    received: list[tuple[str, str, str]] = []

    def do_PURGE(self) -> None:
        self.received.append((self.command, self.path, self.headers["xkey-purge"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def purge_server():
    PurgeRecorder.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), PurgeRecorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", PurgeRecorder.received
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
def test_a_publish_purges_its_tags_once_committed(purge_server, django_capture_on_commit_callbacks):
    url, received = purge_server
    procedure = ProcedurePage.objects.get(slug="calf-liposuction")
    with override_settings(HTTP_CACHE_PURGE_URLS=[url]):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            procedure.summary = "Purged."
            procedure.save_revision().publish()
        assert received == []  # nothing before the commit
        for callback in callbacks:
            callback()
    assert len(received) == 1
    method, path, tags = received[0]
    assert (method, path) == ("PURGE", "/")
    assert {f"p{procedure.pk}", "pages"} <= set(tags.split())
    # And once more later, by the worker, for answers computed from the rows before the commit.
    assert PendingPurge.objects.get().tags == tags


@pytest.mark.django_db
def test_a_failed_purge_is_kept_and_retried_by_the_worker(purge_server):
    url, received = purge_server
    with override_settings(HTTP_CACHE_PURGE_URLS=["http://127.0.0.1:9"]):
        purge.purge({"p1", "pages"})
    pending = PendingPurge.objects.get()
    assert pending.tags == "p1 pages"
    assert purge.retry_pending() == 0  # still down: kept, tried again later
    assert PendingPurge.objects.get().attempts == 1
    PendingPurge.objects.update(url=url, due_at=pending.due_at)
    assert purge.retry_pending() == 1
    assert received == [("PURGE", "/", "p1 pages")]
    assert not PendingPurge.objects.exists()


@pytest.mark.django_db
@SHARED
def test_rich_text_links_tag_the_answer_with_what_they_link(client):
    """A link in rich text shows while its page is live and its document public: their changes
    purge the answer (a page unpublished later must lose its href in Varnish too)."""
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model
    from wagtail.models import CollectionViewRestriction

    linked = ProcedurePage.objects.get(slug="botox-calf-reduction")
    leaflet = get_document_model().objects.create(
        title="Leaflet",
        file=ContentFile(b"hello", name="leaflet.txt"),
        collection=Collection.get_first_root_node(),
    )
    image = get_image_model().objects.first()
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.body = (
        f'<p><a linktype="page" id="{linked.pk}">botox</a> and '
        f'<a linktype="document" id="{leaflet.pk}">the leaflet</a></p>'
        f'<embed embedtype="image" id="{image.pk}" format="fullwidth" alt="x"/>'
    )
    page.save_revision().publish()
    query = '{ procedure(slug: "calf-liposuction") { bodyHtml } }'
    response = client.get("/graphql/", {"query": query})
    html = response.json()["data"]["procedure"]["bodyHtml"]
    assert linked.url in html and f"/documents/{leaflet.pk}/" in html
    tags = tags_of(response)
    for change in (linked, leaflet, image):
        assert tags & tags_for_change(change), change

    # The document moved behind a restriction: the response cache and Varnish both let go.
    private = Collection.get_first_root_node().add_child(name="Staff only")
    CollectionViewRestriction.objects.create(
        collection=private, restriction_type=CollectionViewRestriction.LOGIN
    )
    assert tags & tags_for_change(leaflet)
    leaflet.collection = private
    leaflet.save()
    after = client.get("/graphql/", {"query": query})
    assert after["X-Cache"] == "MISS"
    assert f"/documents/{leaflet.pk}/" not in after.json()["data"]["procedure"]["bodyHtml"]
