"""Admin wiring: reviewer credentials, the dashboard panels, the review-due report, the review
gate's emergency action and what an approval tells the reviewer."""

from django.conf import settings
from django.contrib import messages as django_messages
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.action_menu import ActionMenuItem
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import emergency
from .approval import approval_outcome
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
        path(
            "reviews/emergency/<int:page_id>/",
            emergency.emergency_action,
            name="reviews_emergency_action",
        ),
    ]


@hooks.register("register_log_actions")
def register_emergency_log_actions(actions) -> None:
    emergency.register(actions)


class EmergencyMenuItem(ActionMenuItem):
    """Beside the review: publish or unpublish without it, with a recorded reason."""

    label = "Emergency publish or unpublish…"
    name = "action-emergency"
    icon_name = "warning"
    order = 900

    def is_shown(self, context) -> bool:
        if context["view"] != "edit" or context["locked_for_user"]:
            return False
        permissions = self.get_user_page_permissions_tester(context)
        emergency_only = getattr(permissions, "can_publish_in_emergency", None)
        return bool(emergency_only) and (
            (emergency_only() and not permissions.can_publish())
            or (permissions.can_unpublish_in_emergency() and not permissions.can_unpublish())
        )

    def get_url(self, context) -> str:
        return reverse("reviews_emergency_action", args=(context["page"].id,))


@hooks.register("register_page_action_menu_item")
def register_emergency_menu_item() -> EmergencyMenuItem:
    return EmergencyMenuItem()


@hooks.register("construct_page_action_menu")
def say_approve_publishes(menu_items: list, request, context) -> None:
    """With re-approval on edit, Wagtail labels the last approval plain "Approve"; here an
    approval of unchanged content does publish (reviews/revisions.py)."""
    for item in menu_items:
        if getattr(item, "name", None) == "approve" and item.label == "Approve":
            item.label = "Approve and publish"


WORKFLOW_ACTION_FIELD = "action-workflow-action"


@hooks.register("after_edit_page")
def say_what_the_approval_did(request, page) -> None:
    """Replace Wagtail's "Page … has been updated." after a workflow action by what happened:
    published, scheduled, or (after the reviewer's own edits) a new review."""
    if not request.POST.get(WORKFLOW_ACTION_FIELD):
        return
    if request.POST.get("workflow-action-name") != "approve":
        return
    outcome = approval_outcome(page)
    if outcome is None:
        outcome = "Your edits were saved as a new draft; another medical reviewer must approve it."
    # Reading the queued messages marks them shown; all but Wagtail's generic one are re-added.
    for message in list(django_messages.get_messages(request)):
        if "has been updated." not in str(message.message):
            django_messages.add_message(request, message.level, message.message, message.extra_tags)
    messages.success(request, f"'{page.get_admin_display_title()}': {outcome}")


@hooks.register("register_reports_menu_item")
def register_report_menu_item():
    return MenuItem(
        "Medical review due", reverse("medical_review_due"), icon_name="warning", order=700
    )
