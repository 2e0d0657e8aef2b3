"""From query text to an operation that may run: parse, validate, pick, coerce, bound.

A shape check (depth, aliases, fields) runs first, over the syntax, so that graphql-core's
specified rules never start on a document too large for them; those rules then always run,
with ours added (never instead of them). The cost and SQL limits then run as a validation
rule over the one operation that will execute, with the variables already coerced to their
declared types, so a string `"100"` cannot pass as a size.
Anything refused here is a GraphQL request error: nothing executes and there is no `data`.
Apps send the same few documents again and again, so the outcome is memoized per process,
per document as graphql-core prints it.
"""

import json
from dataclasses import dataclass
from functools import lru_cache

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
    parse,
    print_ast,
    specified_rules,
    validate,
)
from graphql.execution.values import get_variable_values

from .limits import QueryLimits, check_shape, limits_rule

MAX_VALIDATION_ERRORS = 20
# A document at the token limit is tens of KB of syntax tree: this bounds the memo's size.
PREPARED_CACHE_SIZE = 64


class NotAllowedOverGetError(Exception):
    """A mutation or subscription sent by GET (HTTP 405): GET must stay safe to repeat."""


class RequestErrors(ExecutionResult):
    """Errors found before execution: the request as a whole was refused."""

    def __init__(self, errors: list[GraphQLError], code: str) -> None:
        for error in errors:
            error.extensions = {"code": code, **(error.extensions or {})}
            # Kept in the `prepare` memo: a traceback would keep the first sender's request
            # (its headers, its body) alive through the frames it links to.
            error.__traceback__ = None
            if error.original_error is not None:
                error.original_error.__traceback__ = None
        super().__init__(data=None, errors=errors)


@dataclass(frozen=True)
class PreparedOperation:
    document: DocumentNode
    operation: OperationDefinitionNode
    variables: dict
    # The requested cost (`limits.py`), which the rate limit charges before it runs.
    cost: int


def prepare(
    schema: GraphQLSchema,
    query: str,
    operation_name: str | None,
    variables: dict | None,
    limits: QueryLimits,
    extra_rules=(),
    *,
    by_get: bool = False,
) -> PreparedOperation | RequestErrors:
    """The operation to run, or why not. Validating takes longer than running a small query,
    so the outcome is reused for the same document (however spaced or commented), variables,
    limits and rules."""
    document = _parsed(query, limits.max_tokens)
    if isinstance(document, RequestErrors):
        return document
    chosen = get_operation_ast(document.node, operation_name)
    if by_get and chosen is not None and chosen.operation != OperationType.QUERY:
        raise NotAllowedOverGetError(chosen.operation.value)
    try:
        variables_key = json.dumps(variables, sort_keys=True)
    except (TypeError, ValueError):
        # The view's variables come from JSON; a caller passing other values is not memoized.
        return _prepare(schema, document.node, operation_name, variables, limits, extra_rules)
    return _prepared(schema, document, operation_name, variables_key, limits, tuple(extra_rules))


@lru_cache(maxsize=PREPARED_CACHE_SIZE)
def _parsed(query: str, max_tokens: int) -> "Document | RequestErrors":
    """The text parsed (the same text is parsed once), or why it cannot be."""
    try:
        return Document(parse(query, max_tokens=max_tokens))
    except GraphQLError as error:
        return RequestErrors([error], "GRAPHQL_PARSE_FAILED")
    except RecursionError:
        # graphql-core's parser recurses once per nesting level; the token limit bounds it,
        # but a limit raised far enough would reach Python's recursion limit first.
        return RequestErrors([GraphQLError("Document is nested too deeply.")], "QUERY_TOO_COMPLEX")


class Document:
    """A parsed document that equals every document graphql-core prints the same way: the
    memo's key, so spacing and comments (ignored tokens) cannot make a document new. The first
    spelling seen is the one validated and run; error locations point into it."""

    def __init__(self, node: DocumentNode) -> None:
        self.node = node
        self.printed = print_ast(node)

    def __eq__(self, other) -> bool:
        return isinstance(other, Document) and other.printed == self.printed

    def __hash__(self) -> int:
        return hash(self.printed)


@lru_cache(maxsize=PREPARED_CACHE_SIZE)
def _prepared(schema, document, operation_name, variables_key, limits, extra_rules):
    # A pure function of its arguments: the outcome (the document, or the errors) is never
    # changed by execution or by formatting a response.
    variables = json.loads(variables_key)
    return _prepare(schema, document.node, operation_name, variables, limits, extra_rules)


def _prepare(schema, document, operation_name, variables, limits, extra_rules):
    # Before graphql-core's rules, which compare fields pairwise: a document over the depth,
    # alias or field limit is refused in a walk over its syntax, before they start.
    errors = check_shape(document, limits)
    if errors:
        return RequestErrors(errors, "QUERY_TOO_COMPLEX")

    errors = validate(schema, document, (*specified_rules, *extra_rules), MAX_VALIDATION_ERRORS)
    if errors:
        return RequestErrors(errors, "GRAPHQL_VALIDATION_FAILED")

    operation = get_operation_ast(document, operation_name)
    if operation is None:
        message = (
            f"Unknown operation named '{operation_name}'."
            if operation_name
            else "Must provide operationName when the document holds several operations."
        )
        return RequestErrors([GraphQLError(message)], "GRAPHQL_VALIDATION_FAILED")
    if schema.get_root_type(operation.operation) is None:
        message = f"Schema is not configured to execute {operation.operation.value} operation."
        return RequestErrors([GraphQLError(message, operation)], "GRAPHQL_VALIDATION_FAILED")

    coerced = get_variable_values(
        schema, operation.variable_definitions or (), variables or {}, MAX_VALIDATION_ERRORS
    )
    if isinstance(coerced, list):
        return RequestErrors(coerced, "BAD_USER_INPUT")

    rule = limits_rule(operation, coerced, limits)
    errors = validate(schema, document, (rule,))
    if errors:
        return RequestErrors(errors, "QUERY_TOO_COMPLEX")
    return PreparedOperation(
        document=document, operation=operation, variables=coerced, cost=rule.cost
    )
