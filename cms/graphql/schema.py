"""The public schema: the root fields apps need, built from each app's read side.

Built with graphene, which grapple itself builds on: grapple generates a type per model
with every column of Wagtail's `Page` (editorial state such as `draftTitle` and `locked`)
and a Query of Wagtail's whole surface (sites, documents, collections, tags, snippets, an
image search), none of which an app here needs and each one more path for private content
to leak through. Why each root field exists: `docs/API.md`.
"""

import graphene

from home.api import (
    ArticleBlock,
    ArticleQuery,
    BenefitsBlock,
    HeadingBlock,
    ListBlock,
    ParagraphBlock,
    ProcedureBlock,
)
from procedures.api import ProcedureQuery
from procedures.comparison import ComparisonQuery

from .guards import guard_fields
from .interfaces import PAGE_TYPES
from .roots import generic_query


class Query(ArticleQuery, ProcedureQuery, ComparisonQuery, generic_query()):
    """What an app can ask."""


BLOCK_TYPES = [HeadingBlock, ParagraphBlock, ListBlock, BenefitsBlock, ProcedureBlock]

schema = graphene.Schema(query=Query, types=[*PAGE_TYPES.values(), ArticleBlock, *BLOCK_TYPES])
# The argument and publication guards, on the fields that need them (cms/graphql/guards.py).
guard_fields(schema.graphql_schema)
