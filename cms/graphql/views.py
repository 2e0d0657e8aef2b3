"""The `/graphql/` endpoint: graphene-django's view with limits and errors made safe.

graphene-django's view is kept for parsing parameters and shaping responses; its request
pipeline is replaced so that the body, the content type, the tokens, the depth, the cost and
every error are checked or cleaned before a client sees them. Errors follow GraphQL over
HTTP: a request that cannot run gets 4xx; one that ran gets 200 with `errors` beside `data`.
"""

import hashlib
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from graphene_django.views import GraphQLView, HttpError
from graphql import (
    ExecutionResult,
    GraphQLError,
    OperationType,
    execute,
    get_operation_ast,
    parse,
    validate,
)

from ops.faults import reraise_database_errors

from . import persisted_queries, response_cache
from .introspection import NoSchemaIntrospection
from .limits import QueryLimits, check_limits
from .response_cache import CachedResponse

logger = logging.getLogger(__name__)

ACCEPTED_CONTENT_TYPES = (
    "application/json",
    "application/graphql",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
)
# grapple reports these bad inputs as plain exceptions; their messages are for clients.
CLIENT_ERROR_PREFIXES = ("Invalid filter specs", "This data type is not searchable")
API_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}


def json_error(status: int, message: str, **headers: str) -> HttpError:
    response = HttpResponse(status=status)
    for name, value in headers.items():
        response[name] = value
    return HttpError(response, message)


def etag_for(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def is_editor(request: HttpRequest) -> bool:
    """A logged-in admin user. Without a session cookie the session is never read, so
    anonymous responses do not gain `Vary: Cookie`."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated


def asks_for_preview(query: str) -> bool:
    """Whether the request may pass a preview token (a cheap text check, before parsing)."""
    return "token" in query


class APIView(GraphQLView):
    """The public API. GraphiQL is served apart, at `/graphiql/`, and only when enabled.

    `query_planning=False` resolves item by item as stock grapple does, and
    `response_cache=False` skips the response cache; both exist for `make bench`.
    """

    graphiql = False
    query_planning = True
    response_cache = True

    def __init__(self, *, query_planning: bool = True, response_cache: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.query_planning = query_planning
        self.response_cache = response_cache
        if not settings.GRAPHQL_INTROSPECTION:
            self.validation_rules = (NoSchemaIntrospection,)

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # graphene-django's dispatch sets a CSRF cookie on every response, which would make
        # public responses uncacheable; only the GraphiQL page needs it.
        if self.graphiql:
            return super().dispatch(request, *args, **kwargs)
        request.query_planning = self.query_planning
        try:
            if request.method not in ("GET", "POST"):
                raise json_error(
                    405, "GraphQL only supports GET and POST requests.", Allow="GET, POST"
                )
            data = self.parse_body(request)
            query, variables, operation_name, _ = self.get_graphql_params(request, data)
            try:
                extensions = persisted_queries.extensions_of(request, data)
                query = persisted_queries.resolve_query(query, extensions)
            except persisted_queries.PersistedQueryError as error:
                raise json_error(400, str(error)) from error
            response = self.respond(request, query, variables, operation_name)
        except persisted_queries.PersistedQueryNotFoundError as missing:
            body = {"errors": [{"message": missing.message, "extensions": {"code": missing.code}}]}
            response = HttpResponse(
                self.json_encode(request, body), content_type="application/json"
            )
            response["Cache-Control"] = "no-store"
        except HttpError as error:
            response = error.response
            response["Content-Type"] = "application/json"
            response.content = self.json_encode(request, {"errors": [{"message": error.message}]})
            response["Cache-Control"] = "no-store"
        for name, value in API_SECURITY_HEADERS.items():
            response[name] = value
        return response

    def respond(self, request: HttpRequest, query, variables, operation_name) -> HttpResponse:
        """Answer from the response cache when it may, else run the query (and maybe store it)."""
        public = not is_editor(request) and not (query and asks_for_preview(query))
        key = None
        if public and query and self.response_cache:
            key = response_cache.cache_key(request, query, variables, operation_name)
        if key is not None:
            hit, generation = response_cache.lookup(key)
            if hit is not None:
                response = self.public_response(request, hit)
                response["X-Cache"] = "HIT"
                return response
        result = self.execute_graphql_request(request, None, query, variables, operation_name)
        reraise_database_errors(result)  # database down: 503, not a 200 with errors
        status, body = self.serialize(request, result)
        if status != 200 or result.errors or not public:
            response = HttpResponse(body, status=status, content_type="application/json")
            response["Cache-Control"] = "no-store" if public else "private, no-store"
            return response
        cached = CachedResponse(body=body, etag=etag_for(body))
        if key is not None:
            response_cache.store(key, generation, cached)
        response = self.public_response(request, cached)
        response["X-Cache"] = "MISS" if key is not None else "OFF"
        return response

    @staticmethod
    def public_response(request: HttpRequest, cached: CachedResponse) -> HttpResponse:
        """A response anyone may reuse, revalidated by its ETag (304 when unchanged)."""
        if request.method == "GET" and cached.etag in request.headers.get("If-None-Match", ""):
            response = HttpResponse(status=304)
        else:
            response = HttpResponse(cached.body, content_type="application/json")
        response["ETag"] = cached.etag
        max_age = settings.GRAPHQL_HTTP_MAX_AGE
        revalidate = "" if max_age else ", must-revalidate"
        response["Cache-Control"] = f"public, max-age={max_age}{revalidate}"
        # CORS headers differ by origin, so shared caches must keep one copy per origin.
        patch_vary_headers(response, ["Origin"])
        return response

    def serialize(self, request: HttpRequest, result: ExecutionResult) -> tuple[int, bytes]:
        """Status and JSON body as GraphQL over HTTP asks (graphene-django's rules)."""
        payload: dict = {}
        status = 200
        if result.errors:
            payload["errors"] = [self.format_error(error) for error in result.errors]
            if any(not getattr(error, "path", None) for error in result.errors):
                status = 400
        if status == 200:
            payload["data"] = result.data
        return status, self.json_encode(request, payload).encode()

    def parse_body(self, request: HttpRequest):
        if request.method != "POST":
            return {}
        limit = settings.GRAPHQL_LIMITS["MAX_BODY_BYTES"]
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            raise json_error(413, f"Request body is larger than {limit} bytes.")
        content_type = self.get_content_type(request)
        if content_type not in ACCEPTED_CONTENT_TYPES:
            raise json_error(
                415,
                f"Unsupported content type '{content_type or 'none'}': send application/json.",
            )
        try:
            body = request.body
        except RequestDataTooBig as error:
            raise json_error(413, f"Request body is larger than {limit} bytes.") from error
        if len(body) > limit:
            raise json_error(413, f"Request body is larger than {limit} bytes.")
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise json_error(400, "Request body is not valid UTF-8.") from error
        return super().parse_body(request)

    @staticmethod
    def get_graphql_params(request, data):
        query, variables, operation_name, request_id = GraphQLView.get_graphql_params(request, data)
        if query is not None and not isinstance(query, str):
            raise json_error(400, "query must be a string.")
        if variables is not None and not isinstance(variables, dict):
            raise json_error(400, "variables must be a JSON object.")
        if operation_name is not None and not isinstance(operation_name, str):
            raise json_error(400, "operationName must be a string.")
        return query, variables, operation_name, request_id

    def execute_graphql_request(
        self, request, data, query, variables, operation_name, show_graphiql=False
    ) -> ExecutionResult:
        if not query:
            raise json_error(400, "Must provide query string.")
        schema = self.schema.graphql_schema
        limits = QueryLimits.from_settings()
        try:
            document = parse(query, max_tokens=limits.max_tokens)
        except GraphQLError as error:
            return ExecutionResult(errors=[error])

        operation = get_operation_ast(document, operation_name)
        if (
            request.method == "GET"
            and operation is not None
            and operation.operation != OperationType.QUERY
        ):
            raise json_error(
                405,
                f"Can only perform a {operation.operation.value} operation from a POST request.",
                Allow="POST",
            )
        errors = validate(schema, document, self.validation_rules, max_errors=20)
        if not errors and operation is not None:
            errors = check_limits(schema, document, operation, variables, limits)
        if errors:
            return ExecutionResult(errors=errors)
        return execute(
            schema,
            document,
            root_value=self.get_root_value(request),
            context_value=self.get_context(request),
            variable_values=variables,
            operation_name=operation_name,
            middleware=self.get_middleware(request),
        )

    @staticmethod
    def format_error(error) -> dict:
        """The error as the spec shapes it, with server faults reduced to a bare message."""
        if not isinstance(error, GraphQLError):
            return {"message": str(error)}
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            return error.formatted
        if isinstance(original, TypeError) and str(original).startswith(CLIENT_ERROR_PREFIXES):
            return {**error.formatted, "extensions": {"code": "BAD_USER_INPUT"}}
        logger.error("GraphQL resolver failed", exc_info=original)
        formatted = error.formatted
        formatted["message"] = "Internal server error."
        formatted["extensions"] = {"code": "INTERNAL_SERVER_ERROR"}
        return formatted
