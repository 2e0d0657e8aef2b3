"""A read-only panel on the edit form: the page's medical review state and reading grade."""

from django.conf import settings
from django.utils.html import format_html
from wagtail.admin.panels import Panel

from cms.readability import page_reading_grade


class ReviewPanel(Panel):
    """Shows what approvals recorded; reviews are made in the workflow, never typed in."""

    class BoundPanel(Panel.BoundPanel):
        def render_html(self, parent_context=None) -> str:
            page = self.instance
            grade = page_reading_grade(page)
            limit = settings.PATIENT_READING_GRADE
            verdict = "suits patient information" if grade <= limit else "too hard for patients"
            return format_html(
                '<p class="review-state">{}</p>'
                "<p>Reading grade {} (patient information: {} or below): {}.</p>"
                '<p class="help">Submit the page to <em>Medical review</em>; a reviewer other '
                "than you approves it, and the approval is recorded here.</p>",
                page.review_state() if page.pk else "Never reviewed",
                grade,
                limit,
                verdict,
            )
