"""The two guards, put on the fields that need them when the schema is built.

graphql-core runs middleware around every field of every object; most fields (a title, an
image's width) take no argument and cannot return a page, and a 100-item list executes about
3,400 of them. So rather than middleware, each field's own resolver is wrapped once, here:
fields with arguments by `ArgumentGuard`, fields whose type is a page (the `Page` interface, a
page type, or a list of them) by `PublicationGuard`. graphql-core's schema is built to be read
this way (`GraphQLField.resolve` is its public resolver slot); nothing of it is patched.
"""

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    default_field_resolver,
    get_named_type,
)

from .arguments import ArgumentGuard
from .publication import PublicationGuard

GUARDED = "_guarded"


def returns_pages(field_type, page: GraphQLInterfaceType) -> bool:
    named = get_named_type(field_type)
    if named is page:
        return True
    return isinstance(named, GraphQLObjectType) and page in named.interfaces


def wrapped(guard, resolve):
    def resolve_guarded(root, info, **kwargs):
        return guard.resolve(resolve, root, info, **kwargs)

    return resolve_guarded


def guard_fields(schema: GraphQLSchema, page_interface_name: str = "Page") -> int:
    """Wrap the resolvers that need a guard; returns how many fields were wrapped."""
    page = schema.get_type(page_interface_name)
    arguments, publication = ArgumentGuard(), PublicationGuard()
    count = 0
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field in graphql_type.fields.values():
            if getattr(field, GUARDED, False):
                continue
            resolve = field.resolve or default_field_resolver
            guarded = False
            if returns_pages(field.type, page):
                resolve, guarded = wrapped(publication, resolve), True
            if field.args:
                resolve, guarded = wrapped(arguments, resolve), True
            if guarded:
                field.resolve = resolve
                setattr(field, GUARDED, True)
                count += 1
    return count
