"""The medical review and citations in the API: who reviewed a page, when, and on what sources."""

import graphene

from .pages import load_latest_reviews


class MedicalReviewNode(graphene.ObjectType):
    """The latest approval of the medical content by a medical reviewer."""

    class Meta:
        name = "MedicalReview"

    reviewer_name = graphene.String(required=True)
    reviewer_credentials = graphene.String(description='e.g. "MD, plastic surgeon"; or null.')
    reviewed_at = graphene.DateTime(required=True)
    next_review_due = graphene.Date(required=True)

    @staticmethod
    def resolve_reviewer_credentials(review, info) -> str | None:
        return review.reviewer_credentials or None


class CitationNode(graphene.ObjectType):
    """A published source an editor cites for the page's medical content."""

    class Meta:
        name = "Citation"

    title = graphene.String(required=True)
    url = graphene.String(required=True)
    accessed = graphene.Date(required=True, description="When the editor last read it there.")


class Reviewed:
    """Fields of a page under medical review: mixed into its GraphQL type."""

    review = graphene.Field(MedicalReviewNode, description="null when never reviewed.")
    review_due = graphene.Boolean(
        required=True, description="Never reviewed, or the review interval has passed."
    )
    citations = graphene.List(graphene.NonNull(CitationNode), required=True)

    @staticmethod
    def resolve_review(page, info):
        return page.latest_medical_review()

    @staticmethod
    def resolve_review_due(page, info) -> bool:
        return page.review_due()

    @staticmethod
    def resolve_citations(page, info) -> list:
        return list(page.citations.all())


REVIEW_FIELDS = {"review", "reviewDue"}


def plan_reviews(pages: list, tree: dict) -> None:
    """The latest review of every page in one query, when the selection reads it."""
    if REVIEW_FIELDS & tree.keys():
        load_latest_reviews(pages)
