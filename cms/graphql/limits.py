"""Bounds on what one GraphQL request may ask for, checked before anything executes.

Tokens are bounded by the parser. Depth, aliases, fields and cost are a validation rule
(`limits_rule`) over the operation that will execute, run after graphql-core's own rules and
after the variables are coerced, so `perPage: $n` costs what `$n` says as an `Int`.
Cost: every field costs 1 plus its children; a list of objects multiplies that by its size
(its own `limit`/`perPage`, that of the field above it, or `DEFAULT_LIST_SIZE`); a list of
scalars costs 1. Introspection fields (`__schema`, `__typename`, ...) cost nothing.
"""

from dataclasses import dataclass

from django.conf import settings
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    ValidationRule,
    VariableNode,
    get_named_type,
)
from graphql.language import BREAK

SIZE_ARGUMENTS = ("perPage", "limit")


@dataclass(frozen=True)
class QueryLimits:
    max_depth: int
    max_aliases: int
    max_fields: int
    max_tokens: int
    max_cost: int
    max_body_bytes: int
    max_string_length: int
    default_list_size: int

    @classmethod
    def from_settings(cls) -> "QueryLimits":
        return cls(**{key.lower(): value for key, value in settings.GRAPHQL_LIMITS.items()})


class QueryTooComplexError(Exception):
    pass


def limit_error(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "QUERY_TOO_COMPLEX"})


def limits_rule(
    operation: OperationDefinitionNode, variables: dict, limits: "QueryLimits"
) -> type[ValidationRule]:
    """A validation rule that reports the limit errors of `operation` (one walk, at the top).

    The rule class is made for this one operation; after validation its `cost` holds the
    operation's cost (None if a limit other than the cost was exceeded), which the rate limit
    charges (`rate_limit.py`).
    """

    class QueryLimitsRule(ValidationRule):
        cost: int | None = None

        def enter_document(self, node, *_args):
            cost, errors = measure(self.context.schema, node, operation, variables, limits)
            type(self).cost = cost
            for error in errors:
                self.report_error(error)
            return BREAK

    return QueryLimitsRule


def check_limits(
    schema: GraphQLSchema,
    document,
    operation: OperationDefinitionNode,
    variables: dict | None,
    limits: QueryLimits,
) -> list[GraphQLError]:
    """The limit errors of `operation`, or an empty list when it is within every bound."""
    return measure(schema, document, operation, variables, limits)[1]


def measure(
    schema: GraphQLSchema,
    document,
    operation: OperationDefinitionNode,
    variables: dict | None,
    limits: QueryLimits,
) -> tuple[int | None, list[GraphQLError]]:
    """The cost of `operation` (None when the walk stopped at another limit) and its errors."""
    walker = _Walker(schema, document, variables or {}, limits)
    root = schema.get_root_type(operation.operation)
    try:
        cost = walker.cost(operation.selection_set, root, depth=1, size_hint=None)
    except QueryTooComplexError as exceeded:
        return None, [limit_error(str(exceeded))]
    if cost > limits.max_cost:
        return cost, [
            limit_error(
                f"Query cost {cost} exceeds the limit of {limits.max_cost}. "
                "Ask for fewer items per page or fewer nested lists."
            )
        ]
    return cost, []


class _Walker:
    def __init__(self, schema, document, variables: dict, limits: QueryLimits) -> None:
        self.schema = schema
        self.variables = variables
        self.limits = limits
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.fields = 0
        self.aliases = 0
        # Fragments being expanded on the current path. graphql-core refuses fragment cycles
        # (NoFragmentCyclesRule), but this walk must stay finite even if it runs first.
        self.expanding: set[str] = set()

    def cost(self, selection_set, parent_type, *, depth: int, size_hint: int | None) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(selection, parent_type, depth, size_hint)
            else:
                name = None
                node = selection
                if isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    node = self.fragments.get(name)
                    if node is None or name in self.expanding:
                        continue
                    self.expanding.add(name)
                condition = node.type_condition
                fragment_type = (
                    self.schema.get_type(condition.name.value) if condition else parent_type
                )
                total += self.cost(
                    node.selection_set, fragment_type, depth=depth, size_hint=size_hint
                )
                self.expanding.discard(name)
        return total

    def field_cost(self, node: FieldNode, parent_type, depth: int, size_hint: int | None) -> int:
        self.count(node)
        name = node.name.value
        if name.startswith("__"):
            return 0
        if depth > self.limits.max_depth:
            raise QueryTooComplexError(
                f"Query depth {depth} exceeds the limit of {self.limits.max_depth}."
            )
        field = getattr(parent_type, "fields", {}).get(name)
        if field is None:
            return 0
        own_size = self.size_argument(node, field)
        hint = own_size if own_size is not None else size_hint
        is_list = _is_list(field.type)
        children = 0
        if node.selection_set:
            children = self.cost(
                node.selection_set,
                get_named_type(field.type),
                depth=depth + 1,
                size_hint=None if is_list else hint,
            )
        cost = 1 + children + self.list_argument_items(node)
        # A list of objects is work per item; a list of scalars (`targets`, `benefits`) is one
        # value read with its parent, so it costs as one field.
        if is_list and node.selection_set:
            cost *= hint if hint is not None else self.limits.default_list_size
        return cost

    def count(self, node: FieldNode) -> None:
        self.fields += 1
        if self.fields > self.limits.max_fields:
            raise QueryTooComplexError(
                f"Query selects more than {self.limits.max_fields} fields "
                "(fragments counted each time they are used)."
            )
        if node.alias:
            self.aliases += 1
            if self.aliases > self.limits.max_aliases:
                raise QueryTooComplexError(
                    f"Query uses more than {self.limits.max_aliases} aliases."
                )

    def value(self, node):
        if isinstance(node, VariableNode):
            return self.variables.get(node.name.value)
        if isinstance(node, IntValueNode):
            return int(node.value)
        if isinstance(node, ListValueNode):
            return list(node.values)
        return None

    def size_argument(self, node: FieldNode, field) -> int | None:
        given = {argument.name.value: argument.value for argument in node.arguments}
        for name in SIZE_ARGUMENTS:
            size = self.value(given[name]) if name in given else None
            # An explicit null (or an unset variable) means the default, as the resolvers read it.
            if size is None and name in field.args:
                size = field.args[name].default_value
            if isinstance(size, int) and size >= 0:
                return size
        return None

    def list_argument_items(self, node: FieldNode) -> int:
        """A list argument (`srcSet(sizes: [...])`) costs one for each item: each is work."""
        items = 0
        for argument in node.arguments:
            value = self.value(argument.value)
            if isinstance(value, list):
                items += len(value)
        return items


def _is_list(graphql_type) -> bool:
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        if isinstance(graphql_type, GraphQLList):
            return True
        graphql_type = graphql_type.of_type
    return False
