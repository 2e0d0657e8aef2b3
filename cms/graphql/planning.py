"""Query planning: fetch what a selection asks for in a constant number of SQL queries.

Each app declares, in its read module, a plan per page model: which GraphQL field reads
which model relation (`register_plan`). A root resolver calls `prefetch_pages` once on
everything it returns; the plan turns the selection into `prefetch_related` lookups, so a
list costs the same number of queries for 5 items as for 5,000, and a field nobody asked
for costs nothing.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, prefetch_related_objects
from graphql import GraphQLResolveInfo

from .locales import prefetch_translations
from .publication import PREVIEW_ATTRIBUTE, servable_pages
from .selections import SelectionTree, selection_tree, selects

RENDITION_FIELDS = {"srcSet", "renditions"}


@dataclass(frozen=True)
class Relation:
    """A model relation one GraphQL field reads.

    `kind` is "plain" (load the related rows), "image" (an image, with its renditions when a
    rendition field is selected) or "pages" (servable pages only, planned in turn, left in
    `to_attr` in tree order).
    """

    model_field: str
    kind: str = "plain"
    to_attr: str | None = None


@dataclass(frozen=True)
class Plan:
    relations: dict[str, Relation]
    # For what no relation describes (e.g. pages a StreamField refers to by id).
    after_fetch: Callable[[list, SelectionTree, object], None] | None = None


PLANS: dict[type, Plan] = {}


def register_plan(model: type, relations: dict[str, Relation], after_fetch=None) -> None:
    PLANS[model] = Plan(relations=relations, after_fetch=after_fetch)


def lookups_for(model: type, tree: SelectionTree, context) -> list:
    plan = PLANS.get(model)
    if plan is None or not context.query_planning:
        return []
    lookups: list = []
    for name, relation in plan.relations.items():
        if name not in tree:
            continue
        if relation.kind == "pages":
            target = model._meta.get_field(relation.model_field).related_model
            pages = servable_pages(target.objects.order_by("path"), context)
            lookups.append(
                Prefetch(
                    relation.model_field,
                    queryset=planned_queryset(pages, tree[name], context),
                    to_attr=relation.to_attr,
                )
            )
            continue
        lookups.append(relation.model_field)
        if relation.kind == "image" and RENDITION_FIELDS & tree[name].keys():
            lookups.append(f"{relation.model_field}__renditions")
    return lookups


def planned_queryset(queryset, tree: SelectionTree, context):
    """`queryset` with the lookups its model's plan gives for `tree`."""
    queryset = join_images(queryset, tree, context)
    return queryset.prefetch_related(*lookups_for(queryset.model, tree, context))


def join_images(queryset, tree: SelectionTree, context):
    """The images `tree` selects, joined into the query of pages not loaded yet: one query
    less than prefetching them (which then finds them loaded and skips them)."""
    plan = PLANS.get(queryset.model)
    if plan is None or not context.query_planning:
        return queryset
    images = [
        relation.model_field
        for name, relation in plan.relations.items()
        if relation.kind == "image" and name in tree
    ]
    return queryset.select_related(*images) if images else queryset


def prefetch_pages(pages: Iterable, info: GraphQLResolveInfo, *path: str) -> list:
    """Load, for each model among `pages`, what the field being resolved selects of it (under
    `path`, e.g. "items" for a paginated list); returns the pages as a list."""
    pages = list(pages)
    context = info.context
    if not context.query_planning:
        return pages
    tree = selection_tree(info, *path)
    by_model = defaultdict(list)
    for page in pages:
        # A preview holds the draft's relations in memory; loading them would replace them.
        if page is not None and not getattr(page, PREVIEW_ATTRIBUTE, False):
            by_model[type(page)].append(page)
    for model, instances in by_model.items():
        lookups = lookups_for(model, tree, context)
        if lookups:
            prefetch_related_objects(instances, *lookups)
        plan = PLANS.get(model)
        if plan is not None and plan.after_fetch is not None:
            plan.after_fetch(instances, tree, context)
    plan_translations([page for page in pages if page is not None], tree, context)
    return pages


def plan_translations(pages: list, tree: SelectionTree, context) -> None:
    """The `translations` of `pages` and of the pages planned under them (`kind="pages"`
    relations, in turn), one query per batch rather than one per page."""
    if not selects(tree, "translations"):  # most lists: nothing to walk
        return
    if "translations" in tree:
        prefetch_translations(pages, context)
    for model in {type(page) for page in pages}:
        plan = PLANS.get(model)
        for name, relation in plan.relations.items() if plan else ():
            if relation.kind == "pages" and name in tree and relation.to_attr:
                below = [
                    other
                    for page in pages
                    if type(page) is model
                    for other in getattr(page, relation.to_attr, None) or ()
                ]
                if below:
                    plan_translations(below, tree[name], context)


def merge_trees(*trees: SelectionTree) -> SelectionTree:
    merged: SelectionTree = {}
    for tree in trees:
        for name, subtree in tree.items():
            merged[name] = merge_trees(merged.get(name, {}), subtree)
    return merged
