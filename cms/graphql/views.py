"""The `/graphql/` endpoint: graphene-django's view with limits and errors made safe.

graphene-django's view is kept for parsing parameters and shaping responses; its request
pipeline is replaced so that the body, the content type, the tokens, the depth, the cost and
every error are checked or cleaned before a client sees them (`cms/graphql/validation.py`).
Errors follow GraphQL over HTTP: a malformed HTTP request gets 4xx; a GraphQL request error
(syntax, validation, variables, limits) gets 400 as `application/graphql-response+json` to a
client that accepts it and 200 as `application/json` otherwise; one that ran gets 200.
"""

import hashlib
import json
import logging
import time

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.utils.cache import patch_vary_headers
from graphene_django.views import GraphQLView, HttpError
from graphql import ExecutionResult, GraphQLError, execute_sync

from freshness import response_cache
from freshness.response_cache import CachedResponse
from freshness.tags import header_tags
from ops.client_ip import client_ip
from ops.faults import DATABASE_ERRORS, reraise_database_errors
from ops.requests import request_id

from . import persisted_queries, rate_limit, request_body
from .context import APIContext
from .deadline import (
    DeadlineExceededError,
    deadline_error,
    deadline_from_now,
    statement_timed_out,
)
from .execution import ExecutionContext, on_fresh_stack
from .introspection import NoSchemaIntrospection
from .limits import QueryLimits
from .validation import NotAllowedOverGetError, PreparedOperation, RequestErrors, prepare

logger = logging.getLogger(__name__)

ACCEPTED_CONTENT_TYPES = (
    "application/json",
    "application/graphql",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
)
API_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    # XFrameOptionsMiddleware's value, set here for the hits answered before it runs.
    "X-Frame-Options": "DENY",
}
JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


def json_error(status: int, message: str, **headers: str) -> HttpError:
    response = HttpResponse(status=status)
    for name, value in headers.items():
        response[name] = value
    return HttpError(response, message)


def compact_json(payload) -> str:
    return json.dumps(payload, separators=(",", ":"))


def response_media_type(request: HttpRequest) -> str:
    """`application/graphql-response+json` to a client that accepts it, else legacy JSON."""
    accept = request.headers.get("Accept", "")
    return GRAPHQL_RESPONSE_JSON if GRAPHQL_RESPONSE_JSON in accept else JSON


def etag_for(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


# The separator of each tag header's values (Cloudflare's Cache-Tag takes commas).
TAG_SEPARATORS = {"cache-tag": ","}


def public_response(request: HttpRequest, cached: CachedResponse, media_type: str) -> HttpResponse:
    """A response anyone may reuse, revalidated by its ETag (304 when unchanged).

    A GET also tells shared caches how long they may keep it (`s-maxage`) and what it depends
    on (its tags), by which they are purged on every change (`freshness/purge.py`).
    """
    if request.method == "GET" and cached.etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(cached.body, content_type=media_type)
    response["ETag"] = cached.etag
    max_age = settings.GRAPHQL_HTTP_MAX_AGE
    revalidate = "" if max_age else ", must-revalidate"
    cache_control = f"public, max-age={max_age}{revalidate}"
    if request.method == "GET":
        shared = int(cached.shared_until - time.time())
        if shared > 0:
            cache_control += f", s-maxage={shared}"
        if cached.tags:
            for name in settings.HTTP_CACHE_TAG_HEADERS:
                response[name] = TAG_SEPARATORS.get(name.lower(), " ").join(cached.tags)
    response["Cache-Control"] = cache_control
    # CORS headers differ by origin, and the media type by Accept: one copy per pair.
    patch_vary_headers(response, ["Origin", "Accept"])
    return response


def cache_hit_response(request: HttpRequest, cached: CachedResponse) -> HttpResponse:
    """A response cache hit as the API sends it, gzipped where the client accepts it.

    The rules are GZipMiddleware's (which `gzip_page` applies to the rest), but the body is
    compressed once per entry, not on every hit: 2 ms for a 100-item list. A 304 carries the
    ETag and Vary of the variant the client holds.
    """
    compressible = len(cached.body) >= 200
    accepted = re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))
    gzipped = compressible and accepted and len(cached.gzipped()) < len(cached.body)
    etag = "W/" + cached.etag if gzipped else cached.etag
    response = public_response(request, cached, response_media_type(request))
    for name, value in API_SECURITY_HEADERS.items():
        response[name] = value
    response["X-Cache"] = "HIT"
    held = request.headers.get("If-None-Match", "")
    if response.status_code == 304 and "W/" + cached.etag in held:
        # The validator of the copy the client holds: gzipped, or from a run (`respond`).
        etag = "W/" + cached.etag
    response["ETag"] = etag
    if compressible:
        patch_vary_headers(response, ("Accept-Encoding",))
    if response.status_code == 200:
        if gzipped:
            response.content = cached.gzipped()
            response["Content-Encoding"] = "gzip"
        response["Content-Length"] = str(len(response.content))
    return response


class RateLimitedError(HttpError):
    """The client's bucket holds fewer points than the query costs: nothing ran (429)."""

    def __init__(self, throttle: rate_limit.Throttle) -> None:
        self.throttle = throttle
        response = HttpResponse(status=429)
        response["Retry-After"] = str(throttle.retry_after)
        super().__init__(response, throttle.refusal())


def with_extensions(body: bytes, extensions: dict | None) -> bytes:
    """`body` (a serialized JSON object) with a top-level `extensions` member added.

    The plain body is what the response cache stores and what the ETag names; this client's
    copy gains its own cost and budget by appending to the object, not by encoding it again.
    """
    if not extensions:
        return body
    return body[:-1] + b',"extensions":' + compact_json(extensions).encode() + b"}"


def add_rate_limit_headers(response: HttpResponse, throttle: rate_limit.Throttle | None) -> None:
    if throttle is not None:
        for name, value in throttle.headers().items():
            response[name] = value


def is_editor(request: HttpRequest) -> bool:
    """A logged-in admin user. Without a session cookie the session is never read, so
    anonymous responses do not gain `Vary: Cookie`."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated


def asks_for_preview(query: str) -> bool:
    """Whether the request may pass a preview token (a cheap text check, before parsing)."""
    return "token" in query


class APIView(GraphQLView):
    """The public API. GraphiQL is served apart, at `/graphiql/`, and only when enabled.

    `query_planning=False` resolves item by item (as stock grapple does), and
    `response_cache=False` skips the response cache; both exist for `make bench`.
    """

    graphiql = False
    query_planning = True
    response_cache = True
    # This request's response cache key, and the content generation its answer is stored under.
    cache_key: str | None = None
    cache_generation: int | None = None
    # The client's bucket once this request was charged (`rate_limit.py`); None if it was not.
    throttle: rate_limit.Throttle | None = None

    def __init__(self, *, query_planning: bool = True, response_cache: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.query_planning = query_planning
        self.response_cache = response_cache
        # Added to graphql-core's specified rules, never instead of them.
        self.validation_rules = () if settings.GRAPHQL_INTROSPECTION else (NoSchemaIntrospection,)

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # graphene-django's dispatch sets a CSRF cookie on every response, which would make
        # public responses uncacheable; only the GraphiQL page needs it.
        if self.graphiql:
            return super().dispatch(request, *args, **kwargs)
        # Set by ops.requests.RequestIdMiddleware, which also puts it on the response.
        self.request_id = request_id.get()
        self.media_type = response_media_type(request)
        try:
            response = self.answer(request)
        except DATABASE_ERRORS:
            raise  # the database is down: ops.faults answers 503 with Retry-After
        except SuspiciousOperation as error:
            # The client's fault (too many parameters, a host not served): Django's 400, and
            # Django's security log.
            logging.getLogger(f"django.security.{type(error).__name__}").error(str(error))
            response = self.error_response(
                400,
                {
                    "message": "Malformed request: too many parameters, or a host not served.",
                    "extensions": {"code": "BAD_REQUEST"},
                },
            )
        except Exception:
            # A fault of ours: logged once with the id the client can quote, never shown.
            logger.exception("GraphQL request failed [request_id=%s]", self.request_id)
            response = self.error_response(
                500,
                {
                    "message": "Internal server error.",
                    "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": self.request_id},
                },
            )
        for name, value in API_SECURITY_HEADERS.items():
            response[name] = value
        return response

    def get_context(self, request: HttpRequest) -> APIContext:
        return APIContext(
            request=request,
            query_planning=self.query_planning,
            tags=set() if settings.GRAPHQL_SHARED_MAX_AGE > 0 else None,
        )

    def error_response(self, status: int, error: dict) -> HttpResponse:
        response = HttpResponse(
            compact_json({"errors": [error]}), status=status, content_type=self.media_type
        )
        response["Cache-Control"] = "no-store"
        return response

    def answer(self, request: HttpRequest) -> HttpResponse:
        try:
            if request.method not in ("GET", "POST"):
                raise json_error(
                    405, "GraphQL only supports GET and POST requests.", Allow="GET, POST"
                )
            data = self.parse_body(request)
            if isinstance(data, list):
                return self.refuse_batch(data)
            query, variables, operation_name, _ = self.get_graphql_params(request, data)
            try:
                extensions = persisted_queries.extensions_of(request, data)
                query, offered = persisted_queries.resolve_query(query, extensions)
            except persisted_queries.PersistedQueryError as error:
                raise json_error(400, str(error)) from error
            if offered is not None:
                self.keep_persisted(request, offered, query, variables, operation_name)
            response = self.respond(request, query, variables, operation_name)
        except persisted_queries.PersistedQueryNotFoundError as missing:
            return self.error_response(
                200, {"message": missing.message, "extensions": {"code": missing.code}}
            )
        except persisted_queries.PersistedQueryTooLargeError as refused:
            # A request error, shaped as the ones `prepare` finds (400 or 200 by media type).
            status = 400 if self.media_type == GRAPHQL_RESPONSE_JSON else 200
            return self.error_response(
                status, {"message": str(refused), "extensions": {"code": refused.code}}
            )
        except HttpError as error:
            response = error.response
            response["Content-Type"] = self.media_type
            error_body = {"message": error.message, "extensions": {"code": "BAD_REQUEST"}}
            response.content = self.json_encode(request, {"errors": [error_body]})
            response["Cache-Control"] = "no-store"
        return response

    def refuse_batch(self, batch: list) -> HttpResponse:
        """One error per operation, so Apollo's BatchHttpLink hands each its own error."""
        if not batch or not all(isinstance(item, dict) for item in batch):
            raise json_error(400, "The received data is not a valid JSON query.")
        error = {
            "message": "Batched requests are not supported: send one operation per request.",
            "extensions": {"code": "BATCHING_NOT_SUPPORTED"},
        }
        status = 400 if self.media_type == GRAPHQL_RESPONSE_JSON else 200
        response = HttpResponse(
            compact_json([{"errors": [error]} for _ in batch]),
            status=status,
            content_type=self.media_type,
        )
        response["Cache-Control"] = "no-store"
        return response

    def keep_persisted(
        self, request: HttpRequest, digest: str, query: str, variables, operation_name
    ) -> None:
        """Keep a document sent with its hash, if the API would run it: within the size cap,
        parsed and validated with the limits (the outcome is memoized, so running it next
        costs nothing more). A refused one is answered with its errors when it runs, unkept."""
        persisted_queries.check_size(query)
        if not isinstance(self.prepare(request, query, variables, operation_name), RequestErrors):
            persisted_queries.keep(digest, query)

    def respond(self, request: HttpRequest, query, variables, operation_name) -> HttpResponse:
        """Answer from the response cache when it may, else run the query (and maybe store it)."""
        public = not is_editor(request) and not (query and asks_for_preview(query))
        key = None
        if public and query and self.response_cache:
            key = response_cache.cache_key(request, query, variables, operation_name)
        self.cache_key = key
        if key is not None:
            hit, self.cache_generation = response_cache.lookup(key)
            if hit is not None:
                # Nothing runs: not charged, and no RateLimit headers (reading the bucket
                # would cost a Redis round trip on the API's fastest path).
                return cache_hit_response(request, hit)
        try:
            result = self.execute_graphql_request(request, None, query, variables, operation_name)
        except RateLimitedError as refused:
            return self.rate_limited_response(refused)
        reraise_database_errors(result)  # database down: 503, not a 200 with errors
        status, body = self.serialize(request, result)
        # Per client: added to this response only, never to the body the cache stores.
        extensions, throttle = result.extensions, self.throttle
        if status != 200 or result.errors or not public:
            response = HttpResponse(
                with_extensions(body, extensions), status=status, content_type=self.media_type
            )
            response["Cache-Control"] = "no-store" if public else "private, no-store"
            add_rate_limit_headers(response, throttle)
            return response
        cached = CachedResponse(body=body, etag=etag_for(body))
        if settings.GRAPHQL_SHARED_MAX_AGE > 0:
            # Only shared caches use them: no site lookup otherwise.
            site = self.context.site
            cached.tags = tuple(header_tags(self.context.tags, site))
            cached.shared_until = response_cache.shared_until()
        if key is not None and self.cache_generation is not None:
            response_cache.store(key, self.cache_generation, cached)
        response = public_response(request, cached, self.media_type)
        response["X-Cache"] = "MISS" if key is not None else "OFF"
        if extensions:
            # The same data as the stored body, not the same bytes: a weak validator.
            response["ETag"] = "W/" + cached.etag
            if response.status_code == 200:
                response.content = with_extensions(body, extensions)
        if throttle is not None:
            # This client's budget must not reach another client through a shared cache; the
            # next request is a response cache hit, which is public.
            response["Cache-Control"] = response["Cache-Control"].replace("public", "private")
            add_rate_limit_headers(response, throttle)
        return response

    def rate_limited_response(self, refused: RateLimitedError) -> HttpResponse:
        throttle = refused.throttle
        response = self.error_response(
            429,
            {
                "message": refused.message,
                "extensions": {
                    "code": "RATE_LIMITED",
                    "cost": rate_limit.cost_extension(throttle.requested, throttle),
                },
            },
        )
        response["Retry-After"] = str(throttle.retry_after)
        add_rate_limit_headers(response, throttle)
        return response

    def serialize(self, request: HttpRequest, result: ExecutionResult) -> tuple[int, bytes]:
        """Status and JSON body as GraphQL over HTTP asks (graphene-django's rules)."""
        payload: dict = {}
        status = 200
        if result.errors:
            payload["errors"] = [self.format_error(error) for error in result.errors]
        if isinstance(result, RequestErrors):
            # Nothing ran: no `data` key at all, as the spec says of request errors.
            if self.media_type == GRAPHQL_RESPONSE_JSON:
                status = 400
        else:
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
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise json_error(400, "Request body is not valid UTF-8.") from error
        if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            try:
                return request_body.form_fields(request)
            except request_body.BadRequestBodyError as error:
                raise json_error(400, str(error)) from error
        if content_type != "application/json":
            return super().parse_body(request)
        try:
            data = request_body.loads(text)
        except request_body.BadRequestBodyError as error:
            raise json_error(400, str(error)) from error
        except ValueError as error:
            raise json_error(400, "POST body sent invalid JSON.") from error
        if not isinstance(data, dict | list):
            raise json_error(400, "The received data is not a valid JSON query.")
        return data

    @staticmethod
    def get_graphql_params(request, data):
        raw_variables = request.GET.get("variables")
        if isinstance(raw_variables, str):
            try:
                request_body.loads(raw_variables, "variables")
            except request_body.BadRequestBodyError as error:
                raise json_error(400, str(error)) from error
            except ValueError:
                pass  # graphene-django answers "Variables are invalid JSON."
        query, variables, operation_name, doc_id = GraphQLView.get_graphql_params(request, data)
        if query is not None and not isinstance(query, str):
            raise json_error(400, "query must be a string.")
        if variables is not None and not isinstance(variables, dict):
            raise json_error(400, "variables must be a JSON object.")
        if operation_name is not None and not isinstance(operation_name, str):
            raise json_error(400, "operationName must be a string.")
        try:
            request_body.check_text([query, variables, operation_name], "The request")
        except request_body.BadRequestBodyError as error:
            raise json_error(400, str(error)) from error
        return query, variables, operation_name, doc_id

    def execute_graphql_request(
        self, request, data, query, variables, operation_name, show_graphiql=False
    ) -> ExecutionResult:
        if not query:
            raise json_error(400, "Must provide query string.")
        context = self.context = self.get_context(request)
        context.deadline = deadline_from_now()
        prepared = self.prepare(request, query, variables, operation_name)
        if isinstance(prepared, RequestErrors):
            return prepared  # refused before it ran: costs nothing
        self.throttle = rate_limit.charge(client_ip(request), prepared.cost)
        if self.throttle is not None and not self.throttle.allowed:
            raise RateLimitedError(self.throttle)
        if self.cache_key is not None and self.cache_generation is None:
            self.cache_generation = response_cache.current_generation()
        context.read_generation = self.cache_generation
        result = self.execute_prepared(request, context, prepared, variables, operation_name)
        if rate_limit.enabled():
            result.extensions = {"cost": rate_limit.cost_extension(prepared.cost, self.throttle)}
        return result

    def execute_prepared(
        self, request, context: APIContext, prepared, variables, operation_name
    ) -> ExecutionResult:
        schema = self.schema.graphql_schema
        # Every resolver is synchronous: `execute_sync` skips graphql-core's check of every
        # resolved value for an awaitable.
        try:
            result = on_fresh_stack(
                execute_sync,
                schema,
                prepared.document,
                root_value=self.get_root_value(request),
                context_value=context,
                variable_values=variables,
                operation_name=operation_name,
                middleware=self.get_middleware(request),
                execution_context_class=ExecutionContext,
            )
        except DeadlineExceededError:
            return self.past_deadline("execution")
        if any(statement_timed_out(error.original_error) for error in result.errors or ()):
            return self.past_deadline("statement_timeout")
        return result

    def past_deadline(self, by: str) -> ExecutionResult:
        """The whole answer is dropped: a partial one would look complete to a client."""
        logger.warning(
            "GraphQL request stopped by its deadline (%s) [request_id=%s]",
            by,
            getattr(self, "request_id", None),
        )
        return ExecutionResult(data=None, errors=[deadline_error()])

    def prepare(
        self, request: HttpRequest, query: str, variables, operation_name
    ) -> PreparedOperation | RequestErrors:
        """The operation to run or the request errors (`validation.prepare`, memoized)."""
        try:
            return prepare(
                self.schema.graphql_schema,
                query,
                operation_name,
                variables,
                QueryLimits.from_settings(),
                self.validation_rules,
                by_get=request.method == "GET",
            )
        except NotAllowedOverGetError as refused:
            raise json_error(
                405, f"Can only perform a {refused} operation from a POST request.", Allow="POST"
            ) from refused

    def format_error(self, error) -> dict:
        """The error as the spec shapes it, with server faults reduced to a bare message."""
        if not isinstance(error, GraphQLError):
            return {"message": str(error)}
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            # Raised on purpose by a resolver or graphql-core: about the client's input.
            formatted = error.formatted
            formatted["extensions"] = {"code": "BAD_USER_INPUT", **(error.extensions or {})}
            return formatted
        if isinstance(original, DataError):
            # The database refused a value the client sent (out of range, unstorable).
            formatted = error.formatted
            formatted["message"] = "A value in the request is out of range or not storable."
            formatted["extensions"] = {"code": "BAD_USER_INPUT"}
            return formatted
        request_id = getattr(self, "request_id", None)
        logger.error("GraphQL resolver failed [request_id=%s]", request_id, exc_info=original)
        formatted = error.formatted
        formatted["message"] = "Internal server error."
        formatted["extensions"] = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
        return formatted
