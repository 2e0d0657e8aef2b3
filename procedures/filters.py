"""The filters and orders of the `procedures` root field, as queryset operations."""

from dataclasses import dataclass

import graphene
from django.db.models import Case, F, IntegerField, Q, QuerySet, When

from cms.search import ranked_ids

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


# The filters that facets count, by argument name. Each takes a list in `filter`.
DIMENSIONS = ("approach", "invasiveness", "permanence", "target", "muscle")


def value_condition(dimension: str, values) -> Q:
    """Procedures whose `dimension` has any of `values` (OR); unknown facts never match."""
    from .models import ProcedurePage

    values = [getattr(value, "value", value) for value in values]
    if dimension == "target":
        condition = Q(pk__in=[])
        for value in values:
            condition |= Q(**ChoiceSetField.contains_lookup("targets", value))
        return condition
    if dimension == "muscle":
        # A subquery rather than a join: no duplicate rows, no DISTINCT.
        linked = ProcedurePage.objects.filter(muscles__slug__in=values, muscles__live=True)
        return Q(pk__in=linked.values("pk"))
    return Q(**{f"{dimension}__in": values})


@dataclass
class Finder:
    """A procedures request as conditions: the set every filter narrows (`base`: search and
    maximum recovery) and one condition per faceted filter, so facets can count each filter's
    values under the others."""

    base: QuerySet
    conditions: dict[str, Q]
    ranked: list[int] | None = None

    def matching(self, leave_out: str | None = None) -> QuerySet:
        qs = self.base
        for dimension, condition in self.conditions.items():
            if dimension != leave_out:
                qs = qs.filter(condition)
        return qs


def finder(
    qs: QuerySet,
    *,
    filter: dict | None = None,
    max_recovery_days: int | None = None,
    search_query: str | None = None,
    **single,
) -> Finder:
    """Values combine with OR inside a filter, filters with AND; a single-value argument
    (`target: FAT`) and its list in `filter` both apply. An empty list filters nothing."""
    filter = filter or {}
    conditions = {}
    for dimension in DIMENSIONS:
        condition = Q()
        if single.get(dimension) is not None:
            condition &= value_condition(dimension, [single[dimension]])
        if filter.get(dimension):
            condition &= value_condition(dimension, filter[dimension])
        if condition:
            conditions[dimension] = condition
    if max_recovery_days is not None:
        qs = qs.filter(recovery_days__lte=max_recovery_days)
    ranked = None
    if search_query:
        ranked = search_ranked_ids(qs.model, search_query)
        qs = qs.filter(pk__in=ranked)
    return Finder(base=qs, conditions=conditions, ranked=ranked)


def ordered(found: Finder, order=None) -> QuerySet:
    """The matching procedures in the order asked (relevance first for a search)."""
    qs = found.matching()
    order_by = order.value if order is not None else None
    if found.ranked is not None and order_by in (None, "relevance"):
        rank = Case(
            *(When(pk=pk, then=position) for position, pk in enumerate(found.ranked)),
            output_field=IntegerField(),
        )
        return qs.annotate(search_rank=rank).order_by("search_rank", "path")
    if order_by in (None, "relevance"):
        order_by = "path"
    if order_by == "recovery_days":
        # Unknown recovery sorts last on every database (SQLite would put NULLs first).
        return qs.order_by(F("recovery_days").asc(nulls_last=True), "path")
    return qs.order_by(order_by, "path")


def filter_procedures(qs: QuerySet, *, order=None, **filters) -> QuerySet:
    """Every given filter narrows the set; a procedure whose fact is unknown never matches it."""
    return ordered(finder(qs, **filters), order)


def search_ranked_ids(model, search_query: str) -> list[int]:
    """Ids of the pages matching a Wagtail search, best match first."""
    return ranked_ids(model.objects.all(), search_query, operator="and")
