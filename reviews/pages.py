"""What a page (or snippet) under medical review tells editors and API clients about it."""

import datetime

import graphene
from django.utils import timezone
from grapple.models import GraphQLBoolean, GraphQLField, GraphQLString

from .models import MedicalReview


class MedicallyReviewedMixin:
    """Reads the latest approved medical review of this object; the state is never edited."""

    @staticmethod
    def graphql_review_fields() -> list:
        """The review as API fields, for the model's `graphql_fields`."""
        return [
            GraphQLString("reviewer_name", description="Who last approved the medical content."),
            GraphQLString("reviewer_credentials", description="That reviewer's credentials."),
            GraphQLField("reviewed_at", graphene.DateTime, description="When they approved it."),
            GraphQLField(
                "next_review_due", graphene.Date, description="When the content is due again."
            ),
            GraphQLBoolean(
                "review_due",
                required=True,
                description="Never reviewed, or the review interval has passed.",
            ),
        ]

    def latest_medical_review(self) -> MedicalReview | None:
        if self.pk is None:
            return None
        if not hasattr(self, "_latest_medical_review"):
            self._latest_medical_review = MedicalReview.objects.for_object(self).first()
        return self._latest_medical_review

    def review_due(self, info=None, **kwargs) -> bool:
        """Never reviewed, or the review interval has passed."""
        review = self.latest_medical_review()
        return review is None or review.next_review_due <= timezone.localdate()

    def review_state(self) -> str:
        """A phrase for the dashboard, the report and the preview."""
        workflow_state = getattr(self, "current_workflow_state", None)
        if workflow_state is not None:
            return "In medical review"
        review = self.latest_medical_review()
        if review is None:
            return "Never reviewed"
        due = review.next_review_due
        if self.review_due():
            return f"Review due since {due:%-d %B %Y}"
        return f"Reviewed by {review.reviewer_name} on {review.reviewed_at:%-d %B %Y}"

    def reviewer_name(self, info=None, **kwargs) -> str | None:
        review = self.latest_medical_review()
        return review.reviewer_name if review else None

    def reviewer_credentials(self, info=None, **kwargs) -> str | None:
        review = self.latest_medical_review()
        return (review.reviewer_credentials or None) if review else None

    def reviewed_at(self, info=None, **kwargs) -> datetime.datetime | None:
        review = self.latest_medical_review()
        return review.reviewed_at if review else None

    def next_review_due(self, info=None, **kwargs) -> datetime.date | None:
        review = self.latest_medical_review()
        return review.next_review_due if review else None
