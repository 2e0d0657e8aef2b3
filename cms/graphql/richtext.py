"""Rich text as apps render it: Wagtail's internal links expanded, the editor's internals gone.

Draftail stores a random `data-block-key` on every paragraph it saves; it means nothing to a
reader and would make identical text differ between saves.
"""

import re

from wagtail.rich_text import expand_db_html

BLOCK_KEY = re.compile(r' data-block-key="[^"]*"')


def public_html(source: str | None) -> str:
    return BLOCK_KEY.sub("", expand_db_html(source or ""))
