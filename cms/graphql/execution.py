"""The API's executor: graphql-core's, with the deadline, the answer's tags, and leaves read
without the per-field machinery.

A list of 100 procedures runs about 3,400 fields, most of them a model attribute serialized as
a scalar (`title`, `slug`, `width`). For each, graphql-core builds a path, a resolve info and
the argument values, and walks `complete_value`'s type checks; that is a quarter of the list's
time and work whose result is known in advance. So a field whose definition says it is a leaf
read by graphene's default resolver, with no arguments, is read and serialized here directly.
Anything unusual on the way (null where null is not allowed, a value the scalar refuses, an
exception) is completed by graphql-core's own `complete_value` and error handling, as
`execute_field` would complete the resolver's result: the same answer and errors, the attribute
read once.
graphql-core 3.2 has no compiled or cached execution to use instead; this overrides
`execute_fields`, the hook the tag recorder and the deadline already use, and patches nothing.
"""

import sys
from functools import partial

from graphene.types.resolver import attr_resolver, dict_or_attr_resolver, dict_resolver
from graphql import ExecutionContext as GraphQLExecutionContext
from graphql import Undefined, is_leaf_type, is_non_null_type, located_error
from graphql.execution.execute import assume_not_awaitable
from graphql.pyutils import Path, inspect

from freshness.tags import TagRecordingExecutionContext

from .deadline import DeadlineExecutionContext
from .selections import per_selection

DEFAULT_RESOLVERS = (dict_or_attr_resolver, attr_resolver, dict_resolver)


def leaf_reader(parent_type, field_name: str):
    """`(field_def, read, serialize, leaf_type, non_null)` for a field read as a plain leaf,
    else None."""
    field_def = parent_type.fields.get(field_name)
    if field_def is None or field_def.args:
        return None
    resolve = field_def.resolve
    if not (
        isinstance(resolve, partial)
        and resolve.func in DEFAULT_RESOLVERS
        and len(resolve.args) == 2
        and not resolve.keywords
    ):
        return None
    non_null = is_non_null_type(field_def.type)
    leaf = field_def.type.of_type if non_null else field_def.type
    if not is_leaf_type(leaf):
        return None
    return field_def, resolve, leaf.serialize, leaf, non_null


class LeafExecutionContext(GraphQLExecutionContext):
    """graphql-core's `execute_fields`, with plain leaves read directly (see the module).

    Only under `execute_sync` (graphql-core's own flag: every value taken as not awaitable);
    under `execute` every field takes graphql-core's path."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plans: dict = {}
        manager = self.middleware_manager
        self.reads_leaves = (manager is None or not manager.middlewares) and (
            self.is_awaitable is assume_not_awaitable
        )

    def execute_fields(self, parent_type, source_value, path, fields):
        results = {}
        for response_name, field_nodes, leaf in self.plan(parent_type, fields):
            if leaf is None:
                field_path = Path(path, response_name, parent_type.name)
                result = self.execute_field(parent_type, source_value, field_nodes, field_path)
                if result is not Undefined:
                    results[response_name] = result
                continue
            field_def, read, serialize, leaf_type, non_null = leaf
            # A read that raises, and a value the scalar refuses, are the field's error as in
            # `execute_field`; the value is serialized once, as `complete_leaf_value` does (a
            # serializer may consume its value), and refused with that method's own message.
            try:
                value = read(source_value, None)
                if value is None and not non_null:
                    results[response_name] = None
                    continue
                # An exception returned as a value is an error to graphql-core, not a string
                # (String serializes non-builtin objects with `str`).
                if (
                    value is not None
                    and value is not Undefined
                    and not isinstance(value, Exception)
                ):
                    serialized = serialize(value)
                    if serialized is None or serialized is Undefined:
                        raise TypeError(
                            f"Expected `{inspect(leaf_type)}.serialize({inspect(value)})`"
                            f" to return non-nullable value, returned: {inspect(serialized)}"
                        )
                    results[response_name] = serialized
                    continue
            except Exception as raw_error:
                results[response_name] = self.leaf_error(
                    raw_error, field_def, field_nodes, Path(path, response_name, parent_type.name)
                )
                continue
            results[response_name] = self.complete_leaf(
                value,
                field_def,
                field_nodes,
                parent_type,
                Path(path, response_name, parent_type.name),
            )
        return results

    def complete_leaf(self, value, field_def, field_nodes, parent_type, path):
        """The value already read, completed as `execute_field` completes a resolver's result:
        the same error at the same path, and the attribute is not read twice."""
        info = self.build_resolve_info(field_def, field_nodes, parent_type, path)
        try:
            return self.complete_value(field_def.type, field_nodes, info, path, value)
        except Exception as raw_error:
            return self.leaf_error(raw_error, field_def, field_nodes, path)

    def leaf_error(self, raw_error, field_def, field_nodes, path):
        """What `execute_field` does with a resolver's exception: located at the field, then
        null, or up to the nearest nullable parent when the field is non-null."""
        error = located_error(raw_error, field_nodes, path.as_list())
        self.handle_field_error(error, field_def.type, path)
        return None

    def plan(self, parent_type, fields):
        """Per selection: each response key, its nodes, and its leaf reader if it is a plain
        leaf (None for every field under graphql middleware or outside `execute_sync`)."""
        plain = self.reads_leaves
        return per_selection(
            self.plans,
            fields,
            lambda fields: [
                (
                    key,
                    nodes,
                    leaf_reader(parent_type, nodes[0].name.value)
                    if plain and not nodes[0].name.value.startswith("__")
                    else None,
                )
                for key, nodes in fields.items()
            ],
        )


class ExecutionContext(
    TagRecordingExecutionContext, DeadlineExecutionContext, LeafExecutionContext
):
    """The deadline checked and the answer's tags recorded per object, leaves read directly."""


def on_fresh_stack(function, *args, **kwargs):
    """`function(*args, **kwargs)`, its frames on a frame stack chunk of their own.

    CPython 3.11 keeps frames in 16 KB chunks and frees a chunk whenever the stack drops back
    below its start, so a recursion that goes up and down across a chunk's edge pays an mmap and
    a munmap each time. graphql-core recurses once per object: where the edge fell at that
    depth (it depends on how deep the caller is: the test client, gunicorn), the 100-item list
    paid 1,200 system calls per request, about a tenth of its time. This function's frame
    (`co_stacksize`, below) is too big for any chunk in use, so calling it starts a chunk
    sized for it, with about 130 KB to spare for the frames it calls: the execution runs
    within one chunk, one allocation per request, at any caller's depth.
    """
    return function(*args, **kwargs)


# Just over half a 256 KB chunk (32,768 slots, less the 1,000 CPython adds to the ask).
FRESH_STACK_SLOTS = 15_385
if sys.implementation.name == "cpython":
    on_fresh_stack.__code__ = on_fresh_stack.__code__.replace(co_stacksize=FRESH_STACK_SLOTS)
