"""What a page (or snippet) under medical review tells editors and API clients about it."""

import datetime

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from .models import MedicalReview


class MedicallyReviewedMixin:
    """Reads the latest approved medical review of this object; the state is never edited."""

    def latest_medical_review(self) -> MedicalReview | None:
        if self.pk is None:
            return None
        if not hasattr(self, "_latest_medical_review"):
            reviews = MedicalReview.objects.for_object(self)
            self._latest_medical_review = of_published_content(reviews, self).first()
        return self._latest_medical_review

    def review_due(self) -> bool:
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

    def reviewer_name(self) -> str | None:
        review = self.latest_medical_review()
        return review.reviewer_name if review else None

    def reviewer_credentials(self) -> str | None:
        review = self.latest_medical_review()
        return (review.reviewer_credentials or None) if review else None

    def reviewed_at(self) -> datetime.datetime | None:
        review = self.latest_medical_review()
        return review.reviewed_at if review else None

    def next_review_due(self) -> datetime.date | None:
        review = self.latest_medical_review()
        return review.next_review_due if review else None


def load_latest_reviews(objects: list) -> None:
    """Each object's latest review in one query for all, as `latest_medical_review` reads it."""
    by_type: dict = {}
    for obj in objects:
        if obj.pk is not None:
            content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
            by_type.setdefault(content_type, []).append(obj)
    for content_type, items in by_type.items():
        ids = [str(obj.pk) for obj in items]
        latest: dict = {}
        reviews = MedicalReview.objects.filter(content_type=content_type, object_id__in=ids)
        live = {str(obj.pk): getattr(obj, "live_revision_id", None) for obj in items}
        for review in reviews.order_by("object_id", "-reviewed_at"):
            if covers_published_content(review, live[review.object_id]):
                latest.setdefault(review.object_id, review)
        for obj in items:
            obj._latest_medical_review = latest.get(str(obj.pk))


def review_of_live_revision(obj) -> MedicalReview | None:
    """The approval of exactly the revision readers see, or None: never reviewed, or published
    since without a review (an emergency), so no reviewer has read the text as it stands."""
    review = obj.latest_medical_review()
    live_revision_id = getattr(obj, "live_revision_id", None)
    if review is None or live_revision_id is None or review.revision_id != live_revision_id:
        return None
    return review


def covers_published_content(review: MedicalReview, live_revision_id: int | None) -> bool:
    """A review of a revision later than the published one (a draft that was approved but is
    scheduled, or then rejected by a later task) says nothing about what readers see."""
    return (
        live_revision_id is None
        or review.revision_id is None
        or (review.revision_id <= live_revision_id)
    )


def of_published_content(reviews, obj):
    live_revision_id = getattr(obj, "live_revision_id", None)
    if live_revision_id is None:
        return reviews
    return reviews.exclude(revision_id__gt=live_revision_id)
