"""`changes(since:)`: an offline app learns every page to fetch and every path to forget."""

import pytest
from django.utils import timezone
from wagtail.models import Page, PageViewRestriction

from procedures.models import Muscle, ProcedureIndexPage, ProcedurePage

CHANGES = """
query($since: DateTime!, $limit: Int) {
  changes(since: $since, limit: $limit) {
    pages { __typename id urlPath ... on ProcedurePage { summary muscles { name } } }
    removed { id urlPath removedAt }
    until hasMore
  }
}
"""

pytestmark = pytest.mark.django_db


@pytest.fixture
def since():
    """Now: the seed's own publishing happened before."""
    return timezone.now().isoformat()


def changes(gql, since, limit=None) -> dict:
    return gql(CHANGES, {"since": since, "limit": limit})["changes"]


def test_nothing_changed_is_an_empty_answer_with_a_time_to_pass_next(gql, since):
    answer = changes(gql, since)
    assert answer["pages"] == [] and answer["removed"] == []
    assert answer["hasMore"] is False
    assert answer["until"] >= since


def test_a_published_page_comes_with_its_fields(gql, since, make_procedure):
    page = make_procedure("new-one", summary="Fresh.")
    answer = changes(gql, since)
    assert answer["pages"] == [
        {
            "__typename": "ProcedurePage",
            "id": str(page.pk),
            "urlPath": "/procedures/new-one/",
            "summary": "Fresh.",
            "muscles": [],
        }
    ]


def test_unpublished_and_deleted_pages_are_removed(gql, since):
    lipo = ProcedurePage.objects.get(slug="calf-liposuction")
    botox = ProcedurePage.objects.get(slug="botox-calf-reduction")
    lipo.unpublish()
    botox_id = botox.pk
    botox.delete()
    removed = {(r["id"], r["urlPath"]) for r in changes(gql, since)["removed"]}
    assert (str(lipo.pk), "/procedures/calf-liposuction/") in removed
    assert (str(botox_id), "/procedures/botox-calf-reduction/") in removed


def test_a_renamed_page_is_removed_at_its_old_path_and_served_at_its_new_one(
    gql, since, django_capture_on_commit_callbacks
):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.slug = "liposuction"
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    answer = changes(gql, since)
    assert {"id": str(page.pk), "urlPath": "/procedures/calf-liposuction/"} in [
        {"id": r["id"], "urlPath": r["urlPath"]} for r in answer["removed"]
    ]
    assert [p["urlPath"] for p in answer["pages"]] == ["/procedures/liposuction/"]


def test_a_moved_page_is_removed_at_its_old_path_and_served_at_its_new_one(gql, since):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    home = Page.objects.get(slug="home")
    page.move(home, pos="last-child")
    answer = changes(gql, since)
    assert "/procedures/calf-liposuction/" in [r["urlPath"] for r in answer["removed"]]
    assert "/calf-liposuction/" in [p["urlPath"] for p in answer["pages"]]


def test_a_page_made_private_is_removed(gql, since):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    PageViewRestriction.objects.create(page=page, restriction_type="login")
    answer = changes(gql, since)
    assert "/procedures/calf-liposuction/" in [r["urlPath"] for r in answer["removed"]]
    assert answer["pages"] == []


def test_an_expired_page_is_removed_without_any_job_running(gql, since):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    Page.objects.filter(pk=page.pk).update(expire_at=timezone.now())
    removed = changes(gql, since)["removed"]
    assert [r["urlPath"] for r in removed] == ["/procedures/calf-liposuction/"]


def test_a_renamed_muscle_changes_the_pages_that_show_it(gql, since):
    muscle = Muscle.objects.get(slug="soleus")
    muscle.name = "Soleus muscle"
    muscle.save()
    pages = changes(gql, since)["pages"]
    shown = [p for p in pages if p["__typename"] == "ProcedurePage"]
    assert all({"name": "Soleus muscle"} in p["muscles"] for p in shown)
    assert {p["__typename"] for p in pages} <= {"ProcedurePage", "ArticlePage"}
    assert "ArticlePage" in {p["__typename"] for p in pages}


def test_a_long_list_comes_in_pieces_until_nothing_is_left(gql, since, make_procedure):
    made = {str(make_procedure(f"batch-{n}").pk) for n in range(5)}
    seen: set[str] = set()
    cursor, calls = since, 0
    while True:
        answer = changes(gql, cursor, limit=2)
        seen |= {p["id"] for p in answer["pages"]}
        cursor, calls = answer["until"], calls + 1
        if not answer["hasMore"]:
            break
        assert len(answer["pages"]) == 2
    assert seen == made
    assert calls == 3


def test_hidden_pages_never_come_through_the_sync(gql, since, procedure_index):
    draft = ProcedurePage(title="Draft", slug="sync-draft", summary="SECRET", live=False)
    procedure_index.add_child(instance=draft)
    draft.save_revision()
    other = ProcedurePage.objects.get(slug="selective-neurectomy")
    other.summary = "SECRET newer draft"
    other.save_revision()
    assert "SECRET" not in str(changes(gql, since))
    assert ProcedureIndexPage.objects.count() == 1


def test_one_instants_events_are_never_split_so_the_feed_ends(gql, since):
    from cms.models import PageEvent
    from cms.sync import record

    record(list(ProcedurePage.objects.all()), PageEvent.Kind.CHANGED)  # five pages, one instant
    answer = changes(gql, since, limit=2)
    assert len(answer["pages"]) == 5
    assert answer["hasMore"] is False


def test_paths_readers_never_saw_are_not_reported(gql, since, procedure_index):
    from datetime import timedelta

    draft = ProcedurePage(title="Secret", slug="secret-draft", summary="x", live=False)
    procedure_index.add_child(instance=draft)
    draft.save_revision()
    expiring = ProcedurePage(title="Unreleased", slug="unreleased", summary="x", live=False)
    procedure_index.add_child(instance=expiring)
    Page.objects.filter(pk=expiring.pk).update(expire_at=timezone.now() + timedelta(seconds=1))
    private = ProcedurePage.objects.get(slug="partial-muscle-removal")
    PageViewRestriction.objects.create(page=private, restriction_type="login")
    since_private = timezone.now().isoformat()
    Page.objects.get(pk=draft.pk).delete()
    Page.objects.get(pk=private.pk).delete()
    Page.objects.filter(pk=expiring.pk).update(expire_at=timezone.now())
    paths = [r["urlPath"] for r in changes(gql, since)["removed"]]
    assert "/procedures/secret-draft/" not in paths
    assert "/procedures/unreleased/" not in paths
    assert "/procedures/partial-muscle-removal/" not in [
        r["urlPath"] for r in changes(gql, since_private)["removed"]
    ]


def test_a_renamed_parent_moves_every_page_below_it(gql, since, django_capture_on_commit_callbacks):
    index = ProcedureIndexPage.objects.get()
    index.slug = "treatments"
    with django_capture_on_commit_callbacks(execute=True):
        index.save_revision().publish()
    answer = changes(gql, since)
    removed = {r["urlPath"] for r in answer["removed"]}
    served = {p["urlPath"] for p in answer["pages"]}
    assert {"/procedures/", "/procedures/calf-liposuction/"} <= removed
    assert {"/treatments/", "/treatments/calf-liposuction/"} <= served


def test_unpublishing_a_parent_removes_every_page_below_it(gql, since, procedure_index):
    """Wagtail's "unpublish" without "include descendants" leaves the children live, but a
    page is served only under live ancestors: the feed reports them all removed."""
    children = list(procedure_index.get_children().live())
    procedure_index.unpublish()
    answer = changes(gql, since)
    removed = {(r["id"], r["urlPath"]) for r in answer["removed"]}
    assert (str(procedure_index.pk), "/procedures/") in removed
    assert {(str(p.pk), public(p)) for p in children} <= removed
    assert answer["pages"] == []
    assert len(children) == 5


def test_republishing_a_parent_serves_the_pages_below_it_again(gql, procedure_index):
    children = {str(p.pk) for p in procedure_index.get_children().live()}
    procedure_index.unpublish()
    since = timezone.now().isoformat()
    procedure_index.save_revision().publish()
    answer = changes(gql, since)
    assert {p["id"] for p in answer["pages"]} == {str(procedure_index.pk), *children}
    assert answer["removed"] == []


def test_republishing_a_parent_brings_back_only_what_was_hidden_with_it(gql, procedure_index):
    procedure_index.unpublish()
    ProcedurePage.objects.get(slug="calf-liposuction").unpublish()
    procedure_index.save_revision().publish()
    since = timezone.now().isoformat()
    procedure_index.save_revision().publish()  # an edit: nothing below it changed
    assert [p["id"] for p in changes(gql, since)["pages"]] == [str(procedure_index.pk)]


def public(page: Page) -> str:
    return "/procedures/" + page.slug + "/"


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_a_since_at_the_end_of_the_calendar_is_bad_input(gql, since):
    response = gql.post(CHANGES, {"since": since})
    payload = response.json()
    assert response.status_code == 200
    codes = {error["extensions"]["code"] for error in payload.get("errors", [])}
    assert codes <= {"BAD_USER_INPUT"}
