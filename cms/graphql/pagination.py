"""Page-numbered lists: `{ items pagination { total count perPage ... } }`."""

import graphene
from django.conf import settings
from django.db.models import QuerySet

from .arguments import bad_input


class Pagination(graphene.ObjectType):
    """Where this page of results sits in the whole list."""

    total = graphene.Int(required=True, description="Items in the whole list.")
    count = graphene.Int(required=True, description="Items on this page.")
    per_page = graphene.Int(required=True)
    current_page = graphene.Int(required=True)
    prev_page = graphene.Int(description="null on the first page.")
    next_page = graphene.Int(description="null on the last page.")
    total_pages = graphene.Int(required=True)


def paginated_type(name: str, item_type, description: str) -> type[graphene.ObjectType]:
    """A `<name>` object type with `items: [item_type!]!` and `pagination: Pagination!`."""
    return type(
        name,
        (graphene.ObjectType,),
        {
            "Meta": type("Meta", (), {"description": description}),
            "items": graphene.List(graphene.NonNull(item_type), required=True),
            "pagination": graphene.Field(Pagination, required=True),
        },
    )


def pagination_arguments() -> dict[str, graphene.Argument]:
    limit = settings.API_MAX_PAGE_SIZE
    return {
        "page": graphene.Argument(
            graphene.Int, description="1-based page number.", default_value=1
        ),
        "per_page": graphene.Argument(
            graphene.Int,
            description=f"Items a page, 1 to {limit}.",
            default_value=settings.API_PAGE_SIZE,
        ),
    }


def paginate(items: QuerySet | list, page: int | None, per_page: int | None) -> dict:
    """One page of `items`; a page past the end is empty rather than an error.

    An explicit `null` page or perPage means the default, as leaving it out does.
    """
    limit = settings.API_MAX_PAGE_SIZE
    page = 1 if page is None else page
    per_page = settings.API_PAGE_SIZE if per_page is None else per_page
    if not 1 <= per_page <= limit:
        raise bad_input(f"perPage must be between 1 and {limit}; got {per_page}.")
    if page < 1:
        raise bad_input(f"page must be 1 or more; got {page}.")
    if page > settings.GRAPHQL_MAX_PAGE_NUMBER:
        raise bad_input(f"page must be at most {settings.GRAPHQL_MAX_PAGE_NUMBER}; got {page}.")
    total = items.count() if isinstance(items, QuerySet) else len(items)
    total_pages = max(1, -(-total // per_page))
    start = (page - 1) * per_page
    page_items = list(items[start : start + per_page]) if start < total else []
    return {
        "items": page_items,
        "pagination": Pagination(
            total=total,
            count=len(page_items),
            per_page=per_page,
            current_page=page,
            prev_page=min(page - 1, total_pages) if page > 1 else None,
            next_page=page + 1 if page < total_pages else None,
            total_pages=total_pages,
        ),
    }
