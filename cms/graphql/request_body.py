"""Reading a request's JSON safely: bounded nesting, and only text every layer can store.

`json.loads` recurses once per level, so a body of 5,000 brackets ends in RecursionError (a
500). The nesting is counted first, without recursion. Lone surrogates (`"\\ud800"`) are valid
JSON but not Unicode that UTF-8, PostgreSQL or a hash can take, and NUL is refused by
PostgreSQL: both are refused at the edge, wherever they stand in the request. A form body
Django cannot parse (multipart without a boundary) is the client's error too.
"""

import json

from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParserError

MAX_JSON_DEPTH = 32


class BadRequestBodyError(ValueError):
    """The message is for the client."""


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in `text`, strings skipped."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def loads(text: str, what: str = "Request body"):
    """`json.loads` with the nesting bounded; raises ValueError for invalid JSON."""
    if nesting_depth(text) > MAX_JSON_DEPTH:
        raise BadRequestBodyError(f"{what} is nested deeper than {MAX_JSON_DEPTH} levels.")
    return json.loads(text)


def check_text(value, what: str = "Request") -> None:
    """Refuse NUL characters and lone surrogates anywhere in a decoded JSON value."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                raise BadRequestBodyError(f"{what} contains {problem}.")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def text_problem(text: str) -> str | None:
    """What makes `text` unstorable, or None."""
    if "\x00" in text:
        return "a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "a lone surrogate (not valid Unicode)"
    return None


def form_fields(request: HttpRequest) -> QueryDict:
    """The fields of a `multipart/form-data` or urlencoded body (Django's parser).

    Django raises MultiPartParserError for a multipart body without a usable boundary; left
    alone that is a 500, so it becomes a message for the client.
    """
    try:
        return request.POST
    except MultiPartParserError as error:
        raise BadRequestBodyError(
            f"Malformed multipart/form-data body ({error}); send application/json."
        ) from error
