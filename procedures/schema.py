"""The procedure root fields of the API: `procedure`, `procedures` and `muscles`."""

import graphene
from grapple.registry import registry

from cms.graphql.pages import find_page, live_pages, lookup_arguments
from cms.graphql.pagination import paginate, paginated_type, pagination_arguments
from cms.graphql.planning import prefetch_pages

from . import graphql_enums
from .filters import ProcedureOrder, filter_procedures
from .models import Muscle, ProcedurePage


def procedure_type():
    return registry.pages[ProcedurePage]


def muscle_type():
    return registry.snippets[Muscle]


ProcedureList = paginated_type("ProcedureList", procedure_type)


class ProcedureQuery:
    procedure = graphene.Field(
        procedure_type,
        description="One live procedure by id, slug or URL path, or its draft by preview token.",
        **lookup_arguments(),
    )
    procedures = graphene.Field(
        graphene.NonNull(ProcedureList),
        description="Live procedures; every filter given narrows the set.",
        approach=graphene.Argument(graphql_enums.ApproachEnum),
        invasiveness=graphene.Argument(graphql_enums.InvasivenessEnum),
        permanence=graphene.Argument(graphql_enums.PermanenceEnum),
        target=graphene.Argument(graphql_enums.TissueEnum, description="A targeted tissue."),
        muscle=graphene.Argument(graphene.String, description="A targeted muscle's slug."),
        max_recovery_days=graphene.Argument(
            graphene.Int, description="Recovery of at most this many days (unknown excluded)."
        ),
        search_query=graphene.Argument(graphene.String, description="Full-text search."),
        order=graphene.Argument(ProcedureOrder),
        **pagination_arguments(),
    )
    muscles = graphene.List(
        graphene.NonNull(muscle_type),
        required=True,
        description="Every muscle a procedure or the article can target, by name.",
    )

    def resolve_procedure(self, info, **kwargs):
        page = find_page(ProcedurePage, info, **kwargs)
        return prefetch_pages([page], info)[0]

    def resolve_procedures(self, info, page=1, per_page=None, **filters):
        qs = filter_procedures(live_pages(ProcedurePage, info), **filters)
        result = paginate(qs, page, per_page)
        prefetch_pages(result["items"], info, "items")
        return result

    def resolve_muscles(self, info):
        return Muscle.objects.filter(live=True).order_by("name")
