"""An editor and a medical reviewer in Chromium, on the admin of a fresh `make run`.

The steps run in order and share the site: an edit made in one step is what the next one
reviews. Screenshots of each step go to screenshots/browser/ (ignored by git).
"""

import re

from .conftest import add_citation, graphql, open_dialog

LIPOSUCTION = '{ procedure(slug: "calf-liposuction") { summary recoveryTime %s } }'
REVIEW = "review { reviewerName reviewerCredentials reviewedAt nextReviewDue } reviewDue"
NEW_SUMMARY = "Calf liposuction is a surgical procedure, reviewed in the browser test."
NEW_RECOVERY = "About one week"


def edit_url(session, slug: str) -> str:
    """The admin edit URL of a page, found the way an editor finds it: by searching."""
    session.goto(f"/admin/pages/search/?q={slug.replace('-', '+')}")
    link = session.page.locator("a[href*='/edit/']").first
    return link.get_attribute("href")


CITATION_TITLE = "Calf reduction, reviewed in the browser test"
CITATION_URL = "https://example.org/calf-reduction-browser-test"


def test_an_editor_logs_in_and_sees_review_state_on_the_dashboard(sessions):
    editor = sessions("editor")
    assert editor.page.url.endswith("/admin/")
    panel = editor.page.locator("#medical-review-heading")
    assert panel.is_visible()
    assert "Never reviewed" in editor.page.content()
    editor.shot("01-editor-dashboard")


def test_an_editor_edits_a_fact_and_saves_a_draft_the_api_does_not_serve(sessions, site):
    editor = sessions("editor")
    editor.goto(edit_url(editor, "calf-liposuction"))
    page = editor.page
    page.fill("#id_summary", NEW_SUMMARY)
    page.click("#tab-label-facts")
    # The fact's source sentence is shown beside the field.
    assert page.get_by_text(
        "Source: “The surgery requires one week of recovery.”"
    ).first.is_visible()
    page.fill("#id_recovery_time", NEW_RECOVERY)
    # A new citation: an inline with no database id yet, which once made Approve loop forever.
    add_citation(page, CITATION_TITLE, CITATION_URL)
    editor.shot("02-editing-a-fact")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_selector(".messages .success, .w-message--success, [role=status]")
    editor.shot("03-draft-saved")
    live = graphql(site, LIPOSUCTION % "")["procedure"]
    assert live == {
        "summary": "Calf liposuction is a surgical procedure.",
        "recoveryTime": "One week",
    }


def test_the_preview_panel_shows_the_drafts_text(sessions):
    editor = sessions("editor")
    page = editor.page
    page.click("button[data-side-panel-toggle='preview']")
    frame = page.frame_locator("#w-preview-iframe")
    frame.get_by_text(NEW_SUMMARY).wait_for()
    assert frame.get_by_text(NEW_RECOVERY).first.is_visible()
    assert frame.get_by_text("Source: “The surgery requires one week of recovery.”").count() == 1
    editor.shot("04-preview-panel")
    for size in ("mobile", "tablet", "desktop"):
        toggle = page.locator(f"input[name='preview-size'][value='{size}']")
        if toggle.count():
            toggle.check(force=True)
            editor.shot(f"05-preview-{size}")
    page.click("button[data-side-panel-toggle='preview']")


def test_the_checks_panel_counts_words_and_scores_readability(sessions):
    editor = sessions("editor")
    page = editor.page
    page.click("button[data-side-panel-toggle='checks']")
    count = page.locator("[data-content-word-count]")
    page.wait_for_function(
        "() => /\\d/.test(document.querySelector('[data-content-word-count]').textContent)"
    )
    assert int(re.sub(r"\D", "", count.inner_text())) > 20
    assert page.locator("[data-content-readability-score]").inner_text().strip() != "-"
    editor.shot("05-checks-panel")
    page.click("button[data-side-panel-toggle='checks']")


def test_the_editor_submits_for_medical_review_and_cannot_approve(sessions, site):
    editor = sessions("editor")
    page = editor.page
    page.locator("footer .w-dropdown__toggle, [data-w-dropdown-target='toggle']").last.click()
    page.locator("button[name='action-submit']").click()
    page.wait_for_load_state()
    editor.shot("06-submitted")
    editor.goto(edit_url(editor, "calf-liposuction"))
    assert "Medical review" in page.content()
    # The author is offered no approval: their own submission waits for someone else.
    assert page.locator("[data-workflow-action-name='approve']").count() == 0
    editor.shot("07-author-cannot-approve")
    assert graphql(site, LIPOSUCTION % "")["procedure"]["recoveryTime"] == "One week"


def test_the_reviewer_approves_and_the_api_serves_the_text_and_the_review(sessions, site):
    reviewer = sessions("reviewer")
    page = reviewer.page
    assert "Calf Liposuction" in page.content()  # awaiting their review, on the dashboard
    edit = edit_url(reviewer, "calf-liposuction")
    reviewer.goto(edit)
    reviewer.shot("08-reviewer-opens-the-page")
    page.locator("footer .w-dropdown__toggle, [data-w-dropdown-target='toggle']").last.click()
    page.locator("[data-workflow-action-name='approve']").first.click()
    page.wait_for_load_state()
    reviewer.shot("09-approved")
    assert "Approved and published" in page.content()
    served = graphql(site, LIPOSUCTION % (REVIEW + " citations { title url }"))["procedure"]
    assert {"title": CITATION_TITLE, "url": CITATION_URL} in served["citations"]
    # Approved once: History has one approval and no second round of review.
    reviewer.goto(edit.replace("/edit/", "/history/"))
    reviewer.shot("09b-history")
    entries = [text.strip() for text in page.locator("table tbody tr").all_inner_texts()]
    assert sum("Approved" in entry for entry in entries) == 1, entries
    # The loop it once was: the reviewer's save as a new draft, and the review started again.
    assert sum("Next step" in entry for entry in entries) == 1, entries  # the submission only
    assert entries[0].startswith("Published") and "Rita Reviewer" in entries[0], entries
    assert not any("Draft saved" in entry and "Reviewer" in entry for entry in entries), entries
    assert served["summary"] == NEW_SUMMARY
    assert served["recoveryTime"] == NEW_RECOVERY
    assert served["review"]["reviewerName"] == "Rita Reviewer"
    assert served["review"]["reviewerCredentials"] == "MD (development account)"
    assert served["review"]["reviewedAt"] and served["review"]["nextReviewDue"]
    assert served["reviewDue"] is False


def test_a_muscle_in_use_cannot_be_deleted(sessions):
    admin = sessions("admin")
    admin.goto("/admin/snippets/procedures/muscle/")
    admin.page.get_by_role("link", name="Medial gastrocnemius").first.click()
    delete_url = re.sub(r"/edit/(\d+)/$", r"/delete/\1/", admin.page.url)
    admin.page.goto(delete_url)
    text = admin.page.content()
    admin.shot("10-used-muscle-delete")
    assert "used" in text.lower() or "referenced" in text.lower()
    assert admin.page.get_by_role("button", name=re.compile("Yes, delete", re.I)).count() == 0


def test_an_image_without_alt_text_is_refused(sessions, tmp_path):
    from PIL import Image

    path = tmp_path / "no-alt.png"
    Image.new("RGB", (40, 30), (200, 10, 10)).save(path)
    admin = sessions("admin")
    admin.goto("/admin/images/add/")
    admin.page.fill("#id_title", "Image without alt text")
    admin.page.set_input_files("#id_file", str(path))
    admin.page.locator("form button[type=submit]").last.click()
    admin.page.wait_for_load_state()
    admin.shot("11-image-without-alt-text")
    admin.goto("/admin/images/?q=without+alt")
    assert "Image without alt text" not in admin.page.content()


def test_graphiql_runs_a_query_offline(sessions):
    visitor = sessions(None)
    query = '{ procedure(slug: "calf-liposuction") { title } }'
    visitor.goto("/graphiql/#query=" + query.replace(" ", "%20").replace('"', "%22"))
    page = visitor.page
    page.locator(".graphiql-execute-button").click()
    page.locator(".result-window").get_by_text("Calf Liposuction").wait_for()
    visitor.shot("12-graphiql")
    assert visitor.outside == []


SCHEDULED = '{ procedure(slug: "selective-neurectomy") { summary } }'
SCHEDULED_SUMMARY = "Selective neurectomy, as scheduled in the browser test."


def test_a_page_scheduled_a_minute_ahead_goes_live_without_anyone_acting(sessions, site):
    import time
    from datetime import UTC, datetime, timedelta

    admin = sessions("admin")
    admin.goto(edit_url(admin, "selective-neurectomy"))
    page = admin.page
    page.fill("#id_summary", SCHEDULED_SUMMARY)
    page.click("#tab-label-facts")
    add_citation(page, CITATION_TITLE, CITATION_URL)  # complete enough for review
    # Wagtail's status side panel: "Set schedule", then "Save schedule" saves it with a draft.
    page.click("button[data-side-panel-toggle='status']")
    open_dialog(page, page.get_by_role("button", name="Set schedule"), "#id_go_live_at")
    # The picker takes minutes: the start of the minute after next, 60 to 120 s ahead.
    go_live = (datetime.now(UTC) + timedelta(minutes=2)).replace(second=0, microsecond=0)
    page.fill("#id_go_live_at", go_live.strftime("%Y-%m-%d %H:%M"))
    admin.shot("12-setting-a-schedule")
    page.get_by_text("Set publishing schedule").click()  # closes the date picker over the button
    page.get_by_role("button", name="Save schedule").click()
    page.wait_for_load_state()
    # Medical review is the only way live: the admin submits, a reviewer approves the schedule.
    page.locator("footer .w-dropdown__toggle, [data-w-dropdown-target='toggle']").last.click()
    page.locator("button[name='action-submit']").click()
    page.wait_for_load_state()
    reviewer = sessions("reviewer")
    reviewer.goto(edit_url(reviewer, "selective-neurectomy"))
    reviewer.page.locator(
        "footer .w-dropdown__toggle, [data-w-dropdown-target='toggle']"
    ).last.click()
    reviewer.page.locator("[data-workflow-action-name='approve']").first.click()
    reviewer.page.wait_for_load_state()
    assert "Approved; scheduled for" in reviewer.page.content()
    admin.shot("13-scheduled")
    before = graphql(site, SCHEDULED)["procedure"]["summary"]
    assert before != SCHEDULED_SUMMARY, "published at once instead of at its time"
    # Nobody acts from here: the worker publishes it once its time has come.
    deadline = go_live + timedelta(seconds=45)
    while datetime.now(UTC) < deadline:
        if graphql(site, SCHEDULED)["procedure"]["summary"] == SCHEDULED_SUMMARY:
            break
        time.sleep(2)
    served = graphql(site, SCHEDULED)["procedure"]["summary"]
    assert served == SCHEDULED_SUMMARY
    assert datetime.now(UTC) >= go_live, "live before its go-live time"
    admin.goto(edit_url(admin, "selective-neurectomy"))
    admin.shot("14-live-after-its-time")
