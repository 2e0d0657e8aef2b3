"""Bounds on what one GraphQL request may ask for, checked before anything executes.

Tokens are bounded by the parser. Depth, aliases and fields are a shape check of the parsed
document (`check_shape`), run before graphql-core's own rules: those compare fields pairwise
(`OverlappingFieldsCanBeMergedRule`), which takes seconds over a few hundred same-named fields,
so a document over these bounds is refused before they start.

Cost and SQL queries are a validation rule (`limits_rule`) over the operation that will
execute, run after graphql-core's own rules and after the variables are coerced, so
`perPage: $n` costs what `$n` says as an `Int`.
Cost: every field costs 1 plus its children; a list of objects multiplies that by its size
(its own `limit`/`perPage`, that of the field above it, or `DEFAULT_LIST_SIZE`); a list of
scalars costs 1. Introspection fields (`__schema`, `__typename`, ...) cost nothing.
SQL queries: an upper estimate of what the request runs, from the table in `query_costs.py`:
a field the planner batches costs its queries once per batch, a field that asks the database
per parent object (the tree fields) costs its queries times the number of parent objects.
"""

from dataclasses import dataclass

from django.conf import settings
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
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

from . import query_costs

SIZE_ARGUMENTS = ("perPage", "limit")
PAGE_INTERFACE = "Page"


@dataclass(frozen=True)
class QueryLimits:
    max_depth: int
    max_aliases: int
    max_fields: int
    max_tokens: int
    max_cost: int
    max_sql_queries: int
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


def check_shape(document: DocumentNode, limits: QueryLimits) -> list[GraphQLError]:
    """The depth, alias and field errors of every operation of `document` (fragments counted
    each time they are used) and of every fragment no operation uses, from the syntax alone:
    the schema is not consulted, so an unknown field's selections count too."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    used: set[str] = set()
    roots = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    try:
        for root in roots:
            _Shape(fragments, limits, used).walk(root.selection_set, depth=1)
        for name, fragment in fragments.items():
            if name not in used:
                _Shape(fragments, limits, used).walk(fragment.selection_set, depth=1)
    except QueryTooComplexError as exceeded:
        return [limit_error(str(exceeded))]
    return []


class _Shape:
    def __init__(self, fragments: dict, limits: QueryLimits, used: set[str]) -> None:
        self.fragments = fragments
        self.limits = limits
        self.used = used
        self.fields = 0
        self.aliases = 0
        # Fragments being expanded on the current path: graphql-core refuses fragment cycles
        # (NoFragmentCyclesRule) only after this runs, and this walk must stay finite.
        self.expanding: set[str] = set()

    def walk(self, selection_set, *, depth: int | None) -> None:
        """`depth` is None inside introspection fields, whose depth is not bounded (the
        schema's own types nest `ofType` deeper than any page query); their fields count."""
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self.count(selection)
                inner = depth
                if depth is not None:
                    if selection.name.value.startswith("__"):
                        inner = None
                    elif depth > self.limits.max_depth:
                        raise QueryTooComplexError(
                            f"Query depth {depth} exceeds the limit of {self.limits.max_depth}."
                        )
                if selection.selection_set is not None:
                    self.walk(selection.selection_set, depth=None if inner is None else inner + 1)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                self.used.add(name)
                fragment = self.fragments.get(name)
                if fragment is None or name in self.expanding:
                    continue
                self.expanding.add(name)
                self.walk(fragment.selection_set, depth=depth)
                self.expanding.discard(name)
            else:
                self.walk(selection.selection_set, depth=depth)

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


def limits_rule(
    operation: OperationDefinitionNode, variables: dict, limits: "QueryLimits"
) -> type[ValidationRule]:
    """A validation rule that reports the limit errors of `operation` (one walk, at the top).

    The rule class is made for this one operation; after validation its `cost` holds the
    operation's cost, which the rate limit charges (`rate_limit.py`).
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


@dataclass(frozen=True)
class Estimate:
    cost: int
    sql_queries: int


def estimate(
    schema: GraphQLSchema,
    document,
    operation: OperationDefinitionNode,
    variables: dict | None,
    limits: QueryLimits,
) -> Estimate:
    """The cost and the estimated SQL queries of `operation` (a valid, shape-checked one)."""
    walker = _Walker(schema, document, variables or {}, limits)
    root = schema.get_root_type(operation.operation)
    parents = _Parents(objects=1, batches=1, types=frozenset({root.name}), whole=True)
    cost, sql = walker.walk(operation.selection_set, root, size_hint=None, parents=parents)
    return Estimate(cost=cost, sql_queries=query_costs.REQUEST_QUERIES + sql)


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
) -> tuple[int, list[GraphQLError]]:
    """The cost of `operation` and its limit errors."""
    found = estimate(schema, document, operation, variables, limits)
    if found.cost > limits.max_cost:
        return found.cost, [
            limit_error(
                f"Query cost {found.cost} exceeds the limit of {limits.max_cost}. "
                "Ask for fewer items per page or fewer nested lists."
            )
        ]
    if found.sql_queries > limits.max_sql_queries:
        return found.cost, [
            limit_error(
                f"Query may run up to {found.sql_queries} SQL queries, over the limit of "
                f"{limits.max_sql_queries}. Tree fields (parent, children, siblings, "
                "ancestors, descendants) query the database once per item: ask for them on "
                "fewer items, or nest them less."
            )
        ]
    return found.cost, []


@dataclass(frozen=True)
class _Parents:
    """The objects a selection set is resolved on: how many at most, in how many planning
    batches (None: not planned, each is on its own), of which GraphQL types, and whether
    their batches were planned whole (with the plans' `after_fetch`) or only prefetched
    under a page."""

    objects: int
    batches: int | None
    types: frozenset[str]
    whole: bool = True


class _Walker:
    def __init__(self, schema, document, variables: dict, limits: QueryLimits) -> None:
        self.schema = schema
        self.variables = variables
        self.limits = limits
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        page = schema.get_type(PAGE_INTERFACE)
        self.page_types = (
            frozenset(t.name for t in schema.get_possible_types(page))
            if isinstance(page, GraphQLInterfaceType)
            else frozenset()
        )
        self.expanding: set[str] = set()

    def walk(
        self, selection_set, parent_type, *, size_hint: int | None, parents: _Parents
    ) -> tuple[int, int]:
        cost = sql = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                field_cost, field_sql = self.field(selection, parent_type, size_hint, parents)
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
                field_cost, field_sql = self.walk(
                    node.selection_set, fragment_type, size_hint=size_hint, parents=parents
                )
                self.expanding.discard(name)
            cost += field_cost
            sql += field_sql
        return cost, sql

    def field(
        self, node: FieldNode, parent_type, size_hint: int | None, parents: _Parents
    ) -> tuple[int, int]:
        name = node.name.value
        if name.startswith("__"):
            return 0, 0
        field = getattr(parent_type, "fields", {}).get(name)
        if field is None:
            return 0, 0
        own_size = self.size_argument(node, field)
        hint = own_size if own_size is not None else size_hint
        is_list = _is_list(field.type)
        # SQL counts every object a list may hold: a list without a size can be long.
        items = (hint if hint is not None else settings.API_MAX_PAGE_SIZE) if is_list else 1
        sql, below = self.field_sql(node, parent_type, name, parents, items)
        child_type = get_named_type(field.type)
        children = child_sql = 0
        if node.selection_set:
            children, child_sql = self.walk(
                node.selection_set,
                child_type,
                size_hint=None if is_list else hint,
                parents=below(self.types_of(child_type)),
            )
        cost = 1 + children + self.list_argument_items(node)
        # A list of objects is work per item; a list of scalars (`targets`, `benefits`) is one
        # value read with its parent, so it costs as one field.
        if is_list and node.selection_set:
            cost *= hint if hint is not None else self.limits.default_list_size
        return cost, sql + child_sql

    def field_sql(self, node: FieldNode, parent_type, name: str, parents: _Parents, items: int):
        """The queries this field runs for all its parents, and how its results are held."""
        is_page = parent_type.name in self.page_types or parent_type.name == PAGE_INTERFACE
        rule = query_costs.field_sql(parent_type.name, name, is_page)
        objects = parents.objects * items

        def below(batches, whole=True):
            return lambda types: _Parents(objects, batches, types, whole)

        if rule is None:
            return 0, below(parents.batches, parents.whole)
        queries = rule.queries + rule.per_page_type * len(self.page_types)
        if rule.kind == query_costs.ROOT:
            planned = rule.plans_result and not any(a.name.value == "token" for a in node.arguments)
            return queries * parents.objects, below(1 if planned else None)
        if rule.kind == query_costs.PER_OBJECT:
            # Each call plans what it returns (`page_list`); `parent` returns a page unplanned.
            return queries * parents.objects, below(parents.objects if rule.plans_result else None)
        if parents.batches is None or (rule.after_fetch and not parents.whole):
            batches = parents.objects if rule.plans_unplanned_result else None
            return rule.unplanned * parents.objects, below(batches)
        models = max(1, len(parents.types & rule.planned_by))
        # What it returns is prefetched with the batch, without the plans' `after_fetch`.
        return queries * parents.batches * models, below(parents.batches, whole=False)

    def types_of(self, graphql_type) -> frozenset[str]:
        if graphql_type.name == PAGE_INTERFACE:
            return self.page_types
        return frozenset({graphql_type.name})

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
