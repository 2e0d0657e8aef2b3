"""`compareProcedures`: 2 to 5 live procedures side by side, fact by fact, each value with its
source, from the same fact definitions and sources as `ProcedurePage.factSources`."""

from dataclasses import dataclass

import graphene
from graphql import GraphQLError

from cms.graphql.arguments import bad_input, is_database_id
from cms.graphql.locales import chain_for, locale_argument, translated
from cms.graphql.pages import listed_pages
from cms.graphql.planning import join_images, prefetch_pages
from cms.graphql.selections import selection_tree

from .api import FactSourceNode, ProcedureFact, ProcedurePageNode, plan_facts_and_reviews
from .facts import FACTS, FactEvidence, display_value, fact_label, fact_sources
from .models import ProcedurePage, live_muscles

MIN_COMPARED = 2
MAX_COMPARED = 5


@dataclass
class Cell:
    procedure_id: str
    text: str | None
    source: FactEvidence | None

    @property
    def known(self) -> bool:
        return self.text is not None


@dataclass
class Row:
    fact: str
    label: str
    cells: list[Cell]


@dataclass
class Comparison:
    procedures: list[ProcedurePage]
    rows: list[Row]


class ComparisonCell(graphene.ObjectType):
    """One procedure's value of one fact."""

    procedure_id = graphene.ID(required=True, description="The compared procedure's `id`.")
    known = graphene.Boolean(
        required=True,
        description="Whether the procedure has a value for the fact; false means unknown "
        '(no source states it), never "no".',
    )
    text = graphene.String(
        description='The value as readers read it ("Surgical", "Fat, Nerve", "One '
        'week", "7"), as the procedure\'s own fields hold it; null when unknown.'
    )
    source = graphene.Field(
        FactSourceNode,
        description="Where the value comes from and whether it is stated, inferred or "
        "confirmed (as in `ProcedurePage.factSources`); null when unknown.",
    )


class ComparisonRow(graphene.ObjectType):
    """One fact across the compared procedures."""

    fact = graphene.Field(graphene.NonNull(ProcedureFact))
    label = graphene.String(
        required=True, description='The fact\'s name as readers see it, e.g. "Recovery time".'
    )
    cells = graphene.List(
        graphene.NonNull(ComparisonCell),
        required=True,
        description="One per procedure, in the order the procedures were asked for.",
    )


class ProcedureComparison(graphene.ObjectType):
    """Procedures side by side: columns `procedures`, one row per fact."""

    procedures = graphene.List(
        graphene.NonNull(ProcedurePageNode),
        required=True,
        description="The compared procedures, in the order asked for.",
    )
    rows = graphene.List(
        graphene.NonNull(ComparisonRow),
        required=True,
        description="Every fact, known or not, in the order of `ProcedureFact`.",
    )


class ComparisonQuery(graphene.ObjectType):
    compare_procedures = graphene.Field(
        ProcedureComparison,
        slugs=graphene.List(
            graphene.NonNull(graphene.String), description="The procedures' slugs, in order."
        ),
        ids=graphene.List(graphene.NonNull(graphene.ID), description="Or their ids, in order."),
        locale=locale_argument(),
        description=f"{MIN_COMPARED} to {MAX_COMPARED} live procedures side by side, by slug "
        "or by id (one of the two), each once. A slug or id that names no live, public "
        "procedure of this site is a BAD_USER_INPUT error naming it (in `extensions.unknown`), "
        "as are too few, too many or repeated procedures; the field is then null.",
    )

    @staticmethod
    def resolve_compare_procedures(root, info, slugs=None, ids=None, locale=None) -> Comparison:
        field, asked = requested(slugs, ids)
        chain = chain_for(info.context, locale)
        tree = selection_tree(info)
        pages = listed_pages(ProcedurePage, info).filter(**{f"{field}__in": asked})
        found: dict[str, ProcedurePage] = {}
        for page in join_images(pages.order_by("path"), tree.get("procedures", {}), info.context):
            found.setdefault(str(getattr(page, field)), page)
        unknown = [value for value in asked if str(value) not in found]
        if unknown:
            names = ", ".join(f"'{value}'" for value in unknown)
            raise GraphQLError(
                f"No live procedure has the {noun(field, unknown)} {names}.",
                extensions={"code": "BAD_USER_INPUT", "unknown": [str(v) for v in unknown]},
            )
        procedures = translated([found[str(value)] for value in asked], chain, info.context)
        rows = []
        if "rows" in tree:
            plan_facts_and_reviews(procedures, {"factSources": {}}, info.context)
            rows = compare(procedures)
        return Comparison(procedures=prefetch_pages(procedures, info, "procedures"), rows=rows)


def requested(slugs: list[str] | None, ids: list[str] | None) -> tuple[str, list]:
    """The model field to look the procedures up by and the values asked, in order; refuses
    what cannot be a comparison."""
    if (slugs is None) == (ids is None):
        raise bad_input("Give the procedures to compare as either `slugs` or `ids`.")
    field, asked = ("slug", slugs) if slugs is not None else ("pk", ids)
    if not MIN_COMPARED <= len(asked) <= MAX_COMPARED:
        raise bad_input(
            f"Compare {MIN_COMPARED} to {MAX_COMPARED} procedures; got {len(asked)}.",
        )
    if field == "pk":
        wrong = [value for value in asked if not is_database_id(value)]
        if wrong:
            raise bad_input(f"Argument 'ids' must hold whole numbers; got '{wrong[0]}'.")
        asked = [int(value) for value in asked]
    repeated = sorted({value for value in asked if asked.count(value) > 1})
    if repeated:
        names = ", ".join(f"'{value}'" for value in repeated)
        raise bad_input(f"Each procedure once: {names} asked for more than once.")
    return field, asked


def noun(field: str, values: list) -> str:
    word = "slug" if field == "slug" else "id"
    return word if len(values) == 1 else f"{word}s"


def compare(procedures: list[ProcedurePage]) -> list[Row]:
    """Every fact of every procedure: its reader's wording and its evidence, or unknown."""
    evidence = [{entry.fact: entry for entry in fact_sources(page)} for page in procedures]
    rows = []
    for fact in FACTS:
        cells = []
        for page, sources in zip(procedures, evidence, strict=True):
            text = shown_value(page, fact)
            source = sources.get(fact) if text is not None else None
            cells.append(Cell(procedure_id=str(page.pk), text=text, source=source))
        rows.append(Row(fact=fact, label=fact_label(ProcedurePage, fact), cells=cells))
    return rows


def shown_value(page: ProcedurePage, fact: str) -> str | None:
    """The fact as readers read it; muscles only as far as they are published (as `muscles`)."""
    if fact == "muscles":
        return ", ".join(muscle.name for muscle in live_muscles(page.muscles)) or None
    return display_value(page, fact)
