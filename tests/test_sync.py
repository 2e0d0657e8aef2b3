"""`changes(since:)`: an offline app learns every page to fetch and every path to forget."""

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from graphql import parse
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page, PageViewRestriction, Site

from cms.graphql.limits import QueryLimits, check_limits
from cms.graphql.schema import schema
from cms.models import PageEvent
from freshness.sync import record
from home.models import ArticlePage, HomePage
from procedures.models import Muscle, ProcedureIndexPage, ProcedurePage

CHANGES = """
query($since: DateTime!, $limit: Int) {
  changes(since: $since, limit: $limit) {
    pages {
      __typename id urlPath
      ... on ProcedurePage { summary muscles { name } relatedProcedures { id title urlPath } }
      ... on ArticlePage { procedures { id title urlPath } }
    }
    removed { id urlPath removedAt }
    muscles { id name slug } removedMuscles
    redirects { oldPath newPath isPermanent } removedRedirects
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
            "relatedProcedures": [],
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
    served = {p["id"]: p["urlPath"] for p in answer["pages"]}
    assert served[str(page.pk)] == "/procedures/liposuction/"
    assert "/procedures/calf-liposuction/" not in served.values()
    assert showing(page) <= set(served) - {str(page.pk)}


def test_a_moved_page_is_removed_at_its_old_path_and_served_at_its_new_one(gql, since):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    home = Page.objects.get(slug="home")
    page.move(home, pos="last-child")
    answer = changes(gql, since)
    assert "/procedures/calf-liposuction/" in [r["urlPath"] for r in answer["removed"]]
    assert "/calf-liposuction/" in [p["urlPath"] for p in answer["pages"]]


def test_a_page_made_private_is_removed(gql, since):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    shown_in = showing(page)
    PageViewRestriction.objects.create(page=page, restriction_type="login")
    answer = changes(gql, since)
    assert "/procedures/calf-liposuction/" in [r["urlPath"] for r in answer["removed"]]
    assert shown_in <= {p["id"] for p in answer["pages"]}
    assert str(page.pk) not in {p["id"] for p in answer["pages"]}


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

    record(list(ProcedurePage.objects.all()), PageEvent.Kind.CHANGED)  # five pages, one instant
    answer = changes(gql, since, limit=2)
    assert len(answer["pages"]) == 5
    assert answer["hasMore"] is False


def test_paths_readers_never_saw_are_not_reported(gql, since, procedure_index):

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
    article = ArticlePage.objects.get()
    procedure_index.unpublish()
    answer = changes(gql, since)
    removed = {(r["id"], r["urlPath"]) for r in answer["removed"]}
    assert (str(procedure_index.pk), "/procedures/") in removed
    assert {(str(p.pk), public(p)) for p in children} <= removed
    # The article showed them: it comes again, without them.
    assert [(p["id"], p["procedures"]) for p in answer["pages"]] == [(str(article.pk), [])]
    assert len(children) == 5


def test_republishing_a_parent_serves_the_pages_below_it_again(gql, procedure_index):
    children = {str(p.pk) for p in procedure_index.get_children().live()}
    procedure_index.unpublish()
    since = timezone.now().isoformat()
    procedure_index.save_revision().publish()
    answer = changes(gql, since)
    article = str(ArticlePage.objects.get().pk)
    assert {p["id"] for p in answer["pages"]} == {str(procedure_index.pk), *children, article}
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


def showing(page: Page) -> set[str]:
    """Ids of the live pages whose answer shows `page` (related procedures, the article body)."""
    related = ProcedurePage.objects.live().filter(related_procedures=page).exclude(pk=page.pk)
    articles = [a for a in ArticlePage.objects.live() if page.pk in a.referenced_procedure_ids()]
    return {str(p.pk) for p in [*related, *articles]}


def read_page(gql, page_id: str) -> dict:
    query = CHANGES[CHANGES.index("pages {") + len("pages") : CHANGES.index("removed {")]
    return gql(f"query($id: ID) {{ page(id: $id) {query} }}", {"id": page_id})["page"]


def edit_title(page: ProcedurePage) -> None:
    page.title = "Renamed procedure"
    page.save_revision().publish()


def unpublish(page: ProcedurePage) -> None:
    page.unpublish()


def delete(page: ProcedurePage) -> None:
    page.delete()


def move_home(page: ProcedurePage) -> None:
    page.move(Page.objects.get(slug="home"), pos="last-child")


def change_slug(page: ProcedurePage) -> None:
    page.slug = "renamed-slug"
    page.save_revision().publish()


def edit_image(page: ProcedurePage) -> None:
    page.image.title = "Renamed image"
    page.image.description = "A new description"
    page.image.save()


@pytest.mark.parametrize(
    "change", [edit_title, unpublish, delete, move_home, change_slug, edit_image]
)
def test_every_page_that_shows_a_changed_procedure_comes_again_as_it_is_now(
    gql, since, change, django_capture_on_commit_callbacks
):
    procedure = ProcedurePage.objects.get(slug="calf-liposuction")
    shown_in = showing(procedure)
    with django_capture_on_commit_callbacks(execute=True):
        change(procedure)
    pages = {p["id"]: p for p in changes(gql, since)["pages"]}
    assert shown_in <= set(pages)
    # The article and a procedure that lists it as related.
    assert str(ArticlePage.objects.get().pk) in shown_in and len(shown_in) >= 2
    for page_id in shown_in:
        assert pages[page_id] == read_page(gql, page_id)


def test_finding_what_shows_a_page_costs_queries_per_level_of_embedding_not_per_page(
    django_assert_max_num_queries,
):
    """Two queries per level of embedding (the seed's procedures nest four deep through
    `relatedProcedures`), and two more: not one per page."""
    from freshness.dependents import dependents

    ids = list(ProcedurePage.objects.order_by("pk").values_list("pk", flat=True))
    article = ArticlePage.objects.get().pk
    with django_assert_max_num_queries(10):
        one = dependents(pages=ids[:1])
    with django_assert_max_num_queries(10):
        every = dependents(pages=ids)
    assert article in one.pages and article in every.pages
    assert set(ids[1:]) <= one.pages


def test_muscles_created_renamed_and_deleted_come_through_the_sync(gql, since):
    muscle = Muscle.objects.create(name="Plantaris", slug="plantaris")
    answer = changes(gql, since)
    assert answer["muscles"] == [{"id": str(muscle.pk), "name": "Plantaris", "slug": "plantaris"}]
    renamed_since = timezone.now().isoformat()
    muscle.name = "Plantaris muscle"
    muscle.save()
    assert changes(gql, renamed_since)["muscles"][0]["name"] == "Plantaris muscle"
    deleted_since = timezone.now().isoformat()
    muscle_id = muscle.pk
    muscle.delete()
    answer = changes(gql, deleted_since)
    assert answer["removedMuscles"] == [str(muscle_id)] and answer["muscles"] == []


def test_redirects_of_this_site_come_through_the_sync(gql, since):

    ours = Redirect.objects.create(
        old_path="/old-lipo",
        site=Site.objects.get(is_default_site=True),
        redirect_page=ProcedurePage.objects.get(slug="calf-liposuction"),
    )
    Redirect.objects.create(old_path="/everywhere", redirect_link="https://example.com/")
    other_home = Page.get_first_root_node().add_child(title="Other", slug="other-sync-home")
    other = Site.objects.create(hostname="other.example", port=80, root_page=other_home)
    Redirect.objects.create(old_path="/theirs", site=other, redirect_link="https://example.org/")
    answer = changes(gql, since)
    assert answer["redirects"] == [
        {"oldPath": "/everywhere", "newPath": "https://example.com/", "isPermanent": True},
        {"oldPath": "/old-lipo", "newPath": "/procedures/calf-liposuction/", "isPermanent": True},
    ]
    edited_since = timezone.now().isoformat()
    ours.old_path = "/older-lipo"
    ours.save()
    answer = changes(gql, edited_since)
    assert answer["removedRedirects"] == ["/old-lipo"]
    assert [r["oldPath"] for r in answer["redirects"]] == ["/older-lipo"]
    deleted_since = timezone.now().isoformat()
    ours.delete()
    assert changes(gql, deleted_since)["removedRedirects"] == ["/older-lipo"]


def test_a_redirect_follows_its_target_page_through_the_sync(gql):

    page = ProcedurePage.objects.get(slug="calf-liposuction")
    Redirect.objects.create(old_path="/lipo", redirect_page=page)
    since = timezone.now().isoformat()
    page.unpublish()
    assert changes(gql, since)["redirects"] == [
        {"oldPath": "/lipo", "newPath": None, "isPermanent": True}
    ]


def login_section() -> Page:
    """A section for logged-in readers, never public."""
    home = HomePage.objects.get()
    section = ProcedureIndexPage(title="Members", slug="members", live=False)
    home.add_child(instance=section)
    PageViewRestriction.objects.create(page=section, restriction_type="login")
    section.save_revision().publish()
    return section


def test_a_page_moved_under_a_restricted_page_is_removed_and_back_out_served(gql):
    section = login_section()
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    since = timezone.now().isoformat()
    page.move(section, pos="last-child")
    answer = changes(gql, since)
    assert [(r["id"], r["urlPath"]) for r in answer["removed"]] == [
        (str(page.pk), "/procedures/calf-liposuction/")
    ]
    assert str(page.pk) not in {p["id"] for p in answer["pages"]}
    assert "/members/calf-liposuction/" not in str(answer)
    back_since = timezone.now().isoformat()
    Page.objects.get(pk=page.pk).move(
        ProcedureIndexPage.objects.get(slug="procedures"), "last-child"
    )
    answer = changes(gql, back_since)
    assert answer["removed"] == []
    assert str(page.pk) in {p["id"] for p in answer["pages"]}


def test_a_page_moved_to_another_site_is_removed_from_this_one(gql, since):

    other_home = HomePage(title="Other site", slug="other-sync-site")
    Page.get_first_root_node().add_child(instance=other_home)
    other_home.save_revision().publish()
    Site.objects.create(hostname="other.example", port=80, root_page=other_home)
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.move(other_home, pos="last-child")
    answer = changes(gql, since)
    assert (str(page.pk), "/procedures/calf-liposuction/") in {
        (r["id"], r["urlPath"]) for r in answer["removed"]
    }
    assert str(page.pk) not in {p["id"] for p in answer["pages"]}
    response = gql.post(CHANGES, {"since": since}, HTTP_HOST="other.example").json()
    theirs = response["data"]["changes"]
    assert {"/calf-liposuction/"} <= {p["urlPath"] for p in theirs["pages"]}
    assert theirs["removed"] == []


def test_a_deleted_page_is_removed_once(gql, since):
    page = ProcedurePage.objects.get(slug="botox-calf-reduction")
    page_id = str(page.pk)
    page.delete()
    removed = [r for r in changes(gql, since)["removed"] if r["id"] == page_id]
    assert len(removed) == 1


def walk(gql, since: str, limit: int) -> list[dict]:
    answers = []
    while True:
        answer = changes(gql, since, limit=limit)
        answers.append(answer)
        if not answer["hasMore"]:
            return answers
        since = answer["until"]


def test_a_fresh_install_reports_nothing_removed(gql):
    """The seed deletes Wagtail's welcome page; apps never saw it, so it is not reported
    (a client applying removals by path would drop its home page)."""
    answers = walk(gql, "1970-01-01T00:00:00+00:00", limit=100)
    assert [r for answer in answers for r in answer["removed"]] == []
    assert "/" in {p["urlPath"] for answer in answers for p in answer["pages"]}


def test_until_reveals_nothing_about_hidden_pages(gql, since, procedure_index):

    scheduled = ProcedurePage(title="Later", slug="later", summary="x", live=False)
    procedure_index.add_child(instance=scheduled)
    scheduled.go_live_at = timezone.now() + timedelta(days=1)
    scheduled.save_revision().publish()
    section = login_section()
    private = ProcedurePage(title="Members only", slug="members-only", summary="x")
    section.add_child(instance=private)
    private.save_revision().publish()
    ProcedurePage.objects.get(slug="calf-liposuction").save_revision().publish()
    hidden_ids = [scheduled.pk, private.pk, section.pk]
    hidden_times = {
        e.at.isoformat() for e in PageEvent.objects.filter(object_id__in=hidden_ids, at__gte=since)
    }
    assert hidden_times  # the hidden pages' events are recorded...
    answers = walk(gql, since, limit=1)
    for answer in answers:  # ...but never shape an answer
        assert answer["pages"] or answer["removed"] or not answer["hasMore"]
        assert answer["until"] not in hidden_times
    assert "/procedures/later/" not in str(answers) and "/members/" not in str(answers)


ROOT = Path(__file__).resolve().parent.parent
API_DOC = (ROOT / "docs" / "API.md").read_text()
README = (ROOT / "README.md").read_text()
EPOCH = "1970-01-01T00:00:00+00:00"


def offline_sync_query() -> str:
    """The selection docs/API.md gives for an offline app (the replica test uses it too)."""
    return re.search(r"```graphql\n(query OfflineSync.*?)```", API_DOC, re.DOTALL).group(1)


def query_cost(query: str, variables: dict) -> int:
    """What the cost limit counts for `query` (read from the error at a limit of 0)."""
    document = parse(query)
    limits = replace(QueryLimits.from_settings(), max_cost=0)
    errors = check_limits(
        schema.graphql_schema, document, document.definitions[0], variables, limits
    )
    return int(re.search(r"Query cost (\d+) exceeds", errors[0].message).group(1))


def test_the_documented_offline_selection_fits_the_default_limit_at_the_documented_cost(gql):
    documented = re.search(r"it costs\s+([\d,]+) at `limit: (\d+)`", API_DOC)
    figure, limit = int(documented.group(1).replace(",", "")), int(documented.group(2))
    query = offline_sync_query()
    default = schema.graphql_schema.query_type.fields["changes"].args["limit"].default_value
    assert limit == default
    assert query_cost(query, {"since": EPOCH}) == figure <= settings.GRAPHQL_LIMITS["MAX_COST"]
    assert f"costs {documented.group(1)} at the default" in " ".join(README.split())
    assert gql(query, {"since": EPOCH})["changes"]["pages"]
    # Twice the default would not fit: the default is what makes the selection usable.
    assert query_cost(query, {"since": EPOCH, "limit": 2 * limit}) > figure * 1.9
    assert gql.errors(query, {"since": EPOCH, "limit": 100})[0]["extensions"]["code"] == (
        "QUERY_TOO_COMPLEX"
    )


def test_the_redirect_wagtail_makes_for_a_moved_page_comes_through_the_sync(gql, since):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.move(Page.objects.get(slug="home"), pos="last-child")
    assert {"oldPath": "/procedures/calf-liposuction", "newPath": "/calf-liposuction/"} in [
        {"oldPath": r["oldPath"], "newPath": r["newPath"]} for r in changes(gql, since)["redirects"]
    ]
