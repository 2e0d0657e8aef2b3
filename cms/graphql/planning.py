"""Query planning: fetch what a selection asks for in a constant number of SQL queries.

Each page model may declare `graphql_prefetches(tree, request)`, beside its `graphql_fields`,
returning the `prefetch_related` lookups its fields need for that selection. A root resolver
calls `prefetch_pages` once on everything it returns, so a list costs the same number of
queries for 5 items as for 5,000, and a field nobody asked for costs nothing.
`APIView(query_planning=False)` turns planning off, to measure grapple's item-by-item
resolution against it (see `benchmarks/`).
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest
from graphql import GraphQLResolveInfo

from .publication import PREVIEW_ATTRIBUTE
from .selections import SelectionTree, selection_tree


def planning_enabled(request: HttpRequest) -> bool:
    return getattr(request, "query_planning", True)


def lookups_for(model: type, tree: SelectionTree, request: HttpRequest) -> list:
    declare = getattr(model, "graphql_prefetches", None)
    if declare is None or not planning_enabled(request):
        return []
    return declare(tree, request)


def prefetch_pages(pages: Iterable, info: GraphQLResolveInfo, *path: str) -> list:
    """Load, for each model among `pages`, what the field being resolved selects of it (under
    `path`, e.g. "items" for a paginated list); returns the pages as a list."""
    pages = list(pages)
    request = info.context
    if not planning_enabled(request):
        return pages
    tree = selection_tree(info, *path)
    by_model = defaultdict(list)
    for page in pages:
        # A preview holds the draft's relations in memory; loading them would replace them.
        if page is not None and not getattr(page, PREVIEW_ATTRIBUTE, False):
            by_model[type(page)].append(page)
    for model, instances in by_model.items():
        lookups = lookups_for(model, tree, request)
        if lookups:
            prefetch_related_objects(instances, *lookups)
        after_fetch = getattr(model, "graphql_after_fetch", None)
        if after_fetch is not None:
            after_fetch(instances, tree, request)
    return pages


def merge_trees(*trees: SelectionTree) -> SelectionTree:
    merged: SelectionTree = {}
    for tree in trees:
        for name, subtree in tree.items():
            merged[name] = merge_trees(merged.get(name, {}), subtree)
    return merged


def image_lookups(field: str, tree: SelectionTree) -> list:
    """An image foreign key, and its renditions when `srcSet` or `rendition` is asked for."""
    if field not in tree:
        return []
    lookups: list = [field]
    if {"srcSet", "rendition"} & tree[field].keys():
        lookups.append(f"{field}__renditions")
    return lookups


def planned_queryset(queryset, tree: SelectionTree, request: HttpRequest):
    """`queryset` with the lookups its model declares for `tree`, for a nested `Prefetch`."""
    return queryset.prefetch_related(*lookups_for(queryset.model, tree, request))


def page_prefetch(lookup: str, queryset, tree: SelectionTree, request, to_attr: str) -> Prefetch:
    return Prefetch(lookup, queryset=planned_queryset(queryset, tree, request), to_attr=to_attr)
