"""The argument and publication guards sit on every field that needs them, and only there."""

import graphene
import pytest
from graphql import GraphQLObjectType, get_named_type

from cms.graphql.guards import GUARDED, guard_fields, returns_pages
from cms.graphql.interfaces import Page
from cms.graphql.schema import schema
from procedures.models import ProcedurePage


def fields_of(graphql_schema):
    for name, graphql_type in graphql_schema.type_map.items():
        if name.startswith("__") or not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field_name, field in graphql_type.fields.items():
            yield f"{name}.{field_name}", field


def test_every_field_with_arguments_or_pages_is_guarded_and_no_other():
    graphql_schema = schema.graphql_schema
    page = graphql_schema.get_type("Page")
    guarded, plain = [], []
    for name, field in fields_of(graphql_schema):
        needs = bool(field.args) or returns_pages(field.type, page)
        assert getattr(field, GUARDED, False) == needs, name
        (guarded if needs else plain).append(name)
    assert "Query.procedure" in guarded and "ProcedurePage.relatedProcedures" in guarded
    assert "Changes.pages" in guarded and "ProcedureList.items" in guarded
    assert "ProcedurePage.title" in plain and "Image.width" in plain
    assert len(plain) > 3 * len(guarded)  # most fields run bare
    # Building again wraps nothing twice.
    assert guard_fields(graphql_schema) == 0


@pytest.mark.django_db
def test_a_resolver_that_forgets_the_rule_still_cannot_return_a_draft(gql, make_procedure):
    draft = make_procedure("only-a-draft", publish=False)
    live = ProcedurePage.objects.live().first()

    class Leaky(graphene.ObjectType):
        page = graphene.Field(Page, id=graphene.ID())
        pages = graphene.List(Page)

        @staticmethod
        def resolve_page(root, info, id):
            return ProcedurePage.objects.get(pk=id)  # no servable_pages: the bug

        @staticmethod
        def resolve_pages(root, info):
            return [draft, live]

    from cms.graphql.schema import BLOCK_TYPES, PAGE_TYPES, ArticleBlock

    leaky = graphene.Schema(query=Leaky, types=[*PAGE_TYPES.values(), ArticleBlock, *BLOCK_TYPES])
    assert get_named_type(leaky.graphql_schema.query_type.fields["page"].type).name == "Page"
    guard_fields(leaky.graphql_schema)
    from django.test import RequestFactory

    from cms.graphql.context import APIContext

    context = APIContext(request=RequestFactory().get("/graphql/", HTTP_HOST="localhost"))
    result = leaky.execute(
        f'{{ page(id: "{draft.pk}") {{ id }} pages {{ id }} }}', context_value=context
    )
    assert result.errors is None, result.errors
    assert result.data == {"page": None, "pages": [{"id": str(live.pk)}]}
    refused = leaky.execute('{ page(id: "x1") { id } }', context_value=context)
    assert "must be a whole number" in refused.errors[0].message
