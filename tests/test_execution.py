"""The API's executor (`cms/graphql/execution.py`): plain leaves read directly give what
graphql-core gives, data and errors alike, and the execution runs on a frame stack chunk of its
own, whatever the caller's depth."""

import enum
import json
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
from graphql import Undefined, execute, execute_sync, parse

from cms.graphql.execution import LeafExecutionContext, leaf_reader
from cms.graphql.schema import schema
from cms.graphql.views import APIView

ROOT = Path(__file__).resolve().parent.parent


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Nothing(graphene.Scalar):
    """A scalar whose serialize gives null for odd numbers: graphql-core calls that an error."""

    @staticmethod
    def serialize(value):
        return None if value % 2 else value


class Csv(graphene.Scalar):
    """Consumes its value: serialized twice, a refused iterator would give what was left."""

    @staticmethod
    def serialize(values):
        return ",".join(str(int(value)) for value in values)


class Item(graphene.ObjectType):
    name = graphene.String(required=True)
    csv = graphene.Field(Csv)
    nothing = graphene.Field(Nothing)
    reads = graphene.Int()
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

    read = 0  # how often `reads` was read, over all items

    def __init__(self, **values):
        self.__dict__.update(values)

    @property
    def reads(self):
        """Counts its reads and gives a value Int refuses: read once, by either path."""
        Source.read += 1
        return "once"

    @property
    def broken(self):
        raise ValueError("a property that fails")

    required_broken = broken


GOOD = {
    "name": "ok",
    "nothing": 2,
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
    Source(**{**GOOD, "nothing": 3}),  # the scalar serializes it to null
    Source(**{**GOOD, "count": Undefined, "name": Undefined}),
    Source(**{**GOOD, "csv": ["1", "2"]}),
    Source(**{**GOOD, "csv": "refused once"}),  # a fresh iterator per read, below
]


class OneShotCsv(Source):
    @property
    def csv(self):
        return iter(["1", "x", "3"])


ITEMS[-1] = OneShotCsv(**{key: value for key, value in GOOD.items()})
DOCUMENT = parse(
    """{ holder {
      items { name count requiredCount colour at flag broken nothing csv }
      requiredItems { name count requiredCount colour at flag requiredBroken }
      more: items { reads label: name name ...bits requiredBroken }
      again: items { ... on Item { count n: nothing } name ...bits }
    } }
    fragment bits on Item { flag other: count }"""
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
    """The answer as it goes to a client, in bytes (data, errors, their order), and how often
    `reads` was read."""
    Source.read = 0
    result = execute_sync(TEST_SCHEMA, DOCUMENT, execution_context_class=execution_context_class)
    return json.dumps(result.formatted), Source.read


def test_leaves_read_directly_answer_as_graphql_core_does_errors_included():
    stock, stock_reads = run(CountingStock)
    ours, our_reads = run(CountingLeaves)
    assert ours == stock
    # A leaf that goes wrong is completed from the value read, not read a second time.
    assert our_reads == stock_reads == sum(isinstance(item, Source) for item in ITEMS)
    answer = json.loads(stock)
    data, errors = answer["data"], answer["errors"]
    messages = " ".join(error["message"] for error in errors)
    # Each kind of trouble is in the answer, at its path, for both.
    assert "Cannot return null for non-nullable field Item.name" in messages
    assert "Int cannot represent non 32-bit signed integer value" in messages
    assert "Int cannot represent non-integer value: 'many'" in messages
    assert "Enum 'Colour' cannot represent value: 'green'" in messages
    assert "a property that fails" in messages
    assert "returned, not raised" in messages
    assert "Cannot return null for non-nullable field Item.flag" in messages
    assert "Expected `Nothing.serialize(3)` to return non-nullable value" in messages
    assert "Int cannot represent non-integer value: 'once'" in messages
    assert "invalid literal for int() with base 10: 'x'" in messages  # serialized once
    assert data["holder"]["items"][-2]["csv"] == "1,2"
    assert data["holder"]["items"][0] == {
        "name": "ok",
        "count": 3,
        "requiredCount": 4,
        "colour": "BLUE",
        "at": "2026-12-05T12:00:00+00:00",
        "flag": False,
        "broken": None,
        "nothing": 2,
        "csv": None,
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


def test_outside_execute_sync_every_field_takes_graphql_cores_path():
    """`execute` may meet awaitables, which the direct path does not look for."""
    document = parse("{ holder { items { name flag } } }")
    for context_class in (CountingStock, CountingLeaves):
        context_class.slow = 0
    ours = execute(TEST_SCHEMA, document, execution_context_class=CountingLeaves)
    stock = execute(TEST_SCHEMA, document, execution_context_class=CountingStock)
    assert json.dumps(ours.formatted) == json.dumps(stock.formatted)
    assert CountingLeaves.slow == CountingStock.slow > len(ITEMS)


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


@pytest.mark.django_db
def test_the_api_view_executes_on_a_fresh_stack(client):
    """The probe above measures `on_fresh_stack`; this holds that the API's view uses it: the
    frame that calls graphql-core's `execute_sync` for a request is `on_fresh_stack`'s."""
    from cms.graphql.execution import on_fresh_stack

    callers = []

    def profile(frame, event, arg):
        if event == "call" and frame.f_code is execute_sync.__code__:
            callers.append(frame.f_back.f_code)

    sys.setprofile(profile)
    try:
        response = client.get("/graphql/", {"query": "{ procedures { items { slug } } }"})
    finally:
        sys.setprofile(None)
    assert response.status_code == 200
    assert {"slug": "calf-liposuction"} in json.loads(response.content)["data"]["procedures"][
        "items"
    ]
    assert callers == [on_fresh_stack.__code__]
