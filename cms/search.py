"""Full-text search over pages, safe for whatever a client types.

The search backends hand the query string to the database's own query syntax (SQLite FTS5,
PostgreSQL tsquery), where a lone quote, a bracket or a bare `NEAR` is a syntax error. Readers
search for words, so the query is reduced to its words before it reaches the backend.
"""

import re

from django.db.models import QuerySet

# Searches return the best matches; nobody pages past the first thousand.
SEARCH_RESULT_LIMIT = 1000

WORD = re.compile(r"\w+", re.UNICODE)


def search_words(text: str) -> str:
    """The words of `text`, space-separated, with every operator and quote dropped."""
    return " ".join(WORD.findall(text))


def ranked_ids(
    queryset: QuerySet, text: str, operator: str | None = None, limit: int = SEARCH_RESULT_LIMIT
) -> list[int]:
    """Ids of the objects of `queryset` (pages, images) matching `text`, best match first."""
    words = search_words(text)
    if not words:
        return []
    return [obj.pk for obj in queryset.search(words, operator=operator)[:limit]]
