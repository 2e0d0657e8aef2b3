"""The API's executor (`cms/graphql/execution.py`): plain leaves read directly give what
graphql-core gives, data and errors alike, and the execution runs on a frame stack chunk of its
own, whatever the caller's depth."""

import enum
import os
import shutil
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import graphene
import pytest
from django.test import RequestFactory, override_settings
from graphql import ExecutionContext as StockExecutionContext
from graphql import execute_sync, parse

from cms.graphql.execution import LeafExecutionContext, leaf_reader
from cms.graphql.schema import schema
from cms.graphql.views import APIView

ROOT = Path(__file__).resolve().parent.parent


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Item(graphene.ObjectType):
    name = graphene.String(required=True)
    count = graphene.Int()
    required_count = graphene.Int(required=True)
    colour = graphene.Enum.from_enum(Colour)()
    at = graphene.DateTime()
    flag = graphene.Boolean(required=True)
    broken = graphene.String()
    required_broken = graphene.String(required=True)


class Holder(graphene.ObjectType):
    items = graphene.List(Item)
    required_items = graphene.List(graphene.NonNull(Item))


class Query(graphene.ObjectType):
    holder = graphene.Field(Holder)

    @staticmethod
    def resolve_holder(root, info):
        return {"items": ITEMS, "required_items": ITEMS}


class ReturnedError(Exception):
    """Not a builtin: String would serialize it with `str` if it were taken for a value."""


class Source:
    """An item read by attribute, as the API's model instances are."""

    def __init__(self, **values):
        self.__dict__.update(values)

    @property
    def broken(self):
        raise ValueError("a property that fails")

    required_broken = broken


GOOD = {
    "name": "ok",
    "count": 3,
    "required_count": 4,
    "colour": Colour.BLUE,
    "at": datetime(2026, 12, 5, 12, 0, tzinfo=UTC),
    "flag": False,
}
ITEMS = [
    Source(**GOOD),
    {**GOOD, "name": "a dict", "broken": None, "required_broken": "fine"},
    Source(**{**GOOD, "name": None}),  # null where null is not allowed
    Source(**{**GOOD, "count": 2**40}),  # beyond GraphQL's Int
    Source(**{**GOOD, "required_count": "many"}),  # a value Int refuses
    Source(**{**GOOD, "colour": "green"}),  # not one of the enum's values
    Source(**{**GOOD, "at": "not a date"}),
    Source(**{key: value for key, value in GOOD.items() if key != "count"}),  # missing: null
    Source(**{**GOOD, "flag": None}),
    Source(**{**GOOD, "count": None, "colour": None, "at": None}),
    Source(**{**GOOD, "name": ReturnedError("returned, not raised")}),
]
DOCUMENT = parse(
    """{ holder {
      items { name count requiredCount colour at flag broken }
      requiredItems { name count requiredCount colour at flag requiredBroken }
      more: items { name requiredBroken }
    } }"""
)
TEST_SCHEMA = graphene.Schema(query=Query).graphql_schema


class Counting:
    """Counts the fields that went through graphql-core's own `execute_field`."""

    slow = 0

    def execute_field(self, *args):
        type(self).slow += 1
        return super().execute_field(*args)


class CountingStock(Counting, StockExecutionContext):
    pass


class CountingLeaves(Counting, LeafExecutionContext):
    pass


def run(execution_context_class):
    result = execute_sync(TEST_SCHEMA, DOCUMENT, execution_context_class=execution_context_class)
    errors = sorted(
        (error.message, tuple(error.path), tuple((loc.line, loc.column) for loc in error.locations))
        for error in result.errors or ()
    )
    return result.data, errors


def test_leaves_read_directly_answer_as_graphql_core_does_errors_included():
    stock = run(CountingStock)
    ours = run(CountingLeaves)
    assert ours == stock
    data, errors = stock
    messages = " ".join(message for message, _, _ in errors)
    # Each kind of trouble is in the answer, at its path, for both.
    assert "Cannot return null for non-nullable field Item.name" in messages
    assert "Int cannot represent non 32-bit signed integer value" in messages
    assert "Int cannot represent non-integer value: 'many'" in messages
    assert "Enum 'Colour' cannot represent value: 'green'" in messages
    assert "a property that fails" in messages
    assert "returned, not raised" in messages
    assert "Cannot return null for non-nullable field Item.flag" in messages
    assert data["holder"]["items"][0] == {
        "name": "ok",
        "count": 3,
        "requiredCount": 4,
        "colour": "BLUE",
        "at": "2026-12-05T12:00:00+00:00",
        "flag": False,
        "broken": None,
    }
    # A null in a non-null list item nulls the whole list, in both.
    assert data["holder"]["requiredItems"] is None
    assert data["holder"]["items"][9] == {
        **data["holder"]["items"][0],
        "count": None,
        "colour": None,
        "at": None,
    }
    # And most leaves skipped graphql-core's per-field path.
    assert CountingLeaves.slow < CountingStock.slow / 3


def test_which_fields_of_the_api_are_read_directly():
    graphql_schema = schema.graphql_schema
    procedure = graphql_schema.get_type("ProcedurePage")
    image = graphql_schema.get_type("Image")
    direct = {"title", "slug", "summary", "approach", "recoveryDays", "lastPublishedAt"}
    assert all(leaf_reader(procedure, name) for name in direct)
    assert leaf_reader(image, "width") and leaf_reader(image, "height")
    # Own resolvers, objects, lists of objects, arguments and guards: graphql-core's path.
    for name in ("id", "urlPath", "bodyHtml", "image", "muscles", "relatedProcedures", "parent"):
        assert leaf_reader(procedure, name) is None, name
    assert leaf_reader(image, "srcSet") is None and leaf_reader(image, "url") is None


def test_with_graphql_middleware_every_field_takes_graphql_cores_path():
    def answer(execution_context_class):
        seen = []

        def middleware(next_, root, info, **args):
            seen.append(info.field_name)
            return next_(root, info, **args)

        result = execute_sync(
            TEST_SCHEMA,
            parse("{ holder { items { name flag } } }"),
            middleware=[middleware],
            execution_context_class=execution_context_class,
        )
        return seen, result.data

    seen, data = answer(LeafExecutionContext)
    assert (seen, data) == answer(StockExecutionContext)
    assert seen.count("name") == len(ITEMS)  # the middleware saw every leaf
    assert data["holder"]["items"][0] == {"name": "ok", "flag": False}


@pytest.mark.parametrize("shared_max_age, records", [(0, False), (300, True)])
def test_tags_are_recorded_only_when_a_shared_cache_is_told_them(shared_max_age, records):
    with override_settings(GRAPHQL_SHARED_MAX_AGE=shared_max_age):
        context = APIView().get_context(RequestFactory().get("/graphql/"))
    assert (context.tags is not None) == records


STACK_PROBE = textwrap.dedent(
    """
    import os, sys
    import django
    django.setup()
    from graphql import build_schema, execute_sync, parse
    from cms.graphql.execution import on_fresh_stack

    schema = build_schema(
        "type Query { items: [Item!]! } type Item { name: String! image: Image! }"
        " type Image { url: String! width: Int! }"
    )
    image = {"url": "/a.jpg", "width": 320}
    root = {"items": [{"name": str(n), "image": image} for n in range(100)]}
    document = parse("{ items { name image { url width } } }")

    def execute():
        return execute_sync(schema, document, root)

    def at_depth(depth, function):
        return function() if depth == 0 else at_depth(depth - 1, function)

    for fresh in (False, True):
        for depth in range(0, 120, 3):
            run = (lambda: on_fresh_stack(execute)) if fresh else execute
            at_depth(depth, run)  # warm
            os.getppid()  # a marker in the trace: the measured run starts
            assert at_depth(depth, run).data["items"][99]["image"]["width"] == 320
            os.getppid()
    """
)


def test_the_execution_runs_on_a_frame_stack_chunk_of_its_own(tmp_path):
    """Counted in system calls, which do not depend on the machine: run directly at some
    caller depth, each object's selection maps and unmaps a chunk of CPython's frame stack;
    on `on_fresh_stack`, at every depth, the execution takes at most one chunk."""
    strace = shutil.which("strace")
    assert strace, "strace is needed (make test installs Debian's strace)"
    trace = tmp_path / "trace"
    traced = [strace, "-f", "-e", "trace=mmap,munmap,getppid", "-o", str(trace)]
    subprocess.run(
        [*traced, sys.executable, "-c", STACK_PROBE],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "cms.settings.test"},
        check=True,
        timeout=120,
    )
    runs, current = [], None
    for line in trace.read_text().splitlines():
        if "getppid()" in line:
            if current is None:
                current = 0
            else:
                runs.append(current)
                current = None
        elif current is not None and ("mmap(" in line or "munmap(" in line):
            current += 1
    depths = len(range(0, 120, 3))
    assert len(runs) == 2 * depths
    direct, fresh = runs[:depths], runs[depths:]
    # The probe does reach the edge of a chunk: at some depth, about one map and one unmap
    # per object (100 items, 100 images).
    assert max(direct) >= 100
    # On its own chunk: one map and one unmap at most, at every depth.
    assert max(fresh) <= 4, fresh
