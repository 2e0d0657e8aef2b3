"""Admin wiring: reviewer credentials, the dashboard panels and the review-due report."""

from django.conf import settings
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .feedback import requested_changes_of
from .models import ReviewerProfile
from .queries import pages_due, pages_under_review
from .views import ReviewDueReportView


class ReviewerProfileViewSet(SnippetViewSet):
    model = ReviewerProfile
    icon = "user"
    menu_label = "Reviewer credentials"
    list_display = ["user", "credentials"]


register_snippet(ReviewerProfileViewSet)


class MedicalReviewPanel(Component):
    """Every reviewed page and its review state, on the dashboard."""

    name = "medical_review"
    order = 50
    template_name = "reviews/dashboard_panel.html"

    def get_context_data(self, parent_context=None) -> dict:
        return {
            "pages": pages_under_review().specific().order_by("path"),
            "due_count": pages_due().count(),
            "interval": settings.MEDICAL_REVIEW_INTERVAL_MONTHS,
        }


class ChangesRequestedPanel(Component):
    """The editor's submissions a reviewer sent back, with the reviewer's comment: the first
    thing they see after signing in (Wagtail shows the comment only in the history)."""

    name = "changes_requested"
    order = 40
    template_name = "reviews/changes_requested_panel.html"

    def __init__(self, requested: list) -> None:
        self.requested = requested

    def get_context_data(self, parent_context=None) -> dict:
        return {"requested": self.requested, "request": (parent_context or {}).get("request")}


@hooks.register("construct_homepage_panels")
def add_medical_review_panels(request, panels: list) -> None:
    requested = requested_changes_of(request.user)
    if requested:
        panels.append(ChangesRequestedPanel(requested))
    panels.append(MedicalReviewPanel())


@hooks.register("register_admin_urls")
def register_report_urls() -> list:
    return [
        path(
            "reports/medical-review-due/", ReviewDueReportView.as_view(), name="medical_review_due"
        ),
        path(
            "reports/medical-review-due/results/",
            ReviewDueReportView.as_view(results_only=True),
            name="medical_review_due_results",
        ),
    ]


@hooks.register("register_reports_menu_item")
def register_report_menu_item():
    return MenuItem(
        "Medical review due", reverse("medical_review_due"), icon_name="warning", order=700
    )
