"""Facet counts for the procedure finder: per filter, per value, how many procedures the list
would hold with that value as the filter's only one and the other filters unchanged (a chip's
count). One SQL query per filter, whatever the number of procedures or values."""

from django.db.models import Count, Q

from cms.graphql.locales import localized_rows

from .fields import ChoiceSetField
from .filters import Finder
from .models import Muscle, ProcedurePage


def enum_counts(found: Finder, field: str, choices) -> list[dict]:
    rows = found.matching(leave_out=field).values(field).annotate(n=Count("pk")).order_by()
    counts = {row[field]: row["n"] for row in rows}
    return [{"value": choice.value, "count": counts.get(choice.value, 0)} for choice in choices]


def tissue_counts(found: Finder) -> list[dict]:
    """`targets` holds a set per procedure: one conditional count per tissue, in one query."""
    from .enums import Tissue

    counts = found.matching(leave_out="target").aggregate(
        **{
            tissue.value: Count("pk", filter=Q(**ChoiceSetField.contains_lookup("targets", tissue)))
            for tissue in Tissue
        }
    )
    return [{"value": tissue.value, "count": counts[tissue.value]} for tissue in Tissue]


def muscle_counts(found: Finder, chain, default_locale_id) -> list[dict]:
    """Every published muscle (in the request's locale, as `muscles`), by name, with how
    many procedures link it; the filter matches by slug, the same in every locale."""
    links = ProcedurePage.muscles.through.objects.filter(
        procedurepage__in=found.matching(leave_out="muscle").values("pk"), muscle__live=True
    )
    counts = dict(
        links.values("muscle__slug")
        .annotate(n=Count("procedurepage", distinct=True))
        .order_by()
        .values_list("muscle__slug", "n")
    )
    muscles = localized_rows(Muscle.objects.filter(live=True), chain, default_locale_id)
    return [
        {"value": muscle.slug, "muscle": muscle, "count": counts.get(muscle.slug, 0)}
        for muscle in muscles.order_by("name")
    ]
