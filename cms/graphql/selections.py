"""What a query asks for below a field, as a tree of field names, fragments merged in; and
what an executor works out once per selection."""

from collections.abc import Callable

from graphql import FieldNode, FragmentSpreadNode, GraphQLResolveInfo, InlineFragmentNode

SelectionTree = dict[str, "SelectionTree"]


def selection_tree(info: GraphQLResolveInfo, *path: str) -> SelectionTree:
    """Fields selected under the field being resolved, then under each name in `path`.

    Inline fragments and fragment spreads on any type are merged in: a planner may fetch a
    little more for a type-conditioned fragment, never less.
    """
    tree: SelectionTree = {}
    for node in info.field_nodes:
        _merge(tree, node.selection_set, info.fragments)
    for name in path:
        tree = tree.get(name, {})
    return tree


def _merge(tree: SelectionTree, selection_set, fragments) -> None:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            _merge(tree.setdefault(selection.name.value, {}), selection.selection_set, fragments)
        elif isinstance(selection, InlineFragmentNode):
            _merge(tree, selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                _merge(tree, fragment.selection_set, fragments)


def selects(tree: SelectionTree, name: str) -> bool:
    """Whether `tree` asks for field `name` anywhere below it."""
    return name in tree or any(selects(subtree, name) for subtree in tree.values())


def per_selection(memo: dict, fields: dict, compute: Callable[[dict], object]):
    """`compute(fields)`, once per selection of an execution: graphql-core collects each
    selection once and hands the same `fields` dict to every object it runs on (a list's
    hundred items), so its identity is the key; `memo` is the execution's own dict."""
    known = memo.get(id(fields))
    if known is None:  # kept with `fields`, whose id no other dict can take while it lives
        known = memo[id(fields)] = (fields, compute(fields))
    return known[1]
