"""Which pages are under medical review, and which of them are due."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, F, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from django.utils import timezone
from wagtail.models import Page, PageLogEntry

from .emergency import EMERGENCY_ACTIONS
from .models import MedicalReview, add_months


def reviewed_page_models() -> list[type[Page]]:
    from home.models import ArticlePage
    from procedures.models import ProcedurePage

    return [ArticlePage, ProcedurePage]


def pages_under_review():
    # An alias (an untranslated page in another locale's tree) shows its source's reviewed
    # content: its review is the source's.
    return Page.objects.type(*reviewed_page_models()).filter(alias_of__isnull=True)


def pages_due():
    """Pages never approved in medical review, last approved an interval ago or more, or
    published or unpublished in an emergency since their last approval."""
    cutoff = add_months(timezone.localdate(), -settings.MEDICAL_REVIEW_INTERVAL_MONTHS)
    page_types = ContentType.objects.get_for_models(*reviewed_page_models()).values()
    reviews = MedicalReview.objects.filter(
        content_type__in=page_types, object_id=Cast(OuterRef("pk"), CharField())
    ).order_by("-reviewed_at")
    emergencies = PageLogEntry.objects.filter(
        page=OuterRef("pk"), action__in=EMERGENCY_ACTIONS
    ).order_by("-timestamp")
    return (
        pages_under_review()
        .annotate(
            last_review=Subquery(reviews.values("reviewed_at")[:1]),
            last_emergency=Subquery(emergencies.values("timestamp")[:1]),
        )
        .filter(
            Q(last_review__isnull=True)
            | Q(last_review__date__lte=cutoff)
            | Q(last_emergency__gt=F("last_review"))
        )
    )
