"""The filters and orders of the `procedures` root field, as queryset operations."""

import graphene
from django.db.models import Case, F, IntegerField, QuerySet, When

from cms.search import ranked_ids

from .enums import Approach, Invasiveness, Permanence, Tissue
from .fields import ChoiceSetField


class ProcedureOrder(graphene.Enum):
    """How to sort procedures."""

    MENU_ORDER = "path"
    TITLE = "title"
    TITLE_DESC = "-title"
    RECOVERY_DAYS = "recovery_days"
    NEWEST = "-first_published_at"
    RELEVANCE = "relevance"

    @property
    def description(self) -> str:
        return {
            "MENU_ORDER": "The editors' order in the page tree (the default without a search).",
            "TITLE": "Title A to Z.",
            "TITLE_DESC": "Title Z to A.",
            "RECOVERY_DAYS": "Shortest recovery first; unknown recovery last.",
            "NEWEST": "Most recently first published first.",
            "RELEVANCE": "Best search match first (the default with `searchQuery`).",
        }[self.name]


def filter_procedures(
    qs: QuerySet,
    *,
    approach: Approach | None = None,
    invasiveness: Invasiveness | None = None,
    permanence: Permanence | None = None,
    target: Tissue | None = None,
    muscle: str | None = None,
    max_recovery_days: int | None = None,
    search_query: str | None = None,
    order=None,
) -> QuerySet:
    """Every given filter narrows the set; a procedure whose fact is unknown never matches it."""
    if approach is not None:
        qs = qs.filter(approach=approach)
    if invasiveness is not None:
        qs = qs.filter(invasiveness=invasiveness)
    if permanence is not None:
        qs = qs.filter(permanence=permanence)
    if target is not None:
        qs = qs.filter(**ChoiceSetField.contains_lookup("targets", target))
    if muscle is not None:
        qs = qs.filter(muscles__slug=muscle, muscles__live=True).distinct()
    if max_recovery_days is not None:
        qs = qs.filter(recovery_days__lte=max_recovery_days)

    order_by = order.value if order is not None else None
    if search_query:
        ranked = search_ranked_ids(qs.model, search_query)
        qs = qs.filter(pk__in=ranked)
        if order_by in (None, "relevance"):
            rank = Case(
                *(When(pk=pk, then=position) for position, pk in enumerate(ranked)),
                output_field=IntegerField(),
            )
            return qs.annotate(search_rank=rank).order_by("search_rank", "path")
    if order_by in (None, "relevance"):
        order_by = "path"
    if order_by == "recovery_days":
        # Unknown recovery sorts last on every database (SQLite would put NULLs first).
        return qs.order_by(F("recovery_days").asc(nulls_last=True), "path")
    return qs.order_by(order_by, "path")


def search_ranked_ids(model, search_query: str) -> list[int]:
    """Ids of the pages matching a Wagtail search, best match first."""
    return ranked_ids(model.objects.all(), search_query, operator="and")
