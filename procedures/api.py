"""The procedures' read side of the API: types, root fields, filters and the relation plan."""

import graphene
from django.db.models import prefetch_related_objects

from cms.graphql.images import image_field
from cms.graphql.interfaces import Page, page_type
from cms.graphql.locales import chain_for, locale_argument, localized_rows
from cms.graphql.pages import (
    listed_pages,
    live_pages,
    page_field,
    page_list_field,
    paginated_pages,
)
from cms.graphql.pagination import paginated_type
from cms.graphql.planning import Relation, prefetch_pages, register_plan
from cms.graphql.richtext import public_html
from cms.graphql.structured_data import json_ld_field
from reviews.api import CitationNode, Reviewed, plan_reviews
from reviews.structured_data import plan_medical_web_pages

from . import enums, facets
from .facts import FACTS, fact_sources
from .filters import ProcedureOrder, finder, ordered
from .models import Muscle, ProcedureIndexPage, ProcedurePage, live_muscles
from .structured_data import procedure_json_ld

Approach = graphene.Enum.from_enum(enums.Approach, description="Surgical or not.")
Invasiveness = graphene.Enum.from_enum(
    enums.Invasiveness, description="How far the procedure enters the body."
)
Permanence = graphene.Enum.from_enum(
    enums.Permanence, description="Whether the result lasts or wears off."
)
Tissue = graphene.Enum.from_enum(enums.Tissue, description="A tissue a procedure acts on.")
Sessions = graphene.Enum.from_enum(
    enums.Sessions, description="One treatment or several to reach the result."
)
Onset = graphene.Enum.from_enum(enums.Onset, description="When results show.")
ProcedureFact = graphene.Enum(
    "ProcedureFact",
    [(fact.upper(), fact) for fact in FACTS],
    description="A typed fact of a procedure; each names the `ProcedurePage` field it sources.",
)


class FactOrigin(graphene.Enum):
    """Who set a fact's current value: the seed's source text, or an editor (who may cite a
    source of their own for it)."""

    SEED = "seed"
    EDITOR = "editor"


class FactSourceNode(graphene.ObjectType):
    """Where one stated fact comes from."""

    class Meta:
        name = "FactSource"

    fact = graphene.Field(graphene.NonNull(ProcedureFact))
    source = graphene.String(
        description="The sentence the value rests on: the seed's source sentence, or the "
        "`quote` an editor cited; null when an editor set the value without citing a source."
    )
    citation = graphene.Field(
        CitationNode,
        description="The page's citation an editor took the value from; null for the seed's "
        "facts and for an editor's value without a source.",
    )
    quote = graphene.String(
        description="The sentence the editor quoted from `citation`; null without a citation."
    )
    inferred = graphene.Boolean(
        required=True,
        description="The fact follows from the sentence by definition rather than being stated.",
    )
    confirmed = graphene.Boolean(
        required=True,
        description="Stated in the seed's source text, or (inferred, or set by an editor) "
        "approved by a medical reviewer in the published revision.",
    )
    set_by = graphene.Field(graphene.NonNull(FactOrigin))

    @staticmethod
    def resolve_fact(entry, info) -> str:
        return entry.fact

    @staticmethod
    def resolve_source(entry, info) -> str | None:
        return entry.source()

    @staticmethod
    def resolve_citation(entry, info):
        return entry.citation

    @staticmethod
    def resolve_quote(entry, info) -> str | None:
        return entry.quote()

    @staticmethod
    def resolve_confirmed(entry, info) -> bool:
        return entry.confirmed()

    @staticmethod
    def resolve_set_by(entry, info) -> str:
        return entry.set_by().lower()


class MuscleNode(graphene.ObjectType):
    """A muscle a procedure or the article targets."""

    class Meta:
        name = "Muscle"

    id = graphene.ID(required=True)
    name = graphene.String(required=True)
    slug = graphene.String(required=True, description="Stable; the `muscle` filter takes it.")


@page_type(ProcedureIndexPage)
class ProcedureIndexPageNode(graphene.ObjectType):
    """The parent of every procedure, at `/procedures/`."""

    class Meta:
        name = "ProcedureIndexPage"
        interfaces = (Page,)

    intro_html = graphene.String(required=True, description='HTML; "" when there is none.')

    @staticmethod
    def resolve_intro_html(page, info) -> str:
        return public_html(page.intro, info.context)


@page_type(ProcedurePage)
class ProcedurePageNode(Reviewed, graphene.ObjectType):
    """One procedure: its text, and its facts as typed fields.

    A fact the source does not state is null (an empty list for `targets` and `muscles`):
    null means unknown, never "no".
    """

    class Meta:
        name = "ProcedurePage"
        interfaces = (Page,)

    summary = graphene.String(required=True, description="The opening sentence or two.")
    body_html = graphene.String(required=True, description="The rest of the text, as HTML.")
    image = image_field("image", "The hero image.")
    approach = graphene.Field(Approach)
    invasiveness = graphene.Field(Invasiveness)
    permanence = graphene.Field(Permanence)
    targets = graphene.List(
        graphene.NonNull(Tissue),
        required=True,
        description="Tissues the procedure acts on; empty when the source does not say.",
    )
    muscles = graphene.List(graphene.NonNull(MuscleNode), required=True)
    recovery_time = graphene.String(description="Recovery in words, e.g. 'One week'.")
    recovery_days = graphene.Int(description="Recovery in days, for filtering and sorting.")
    sessions = graphene.Field(Sessions)
    onset = graphene.Field(Onset)
    ideal_candidates = graphene.String(description="Who the source says the procedure suits.")
    related_procedures = graphene.List(
        graphene.NonNull(lambda: ProcedurePageNode),
        required=True,
        description="Related procedures that are live and public, in the editors' order.",
    )
    fact_sources = graphene.List(
        graphene.NonNull(FactSourceNode),
        required=True,
        description="Where each stated fact comes from; unstated (null) facts have none.",
    )
    json_ld = json_ld_field()

    @staticmethod
    def resolve_body_html(page, info) -> str:
        return public_html(page.body, info.context)

    @staticmethod
    def resolve_muscles(page, info) -> list:
        return live_muscles(page.muscles)

    @staticmethod
    def resolve_fact_sources(page, info) -> list:
        return fact_sources(page)

    @staticmethod
    def resolve_json_ld(page, info) -> str:
        return procedure_json_ld(page, info.context)

    @staticmethod
    def resolve_related_procedures(page, info) -> list:
        planned = getattr(page, "servable_related_procedures", None)
        if planned is not None:
            return planned
        # Not planned with the page (a preview's draft): planned here, once for this page.
        ids = page.related_procedure_ids()
        pages = live_pages(ProcedurePage, info).filter(pk__in=ids).order_by("path")
        return prefetch_pages(pages, info)


def plan_facts_and_reviews(pages: list, tree: dict, context) -> None:
    """Sources compare against the page's values (muscles included), the editors' citations
    and the page's review; the JSON-LD reads the sources too."""
    if "factSources" in tree or "jsonLd" in tree:
        prefetch_related_objects(pages, "fact_sources", "fact_citations", "citations", "muscles")
        plan_reviews(pages, {"review": {}})
    else:
        plan_reviews(pages, tree)
    plan_medical_web_pages(pages, tree)


register_plan(
    ProcedurePage,
    {
        "image": Relation("image", kind="image"),
        "muscles": Relation("muscles"),
        "citations": Relation("citations"),
        "relatedProcedures": Relation(
            "related_procedures", kind="pages", to_attr="servable_related_procedures"
        ),
    },
    after_fetch=plan_facts_and_reviews,
)


class ProcedureFilter(graphene.InputObjectType):
    """Filters for the procedure finder: each takes a list of values, which combine with OR
    (`target: [FAT, MUSCLE]`: either tissue); filters combine with AND. An empty or absent
    list filters nothing. A procedure whose fact is unknown matches no value of it."""

    approach = graphene.List(graphene.NonNull(Approach))
    invasiveness = graphene.List(graphene.NonNull(Invasiveness))
    permanence = graphene.List(graphene.NonNull(Permanence))
    target = graphene.List(graphene.NonNull(Tissue), description="Targeted tissues.")
    muscle = graphene.List(graphene.NonNull(graphene.String), description="Muscles' slugs.")


def facet_type(name: str, value_type, description: str) -> type[graphene.ObjectType]:
    return type(
        name,
        (graphene.ObjectType,),
        {
            "Meta": type("Meta", (), {"description": description}),
            "value": graphene.Field(graphene.NonNull(value_type)),
            "count": graphene.Int(
                required=True,
                description="Procedures the list would hold with this value as the filter's "
                "only value, the other filters as they are.",
            ),
        },
    )


class MuscleFacet(graphene.ObjectType):
    """A muscle chip: the muscle (`value` is its slug) and how many procedures it finds."""

    value = graphene.String(required=True, description="The muscle's slug.")
    muscle = graphene.Field(graphene.NonNull(MuscleNode))
    count = graphene.Int(required=True)


class ProcedureFacets(graphene.ObjectType):
    """For each filter, every value with the number of procedures it would find under the
    other active filters (a chip showing 0 can be hidden). Every value is listed, in the
    enum's order (muscles by name)."""

    approach = graphene.List(
        graphene.NonNull(facet_type("ApproachFacet", Approach, "An approach chip.")),
        required=True,
    )
    invasiveness = graphene.List(
        graphene.NonNull(facet_type("InvasivenessFacet", Invasiveness, "An invasiveness chip.")),
        required=True,
    )
    permanence = graphene.List(
        graphene.NonNull(facet_type("PermanenceFacet", Permanence, "A permanence chip.")),
        required=True,
    )
    target = graphene.List(
        graphene.NonNull(facet_type("TissueFacet", Tissue, "A targeted tissue chip.")),
        required=True,
    )
    muscle = graphene.List(graphene.NonNull(MuscleFacet), required=True)

    @staticmethod
    def resolve_approach(found, info):
        return facets.enum_counts(found, "approach", enums.Approach)

    @staticmethod
    def resolve_invasiveness(found, info):
        return facets.enum_counts(found, "invasiveness", enums.Invasiveness)

    @staticmethod
    def resolve_permanence(found, info):
        return facets.enum_counts(found, "permanence", enums.Permanence)

    @staticmethod
    def resolve_target(found, info):
        return facets.tissue_counts(found)

    @staticmethod
    def resolve_muscle(found, info):
        context = info.context
        chain = getattr(found, "chain", None)
        return facets.muscle_counts(found, chain, context.default_locale_id)


class ProcedureList(
    paginated_type(
        "ProcedureListBase",
        ProcedurePageNode,
        "One page of procedures and where it sits in the list.",
    )
):
    """One page of procedures and where it sits in the list, with the finder's facets."""

    facets = graphene.Field(
        graphene.NonNull(ProcedureFacets),
        description="Counts for every filter value under the other filters (constant SQL).",
    )

    @staticmethod
    def resolve_facets(result, info):
        return result["finder"]


class ProcedureQuery(graphene.ObjectType):
    procedure = page_field(
        ProcedurePageNode,
        ProcedurePage,
        "One live procedure by id, slug or URL path, or its draft by preview token.",
    )
    procedures = page_list_field(
        ProcedureList,
        "Live procedures; every filter given narrows the set, and a procedure whose fact is "
        "unknown never matches a filter on that fact.",
        approach=graphene.Argument(Approach),
        invasiveness=graphene.Argument(Invasiveness),
        permanence=graphene.Argument(Permanence),
        target=graphene.Argument(Tissue, description="A targeted tissue."),
        muscle=graphene.Argument(graphene.String, description="A targeted muscle's slug."),
        max_recovery_days=graphene.Argument(
            graphene.Int, description="Recovery of at most this many days (unknown excluded)."
        ),
        search_query=graphene.Argument(graphene.String, description="Full-text search."),
        order=graphene.Argument(ProcedureOrder),
        filter=graphene.Argument(
            ProcedureFilter, description="Filters taking several values each, for a finder."
        ),
    )
    muscles = graphene.List(
        graphene.NonNull(MuscleNode),
        required=True,
        description="Every muscle a procedure or the article can target, by name: in "
        "`locale` where translated, else in its fallback.",
        locale=locale_argument(),
    )

    @staticmethod
    def resolve_procedures(root, info, page=1, per_page=None, locale=None, order=None, **filters):
        found = finder(listed_pages(ProcedurePage, info), **filters)
        found.chain = chain_for(info.context, locale)
        result = paginated_pages(ordered(found, order), info, page, per_page, locale)
        return {**result, "finder": found}

    @staticmethod
    def resolve_muscles(root, info, locale=None) -> list:
        # The published version only: a rename waits in a draft until it is approved.
        chain = chain_for(info.context, locale)
        live = Muscle.objects.filter(live=True)
        return list(localized_rows(live, chain, info.context.default_locale_id).order_by("name"))
