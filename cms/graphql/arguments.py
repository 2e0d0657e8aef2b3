"""GraphQL middleware that refuses argument values no field should act on."""

import re

from django.conf import settings
from graphql import GraphQLError, GraphQLID, GraphQLNonNull

# grapple's list fields take `order` as a Django `order_by` string. Left open, it can sort by
# any column, even across relations (`owner__password`), and its errors name the model's
# fields. Only these public columns may be used.
ORDERABLE_FIELDS = (
    "id",
    "title",
    "slug",
    "path",
    "depth",
    "first_published_at",
    "last_published_at",
    "created_at",
    "name",
)
ORDER_TERM = re.compile(rf"^-?({'|'.join(ORDERABLE_FIELDS)})$")


def bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


class ArgumentGuard:
    def resolve(self, next_resolver, root, info, **kwargs):
        if kwargs:
            check_arguments(kwargs, info.parent_type.fields[info.field_name].args)
        return next_resolver(root, info, **kwargs)


def check_arguments(arguments: dict, definitions: dict) -> None:
    max_length = settings.GRAPHQL_LIMITS["MAX_STRING_LENGTH"]
    for name, value in arguments.items():
        if isinstance(value, str) and len(value) > max_length:
            raise bad_input(f"Argument '{name}' is longer than {max_length} characters.")
        # Every id in this API is a database key; grapple's resolvers fail on anything else.
        if value is not None and is_id(definitions, name) and not str(value).isdigit():
            raise bad_input(f"Argument '{name}' must be a whole number; got '{value}'.")
    order = arguments.get("order")
    if isinstance(order, str):
        terms = [term.strip() for term in order.split(",")]
        if not all(ORDER_TERM.match(term) for term in terms):
            raise bad_input(
                f"order must be a comma-separated list of {', '.join(ORDERABLE_FIELDS)}, "
                "each optionally prefixed with '-'."
            )


def is_id(definitions: dict, name: str) -> bool:
    """Whether the argument is declared as `ID` (graphene names arguments in camelCase)."""
    camel = re.sub(r"_(\w)", lambda match: match.group(1).upper(), name)
    definition = definitions.get(camel) or definitions.get(name)
    if definition is None:
        return False
    graphql_type = definition.type
    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    return graphql_type is GraphQLID
