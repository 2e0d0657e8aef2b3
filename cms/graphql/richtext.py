"""Rich text as apps render it: links a reader can follow, the editor's internals gone.

Wagtail's own expansion (`expand_db_html`) writes the URL of any page or document a link
points at, and any image an embed shows: drafts, private pages, pages of another site, files
of private collections. Here the same rewriters run with link and embed handlers (subclasses
of Wagtail's) that keep such a link's text but drop its `href`, as Wagtail does for a page that
no longer exists, and drop an embedded image the reader could not load. The rule is the API's
own (`Visibility`, `ImageVisibility` on the request's `APIContext`).

Draftail stores a random `data-block-key` on every paragraph it saves; it means nothing to a
reader and would make identical text differ between saves.
"""

import re
from functools import partial

from django.utils.html import escape
from wagtail.documents.rich_text import DocumentLinkHandler
from wagtail.images.formats import get_image_format
from wagtail.images.rich_text import ImageEmbedHandler
from wagtail.rich_text import features
from wagtail.rich_text.pages import PageLinkHandler
from wagtail.rich_text.rewriters import EmbedRewriter, LinkRewriter, MultiRuleRewriter

from freshness.tags import depends_on, object_tags

from .context import APIContext

BLOCK_KEY = re.compile(r' data-block-key="[^"]*"')
NO_LINK = "<a>"


def tagged(context: APIContext, objects: list) -> list:
    """A handler's `get_many`, the answer tagged with each object found: a link or embed shows
    while its page is live and public or its collection public, so their changes (a page's
    ancestors' included) purge the answer (`freshness.tags`)."""
    if getattr(context, "tags", None) is not None:  # None: no shared cache is told tags
        depends_on(context, set().union(*map(object_tags, filter(None, objects))))
    return objects


class PublicPageLinkHandler(PageLinkHandler):
    """A page link keeps its URL only if the reader of this site may open the page."""

    @classmethod
    def expand_for(cls, context: APIContext, attrs_list: list[dict]) -> list[str]:
        visibility = context.visibility
        pages = tagged(context, cls.get_many(attrs_list))
        return [
            f'<a href="{escape(page.get_url(context.request))}">'
            if page is not None and visibility.allows(page)
            else NO_LINK
            for page in pages
        ]


class PublicDocumentLinkHandler(DocumentLinkHandler):
    """A document link keeps its URL only if the document's collection is public."""

    @classmethod
    def expand_for(cls, context: APIContext, attrs_list: list[dict]) -> list[str]:
        # Collections restrict documents and images alike; the same rule serves both.
        collections = context.visibility_of_images
        documents = tagged(context, cls.get_many(attrs_list))
        return [
            f'<a href="{escape(document.url)}">'
            if document is not None and collections.allows(document)
            else NO_LINK
            for document in documents
        ]


class PublicImageEmbedHandler(ImageEmbedHandler):
    """An embedded image of a private collection is left out (it has no text to keep)."""

    @classmethod
    def expand_for(cls, context: APIContext, attrs_list: list[dict]) -> list[str]:
        collections = context.visibility_of_images
        images = tagged(context, cls.get_many(attrs_list))
        return [
            get_image_format(attrs["format"]).image_to_html(image, attrs.get("alt", ""))
            if image is not None and collections.allows(image)
            else ""
            for attrs, image in zip(attrs_list, images, strict=True)
        ]


PUBLIC_LINKS = {"page": PublicPageLinkHandler, "document": PublicDocumentLinkHandler}
PUBLIC_EMBEDS = {"image": PublicImageEmbedHandler}


def public_rules(registered: dict, ours: dict, context: APIContext) -> dict:
    """Wagtail's registered handlers (external and email links, media embeds...), with ours
    in place of the ones that could point at something private."""
    rules = {kind: handler.expand_db_attributes_many for kind, handler in registered.items()}
    for kind, handler in ours.items():
        if kind in rules:
            rules[kind] = partial(handler.expand_for, context)
    return rules


def public_html(source: str | None, context: APIContext) -> str:
    """`source` (rich text as stored) as HTML for this request's reader."""
    rewriter = MultiRuleRewriter(
        [
            LinkRewriter(bulk_rules=public_rules(features.get_link_types(), PUBLIC_LINKS, context)),
            EmbedRewriter(
                bulk_rules=public_rules(features.get_embed_types(), PUBLIC_EMBEDS, context)
            ),
        ]
    )
    return BLOCK_KEY.sub("", rewriter(source or ""))
