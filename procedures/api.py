"""The procedures' read side of the API: types, root fields, filters and the relation plan."""

import graphene
from wagtail.rich_text import expand_db_html

from cms.graphql.images import image_field
from cms.graphql.interfaces import Page, page_type
from cms.graphql.pages import find_page, live_pages, lookup_arguments
from cms.graphql.pagination import paginate, paginated_type, pagination_arguments
from cms.graphql.planning import Relation, prefetch_pages, register_plan

from . import enums
from .filters import ProcedureOrder, filter_procedures
from .models import Muscle, ProcedureIndexPage, ProcedurePage

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
        return expand_db_html(page.intro or "")


@page_type(ProcedurePage)
class ProcedurePageNode(graphene.ObjectType):
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

    @staticmethod
    def resolve_body_html(page, info) -> str:
        return expand_db_html(page.body or "")

    @staticmethod
    def resolve_muscles(page, info) -> list:
        return list(page.muscles.all())

    @staticmethod
    def resolve_related_procedures(page, info) -> list:
        planned = getattr(page, "servable_related_procedures", None)
        if planned is not None:
            return planned
        # A preview draft holds its relations in memory: read the ids, then apply the rule.
        ids = [related.pk for related in page.related_procedures.all()]
        return list(live_pages(ProcedurePage, info).filter(pk__in=ids).order_by("path"))


register_plan(
    ProcedurePage,
    {
        "image": Relation("image", kind="image"),
        "muscles": Relation("muscles"),
        "relatedProcedures": Relation(
            "related_procedures", kind="pages", to_attr="servable_related_procedures"
        ),
    },
)

ProcedureList = paginated_type(
    "ProcedureList", ProcedurePageNode, "One page of procedures and where it sits in the list."
)


class ProcedureQuery(graphene.ObjectType):
    procedure = graphene.Field(
        ProcedurePageNode,
        description="One live procedure by id, slug or URL path, or its draft by preview token.",
        **lookup_arguments(),
    )
    procedures = graphene.Field(
        graphene.NonNull(ProcedureList),
        description="Live procedures; every filter given narrows the set, and a procedure "
        "whose fact is unknown never matches a filter on that fact.",
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
        **pagination_arguments(),
    )
    muscles = graphene.List(
        graphene.NonNull(MuscleNode),
        required=True,
        description="Every muscle a procedure or the article can target, by name.",
    )

    @staticmethod
    def resolve_procedure(root, info, **kwargs):
        page = find_page(ProcedurePage, info, **kwargs)
        return prefetch_pages([page], info)[0]

    @staticmethod
    def resolve_procedures(root, info, page=1, per_page=None, **filters):
        qs = filter_procedures(live_pages(ProcedurePage, info), **filters)
        result = paginate(qs, page, per_page)
        prefetch_pages(result["items"], info, "items")
        return result

    @staticmethod
    def resolve_muscles(root, info) -> list:
        return list(Muscle.objects.order_by("name"))
