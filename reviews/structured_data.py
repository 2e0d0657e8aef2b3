"""A medically reviewed page as schema.org's MedicalWebPage: who reviewed the text readers see,
when, and the citations it rests on."""

from collections.abc import Callable

from django.db.models import prefetch_related_objects

from cms.graphql.interfaces import is_preview
from cms.graphql.structured_data import JSON_LD, script_safe_json, web_page

from .models import MedicalReview
from .pages import load_latest_reviews, review_of_live_revision

# Builds the page's `about` from it, told whether a medical reviewer approved the text shown.
About = Callable[..., dict | None]


def shown_review(page) -> MedicalReview | None:
    """The approval of the revision a reader sees; none for a preview (a draft nobody approved
    as it is shown) and none once the page was published again without a review."""
    return None if is_preview(page) else review_of_live_revision(page)


def medical_web_page(page, context, about: About | None = None) -> str:
    """The page's JSON-LD text. `about(page, reviewed=...)` describes what the page is about."""
    data = web_page(page, context, "MedicalWebPage")
    review = shown_review(page)
    if review is not None:
        data["lastReviewed"] = review.reviewed_at.date().isoformat()
        reviewer = {"@type": "Person", "name": review.reviewer_name}
        if review.reviewer_credentials:
            reviewer["honorificSuffix"] = review.reviewer_credentials
        data["reviewedBy"] = reviewer
    citations = [
        {"@type": "CreativeWork", "name": citation.title, "url": citation.url}
        for citation in page.citations.all()
    ]
    if citations:
        data["citation"] = citations
    subject = about(page, reviewed=review is not None) if about is not None else None
    if subject:
        data["about"] = subject
    return script_safe_json(data)


def plan_medical_web_pages(pages: list, tree: dict) -> None:
    """For `jsonLd` over a batch: the locales and citations in one query each, and the latest
    reviews in one (unless the batch's plan loaded them already)."""
    if JSON_LD not in tree:
        return
    prefetch_related_objects(pages, "locale", "citations")
    load_latest_reviews([page for page in pages if not hasattr(page, "_latest_medical_review")])
