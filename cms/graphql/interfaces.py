"""The page interface every page type implements (grapple's `PAGE_INTERFACE` setting).

grapple's own filters its tree fields on `live` and `public` only, and `parent` not at all;
here every one of them also drops expired pages and pages outside the request's site.
"""

from django.db.models import QuerySet
from grapple.types.interfaces import PageInterface as GrapplePageInterface
from grapple.utils import resolve_queryset
from wagtail.models import Page

from cms.search import ranked_ids

from .planning import prefetch_pages
from .publication import servable_pages


class PageInterface(GrapplePageInterface):
    def resolve_url_path(self: Page, info, **kwargs) -> str:
        return public_url_path(self)

    def resolve_parent(self: Page, info, **kwargs) -> Page | None:
        parent = self.get_parent()
        return parent.specific if parent is not None else None

    def resolve_children(self: Page, info, **kwargs):
        return page_list(self.get_children(), info, **kwargs)

    def resolve_siblings(self: Page, info, **kwargs):
        return page_list(self.get_siblings().exclude(pk=self.pk), info, **kwargs)

    def resolve_next_siblings(self: Page, info, **kwargs):
        return page_list(self.get_next_siblings().exclude(pk=self.pk), info, **kwargs)

    def resolve_previous_siblings(self: Page, info, **kwargs):
        return page_list(self.get_prev_siblings().exclude(pk=self.pk), info, **kwargs)

    def resolve_descendants(self: Page, info, **kwargs):
        return page_list(self.get_descendants(), info, **kwargs)

    def resolve_ancestors(self: Page, info, **kwargs):
        return page_list(self.get_ancestors(), info, **kwargs)


def page_list(qs: QuerySet, info, *, search_query: str | None = None, **kwargs):
    """grapple's list arguments over the servable pages of `qs`, specific types."""
    qs = servable_pages(qs, info.context)
    if search_query:
        qs = qs.filter(pk__in=search_page_ids(search_query))
    pages = resolve_queryset(qs.specific(), info, **kwargs)
    return prefetch_pages(pages, info)


def search_page_ids(query: str) -> list[int]:
    """Pages matching a Wagtail search, best first.

    The database backend can only search a queryset filtered on indexed fields, so the
    search runs over all pages and the publication rule is applied to the ids after.
    """
    return ranked_ids(Page.objects.all(), query)


def public_url_path(page: Page) -> str:
    """The page's path below its site's root page; Wagtail stores it with the root's slug."""
    parts = page.url_path.strip("/").split("/")
    # url_path starts at the site root page (depth 2), so its first segment is the root's slug.
    return "/" + "/".join(parts[1:]) + "/" if len(parts) > 1 else "/"
