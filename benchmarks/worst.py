"""The worst-query cell of `make bench`: the most expensive shapes the limits allow, run.

An attacker does not send the queries an app sends; they search for the shape that costs the
most work per allowed request. This cell does the same, systematically: every root that lists
pages, followed by every chain of up to three tree fields (`children`, `siblings`,
`descendants`, `ancestors`, `parent`, `relatedProcedures`), each list at the largest size the
limits still accept (found by asking `prepare`, the same validation the endpoint runs). Each
allowed shape runs once, uncached, through the endpoint; the slowest are reported with their
SQL count and whether the execution deadline stopped them (`DEADLINE_EXCEEDED`).

Alone, on the benchmark's database: imported by `benchmarks.run`.
"""

import itertools
import json
import time
import urllib.parse

SIZES = (100, 50, 20, 10, 5, 3, 2, 1)
LEAF = "id title urlPath"
TREE = ("children", "siblings", "descendants", "ancestors", "parent", "relatedProcedures")
# Each root's text around the selection of its pages, with `{n}` for its size argument.
ROOTS = {
    "procedures": "procedures(perPage: {n}) {{ items {{ {sel} }} }}",
    "pages": "pages(perPage: {n}) {{ items {{ {sel} }} }}",
    "search": 'search(query: "calf", limit: {n}) {{ {sel} }}',
    "changes": 'changes(since: "2000-01-01T00:00:00Z", limit: {n}) {{ pages {{ {sel} }} }}',
}
UNCACHED = "/bench/uncached/graphql/"


def nest(chain: tuple[str, ...], size: int) -> str:
    """The selection for one chain of tree fields, innermost first out."""
    selection = LEAF
    for field in reversed(chain):
        if field == "parent":
            selection = f"parent {{ {selection} }}"
        elif field == "relatedProcedures":
            selection = f"... on ProcedurePage {{ relatedProcedures {{ {selection} }} }}"
        else:
            selection = f"{field}(limit: {size}) {{ {selection} }}"
        selection = f"{LEAF} {selection}"
    return selection


def shapes(max_chain: int = 3):
    for root, template in ROOTS.items():
        for length in range(max_chain + 1):
            for chain in itertools.product(TREE, repeat=length):
                yield (
                    root,
                    chain,
                    lambda n, t=template, c=chain: "{ " + t.format(n=n, sel=nest(c, n)) + " }",
                )


def largest_allowed(build) -> tuple[int, str] | None:
    """The largest size at which the limits accept the shape, and its document."""
    from cms.graphql.limits import QueryLimits
    from cms.graphql.schema import schema
    from cms.graphql.validation import RequestErrors, prepare

    limits = QueryLimits.from_settings()
    for size in SIZES:
        document = build(size)
        prepared = prepare(schema.graphql_schema, document, None, None, limits)
        if not isinstance(prepared, RequestErrors):
            return size, document
    return None


def measure(top: int = 10, max_chain: int = 3) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    tried = refused = 0
    rows = []
    for root, chain, build in shapes(max_chain):
        tried += 1
        allowed = largest_allowed(build)
        if allowed is None:
            refused += 1
            continue
        size, document = allowed
        # The log keeps the last 9,000 queries only; past that the capture's count would be off.
        connection.queries_log.clear()
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(UNCACHED + "?" + urllib.parse.urlencode({"query": document}))
        elapsed = (time.perf_counter() - started) * 1000
        body = json.loads(response.content)
        codes = sorted({e.get("extensions", {}).get("code") for e in body.get("errors", [])})
        rows.append(
            {
                "shape": ".".join((root, *chain)) or root,
                "size": size,
                "ms": elapsed,
                "sql": len(captured.captured_queries),
                "status": response.status_code,
                "codes": codes,
                "bytes": len(response.content),
            }
        )
    rows.sort(key=lambda row: row["ms"], reverse=True)
    for row in rows[:top]:
        print(
            f"  {row['shape']:<45} size {row['size']:>3}  {row['ms']:9.1f} ms  "
            f"{row['sql']:>5} SQL  {','.join(c for c in row['codes'] if c) or 'ok'}",
            flush=True,
        )
    worst = rows[0] if rows else None
    return {
        "tried": tried,
        "refused": refused,
        "ran": len(rows),
        "stopped_by_deadline": sum("DEADLINE_EXCEEDED" in row["codes"] for row in rows),
        "server_errors": sum(row["status"] >= 500 for row in rows),
        "worst": rows[:top],
        "worst_document": None if worst is None else document_of(worst),
    }


def document_of(row: dict) -> str:
    root, *chain = row["shape"].split(".")
    template = ROOTS[root]
    return "{ " + template.format(n=row["size"], sel=nest(tuple(chain), row["size"])) + " }"


def section(found: dict | None, size: int) -> list[str]:
    """The report's lines for this cell."""
    if not found:
        return []
    lines = [
        f"## The worst allowed queries ({size} procedures)",
        "",
        f"{found['tried']} shapes tried, {found['refused']} refused by the limits, "
        f"{found['ran']} run once each uncached; {found['stopped_by_deadline']} stopped by the "
        f"execution deadline, {found['server_errors']} server errors. The slowest:",
        "",
        "| shape | size | ms | SQL | outcome |",
        "|---|---|---|---|---|",
    ]
    for row in found["worst"]:
        outcome = ", ".join(code for code in row["codes"] if code) or "answered"
        lines.append(
            f"| `{row['shape']}` | {row['size']} | {row['ms']:.1f} | {row['sql']} | {outcome} |"
        )
    return ["", *lines]


def main() -> None:
    """Alone, on a throwaway PostgreSQL database: `python -m benchmarks.worst --size 5000`."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--chain", type=int, default=3)
    args = parser.parse_args()

    from .run import seeded_site

    with seeded_site(args.size):
        found = measure(max_chain=args.chain)
        print("\n".join(section(found, args.size)))


if __name__ == "__main__":
    main()
