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
