"""The response cache: hits cost no SQL, and no change to served content is ever missed."""

from datetime import timedelta
from unittest.mock import ANY

import pytest
from django.db.models import F
from django.test import Client, override_settings
from django.utils import timezone
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import PageViewRestriction

from freshness import response_cache
from procedures.models import Muscle, ProcedureIndexPage, ProcedurePage

QUERY = '{ procedure(slug: "calf-liposuction") { summary urlPath image { alt } muscles { name } } }'


def ask(client, query: str = QUERY, variables=None, **extra):
    body = {"query": query} if variables is None else {"query": query, "variables": variables}
    return client.post("/graphql/", body, content_type="application/json", **extra)


@pytest.mark.django_db
def test_without_redis_a_hit_runs_one_sql_query_the_content_generation(
    client, django_assert_num_queries
):
    """Each process's memory is its own: the generation every process shares is the database's."""
    first = ask(client)
    assert first["X-Cache"] == "MISS"
    with django_assert_num_queries(1) as captured:
        second = ask(client)
    assert "freshness_contentgeneration" in captured.captured_queries[0]["sql"]
    assert second["X-Cache"] == "HIT"
    # The same answer, without the first client's cost and budget (tests/test_rate_limits.py).
    assert second.json() == {"data": first.json()["data"]}


@pytest.mark.django_db
def test_without_redis_a_change_made_by_another_process_is_never_served_stale(client):
    """Another process (a second gunicorn worker, the worker, a shell) bumps the database's
    generation in its own transaction; this process's memory cannot be told, and need not be."""
    from freshness.models import ContentGeneration

    assert ask(client)["X-Cache"] == "MISS"
    assert ask(client)["X-Cache"] == "HIT"
    # As another process's change does: its signals ran there, not here; only the row moved.
    ProcedurePage.objects.filter(slug="calf-liposuction").update(summary="Changed elsewhere.")
    ContentGeneration.objects.update(value=F("value") + 1)
    answer = ask(client)
    assert answer["X-Cache"] == "MISS"
    assert answer.json()["data"]["procedure"]["summary"] == "Changed elsewhere."


@pytest.mark.django_db
def test_the_key_is_the_normalized_document(client):
    ask(client, "query { muscles { slug } }")
    spaced = ask(client, "# a comment\n{\n  muscles {\n    slug\n  }\n}")
    assert spaced["X-Cache"] == "HIT"


@pytest.mark.django_db
def test_variables_operation_and_host_are_part_of_the_key(client):
    query = "query Q($slug: String) { procedure(slug: $slug) { title } }"
    ask(client, query, {"slug": "calf-liposuction"})
    assert ask(client, query, {"slug": "selective-neurectomy"})["X-Cache"] == "MISS"
    assert ask(client, query, {"slug": "calf-liposuction"})["X-Cache"] == "HIT"
    assert ask(client, query, {"slug": "calf-liposuction"}, HTTP_HOST="localhost")["X-Cache"] == (
        "MISS"
    )


def publish(page) -> None:
    page.save_revision().publish()


def change_summary():
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.summary = "Edited summary."
    publish(page)


def unpublish():
    ProcedurePage.objects.get(slug="calf-liposuction").unpublish()


def move():
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.move(ProcedureIndexPage.objects.get(), pos="first-child")
    # Renaming the slug moves the URL path as a move to another parent would.
    page.slug = "liposuction"
    publish(page)


def delete():
    ProcedurePage.objects.get(slug="calf-liposuction").delete()


def change_image():
    image = ProcedurePage.objects.get(slug="calf-liposuction").image
    image.description = "New alt text."
    image.save()


def change_snippet():
    muscle = Muscle.objects.get(slug="soleus")
    muscle.name = "Soleus (renamed)"
    muscle.save()
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.muscles = [muscle]
    publish(page)


def restrict():
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    PageViewRestriction.objects.create(page=page, restriction_type="login")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [change_summary, unpublish, move, delete, change_image, change_snippet, restrict],
    ids=lambda change: change.__name__,
)
def test_a_change_to_served_content_is_seen_by_the_next_request(client, change):
    before = ask(client).json()["data"]
    assert ask(client)["X-Cache"] == "HIT"
    change()
    after = ask(client)
    assert after["X-Cache"] == "MISS"
    assert after.json()["data"] != before


@pytest.mark.django_db
def test_a_new_redirect_is_seen_by_the_next_request(client):
    query = "{ redirects { oldPath } }"
    assert ask(client, query).json() == {"data": {"redirects": []}, "extensions": ANY}
    Redirect.objects.create(old_path="/old", redirect_link="https://example.com/")
    assert ask(client, query).json() == {
        "data": {"redirects": [{"oldPath": "/old"}]},
        "extensions": ANY,
    }


@pytest.mark.django_db
def test_a_draft_save_keeps_the_cache(client):
    ask(client)
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.summary = "Only a draft."
    page.save_revision()
    assert ask(client)["X-Cache"] == "HIT"


@pytest.mark.django_db
def test_nothing_is_kept_past_the_next_expiry():
    page = ProcedurePage.objects.get(slug="botox-calf-reduction")
    ProcedurePage.objects.filter(pk=page.pk).update(
        expire_at=timezone.now() + timedelta(seconds=30)
    )
    assert 0 < response_cache.seconds_to_keep() <= 30


@pytest.mark.django_db
def test_nothing_is_kept_past_the_next_scheduled_go_live(client):
    page = ProcedurePage.objects.get(slug="botox-calf-reduction")
    page.summary = "Scheduled summary."
    page.go_live_at = timezone.now() + timedelta(seconds=40)
    page.save_revision().publish()  # scheduled: the live page keeps its summary until then
    assert 0 < response_cache.seconds_to_keep() <= 40


@pytest.mark.django_db
def test_nothing_is_stored_while_a_due_go_live_waits_for_the_worker(client):
    """A web process whose cache the worker cannot reach must not keep the old content."""
    page = ProcedurePage.objects.get(slug="botox-calf-reduction")
    page.summary = "Due summary."
    page.go_live_at = timezone.now() + timedelta(seconds=40)
    revision = page.save_revision()
    revision.publish()
    type(revision).objects.filter(pk=revision.pk).update(
        approved_go_live_at=timezone.now() - timedelta(seconds=1)
    )
    assert response_cache.seconds_to_keep() == 0
    ask(client)
    assert ask(client)["X-Cache"] == "MISS"


@pytest.mark.django_db
def test_errors_are_not_cached(client):
    query = "{ procedures(page: 0) { items { slug } } }"
    ask(client, query)
    again = ask(client, query)
    assert "X-Cache" not in again
    assert again["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_editors_neither_read_nor_fill_the_cache(client, django_user_model):
    ask(client)  # an anonymous request fills the cache
    editor = django_user_model.objects.create_superuser("ed", "ed@example.com", "pw")
    client.force_login(editor)
    response = ask(client)
    assert "X-Cache" not in response
    assert response["Cache-Control"] == "private, no-store"
    assert "ETag" not in response


@pytest.mark.django_db
@override_settings(GRAPHQL_RESPONSE_CACHE_SECONDS=0)
def test_the_cache_can_be_turned_off(client):
    ask(client)
    assert ask(client)["X-Cache"] == "MISS"


@pytest.mark.django_db
def test_images_added_to_a_private_collection_by_the_bulk_action_leave_the_cache(client):
    """Wagtail's "Add to collection" bulk action updates rows without model signals."""
    from django.contrib.auth import get_user_model
    from wagtail.models import Collection, CollectionViewRestriction

    query = '{ procedure(slug: "calf-liposuction") { image { alt } } }'
    private = Collection.get_first_root_node().add_child(name="Private pictures")
    CollectionViewRestriction.objects.create(collection=private, restriction_type="login")
    assert ask(client, query).json()["data"]["procedure"]["image"] is not None
    assert ask(client, query)["X-Cache"] == "HIT"
    image = ProcedurePage.objects.get(slug="calf-liposuction").image

    editor = Client()
    editor.force_login(get_user_model().objects.create_superuser("bulk", "b@example.com", "pw"))
    response = editor.post(
        f"/admin/bulk/images/cmsimage/add_to_collection/?id={image.pk}",
        {"collection": private.pk},
    )
    assert response.status_code == 302, response.content[:500]
    image.refresh_from_db()
    assert image.collection_id == private.pk
    answer = ask(client, query)
    assert answer["X-Cache"] == "MISS"
    assert answer.json()["data"]["procedure"]["image"] is None
