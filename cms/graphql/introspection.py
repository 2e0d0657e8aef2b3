"""Turning introspection off without breaking clients.

graphene's `DisableIntrospection` refuses every field that starts with `__`, including
`__typename`, which Apollo and most clients add to every selection. This refuses only the
fields that read the schema itself.
"""

from graphql import GraphQLError, ValidationRule

SCHEMA_FIELDS = ("__schema", "__type")


class NoSchemaIntrospection(ValidationRule):
    def enter_field(self, node, *_args) -> None:
        name = node.name.value
        if name in SCHEMA_FIELDS:
            self.report_error(
                GraphQLError(f"Cannot query '{name}': introspection is disabled.", node)
            )
