"""A replica kept by `changes(since:)` equals a fresh download after every editor step.

Hypothesis drives random sequences of editor operations; after each one the replica applies
an incremental sync by docs/API.md's rules and is compared, field by field, with the same
selection read fresh from the `pages`, `muscles` and `redirects` root fields.
"""

import copy
import re
from io import BytesIO, StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.core.files.images import ImageFile
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from PIL import Image as PILImage
from test_sync import EPOCH, offline_sync_query
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Collection, CollectionViewRestriction, Locale, Page, PageViewRestriction
from wagtail_localize.operations import translate_object

from home.models import HomePage
from images.models import CMSImage
from procedures.models import Muscle, ProcedureIndexPage, ProcedurePage
from reviews.models import REVIEWERS_GROUP

pytestmark = pytest.mark.django_db

SYNC = offline_sync_query()


def page_selection(query: str) -> str:
    """The `{ ... }` that follows `pages` in the sync query: what the replica stores a page as."""
    start = query.index("{", query.index("pages {"))
    depth = 0
    for end in range(start, len(query)):
        depth += {"{": 1, "}": -1}.get(query[end], 0)
        if depth == 0:
            return query[start : end + 1]
    raise ValueError("unbalanced selection")


def selection_of(query: str, field: str) -> str:
    return re.search(rf"\b{field} (\{{[^{{}}]*\}})", query).group(1)


FULL = f"""
query Full($page: Int, $locale: String) {{
  pages(page: $page, perPage: 50, locale: $locale) {{
    items {page_selection(SYNC)} pagination {{ totalPages }}
  }}
  muscles(locale: $locale) {selection_of(SYNC, "muscles")}
  redirects(locale: $locale) {selection_of(SYNC, "redirects")}
}}
"""


class Replica:
    """What an offline app holds, kept by the rules of docs/API.md."""

    def __init__(self) -> None:
        self.pages: dict[str, dict] = {}
        self.muscles: dict[str, dict] = {}
        self.redirects: dict[str, dict] = {}
        self.cursor = EPOCH

    def apply(self, answer: dict) -> None:
        for gone in answer["removed"]:
            if self.pages.get(gone["id"], {}).get("urlPath") == gone["urlPath"]:
                del self.pages[gone["id"]]
        for muscle_id in answer["removedMuscles"]:
            self.muscles.pop(muscle_id, None)
        for old_path in answer["removedRedirects"]:
            self.redirects.pop(old_path, None)
        self.pages.update((page["id"], page) for page in answer["pages"])
        self.muscles.update((muscle["id"], muscle) for muscle in answer["muscles"])
        self.redirects.update((r["oldPath"], r) for r in answer["redirects"])
        self.cursor = answer["until"]


def png(shade: int) -> ImageFile:
    buffer = BytesIO()
    PILImage.new("RGB", (64, 48), (shade, 90, 120)).save(buffer, "PNG")
    return ImageFile(buffer, name=f"replaced-{shade}.png")


class EditorsAndAnApp(RuleBasedStateMachine):
    """Editors change the site; an app syncs after each change."""

    gql = None  # set by the test
    # The replica's locale: None for the default (English); "ko" adds Korean to the site in
    # each example, and translations to the editors' operations.
    LOCALE: str | None = None
    # The replica after its first sync from the epoch, reused by later examples: what they
    # change happens after its cursor, and the previous example's changes were rolled back.
    first_sync: Replica | None = None

    def __init__(self) -> None:
        super().__init__()
        # Each example starts from the seed: its changes are rolled back in teardown.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        home = HomePage.objects.get()
        self.index = ProcedureIndexPage.objects.get(slug="procedures")
        self.members = ProcedureIndexPage(title="Members", slug="members", live=False)
        home.add_child(instance=self.members)
        PageViewRestriction.objects.create(page=self.members, restriction_type="login")
        self.members.save_revision().publish()
        root = Collection.get_first_root_node()
        self.private_collection = root.add_child(name="Clinic only")
        CollectionViewRestriction.objects.create(
            collection=self.private_collection, restriction_type="login"
        )
        self.created = 0
        if self.LOCALE:
            call_command("setup_locale", self.LOCALE, stdout=StringIO())
            self.korean = Locale.objects.get(language_code=self.LOCALE)
            self.reviewer, _ = User.objects.get_or_create(username="replica-reviewer")
            self.reviewer.groups.add(Group.objects.get(name=REVIEWERS_GROUP))
        self.replica = copy.deepcopy(self.first_sync) if self.first_sync else Replica()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # Editor operations. A `pick` chooses among the objects that exist, whatever they are.

    @staticmethod
    def choose(items: list, pick: int):
        return items[pick % len(items)] if items else None

    def procedures(self, **filters) -> list[ProcedurePage]:
        """Procedures of the default locale (English): what the base operations change."""
        default = ProcedurePage.objects.filter(locale=Locale.get_default(), **filters)
        return list(default.order_by("pk"))

    def translations(self, **filters) -> list[ProcedurePage]:
        if not self.LOCALE:
            return []
        korean = ProcedurePage.objects.filter(locale=self.korean, alias_of__isnull=True)
        return list(korean.filter(**filters).order_by("pk"))

    def publish_as_reviewer(self, page) -> None:
        page.save_revision(user=self.reviewer).publish(user=self.reviewer)

    @rule(pick=st.integers(0, 20))
    def translate_a_procedure(self, pick: int) -> None:
        """wagtail-localize's Translate (the live alias becomes an unreviewed translation,
        still served as English), then a reviewer's publish of the translated title."""
        if not self.LOCALE:
            return
        page = self.choose(self.procedures(), pick)
        if page is not None:
            translate_object(page, [self.korean])
            translation = page.get_translation(self.korean).specific
            translation.title = f"번역 {page.title}"
            self.publish_as_reviewer(translation)

    @rule(pick=st.integers(0, 20))
    def unpublish_a_translation(self, pick: int) -> None:
        page = self.choose(self.translations(live=True), pick)
        if page is not None:
            page.unpublish()

    @rule(pick=st.integers(0, 20))
    def republish_a_translation(self, pick: int) -> None:
        page = self.choose(self.translations(live=False), pick)
        if page is not None:
            self.publish_as_reviewer(page)

    @rule(related=st.integers(0, 20), muscle=st.integers(0, 20))
    def publish_a_new_procedure(self, related: int, muscle: int) -> None:
        self.created += 1
        page = ProcedurePage(
            title=f"New procedure {self.created}",
            slug=f"new-{self.created}",
            summary="New.",
            live=False,
        )
        page.related_procedures = [p for p in [self.choose(self.procedures(), related)] if p]
        page.muscles = [m for m in [self.choose(list(Muscle.objects.order_by("pk")), muscle)] if m]
        self.index.add_child(instance=page)
        page.save_revision().publish()

    @rule(pick=st.integers(0, 20))
    def edit_a_title(self, pick: int) -> None:
        page = self.choose(self.procedures(live=True), pick)
        if page is not None:
            page.title = f"{page.title} (edited)"
            page.save_revision().publish()

    @rule(pick=st.integers(0, 20))
    def unpublish(self, pick: int) -> None:
        page = self.choose(self.procedures(live=True), pick)
        if page is not None:
            page.unpublish()

    @rule(pick=st.integers(0, 20))
    def republish(self, pick: int) -> None:
        page = self.choose(self.procedures(live=False), pick)
        if page is not None:
            page.save_revision().publish()

    @rule(pick=st.integers(0, 20))
    def move_into_the_members_section(self, pick: int) -> None:
        page = self.choose(self.procedures(path__startswith=self.index.path), pick)
        if page is not None:
            page.move(Page.objects.get(pk=self.members.pk), pos="last-child")

    @rule(pick=st.integers(0, 20))
    def move_back_out(self, pick: int) -> None:
        page = self.choose(self.procedures(path__startswith=self.members.path), pick)
        if page is not None:
            page.move(Page.objects.get(pk=self.index.pk), pos="last-child")

    @rule(pick=st.integers(0, 20))
    def delete(self, pick: int) -> None:
        page = self.choose(self.procedures(), pick)
        if page is not None:
            page.delete()

    @rule(pick=st.integers(0, 20))
    def rename_a_muscle(self, pick: int) -> None:
        muscle = self.choose(list(Muscle.objects.order_by("pk")), pick)
        if muscle is not None:
            muscle.name = f"{muscle.name} (renamed)"
            muscle.save()

    @rule()
    def create_a_muscle(self) -> None:
        self.created += 1
        Muscle.objects.create(name=f"Muscle {self.created}", slug=f"muscle-{self.created}")

    @rule(pick=st.integers(0, 20))
    def delete_a_muscle(self, pick: int) -> None:
        muscle = self.choose(list(Muscle.objects.order_by("pk")), pick)
        if muscle is not None:
            muscle.delete()

    @rule(pick=st.integers(0, 20), to_page=st.booleans())
    def add_a_redirect(self, pick: int, to_page: bool) -> None:
        self.created += 1
        target = self.choose(self.procedures(), pick) if to_page else None
        Redirect.objects.create(
            old_path=f"/old-{self.created}",
            redirect_page=target,
            redirect_link="" if target else "https://example.com/",
        )

    @rule(pick=st.integers(0, 20))
    def delete_a_redirect(self, pick: int) -> None:
        redirect = self.choose(list(Redirect.objects.order_by("pk")), pick)
        if redirect is not None:
            redirect.delete()

    @rule(pick=st.integers(0, 20), private=st.booleans())
    def move_an_image_between_collections(self, pick: int, private: bool) -> None:
        image = self.choose(list(CMSImage.objects.order_by("pk")), pick)
        if image is not None:
            image.collection = (
                self.private_collection if private else Collection.get_first_root_node()
            )
            image.save()

    @rule(pick=st.integers(0, 20), shade=st.integers(0, 255))
    def replace_an_image_file(self, pick: int, shade: int) -> None:
        image = self.choose(list(CMSImage.objects.order_by("pk")), pick)
        if image is not None:
            image.file = png(shade)
            image.width, image.height = 64, 48
            image.description = f"Replaced ({shade})"
            image.save()

    # The app.

    def read(self, query: str, variables: dict) -> dict:
        # Reads through the response cache are another test's concern (the cache would also
        # keep answers from a rolled-back example): each read here is computed afresh.
        cache.clear()
        return self.gql(query, {**variables, "locale": self.LOCALE})

    def sync(self) -> None:
        for _call in range(100):
            answer = self.read(SYNC, {"since": self.replica.cursor})["changes"]
            self.replica.apply(answer)
            if not answer["hasMore"]:
                return
        raise AssertionError("the feed did not end")

    def download(self) -> Replica:
        fresh = Replica()
        page, pages = 1, []
        while True:
            data = self.read(FULL, {"page": page})
            pages += data["pages"]["items"]
            if page >= data["pages"]["pagination"]["totalPages"]:
                break
            page += 1
        fresh.pages = {p["id"]: p for p in pages}
        fresh.muscles = {m["id"]: m for m in data["muscles"]}
        fresh.redirects = {r["oldPath"]: r for r in data["redirects"]}
        return fresh

    @invariant()
    def the_replica_equals_a_fresh_download(self) -> None:
        self.sync()
        if type(self).first_sync is None:
            type(self).first_sync = copy.deepcopy(self.replica)
        fresh = self.download()
        assert sorted(self.replica.pages) == sorted(fresh.pages)
        for page_id, page in fresh.pages.items():
            assert self.replica.pages[page_id] == page, page_id
        assert self.replica.muscles == fresh.muscles
        assert self.replica.redirects == fresh.redirects


class KoreanReplica(EditorsAndAnApp):
    LOCALE = "ko"


# Hundreds of syncs and downloads from one address: the rate limit is not under test here.
@override_settings(GRAPHQL_RATE_LIMIT_POINTS=0)
@pytest.mark.parametrize("machine", [EditorsAndAnApp, KoreanReplica], ids=["en", "ko"])
def test_a_replica_kept_by_the_feed_equals_a_fresh_download_after_every_step(gql, machine):
    machine.gql = gql
    machine.first_sync = None
    gql(FULL, {"page": 1})  # the seed's renditions, made once for every example
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=15,
            stateful_step_count=10,
            derandomize=True,  # the same sequences on every run and in CI
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
