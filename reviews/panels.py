"""A read-only panel on the edit form: the page's medical review state and reading grade."""

from django.utils.html import format_html
from wagtail.admin.panels import Panel

from cms.readability import page_readability


class ReviewPanel(Panel):
    """Shows what approvals recorded; reviews are made in the workflow, never typed in."""

    class BoundPanel(Panel.BoundPanel):
        def render_html(self, parent_context=None) -> str:
            page = self.instance
            return format_html(
                '<p class="review-state">{}</p>'
                '<p class="readability">{}</p>'
                '<p class="help">Submit the page to <em>Medical review</em>; a reviewer other '
                "than you approves it, and the approval is recorded here.</p>",
                page.review_state() if page.pk else "Never reviewed",
                page_readability(page).verdict,
            )
