"""An editor sources a fact from a citation in Chromium, a reviewer approves, the API confirms.

Also every validation the citation and text fields gained: the message in the form, and the
text as typed kept in it. The steps run in order on a procedure this module creates (and
deletes at the end), so the other modules' content is untouched.
"""

import re

from .conftest import emergency, graphql

TITLE = "Sourced Fact Procedure"
SLUG = "sourced-fact-procedure"
NHS_TITLE = "NHS: calf reduction"
NHS = "https://www.nhs.uk/conditions/calf-reduction/"
QUOTE = "Most people need a single treatment session."
SOURCES = (
    f'{{ procedure(slug: "{SLUG}") {{ id factSources {{ fact source quote confirmed setBy '
    "citation { title url } } } }"
)
BY_SLUG = f'{{ procedure(slug: "{SLUG}") {{ title }} }}'


def sources(site: str) -> dict[str, dict]:
    procedure = graphql(site, SOURCES)["procedure"]
    return {entry.pop("fact"): entry for entry in procedure["factSources"]}


def page_id(site: str) -> str:
    return graphql(site, SOURCES)["procedure"]["id"]


def footer_action(session, selector: str) -> None:
    page = session.page
    page.locator("footer .w-dropdown__toggle, [data-w-dropdown-target='toggle']").last.click()
    page.locator(selector).first.click()
    page.wait_for_load_state()


def save_draft(session) -> None:
    session.page.get_by_role("button", name="Save draft").click()
    session.page.wait_for_load_state()


def test_an_administrator_publishes_a_procedure_to_work_on(sessions, site):
    admin = sessions("admin")
    index = graphql(site, '{ page(urlPath: "/procedures/") { id } }')["page"]["id"]
    admin.goto(f"/admin/pages/add/procedures/procedurepage/{index}/")
    admin.page.fill("#id_title", TITLE)
    admin.page.fill("#id_summary", "A procedure the fact-source browser test works on.")
    # An image with alt text, which medical review asks of every procedure.
    admin.page.get_by_role("button", name=re.compile("Choose an image", re.I)).first.click()
    admin.page.locator(".modal [data-chooser-modal-choice]").first.click()
    admin.page.locator(".modal").first.wait_for(state="hidden")
    save_draft(admin)
    created = re.search(r"/pages/(\d+)/edit/", admin.page.url).group(1)
    emergency(admin, created, "publish", "Set-up of the fact-source browser test, no facts yet.")
    assert sources(site) == {}  # no facts stated yet


def test_bad_input_gets_a_clear_message_and_nothing_typed_is_lost(sessions, site):
    editor = sessions("editor")
    editor.goto(f"/admin/pages/{page_id(site)}/edit/")
    page = editor.page
    long_title, long_summary, long_recovery = "T" * 300, "S" * 220_000, "R" * 2000
    page.fill("#id_title", long_title)
    page.fill("#id_summary", long_summary)
    summary = page.locator(".w-field__wrapper:has(#id_summary)")
    assert "Up to 600 characters." in summary.inner_text()
    page.click("#tab-label-facts")
    page.fill("#id_recovery_time", long_recovery)
    # The limits are said beside the fields, and the browser no longer cuts at them.
    assert len(page.input_value("#id_title")) == 300
    assert len(page.input_value("#id_recovery_time")) == 2000
    recovery = page.locator(".w-field__wrapper:has(#id_recovery_time)")
    assert "Up to 255 characters." in recovery.inner_text()
    for index, (url, accessed) in enumerate(
        [("www.nhs.uk/conditions/calf-reduction/", "yesterday"), ("ftp://example.org/a", "")]
    ):
        page.get_by_role("button", name="Add citation").first.click()
        page.fill(f"#id_citations-{index}-title", f"Citation {index}")
        page.fill(f"#id_citations-{index}-url", url)
        page.fill(f"#id_citations-{index}-accessed", accessed or "2026-11-01")
        page.locator(f"#id_citations-{index}-title").click()  # leaves the date: no "today"
    assert page.input_value("#id_citations-0-accessed") == "yesterday"
    label = page.locator("label[for='id_citations-0-url']").inner_text()
    assert label.strip().startswith("URL")
    editor.shot("fact-sources-01-bad-input")
    save_draft(editor)
    editor.shot("fact-sources-02-refused")

    html = page.content()
    for message in (
        "Ensure this value has at most 255 characters (it has 300).",
        "Ensure this value has at most 600 characters (it has 220000).",
        "Ensure this value has at most 255 characters (it has 2000).",
        "Start the address with https:// — did you mean "
        "https://www.nhs.uk/conditions/calf-reduction/?",
        "Enter a web address starting with https:// (or http://).",
        "Enter the date as YYYY-MM-DD, e.g. 2026-11-01",
    ):
        assert message in html, message
    assert page.input_value("#id_title") == long_title
    assert page.input_value("#id_summary") == long_summary
    assert page.input_value("#id_recovery_time") == long_recovery
    assert page.input_value("#id_citations-0-url") == "www.nhs.uk/conditions/calf-reduction/"
    assert page.input_value("#id_citations-0-accessed") == "yesterday"
    assert page.input_value("#id_citations-1-url") == "ftp://example.org/a"
    # Nothing was saved: the API serves the page as it was.
    assert graphql(site, BY_SLUG)["procedure"] == {"title": TITLE}


def test_an_editor_sources_a_fact_from_a_citation_and_submits_it(sessions, site):
    editor = sessions("editor")
    editor.goto(f"/admin/pages/{page_id(site)}/edit/")
    page = editor.page
    page.click("#tab-label-facts")
    page.select_option("#id_sessions", "single")
    page.get_by_role("button", name="Add citation").first.click()
    page.fill("#id_citations-0-title", NHS_TITLE)
    page.fill("#id_citations-0-url", NHS)
    page.fill("#id_citations-0-accessed", "2026-11-01")
    page.locator("#id_citations-0-title").click()
    save_draft(editor)

    # The saved citation is now offered to cite, by its title.
    page.click("#tab-label-facts")
    page.get_by_role("button", name="Add fact source").first.click()
    page.select_option("#id_fact_citations-0-fact", "sessions")
    page.select_option("#id_fact_citations-0-citation_url", NHS)
    page.fill("#id_fact_citations-0-quote", QUOTE)
    editor.shot("fact-sources-03-citing")
    save_draft(editor)
    page.click("#tab-label-facts")
    evidence = f"Set by an editor from {NHS_TITLE} (to confirm in medical review): “{QUOTE}”"
    assert page.get_by_text(evidence).first.is_visible()
    editor.shot("fact-sources-04-cited")

    footer_action(editor, "button[name='action-submit']")
    # In review, not approved: the live page states no sessions fact, sourced or not.
    assert "sessions" not in sources(site)


def test_the_reviewer_approves_and_the_api_shows_the_source_confirmed(sessions, site):
    # From the dashboard's "Awaiting your review": approving from the edit view posts the form,
    # whose unpublished inline rows Wagtail counts as changes, so the task would restart
    # (WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT) instead of being approved.
    reviewer = sessions("reviewer")
    reviewer.goto("/admin/")
    page = reviewer.page
    approve = page.locator(
        f"button[data-workflow-action-url^='/admin/pages/workflow/action/{page_id(site)}/approve/']"
        ":not([data-launch-modal])"
    )
    if not approve.is_visible():
        page.locator("tr", has=approve).locator(
            "[data-w-dropdown-target='toggle'], .w-dropdown__toggle"
        ).first.click()
    reviewer.shot("fact-sources-05-reviewer")
    with page.expect_navigation():
        approve.click()
    reviewer.shot("fact-sources-06-approved")
    assert sources(site)["SESSIONS"] == {
        "source": QUOTE,
        "quote": QUOTE,
        "citation": {"title": NHS_TITLE, "url": NHS},
        "confirmed": True,
        "setBy": "EDITOR",
    }
    reviewer.goto(f"/admin/pages/{page_id(site)}/edit/")
    reviewer.page.click("#tab-label-facts")
    confirmed = f"Set by an editor from {NHS_TITLE} (confirmed in medical review): “{QUOTE}”"
    assert reviewer.page.get_by_text(confirmed).first.is_visible()


def test_the_procedure_this_module_made_is_deleted(sessions, site):
    admin = sessions("admin")
    admin.goto(f"/admin/pages/{page_id(site)}/delete/")
    admin.page.get_by_role("button", name=re.compile("Yes, delete", re.I)).click()
    admin.page.wait_for_load_state()
    assert graphql(site, BY_SLUG)["procedure"] is None
