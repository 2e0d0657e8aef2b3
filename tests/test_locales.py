"""Locales: a Korean tree kept by wagtail-localize, served per locale with fallback to English."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone
from wagtail.models import Locale, Page, PageViewRestriction
from wagtail_localize.models import Translation
from wagtail_localize.operations import translate_object

from freshness.tags import tags_for_change
from procedures.models import Muscle, ProcedurePage
from reviews.models import REVIEWERS_GROUP, MedicalReview

pytestmark = pytest.mark.django_db

PROCEDURE = """
query($slug: String, $id: ID, $urlPath: String, $locale: String) {
  procedure(slug: $slug, id: $id, urlPath: $urlPath, locale: $locale) {
    id title slug urlPath locale requestedLocale translations { locale urlPath }
  }
}
"""
LIST = """
query($locale: String) {
  procedures(locale: $locale, perPage: 100) {
    items { id title locale requestedLocale }
    pagination { total }
  }
}
"""


@pytest.fixture
def korean(db) -> Locale:
    call_command("setup_locale", "ko", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return Locale.objects.get(language_code="ko")


def reviewer():
    user, _ = User.objects.get_or_create(username="locale-reviewer")
    user.groups.add(Group.objects.get(name=REVIEWERS_GROUP))
    return user


def translate(page, locale: Locale, *, publish: bool = True, **fields):
    """A translation made with wagtail-localize's own operation (what the admin's "Translate"
    does), its text filled in, then published by a medical reviewer (its review)."""
    translate_object(page, [locale])
    translation = page.get_translation(locale).specific
    assert translation.alias_of_id is None
    for name, value in fields.items():
        setattr(translation, name, value)
    user = reviewer()
    revision = translation.save_revision(user=user)
    if publish:
        assert translation.permissions_for_user(user).can_publish()
        revision.publish(user=user)
    return type(translation).objects.get(pk=translation.pk)


def first_procedure() -> ProcedurePage:
    return ProcedurePage.objects.filter(locale=Locale.get_default()).live().order_by("path")[0]


def procedure(gql, **variables) -> dict | None:
    return gql(PROCEDURE, variables)["procedure"]


def test_setup_locale_makes_the_tree_from_aliases_and_translates_nothing(korean):
    english = Page.objects.filter(locale=Locale.get_default(), depth__gt=1).count()
    korean_pages = Page.objects.filter(locale=korean)
    assert korean_pages.count() == english
    assert not korean_pages.filter(alias_of__isnull=True).exists()
    call_command("setup_locale", "ko", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Page.objects.filter(locale=korean).count() == english


def test_setup_locale_refuses_a_language_not_configured(db):
    with pytest.raises(CommandError, match="WAGTAIL_CONTENT_LANGUAGES"):
        call_command("setup_locale", "fr")


def test_an_untranslated_page_falls_back_and_says_so(gql, korean):
    english = first_procedure()
    found = procedure(gql, slug=english.slug, locale="ko")
    assert found["id"] == str(english.pk)
    assert found["title"] == english.title
    assert (found["locale"], found["requestedLocale"]) == ("en", "ko")
    assert found["translations"] == [{"locale": "en", "urlPath": found["urlPath"]}]


def test_a_published_translation_is_served_and_its_unpublishing_falls_back_again(gql, korean):
    english = first_procedure()
    korean_page = translate(english, korean, title="종아리 시술")
    found = procedure(gql, slug=english.slug, locale="ko")
    assert (found["id"], found["title"]) == (str(korean_page.pk), "종아리 시술")
    assert (found["locale"], found["requestedLocale"]) == ("ko", "ko")
    assert [t["locale"] for t in found["translations"]] == ["en", "ko"]
    # The English reader still gets English, and the id lookup finds the translation too.
    assert procedure(gql, slug=english.slug)["title"] == english.title
    assert procedure(gql, id=str(english.pk), locale="ko")["id"] == str(korean_page.pk)
    assert procedure(gql, urlPath=found["urlPath"], locale="ko")["id"] == str(korean_page.pk)

    korean_page.unpublish()
    found = procedure(gql, slug=english.slug, locale="ko")
    assert (found["id"], found["locale"]) == (str(english.pk), "en")


def test_a_draft_translation_is_not_served(gql, korean):
    english = first_procedure()
    translate(english, korean, publish=False, title="초안")
    found = procedure(gql, slug=english.slug, locale="ko")
    assert (found["id"], found["locale"]) == (str(english.pk), "en")


def test_the_english_pages_rules_hold_in_korean(gql, korean):
    english = first_procedure()
    korean_page = translate(english, korean, title="번역")
    PageViewRestriction.objects.create(page=english, restriction_type="login")
    assert procedure(gql, slug=english.slug, locale="ko") is None
    assert str(korean_page.pk) not in {
        i["id"] for i in gql(LIST, {"locale": "ko"})["procedures"]["items"]
    }
    PageViewRestriction.objects.filter(page=english).delete()
    assert procedure(gql, slug=english.slug, locale="ko")["id"] == str(korean_page.pk)

    english.unpublish()
    assert procedure(gql, slug=english.slug, locale="ko") is None
    assert procedure(gql, id=str(korean_page.pk), locale="ko") is None


def test_a_korean_page_under_an_unpublished_korean_parent_falls_back(gql, korean):
    english = first_procedure()
    korean_page = translate(english, korean, title="번역")
    korean_index = korean_page.get_parent()
    translate(korean_index.alias_of.specific if korean_index.alias_of_id else korean_index, korean)
    korean_index = korean_page.get_parent()
    korean_index.unpublish()
    found = procedure(gql, slug=english.slug, locale="ko")
    assert (found["id"], found["locale"]) == (str(english.pk), "en")


def test_lists_swap_in_translations_and_keep_order_and_count(gql, korean):
    english_answer = gql(LIST)["procedures"]
    english = first_procedure()
    korean_page = translate(english, korean, title="번역")
    answer = gql(LIST, {"locale": "ko"})["procedures"]
    assert answer["pagination"] == english_answer["pagination"]
    expected = [
        (str(korean_page.pk), "번역", "ko")
        if item["id"] == str(english.pk)
        else (item["id"], item["title"], "en")
        for item in english_answer["items"]
    ]
    assert [(i["id"], i["title"], i["locale"]) for i in answer["items"]] == expected
    assert {i["requestedLocale"] for i in answer["items"]} == {"ko"}
    # English readers never see the Korean tree.
    assert gql(LIST)["procedures"] == english_answer


def test_the_korean_tree_does_not_leak_into_default_locale_fields(gql, korean):
    english = first_procedure()
    korean_page = translate(english, korean, title="번역")
    data = gql(
        """{ pages(perPage: 100) { items { id locale } }
             search(query: "번역") { id }
             muscles { id } }"""
    )
    assert {item["locale"] for item in data["pages"]["items"]} == {"en"}
    assert str(korean_page.pk) not in {item["id"] for item in data["pages"]["items"]}
    assert data["search"] == []
    korean_search = gql('{ search(query: "번역", locale: "ko") { id locale } }')["search"]
    assert korean_search == [{"id": str(korean_page.pk), "locale": "ko"}]


def test_pages_for_a_sitemap_per_locale(gql, korean):
    english = first_procedure()
    korean_page = translate(english, korean, title="번역")
    en = gql("{ pages(perPage: 100) { items { id } pagination { total } } }")["pages"]
    ko = gql('{ pages(perPage: 100, locale: "ko") { items { id locale } pagination { total } } }')[
        "pages"
    ]
    assert ko["pagination"]["total"] == en["pagination"]["total"]
    assert str(korean_page.pk) in {i["id"] for i in ko["items"]}
    assert str(english.pk) not in {i["id"] for i in ko["items"]}


@pytest.mark.parametrize(
    "tag, message",
    [("fr", 'Unknown locale "fr"; available: en, ko.'), ("k!", "is not a BCP 47 language tag")],
)
def test_unknown_or_malformed_locales_are_client_errors_listing_the_available(
    gql, korean, tag, message
):
    errors = gql.errors(PROCEDURE, {"slug": "x", "locale": tag})
    assert message in errors[0]["message"]
    assert "en, ko" in errors[0]["message"]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_region_subtag_finds_its_language(gql, korean):
    english = first_procedure()
    found = procedure(gql, slug=english.slug, locale="ko-KR")
    assert found["requestedLocale"] == "ko"


def test_muscles_fall_back_per_muscle(gql, korean):
    english = list(Muscle.objects.filter(live=True, locale=Locale.get_default()).order_by("name"))
    first = english[0]
    translate_object(first, [korean])
    translated = first.get_translation(korean)
    translated.name = "가자미근"
    translated.save()
    translated.save_revision().publish()
    answer = gql('{ muscles(locale: "ko") { id name slug } }')["muscles"]
    assert {m["id"] for m in answer} == {str(translated.pk)} | {str(m.pk) for m in english[1:]}
    assert {m["slug"] for m in answer} == {m.slug for m in english}
    assert gql("{ muscles { id } }")["muscles"] == [{"id": str(m.pk)} for m in english]


CHANGES = """
query($since: DateTime!, $locale: String) {
  changes(since: $since, locale: $locale) {
    pages { id title locale } removed { id urlPath }
  }
}
"""


def test_sync_per_locale_replaces_the_fallback_and_brings_it_back(gql, korean):
    english = first_procedure()
    since = timezone.now().isoformat()
    korean_page = translate(english, korean, title="번역")
    ko = gql(CHANGES, {"since": since, "locale": "ko"})["changes"]
    assert [(p["id"], p["locale"]) for p in ko["pages"]] == [(str(korean_page.pk), "ko")]
    assert str(english.pk) in {r["id"] for r in ko["removed"]}
    en = gql(CHANGES, {"since": since})["changes"]
    assert str(korean_page.pk) not in {p["id"] for p in en["pages"]}

    since = timezone.now().isoformat()
    korean_page.unpublish()
    ko = gql(CHANGES, {"since": since, "locale": "ko"})["changes"]
    assert [(p["id"], p["locale"]) for p in ko["pages"]] == [(str(english.pk), "en")]
    assert str(korean_page.pk) in {r["id"] for r in ko["removed"]}


def test_sync_per_locale_removes_a_translation_whose_source_is_unpublished(gql, korean):
    english = first_procedure()
    korean_page = translate(english, korean, title="번역")
    since = timezone.now().isoformat()
    english.unpublish()
    ko = gql(CHANGES, {"since": since, "locale": "ko"})["changes"]
    # Pages that showed it change too (their related procedures); neither translation is served.
    assert {str(english.pk), str(korean_page.pk)}.isdisjoint({p["id"] for p in ko["pages"]})
    assert {p["locale"] for p in ko["pages"]} <= {"en"}
    assert {str(english.pk), str(korean_page.pk)} <= {r["id"] for r in ko["removed"]}


def test_a_cached_korean_answer_changes_when_the_translation_is_published(gql, korean):
    english = first_procedure()
    before = procedure(gql, slug=english.slug, locale="ko")
    assert procedure(gql, slug=english.slug, locale="ko") == before  # from the cache
    korean_page = translate(english, korean, title="번역")
    assert procedure(gql, slug=english.slug, locale="ko")["id"] == str(korean_page.pk)


@override_settings(GRAPHQL_SHARED_MAX_AGE=300)
def test_http_cache_tags_purge_one_locales_answers_on_its_change(client, korean):
    """Varnish and CDNs purge by tag: a Korean publish purges the Korean answers that showed
    the English fallback, not the English answers; an English change purges both."""
    english = first_procedure()
    query = f'{{ procedure(slug: "{english.slug}", locale: "ko") {{ title }} }}'
    list_query = '{ procedures(locale: "ko") { items { title } } }'
    fallback = set(client.get("/graphql/", {"query": query})["xkey"].split())
    korean_list = set(client.get("/graphql/", {"query": list_query})["xkey"].split())
    english_answer = set(
        client.get("/graphql/", {"query": query.replace(', locale: "ko"', "")})["xkey"].split()
    )
    with_switcher = query.replace(', locale: "ko"', "").replace("title", "translations { locale }")
    switcher = set(client.get("/graphql/", {"query": with_switcher})["xkey"].split())
    korean_page = translate(english, korean, title="번역")
    korean_change = tags_for_change(korean_page)
    # An English answer listing the page's translations is purged: it gains Korean.
    assert switcher & korean_change
    assert fallback & korean_change, (fallback, korean_change)
    assert korean_list & korean_change
    assert not english_answer & korean_change, english_answer & korean_change
    english_change = tags_for_change(english)
    assert fallback & english_change and english_answer & english_change
    # Served in Korean now, the answer carries the translation's own tag, which the English
    # page's change (its source hides it) purges too.
    served = set(client.get("/graphql/", {"query": query})["xkey"].split())
    assert f"p{korean_page.pk}" in served and f"p{korean_page.pk}" in english_change


def test_a_translation_is_served_only_once_a_medical_reviewer_published_it(gql, korean):
    english = first_procedure()
    # "Translate this page" turns the live alias into a live translation with the source's
    # text: not reviewed, so the reviewed source is served.
    translate_object(english, [korean])
    converted = english.get_translation(korean)
    assert converted.live and converted.alias_of_id is None
    found = procedure(gql, slug=english.slug, locale="ko")
    assert (found["id"], found["locale"]) == (str(english.pk), "en")
    # An editor cannot publish it; a reviewer's publish is recorded as its review.
    editor, _ = User.objects.get_or_create(username="locale-editor")
    assert not converted.permissions_for_user(editor).can_publish()
    korean_page = translate(english, korean, title="번역")
    assert (
        MedicalReview.objects.for_object(korean_page).get().revision_id
        == korean_page.live_revision_id
    )
    assert procedure(gql, slug=english.slug, locale="ko")["id"] == str(korean_page.pk)
    # A page of the default locale is still published through the workflow only.
    assert not english.permissions_for_user(reviewer()).can_publish()


def test_translation_is_recorded_by_wagtail_localize(korean):
    english = first_procedure()
    translate(english, korean, title="번역")
    assert Translation.objects.filter(
        target_locale=korean, source__object_id=english.translation_key
    ).exists()


def test_make_run_again_with_korean_loads_the_seed_without_touching_the_korean_tree(korean):
    """`make run` loads the seed, then adds Korean; run again, the seed finds only English."""
    english = first_procedure()
    korean_page = translate(english, korean, title="번역")
    before = sorted(Page.objects.values_list("pk", "locale_id", "title", "live"))
    muscles = sorted(Muscle.objects.values_list("pk", "locale_id", "name"))
    call_command("load_seed_content", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("setup_locale", "ko", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert sorted(Page.objects.values_list("pk", "locale_id", "title", "live")) == before
    assert sorted(Muscle.objects.values_list("pk", "locale_id", "name")) == muscles
    assert ProcedurePage.objects.get(pk=korean_page.pk).title == "번역"


def test_a_translations_draft_previews_in_its_locale(gql, korean):
    english = first_procedure()
    translation = translate(english, korean, publish=False, title="초안 미리보기")
    draft = translation.get_latest_revision_as_object()
    token = draft.create_page_preview().token
    found = gql("query($t: String!) { preview(token: $t) { title locale } }", {"t": token})
    assert found["preview"] == {"title": "초안 미리보기", "locale": "ko"}


def test_json_ld_says_the_language_of_what_is_served(gql, korean):
    import json

    english = first_procedure()
    query = "query($s: String!, $l: String) { procedure(slug: $s, locale: $l) { jsonLd } }"
    fallback = json.loads(gql(query, {"s": english.slug, "l": "ko"})["procedure"]["jsonLd"])
    assert fallback["inLanguage"] == "en"
    translate(english, korean, title="번역")
    served = json.loads(gql(query, {"s": english.slug, "l": "ko"})["procedure"]["jsonLd"])
    assert served["inLanguage"] == "ko"
    assert served["name"] == "번역"
    assert served["about"] == fallback["about"] | {"name": served["about"]["name"]}


def test_redirects_lead_to_the_translation_of_their_target(gql, korean):
    from wagtail.contrib.redirects.models import Redirect

    english = first_procedure()
    Redirect.objects.create(old_path="/old-procedure", redirect_page=english)
    translation = translate(english, korean, title="번역")
    query = "query($l: String) { redirects(locale: $l) { oldPath newPath } }"
    en = {r["oldPath"]: r["newPath"] for r in gql(query)["redirects"]}
    ko = {r["oldPath"]: r["newPath"] for r in gql(query, {"l": "ko"})["redirects"]}
    assert en["/old-procedure"] == procedure(gql, slug=english.slug)["urlPath"]
    assert ko["/old-procedure"] == procedure(gql, slug=english.slug, locale="ko")["urlPath"]
    assert procedure(gql, slug=english.slug, locale="ko")["id"] == str(translation.pk)
    translation.unpublish()
    ko_after = {r["oldPath"]: r["newPath"] for r in gql(query, {"l": "ko"})["redirects"]}
    assert ko_after["/old-procedure"] == en["/old-procedure"]


def test_untranslated_aliases_do_not_crowd_the_review_lists(db):
    from reviews.queries import pages_due, pages_under_review

    before = (sorted(pages_under_review().values_list("pk", flat=True)), pages_due().count())
    call_command("setup_locale", "ko", stdout=open("/dev/null", "w"))  # noqa: SIM115
    korean = Locale.objects.get(language_code="ko")
    assert Page.objects.filter(locale=korean).exists()
    assert (
        sorted(pages_under_review().values_list("pk", flat=True)),
        pages_due().count(),
    ) == before
    # A translation is a page of its own to review.
    translation = translate(first_procedure(), korean, publish=False, title="번역")
    assert translation.pk in set(pages_under_review().values_list("pk", flat=True))


def test_sync_translated_pages_publishes_only_for_a_medical_reviewer(
    client, gql, korean, django_capture_on_commit_callbacks
):
    """wagtail-localize's "Sync translated pages" offers "Publish immediately": for an editor
    it is disabled, and a forged POST of it only syncs, so the reviewed translation stays
    served; a reviewer's publish there is the translation's review, as from its editor."""
    english = first_procedure()
    korean_page = translate(english, korean, title="종아리 지방흡입")
    reviewed = korean_page.live_revision_id
    english.summary = "A new English summary, not yet reviewed in Korean."
    english.save_revision().publish(skip_permission_checks=True)
    source = Translation.objects.get(
        target_locale=korean, source__object_id=english.translation_key
    ).source
    url = f"/admin/localize/update/{source.pk}/"

    editor, _ = User.objects.get_or_create(username="sync-editor", is_staff=False)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    form = client.get(url)
    assert form.status_code == 200
    box = form.context["form"]["publish_translations"]
    assert box.field.disabled and "medical reviewer" in box.help_text
    synced_before = source.last_updated_at
    # wagtail-localize publishes once the sync commits.
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"publish_translations": "on"}).status_code == 302
    source.refresh_from_db()
    assert source.last_updated_at > synced_before  # the sync itself ran
    korean_page.refresh_from_db()
    assert korean_page.live_revision_id == reviewed  # nothing published
    served = procedure(gql, slug=english.slug, locale="ko")
    assert (served["id"], served["title"]) == (str(korean_page.pk), "종아리 지방흡입")

    syncing_reviewer = reviewer()  # who may also sync translations (an editor's permission)
    syncing_reviewer.groups.add(Group.objects.get(name="Editors"))
    client.force_login(syncing_reviewer)
    assert not client.get(url).context["form"]["publish_translations"].field.disabled
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"publish_translations": "on"}).status_code == 302
    korean_page.refresh_from_db()
    assert korean_page.live_revision_id != reviewed
    assert MedicalReview.objects.filter(revision_id=korean_page.live_revision_id).exists()
    assert procedure(gql, slug=english.slug, locale="ko")["id"] == str(korean_page.pk)


@override_settings(GRAPHQL_SHARED_MAX_AGE=300)
def test_a_redirect_to_a_korean_page_is_purged_by_its_change(client, korean):
    """A redirect may name a Korean page itself: the redirects answers (in any locale) carry
    `redirects`, which a Korean page's change purges too."""
    from wagtail.contrib.redirects.models import Redirect

    korean_page = translate(first_procedure(), korean, title="번역")
    Redirect.objects.create(old_path="/old-korean", redirect_page=korean_page)
    answer = client.get("/graphql/", {"query": "{ redirects { oldPath newPath } }"})
    served = {r["oldPath"]: r["newPath"] for r in answer.json()["data"]["redirects"]}
    assert served["/old-korean"] is not None
    assert set(answer["xkey"].split()) & tags_for_change(korean_page)


@pytest.mark.urls("benchmarks.urls")
@pytest.mark.parametrize("locale", ["en", "ko"])
def test_a_lists_translations_planned_in_one_query_are_each_pages_own(client, korean, locale):
    """Planned for the whole list (`prefetch_translations`) or read page by page (planning
    off): the same translations, a draft and an unpublished one left out, and a private page
    left out with its translation."""
    pages = list(ProcedurePage.objects.filter(locale=Locale.get_default()).order_by("path"))
    translate(pages[0], korean, title="번역")
    translate(pages[1], korean, title="초안", publish=False)
    translate(pages[2], korean, title="내림").unpublish()
    translate(pages[3], korean, title="비공개")
    PageViewRestriction.objects.create(page=pages[3], restriction_type="login")
    query = (
        "query($l: String) { procedures(locale: $l, perPage: 100) { items { id"
        " translations { locale urlPath } relatedProcedures { id translations { locale } } } } }"
    )
    body = {"query": query, "variables": {"l": locale}}

    def answer(path):
        response = client.post(path, body, content_type="application/json")
        assert response.status_code == 200
        return response.json()

    planned = answer("/graphql/")
    assert "errors" not in planned, planned
    assert planned["data"] == answer("/bench/stock/graphql/")["data"]
    locales = {
        item["id"]: [t["locale"] for t in item["translations"]]
        for item in planned["data"]["procedures"]["items"]
    }
    served_first = str(pages[0].pk) if locale == "en" else str(pages[0].get_translation(korean).pk)
    assert locales[served_first] == ["en", "ko"]
    assert locales[str(pages[1].pk)] == locales[str(pages[2].pk)] == ["en"]
    assert str(pages[3].pk) not in locales
    assert str(pages[3].get_translation(korean).pk) not in locales
