"""The API schema: grapple's, with page types cut down to what a reader should see.

grapple builds each page type from every column of Wagtail's `Page`, which exposes editorial
state (`draftTitle`, `hasUnpublishedChanges`, `latestRevisionCreatedAt`, `lockedAt`), tree
internals (`path`, `numchild`) and unchecked links to other pages (`aliasOf`, `aliases`,
`sitesRootedHere`). Each page type keeps only the page interface's fields and the fields its
model declares in `graphql_fields`, so a new column never reaches the API unasked.
"""

from graphene.utils.str_converters import to_camel_case
from grapple.registry import registry
from grapple.schema import create_schema
from wagtail.models import Page

PAGE_INTERFACE_NAME = "PageInterface"


def declared_field_names(model: type) -> set[str]:
    names = set()
    for field in getattr(model, "graphql_fields", []):
        field = field() if callable(field) else field
        names.add(to_camel_case(field.field_name))
    return names


def prune_page_types(schema) -> None:
    type_map = schema.graphql_schema.type_map
    interface = type_map[PAGE_INTERFACE_NAME]
    allowed_by_type = {
        node._meta.name: set(interface.fields) | declared_field_names(model)
        for model, node in registry.pages.items()
        if isinstance(model, type) and issubclass(model, Page)
    }
    for graphql_type in type_map.values():
        if interface not in getattr(graphql_type, "interfaces", ()):
            continue
        allowed = allowed_by_type.get(graphql_type.name, set(interface.fields))
        for name in [name for name in graphql_type.fields if name not in allowed]:
            del graphql_type.fields[name]


schema = create_schema()
prune_page_types(schema)
