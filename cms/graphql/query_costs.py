"""How many SQL queries each field runs: the table the SQL estimate of `limits.py` adds up.

A field runs its queries in one of three ways:

- `ROOT`: a root field, once per request.
- `PER_OBJECT`: once for each parent object (its resolver asks the database itself): the tree
  fields and `parent`. The pages a tree field returns are planned by that call, so their own
  planned fields run once per call, that is once per parent object.
- `PLANNED`: the planner (`planning.py`) loads it for a whole list of parents at once, once per
  planning batch and per page model of the batch whose plan reads the field (the planner
  merges every fragment's fields, so one type's field may be fetched for another type too).
  On parents that were not planned (a preview's draft, a page `parent` returns) it runs per
  object instead (`unplanned` queries each), and what it returns is not planned either.
  A plan's `after_fetch` (fact sources, reviews, an article's procedures and body) runs only
  where a list is planned whole (`prefetch_pages`), not for pages prefetched under another
  page (related procedures, an article's procedures): there these run per object too.

`per_page_type` adds queries for each page type a list of pages may hold (Wagtail's
`.specific()` reads each type's table once). A field that is not listed reads what its parent
already holds: no SQL. A list without a size argument is counted at `API_MAX_PAGE_SIZE`
objects. Renditions made for the first time are not counted (each width is made once).
"""

from dataclasses import dataclass

ROOT = "root"
PER_OBJECT = "object"
PLANNED = "planned"

# Once per request, whatever the query: the site (1), the publication rule's restricted and
# unpublished paths (1), the image rule's restricted collections (2), the page types'
# content types on a cold cache (1), and the response cache's next expiry and go-live (2).
REQUEST_QUERIES = 7


@dataclass(frozen=True)
class FieldSQL:
    kind: str
    queries: int
    reason: str
    per_page_type: int = 0
    # PLANNED: the page models (or object types) whose plan loads it; queries per object when
    # the parents were not planned; whether what it returns is planned with it.
    planned_by: frozenset[str] = frozenset()
    unplanned: int = 0
    plans_unplanned_result: bool = False
    after_fetch: bool = False
    # ROOT, PER_OBJECT: whether the pages it returns are planned (a preview's draft, the page
    # `parent` returns, are not).
    plans_result: bool = True


def planned(
    queries: int, unplanned: int, reason: str, *types: str, after_fetch: bool = False
) -> FieldSQL:
    return FieldSQL(
        PLANNED,
        queries,
        reason,
        planned_by=frozenset(types),
        unplanned=unplanned,
        after_fetch=after_fetch,
    )


PAGES = ("ProcedurePage", "ArticlePage")
TREE = FieldSQL(
    PER_OBJECT, 1, "its pages' rows, then each type's table, for every parent", per_page_type=1
)

# (GraphQL type, field) -> what the field runs. "Page" holds the interface's fields, for every
# page type.
FIELD_SQL: dict[tuple[str, str], FieldSQL] = {
    # Root fields.
    ("Query", "procedures"): FieldSQL(ROOT, 2, "the count, then the page of items"),
    ("Query", "articles"): FieldSQL(ROOT, 2, "the count, then the page of items"),
    ("Query", "pages"): FieldSQL(
        ROOT, 2, "the count and the page of items, then each type's table", per_page_type=1
    ),
    ("Query", "procedure"): FieldSQL(
        ROOT, 4, "the page (image joined); a token: preview, page state, restrictions"
    ),
    ("Query", "article"): FieldSQL(
        ROOT, 4, "the page (image joined); a token: preview, page state, restrictions"
    ),
    ("Query", "page"): FieldSQL(
        ROOT, 4, "the page, then its type's table; a token: preview, state, restrictions"
    ),
    ("Query", "preview"): FieldSQL(
        ROOT, 4, "the preview, the page's state, its restrictions", plans_result=False
    ),
    ("Query", "search"): FieldSQL(
        ROOT, 3, "the index, the matching ids, the pages, then each type's table", per_page_type=1
    ),
    ("Query", "changes"): FieldSQL(
        ROOT,
        3,
        "the events, expired pages, the changed pages, then each type's table",
        per_page_type=1,
    ),
    ("Query", "muscles"): FieldSQL(ROOT, 1, "the live muscles"),
    ("Query", "compareProcedures"): FieldSQL(
        ROOT,
        6,
        "the procedures (images joined), then for the rows their sources, editors' citations, "
        "citations, muscles and reviews, whatever the number of facts",
    ),
    ("Query", "redirects"): FieldSQL(ROOT, 2, "the site, then its redirects"),
    # The finder's facets (procedures/facets.py): one grouped count per filter, under each list.
    ("ProcedureFacets", "approach"): FieldSQL(PER_OBJECT, 1, "the approaches, counted"),
    ("ProcedureFacets", "invasiveness"): FieldSQL(PER_OBJECT, 1, "the invasiveness, counted"),
    ("ProcedureFacets", "permanence"): FieldSQL(PER_OBJECT, 1, "the permanence, counted"),
    ("ProcedureFacets", "target"): FieldSQL(PER_OBJECT, 1, "every tissue in one count"),
    ("ProcedureFacets", "muscle"): FieldSQL(
        PER_OBJECT, 2, "the muscle links, counted, then the live muscles by name"
    ),
    # The page tree: asked per parent, never planned.
    ("Page", "parent"): FieldSQL(
        PER_OBJECT, 2, "the parent's row, then its type's table", plans_result=False
    ),
    ("Page", "children"): TREE,
    ("Page", "siblings"): TREE,
    ("Page", "descendants"): TREE,
    ("Page", "ancestors"): TREE,
    # Planned relations of pages (`register_plan` in procedures/api.py and home/api.py).
    ("Page", "review"): planned(
        1, 1, "the latest reviews of the batch's pages", *PAGES, after_fetch=True
    ),
    ("Page", "reviewDue"): planned(
        1, 1, "the latest reviews of the batch's pages", *PAGES, after_fetch=True
    ),
    ("Page", "citations"): planned(1, 1, "the citations of the batch's pages", *PAGES),
    # One query per planned batch, whatever its page types (`plan_translations`).
    ("Page", "translations"): planned(1, 1, "the served translations of the batch's pages", *PAGES),
    ("Page", "image"): planned(1, 1, "the images, joined or prefetched", "ProcedurePage"),
    ("Page", "muscles"): planned(1, 1, "the muscles of the batch's pages", "ProcedurePage"),
    ("Page", "relatedProcedures"): FieldSQL(
        PLANNED,
        1,
        "the related pages; unplanned: their ids, then the live ones, planned per page",
        planned_by=frozenset({"ProcedurePage"}),
        unplanned=2,
        plans_unplanned_result=True,
    ),
    ("Page", "factSources"): planned(
        5,
        5,
        "sources, editors' citations, citations, muscles, reviews",
        "ProcedurePage",
        after_fetch=True,
    ),
    # Per page type: a procedure's JSON-LD reads its stated facts, an article's does not.
    ("ProcedurePage", "jsonLd"): planned(
        6,
        8,
        "locales, citations, reviews, sources, editors' citations, muscles; unplanned: "
        "muscles and citations twice",
        "ProcedurePage",
        after_fetch=True,
    ),
    ("ArticlePage", "jsonLd"): planned(
        3,
        3,
        "the locales, citations and reviews of the batch's pages",
        "ArticlePage",
        after_fetch=True,
    ),
    ("Page", "heroImage"): planned(1, 1, "the images, joined or prefetched", "ArticlePage"),
    ("Page", "benefits"): planned(1, 1, "the benefits of the batch's articles", "ArticlePage"),
    ("Page", "targetMuscles"): planned(1, 1, "the articles' target muscles", "ArticlePage"),
    ("Page", "procedures"): planned(
        1, 1, "the procedures the bodies refer to", "ArticlePage", after_fetch=True
    ),
    ("Page", "body"): planned(
        2,
        2,
        "the benefits blocks' items, the procedures the blocks refer to",
        "ArticlePage",
        after_fetch=True,
    ),
    # Images: the renditions come with the batch's images, or per image when not planned.
    ("Image", "srcSet"): planned(1, 1, "the renditions of the batch's images", "Image"),
    ("Image", "renditions"): planned(1, 1, "the renditions of the batch's images", "Image"),
}


def field_sql(type_name: str, field_name: str, is_page: bool) -> FieldSQL | None:
    """What `type_name.field_name` runs, or None when it reads what its parent holds."""
    found = FIELD_SQL.get((type_name, field_name))
    if found is None and is_page:
        found = FIELD_SQL.get(("Page", field_name))
    return found
