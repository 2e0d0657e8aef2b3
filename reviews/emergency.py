"""The emergency exception to medical review: publish or unpublish now, with a reason that
History and the review-due report show.

Wagtail has no "publish with a reason"; this is one small admin view that performs Wagtail's
own publish and unpublish actions and leaves a log entry of our own action type.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from wagtail.actions.unpublish_page import UnpublishPageAction
from wagtail.admin import messages
from wagtail.log_actions import LogFormatter, log
from wagtail.models import Page, PageLogEntry

PUBLISH = "reviews.emergency_publish"
UNPUBLISH = "reviews.emergency_unpublish"
EMERGENCY_ACTIONS = (PUBLISH, UNPUBLISH)


class EmergencyFormatter(LogFormatter):
    """History shows the action and, as its comment, the reason given."""

    def format_message(self, log_entry) -> str:
        return f"{self.label}, without medical review: {log_entry.data.get('reason', '')}"

    def format_comment(self, log_entry) -> str:
        return log_entry.data.get("reason", "")


class EmergencyPublishFormatter(EmergencyFormatter):
    label = "Emergency publish"


class EmergencyUnpublishFormatter(EmergencyFormatter):
    label = "Emergency unpublish"


def register(actions) -> None:
    """For the `register_log_actions` hook."""
    actions.register_action(PUBLISH)(EmergencyPublishFormatter)
    actions.register_action(UNPUBLISH)(EmergencyUnpublishFormatter)


def latest_emergency(page_ids) -> dict[int, PageLogEntry]:
    """The latest emergency action on each page, in one query."""
    entries = PageLogEntry.objects.filter(
        action__in=EMERGENCY_ACTIONS, page_id__in=list(page_ids)
    ).order_by("page_id", "-timestamp", "-pk")
    latest: dict[int, PageLogEntry] = {}
    for entry in entries:
        latest.setdefault(entry.page_id, entry)
    return latest


class EmergencyForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("publish", "Publish the latest draft now (or at its go-live time)"),
            ("unpublish", "Unpublish the page now"),
        ],
        widget=forms.RadioSelect,
    )
    include_descendants = forms.BooleanField(
        required=False, label="When unpublishing, unpublish its subpages too"
    )
    reason = forms.CharField(
        min_length=10,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why this cannot wait for a medical review. History and the "
        "'Medical review due' report show it; the page is due for review until approved.",
    )


def emergency_action(request, page_id: int):
    """Publish or unpublish a page under review, for a user whom Wagtail lets publish it."""
    page = get_object_or_404(Page, id=page_id).specific
    permissions = page.permissions_for_user(request.user)
    allowed = {
        "publish": permissions.can_publish_in_emergency(),
        "unpublish": permissions.can_unpublish_in_emergency(),
    }
    if not any(allowed.values()):
        raise PermissionDenied
    form = EmergencyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = form.cleaned_data["action"]
        reason = form.cleaned_data["reason"]
        if not allowed[action]:
            form.add_error("action", f"You cannot {action} this page.")
        else:
            perform(page, request.user, action, reason, form.cleaned_data["include_descendants"])
            messages.success(
                request,
                f"'{page.get_admin_display_title()}': emergency {action} recorded, with reason.",
            )
            return redirect("wagtailadmin_pages:edit", page.pk)
    return TemplateResponse(
        request, "reviews/emergency.html", {"page": page, "form": form, "allowed": allowed}
    )


def perform(page, user, action: str, reason: str, include_descendants: bool = False) -> None:
    """Wagtail's own publish or unpublish, then the log entry that carries the reason."""
    if action == "publish":
        revision = page.get_latest_revision()
        revision.publish(user=user, skip_permission_checks=True)
        log(instance=page, action=PUBLISH, user=user, revision=revision, data={"reason": reason})
    else:
        UnpublishPageAction(page, user=user, include_descendants=include_descendants).execute(
            skip_permission_checks=True
        )
        log(
            instance=page,
            action=UNPUBLISH,
            user=user,
            data={"reason": reason, "include_descendants": include_descendants},
        )
