"""Editors, round two, in Chromium: a reviewer's requested changes reach the editor (dashboard,
status panel, email with a link to this site), no axe-core serious or critical violations on
the admin and public pages, and no request leaves the site.

Runs after the editorial workflow module and uses its own procedure (BOTOX), whose workflow it
cancels at the end, so later modules find the site as the seed left it.
"""

import email
import email.policy
import re

from .conftest import add_citation, axe_violations

SLUG = "botox-calf-reduction"
COMMENT = "Please cite the source for the number of sessions."
DRAFT_SUMMARY = "BOTOX calf reduction, changed in the feedback browser test."
PUBLIC_PAGES = [
    "/",
    "/calf-reduction-surgery-the-basics-explained/",
    "/procedures/",
    "/procedures/calf-liposuction/",
    "/procedures/botox-calf-reduction/",
    "/procedures/partial-muscle-removal/",
    "/procedures/selective-neurectomy/",
    "/procedures/radio-frequency-calf-reduction/",
]


def edit_url(session, slug: str) -> str:
    """The admin edit URL of a page, found the way an editor finds it: by searching."""
    session.goto(f"/admin/pages/search/?q={slug.replace('-', '+')}")
    return session.page.locator("a[href*='/edit/']").first.get_attribute("href")


def open_footer_actions(page) -> None:
    page.locator("footer .w-dropdown__toggle, [data-w-dropdown-target='toggle']").last.click()


def test_the_editor_submits_a_page_for_medical_review(sessions):
    editor = sessions("editor")
    editor.goto(edit_url(editor, SLUG))
    page = editor.page
    page.fill("#id_summary", DRAFT_SUMMARY)
    page.click("#tab-label-facts")
    add_citation(page, "BOTOX, feedback browser test", "https://example.org/botox-feedback")
    open_footer_actions(page)
    page.locator("button[name='action-submit']").click()
    page.wait_for_load_state()
    editor.goto(edit_url(editor, SLUG))
    assert page.locator("#id_summary").input_value() == DRAFT_SUMMARY
    editor.shot("20-feedback-submitted")


def test_the_reviewer_requests_changes_with_a_comment(sessions):
    reviewer = sessions("reviewer")
    reviewer.goto(edit_url(reviewer, SLUG))
    page = reviewer.page
    open_footer_actions(page)
    page.locator("[data-workflow-action-name='reject']").first.click()
    comment = page.locator("textarea[name='comment']")
    comment.wait_for()
    comment.fill(COMMENT)
    reviewer.shot("21-feedback-request-changes")
    page.locator(".modal form button[type='submit'], .modal form input[type='submit']").click()
    page.wait_for_load_state()
    page.locator(".messages").wait_for()
    reviewer.shot("22-feedback-changes-requested")


def test_the_editor_sees_the_comment_on_the_dashboard(sessions):
    editor = sessions("editor")
    editor.goto("/admin/")
    panel = editor.page.locator("[data-changes-requested-panel]")
    assert panel.is_visible()
    assert COMMENT in panel.inner_text()
    assert "Rita Reviewer" in panel.inner_text()
    editor.shot("23-feedback-dashboard")
    panel.get_by_role("link", name=re.compile("BOTOX", re.I)).click()
    editor.page.wait_for_url(re.compile(r"/admin/pages/\d+/edit/$"))


def test_the_editor_sees_the_comment_in_the_status_panel(sessions):
    editor = sessions("editor")
    page = editor.page
    editor.goto(edit_url(editor, SLUG))
    page.click("button[data-side-panel-toggle='status']")
    requested = page.locator("[data-requested-changes]")
    requested.wait_for()
    assert "Changes requested by Rita Reviewer" in requested.inner_text()
    assert COMMENT in requested.inner_text()
    editor.shot("24-feedback-status-panel")
    page.click("button[data-side-panel-toggle='status']")


def test_the_editor_is_emailed_the_comment_with_a_link_to_this_site(sessions, site, sent_emails):
    # Django's file backend writes one file per connection, messages separated by a dashed line.
    messages = [
        email.message_from_string(text, policy=email.policy.default)
        for path in sorted(sent_emails.glob("*.log"))
        for text in path.read_text().split("\n" + "-" * 79 + "\n")
        if text.strip()
    ]
    rejected = [m for m in messages if "BOTOX" in m["Subject"] and "rejected" in m["Subject"]]
    assert [m["To"] for m in rejected] == ["editor@example.com"], [m["Subject"] for m in messages]
    body = rejected[0].get_body(preferencelist=("plain",)).get_content()
    assert COMMENT in body
    editor = sessions("editor")
    page_id = re.search(r"/admin/pages/(\d+)/edit/", edit_url(editor, SLUG)).group(1)
    link = f"{site}/admin/pages/{page_id}/edit/"
    assert link in body
    # The link opens the page's edit form on this very site.
    editor.page.goto(link)
    assert editor.page.locator("#id_summary").input_value() == DRAFT_SUMMARY


def test_the_checks_panel_gives_the_previews_readability_verdict(sessions):
    editor = sessions("editor")
    page = editor.page
    editor.goto(edit_url(editor, SLUG))
    page.click("button[data-side-panel-toggle='checks']")
    score = page.locator("[data-content-readability-score]")
    page.wait_for_function(
        "() => document.querySelector('[data-content-readability-score]').textContent !== '-'"
    )
    verdict = score.inner_text().strip()
    assert re.fullmatch(r"Grade \d+\.\d, (suits patients|too hard)", verdict), verdict
    grade = verdict.split(",")[0].removeprefix("Grade ")
    page.click("button[data-side-panel-toggle='preview']")
    notice = page.frame_locator("#w-preview-iframe").locator(".notice")
    assert f"Reading grade {grade}:" in notice.inner_text()
    editor.shot("25-feedback-checks-panel")


def test_admin_pages_have_no_serious_accessibility_violations(sessions):
    editor = sessions("editor")
    found = {}
    for name, path in [
        ("dashboard", "/admin/"),
        ("procedure edit form", edit_url(editor, SLUG)),
        ("article edit form", edit_url(editor, "calf-reduction-surgery-the-basics-explained")),
    ]:
        editor.goto(path)
        editor.page.wait_for_load_state("networkidle")
        found[name] = axe_violations(editor.page)
    assert found == {name: [] for name in found}


def test_public_pages_have_no_serious_accessibility_violations(sessions):
    visitor = sessions(None)
    found = {}
    for path in PUBLIC_PAGES:
        response = visitor.goto(path)
        assert response.status == 200, path
        found[path] = axe_violations(visitor.page)
    assert found == {path: [] for path in PUBLIC_PAGES}


def test_no_request_left_the_site(sessions):
    for username in ("editor", "reviewer", None):
        assert sessions(username).outside == [], username


def test_cancelling_the_workflow_leaves_the_page_as_it_was(sessions):
    editor = sessions("editor")
    editor.goto(edit_url(editor, SLUG))
    page = editor.page
    open_footer_actions(page)
    page.locator("button[name='action-cancel-workflow']").click()
    page.wait_for_load_state()
    editor.goto("/admin/")
    assert editor.page.locator("[data-changes-requested-panel]").count() == 0
