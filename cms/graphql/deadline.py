"""The execution deadline: a query the limits allowed that still runs too long is stopped and
answered with code DEADLINE_EXCEEDED, instead of holding a thread until gunicorn kills the worker.

Two bounds work together. PostgreSQL's `statement_timeout` (settings, `DATABASE_STATEMENT_TIMEOUT_
SECONDS`) stops one slow statement; the deadline here stops a request that runs many fast ones.
It is checked each time graphql-core starts an object's selection set, so it costs one clock
read per object, not per field, and overshoots by at most one resolver (one statement).
"""

import time

from django.conf import settings
from graphql import ExecutionContext, GraphQLError

DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"
# PostgreSQL's SQLSTATE for a statement stopped by statement_timeout (query_canceled).
QUERY_CANCELED = "57014"


class DeadlineExceededError(BaseException):
    """A BaseException, so graphql-core's per-field handling (which catches Exception, nulls the
    field and goes on to the next one) lets it through and the whole execution stops at once."""


def deadline_from_now() -> float:
    return time.monotonic() + settings.GRAPHQL_EXECUTION_DEADLINE_SECONDS


class DeadlineExecutionContext(ExecutionContext):
    """graphql-core's executor with the deadline checked per object (`execute_sync`'s
    `execution_context_class` hook; the deadline comes from the context, `APIContext.deadline`)."""

    def execute_fields(self, parent_type, source_value, path, fields):
        deadline = getattr(self.context_value, "deadline", None)
        if deadline is not None and time.monotonic() > deadline:
            raise DeadlineExceededError
        return super().execute_fields(parent_type, source_value, path, fields)


def statement_timed_out(error: BaseException | None) -> bool:
    """Whether a database error is PostgreSQL's statement_timeout (psycopg's QueryCanceled)."""
    while error is not None:
        if getattr(error, "sqlstate", None) == QUERY_CANCELED:
            return True
        error = error.__cause__
    return False


def deadline_error() -> GraphQLError:
    seconds = settings.GRAPHQL_EXECUTION_DEADLINE_SECONDS
    return GraphQLError(
        f"The query did not finish within {seconds:g} s and was stopped. "
        "Ask for fewer items or fewer nested fields.",
        extensions={"code": DEADLINE_EXCEEDED},
    )
