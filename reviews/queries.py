"""Which pages are under medical review, and which of them are due."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from wagtail.models import Page

from .models import MedicalReview, add_months


def reviewed_page_models() -> list[type[Page]]:
    from home.models import ArticlePage
    from procedures.models import ProcedurePage

    return [ArticlePage, ProcedurePage]


def pages_under_review():
    return Page.objects.type(*reviewed_page_models())


def pages_due():
    """Pages never approved in medical review, or last approved an interval ago or more."""
    cutoff = add_months(timezone.localdate(), -settings.MEDICAL_REVIEW_INTERVAL_MONTHS)
    page_types = ContentType.objects.get_for_models(*reviewed_page_models()).values()
    recent = MedicalReview.objects.filter(
        content_type__in=page_types, reviewed_at__date__gt=cutoff
    ).values_list("object_id", flat=True)
    return pages_under_review().exclude(pk__in=[int(pk) for pk in recent])
