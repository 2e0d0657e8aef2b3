"""Page forms that keep expired pages editable and check a page is complete before review."""

import datetime

from django.conf import settings
from django.utils import timezone

from cms.forms import CMSPageForm

SCHEDULE_FIELDS = ("go_live_at", "expire_at")


def entering_review(data) -> bool:
    """The edit form's buttons that send the page to medical review (submit, resubmit after
    changes were requested, restart)."""
    return bool(data.get("action-submit") or data.get("action-restart-workflow"))


class SchedulingPageForm(CMSPageForm):
    """An expiry that has already happened does not stop the page being saved, and a schedule
    error is named in the message at the top, not only inside the closed schedule dialog."""

    def clean(self) -> dict:
        expire_at = self.cleaned_data.get("expire_at")
        if expire_at and self.expiry_has_passed(expire_at):
            # The page expired: keeping that date would expire it again once re-published.
            self.cleaned_data["expire_at"] = None
        return super().clean()

    def full_clean(self) -> None:
        # After Wagtail's schedule checks, which run in a mixin placed before this class.
        super().full_clean()
        if self.is_bound and any(field in self.errors for field in SCHEDULE_FIELDS):
            self.add_error(
                None,
                "The publishing schedule has an error: open the Status side panel and "
                "choose Edit schedule.",
            )

    def expiry_has_passed(self, expire_at: datetime.datetime) -> bool:
        """The posted expiry is the page's own, already past (not one just typed)."""
        stored = self.instance.expire_at
        return (
            stored is not None
            and stored <= timezone.now()
            and abs(stored - expire_at) < datetime.timedelta(minutes=1)
        )


class ReviewedPageForm(SchedulingPageForm):
    """A page under medical review enters it only with what `MEDICAL_REVIEW_REQUIREMENTS`
    asks for; otherwise the form is shown again, as typed, with what is missing.

    Checked in the form because Wagtail starts the workflow right after a valid form, with no
    hook between, and a refusal must keep what the editor typed.
    """

    image_field = "image"
    fact_fields: tuple[str, ...] = ()
    fact_formsets: tuple[str, ...] = ()

    def clean(self) -> dict:
        cleaned_data = super().clean()
        if entering_review(self.data):
            missing = self.missing_for_review()
            if missing:
                self.add_error(
                    None,
                    "Before it can be submitted for medical review, this page needs "
                    + "; ".join(missing)
                    + ". Your changes are not saved yet: add these, or Save draft.",
                )
        return cleaned_data

    def missing_for_review(self) -> list[str]:
        required = settings.MEDICAL_REVIEW_REQUIREMENTS
        missing = []
        if "facts" in required and not (
            any(self.cleaned_data.get(name) for name in self.fact_fields)
            or any(self.rows(name) for name in self.fact_formsets)
        ):
            missing.append("at least one fact (Facts tab)")
        if "image" in required:
            image = self.cleaned_data.get(self.image_field)
            if image is None:
                missing.append("an image (Content tab)")
            elif not (image.description or "").strip():
                missing.append(f"alt text for the image '{image.title}' (edit it under Images)")
        if "citations" in required and not self.rows("citations"):
            missing.append("at least one citation (Facts tab, Citations)")
        return missing

    def rows(self, formset_name: str) -> int:
        """Rows of an inline list the editor kept (not deleted; an invalid row still counts,
        its own error says what is wrong with it)."""
        formset = self.formsets.get(formset_name)
        if formset is None:
            return 0
        valid = formset.is_valid()
        return sum(
            1
            for form in formset.forms
            if not form.data.get(form.add_prefix("DELETE")) and (not valid or form.cleaned_data)
        )
