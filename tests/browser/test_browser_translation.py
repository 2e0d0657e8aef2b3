"""Readers in Korean: an editor translates a procedure with wagtail-localize in the admin, a
medical reviewer publishes the translation (its review), and the API serves it for `ko`.

The site gets Korean here, as `make run` gives it (`manage.py setup_locale ko`, idempotent),
after the other modules (which look pages up by slug in one tree). Works on *Selective
Neurectomy*, which no other module touches.
"""

import re

from .conftest import graphql, manage_site

SLUG = "selective-neurectomy"
KO_TITLE = "선택적 신경 차단술"
SERVED = f'{{ procedure(slug: "{SLUG}", locale: "ko") {{ id title locale requestedLocale }} }}'


def served(site: str) -> dict:
    return graphql(site, SERVED)["procedure"]


def open_translate_this_page(session, english_id: str) -> None:
    """The page header's "Translate this page", from the edit view's more-actions menu."""
    session.goto(f"/admin/pages/{english_id}/edit/")
    page = session.page
    link = page.get_by_role("link", name="Translate this page")
    if not link.is_visible():
        page.locator("header [data-w-dropdown-target='toggle']").first.click()
    link.click()
    page.wait_for_url(re.compile(r"/admin/localize/submit/page/\d+/"))


def test_an_editor_translates_a_procedure_and_a_reviewer_publishes_it(sessions, site):
    manage_site("setup_locale", "ko")
    before = served(site)
    english_id = before["id"]
    assert (before["locale"], before["requestedLocale"]) == ("en", "ko")

    editor = sessions("editor")
    open_translate_this_page(editor, english_id)
    page = editor.page
    page.get_by_label("Korean").check()
    editor.shot("translation-01-submit")
    page.locator("input[type=submit][value='Submit']").click()
    page.wait_for_url(re.compile(r"/admin/pages/\d+/edit/"))
    korean_id = re.search(r"/admin/pages/(\d+)/edit/", page.url).group(1)
    assert korean_id != english_id

    # wagtail-localize's editor: the English source beside each segment.
    page.wait_for_load_state("networkidle")
    editor.shot("translation-02-editor")
    # The title is the first segment (its tab comes first).
    page.locator("button", has_text=re.compile(r"^Translate$")).first.click()
    # One segment is edited at a time: its text area, then its Save.
    page.locator("textarea").fill(KO_TITLE)
    page.locator("button", has_text=re.compile(r"^Save$")).click()
    page.get_by_role("tabpanel", name="Content").get_by_text(KO_TITLE, exact=True).wait_for()
    page.wait_for_load_state("networkidle")
    editor.shot("translation-02-translated-by-the-editor")
    # An editor cannot publish it: no "Publish in Korean".
    assert page.locator("button[name='action'][value='publish']").count() == 0
    # Turned from the live alias into a translation, it is not reviewed: still English.
    assert served(site)["locale"] == "en"

    reviewer = sessions("reviewer")
    reviewer.goto(f"/admin/pages/{korean_id}/edit/")
    page = reviewer.page
    page.get_by_role("tabpanel", name="Content").get_by_text(KO_TITLE, exact=True).wait_for()
    publish = page.locator("button[name='action'][value='publish']")
    assert "Publish in Korean" in publish.inner_text()
    reviewer.shot("translation-03-reviewer-publishes")
    publish.click()
    page.wait_for_load_state("networkidle")
    reviewer.shot("translation-04-published")

    found = served(site)
    assert found == {"id": korean_id, "title": KO_TITLE, "locale": "ko", "requestedLocale": "ko"}
    # The reviewer's publish is the translation's medical review, on its live revision.
    recorded = manage_site(
        "shell",
        "-c",
        "from wagtail.models import Page; from reviews.models import MedicalReview; "
        f"page = Page.objects.get(pk={korean_id}); "
        "review = MedicalReview.objects.for_object(page.specific).get(); "
        "print(review.reviewer.username, review.revision_id == page.live_revision_id)",
    )
    assert recorded.strip().splitlines()[-1].split() == ["reviewer", "True"]
    # English readers still read English.
    english = graphql(site, f'{{ procedure(slug: "{SLUG}") {{ id locale }} }}')["procedure"]
    assert english == {"id": english_id, "locale": "en"}
    assert not editor.outside and not reviewer.outside
