"""A grapple field declaration grapple lacks: a non-null list of non-null items."""

from collections.abc import Callable

import graphene
from grapple.models import GraphQLField


def GraphQLList(field_name: str, item_type, **kwargs) -> Callable[[], GraphQLField]:  # noqa: N802
    """`field_name: [item_type!]!` in the model's `graphql_fields`.

    grapple's `GraphQLField(required=True, is_list=True)` gives `[item]!`; apps should not have
    to null-check every item of a list that never holds nulls.
    """

    def build() -> GraphQLField:
        field = GraphQLField(field_name, item_type, **kwargs)
        # grapple mounts this as `Field(field_type)`, so the outer NonNull must be explicit.
        field.field_type = graphene.NonNull(graphene.List(graphene.NonNull(item_type)))
        return field

    return build
