"""GraphQL middleware that refuses argument values no field should act on."""

import re

from django.conf import settings
from graphql import GraphQLError, GraphQLID, GraphQLNonNull

from .request_body import text_problem

# Ids are database keys: ASCII digits (`"²"` and `"٣"` pass `isdigit()`) within a bigint.
DATABASE_ID = re.compile(r"^[0-9]{1,19}$")
MAX_DATABASE_ID = 2**63 - 1
# Each search word is a clause for the database; past a few dozen no reader means it.
SEARCH_ARGUMENTS = ("query", "search_query")
MAX_SEARCH_WORDS = 32


def bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


class ArgumentGuard:
    def resolve(self, next_resolver, root, info, **kwargs):
        if not kwargs:
            return next_resolver(root, info)  # most fields take none: nothing to look up
        # Introspection fields (`__type(name:)`) are not in the parent type's field map.
        field = info.parent_type.fields.get(info.field_name)
        if field is not None:
            check_arguments(kwargs, field.args)
        return next_resolver(root, info, **kwargs)


def check_arguments(arguments: dict, definitions: dict) -> None:
    max_length = settings.GRAPHQL_LIMITS["MAX_STRING_LENGTH"]
    for name, value in arguments.items():
        for text in strings_in(value):
            if len(text) > max_length:
                raise bad_input(f"Argument '{name}' is longer than {max_length} characters.")
            problem = text_problem(text)
            if problem:
                raise bad_input(f"Argument '{name}' contains {problem}.")
        if value is not None and is_id(definitions, name) and not is_database_id(value):
            raise bad_input(f"Argument '{name}' must be a whole number; got '{value}'.")
        words = len(value.split()) if isinstance(value, str) else 0
        if name in SEARCH_ARGUMENTS and words > MAX_SEARCH_WORDS:
            raise bad_input(f"Argument '{name}' has more than {MAX_SEARCH_WORDS} words.")


def strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [text for item in value for text in strings_in(item)]
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings_in(item)]
    return []


def is_database_id(value) -> bool:
    text = str(value)
    return bool(DATABASE_ID.match(text)) and int(text) <= MAX_DATABASE_ID


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
