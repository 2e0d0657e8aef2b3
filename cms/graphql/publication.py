"""What an anonymous API client may see: live, unexpired, public pages of the request's site.

Two layers apply the same rule. Our own resolvers filter in SQL (`servable_pages`), so
lists and counts are right. `PublicationGuard`, a GraphQL middleware, then checks every page
any field returns, so a path that forgot the SQL filter cannot leak a draft or a private
page either.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from wagtail.models import Collection, CollectionViewRestriction, Page, PageViewRestriction, Site

PREVIEW_ATTRIBUTE = "_served_as_preview"


@dataclass(frozen=True)
class Visibility:
    """The facts the rule needs, read once per request."""

    site_root_path: str
    restricted_paths: tuple[str, ...]
    now: object

    @classmethod
    def for_request(cls, request: HttpRequest) -> "Visibility":
        """Read once per execution (see `APIContext.visibility`)."""
        site = Site.find_for_request(request)
        return cls(
            site_root_path=site.root_page.path if site else "\uffff",
            # Password, login and group restrictions alike: an API client passes none.
            restricted_paths=tuple(
                PageViewRestriction.objects.values_list("page__path", flat=True)
            ),
            now=timezone.now(),
        )

    def allows(self, page: Page) -> bool:
        if getattr(page, PREVIEW_ATTRIBUTE, False):
            return True
        return (
            page.live
            and not page.expired
            and (page.expire_at is None or page.expire_at > self.now)
            and page.path.startswith(self.site_root_path)
            and not page.path.startswith(self.restricted_paths)
        )

    def filter_public(self, qs: QuerySet) -> QuerySet:
        """Pages of this site under no privacy restriction, whatever their other state."""
        qs = qs.filter(path__startswith=self.site_root_path)
        for path in self.restricted_paths:
            qs = qs.exclude(path__startswith=path)
        return qs

    def filter(self, qs: QuerySet) -> QuerySet:
        """The same rule in SQL.

        Like Wagtail's `public()`, but from the restricted paths already read, where
        `public()` would read the restrictions table again each time it is called.
        """
        qs = qs.filter(live=True, expired=False).filter(
            Q(expire_at__isnull=True) | Q(expire_at__gt=self.now)
        )
        return self.filter_public(qs)


@dataclass(frozen=True)
class ImageVisibility:
    """Images are public unless their collection, or one above it, is restricted (as Wagtail
    treats a child of a restricted collection)."""

    restricted_collection_ids: frozenset[int]

    @classmethod
    def load(cls) -> "ImageVisibility":
        paths = list(CollectionViewRestriction.objects.values_list("collection__path", flat=True))
        if not paths:
            return cls(frozenset())
        below = Q()
        for path in paths:
            below |= Q(path__startswith=path)
        return cls(frozenset(Collection.objects.filter(below).values_list("pk", flat=True)))

    def allows(self, item) -> bool:
        return item.collection_id not in self.restricted_collection_ids

    def filter(self, qs: QuerySet) -> QuerySet:
        return qs.exclude(collection_id__in=self.restricted_collection_ids)


def servable_pages(qs: QuerySet, context) -> QuerySet:
    """`qs` under the rule of the execution's `APIContext`."""
    return context.visibility.filter(qs)


def mark_preview(page: Page) -> Page:
    """A draft fetched with a valid preview token is shown to whoever holds the token."""
    setattr(page, PREVIEW_ATTRIBUTE, True)
    return page


SCALAR_RESULTS = frozenset({str, int, float, bool, type(None)})


class PublicationGuard:
    """GraphQL middleware: drops every page a field returns that the rule does not allow."""

    def resolve(self, next_resolver, root, info, **kwargs):
        result = next_resolver(root, info, **kwargs)
        if type(result) in SCALAR_RESULTS:
            return result  # most fields: one look-up instead of three type checks
        if isinstance(result, Page):
            return result if info.context.visibility.allows(result) else None
        if isinstance(result, QuerySet):
            if issubclass(result.model, Page):
                return self.allowed(list(result), info)
            return result
        if isinstance(result, list | tuple) and any(isinstance(item, Page) for item in result):
            return self.allowed(result, info)
        return result

    @staticmethod
    def allowed(items: Iterable, info) -> list:
        """The items minus the pages the rule does not allow (other items pass through)."""
        visibility = info.context.visibility
        return [item for item in items if not isinstance(item, Page) or visibility.allows(item)]
