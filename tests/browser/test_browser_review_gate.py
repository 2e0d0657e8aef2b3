"""Medical review cannot be skipped in the browser: a reviewer and an administrator are offered
no Publish, Schedule or Unpublish on a medical page, only an emergency action that asks for a
reason, which History and the review-due report then show.

Works on *Partial Muscle Removal*, which no other module touches, and leaves it live.
"""

import re

from .conftest import emergency, graphql, manage_site

SLUG = "partial-muscle-removal"
SERVED = f'{{ procedure(slug: "{SLUG}") {{ id title }} }}'
REASON = "A dosage error was reported by a patient; taken down until a reviewer reads it."
REPUBLISH_REASON = "The reported error was a misreading; the live text stands, back up now."


def served(site: str):
    return graphql(site, SERVED)["procedure"]


def open_footer_menu(page) -> None:
    page.locator("footer .w-dropdown__toggle, [data-w-dropdown-target='toggle']").last.click()


def assert_no_way_around_review(session, page_id: str, who: str) -> None:
    session.goto(f"/admin/pages/{page_id}/edit/")
    page = session.page
    open_footer_menu(page)
    session.shot(f"gate-01-{who}-actions")
    footer = page.locator("footer")
    assert footer.locator("button[name='action-publish']").count() == 0
    assert footer.locator("a[href*='/unpublish/']").count() == 0
    assert footer.get_by_text(re.compile("^\\s*(Publish|Schedule to publish)\\s*$")).count() == 0
    assert footer.locator("[name='action-emergency'], a[href*='/reviews/emergency/']").count() == 1
    # Wagtail's own unpublish view refuses too, not only the menu.
    page.goto(f"{session.base}/admin/pages/{page_id}/unpublish/")
    assert (
        "/unpublish/" not in page.url
        or page.get_by_role("button", name=re.compile("Yes, unpublish", re.I)).count() == 0
    )


def test_neither_a_reviewer_nor_an_admin_is_offered_publish_schedule_or_unpublish(sessions, site):
    page_id = served(site)["id"]
    assert_no_way_around_review(sessions("reviewer"), page_id, "reviewer")
    assert_no_way_around_review(sessions("admin"), page_id, "admin")
    assert served(site) is not None


def test_an_emergency_unpublish_needs_a_reason_and_history_shows_it(sessions, site):
    reviewer = sessions("reviewer")
    page_id = served(site)["id"]
    emergency(reviewer, page_id, "unpublish", "because")  # too short to be a reason
    reviewer.shot("gate-02-reason-too-short")
    assert "/reviews/emergency/" in reviewer.page.url
    assert served(site) is not None

    emergency(reviewer, page_id, "unpublish", REASON)
    reviewer.shot("gate-03-unpublished-in-emergency")
    assert served(site) is None
    reviewer.goto(f"/admin/pages/{page_id}/history/")
    assert "Emergency unpublish, without medical review" in reviewer.page.content()
    assert REASON in reviewer.page.content()
    reviewer.goto("/admin/reports/medical-review-due/")
    reviewer.shot("gate-04-report")
    assert REASON in reviewer.page.content()


def test_an_admin_republishes_in_an_emergency_with_a_reason(sessions, site):
    admin = sessions("admin")
    page_id = graphql(site, "{ procedures { items { id } } }")  # the API no longer lists it
    assert SLUG not in str(page_id)
    admin.goto(f"/admin/pages/search/?q={SLUG.replace('-', '+')}")
    edit = admin.page.locator("a[href*='/edit/']").first.get_attribute("href")
    page_id = re.search(r"/pages/(\d+)/edit/", edit).group(1)
    emergency(admin, page_id, "publish", REPUBLISH_REASON)
    assert served(site)["title"] == "Partial Muscle Removal"
    admin.goto(f"/admin/pages/{page_id}/history/")
    assert "Emergency publish, without medical review" in admin.page.content()
    assert REPUBLISH_REASON in admin.page.content()


def test_an_editor_has_no_emergency_action(sessions, site):
    editor = sessions("editor")
    page_id = served(site)["id"]
    editor.goto(f"/admin/reviews/emergency/{page_id}/")
    # Wagtail's admin answers a PermissionDenied by sending the user home with a message.
    assert "/reviews/emergency/" not in editor.page.url
    assert "do not have permission" in editor.page.content()
    assert editor.page.locator("#id_reason").count() == 0


EXPIRED = "radio-frequency-calf-reduction"
# Its expiry passes: the page as the worker leaves it (expired, unpublished, the past expiry
# still in its latest revision), which once made every save fail.
EXPIRE = f"""
import datetime
from django.utils import timezone
from procedures.models import ProcedurePage
page = ProcedurePage.objects.get(slug="{EXPIRED}")
page.expire_at = timezone.now() - datetime.timedelta(days=2)
page.save_revision().publish()
ProcedurePage.objects.get(pk=page.pk).unpublish(set_expired=True)
"""


def test_an_expired_page_can_be_edited_and_saved(sessions, site):
    manage_site("shell", "-c", EXPIRE)
    assert graphql(site, f'{{ procedure(slug: "{EXPIRED}") {{ id }} }}')["procedure"] is None
    editor = sessions("editor")
    editor.goto(f"/admin/pages/search/?q={EXPIRED.replace('-', '+')}")
    editor.goto(editor.page.locator("a[href*='/edit/']").first.get_attribute("href"))
    page = editor.page
    page.fill("#id_summary", "Radio-frequency calf reduction, back after it expired.")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    editor.shot("gate-05-expired-page-saved")
    assert "must be in the future" not in page.content()
    assert "Invalid schedule" not in page.content()
    page.reload()
    assert page.input_value("#id_summary") == (
        "Radio-frequency calf reduction, back after it expired."
    )


def test_an_incomplete_procedure_cannot_enter_review_and_keeps_what_was_typed(sessions, site):
    editor = sessions("editor")
    index = graphql(site, '{ page(urlPath: "/procedures/") { id } }')["page"]["id"]
    editor.goto(f"/admin/pages/add/procedures/procedurepage/{index}/")
    page = editor.page
    page.fill("#id_title", "Incomplete procedure")
    page.fill("#id_summary", "No facts, no image and no citation yet.")
    open_footer_menu(page)
    page.locator("button[name='action-submit']").click()
    page.wait_for_load_state()
    editor.shot("gate-06-incomplete-refused")
    message = page.locator(".messages, .help-block, .w-message").all_inner_texts()
    said = " ".join(message)
    assert "Before it can be submitted for medical review, this page needs" in said, said
    for missing in ("image", "citation"):
        assert missing in said, said
    assert page.input_value("#id_title") == "Incomplete procedure"
    assert page.input_value("#id_summary") == "No facts, no image and no citation yet."
    assert graphql(site, '{ procedure(slug: "incomplete-procedure") { id } }')["procedure"] is None
