"""What an anonymous API client may see: live, unexpired, public pages of the request's site
(its root page and that page's translations, one tree per locale) whose every ancestor up to
the root is live too. A page in another locale's tree that is an alias of its source (an
untranslated page, which wagtail-localize keeps in every tree) is never served itself: the API
serves its source instead (`cms/graphql/locales.py`).

Two layers apply the same rule. Our own resolvers filter in SQL (`servable_pages`), so
lists and counts are right. `PublicationGuard`, on every field whose type is a page
(`cms/graphql/guards.py`), then checks every page any field returns, so a path that forgot
the SQL filter cannot leak a draft or a private page either.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from wagtail.models import Collection, CollectionViewRestriction, Page, PageViewRestriction, Site

PREVIEW_ATTRIBUTE = "_served_as_preview"


@dataclass(frozen=True)
class Visibility:
    """The facts the rule needs, read once per request."""

    # The site's root page (its default locale's tree) and its translations: a tree per locale.
    site_root_paths: tuple[str, ...]
    # Pages under a privacy restriction, with everything below them.
    restricted_paths: tuple[str, ...]
    # Pages with children that are not live (unpublished without their descendants, expired,
    # never published): what is below them is hidden too, as if unpublished with them.
    unpublished_parent_paths: tuple[str, ...]
    now: object

    @classmethod
    def for_request(cls, request: HttpRequest) -> "Visibility":
        """Read once per execution (see `APIContext.visibility`)."""
        return cls.for_site(Site.find_for_request(request))

    @classmethod
    def for_site(cls, site: Site | None) -> "Visibility":
        """The rule for one site's readers, in one query."""
        return cls.of_paths(*cls.paths_for_site(site)[0])

    @classmethod
    def of_paths(cls, root_paths: tuple, restricted: tuple, unpublished: tuple) -> "Visibility":
        return cls(
            site_root_paths=root_paths,
            restricted_paths=restricted,
            unpublished_parent_paths=unpublished,
            now=timezone.now(),
        )

    @staticmethod
    def paths_for_site(site: Site | None) -> tuple[tuple[str, tuple, tuple], float]:
        """The rule's paths for one site, in one query, and until when (a `time.time()`)
        they hold with no change to any row: the next `expire_at` of a page with children."""
        # The site's root page's translations (the other locales' roots) come in the same
        # query; pages with children are kept to those below one of the roots afterwards.
        root = site.root_page if site else None
        is_root = (
            Q(translation_key=root.translation_key, depth=root.depth) if root else Q(pk__in=[])
        )
        now = timezone.now()
        restricted, parents = [], []
        # Password, login and group restrictions alike: an API client passes none.
        rows = (
            Page.objects.annotate(
                restricted=Exists(PageViewRestriction.objects.filter(page=OuterRef("pk")))
            )
            .filter(
                Q(restricted=True)
                | Q(numchild__gt=0) & (Q(live=False) | Q(expire_at__isnull=False))
                | is_root
            )
            .values_list("path", "restricted", "live", "expire_at", "numchild", "translation_key")
        )
        others = []
        for path, is_restricted, live, expire_at, numchild, key in rows:
            at_root_depth = root and len(path) == len(root.path) and path != root.path
            if at_root_depth and key == root.translation_key:
                others.append(path)
            if is_restricted:
                restricted.append(path)
            elif numchild and (not live or expire_at is not None):
                parents.append((path, live, expire_at))
        # The site's own root (its default locale's) first.
        root_paths = (root.path, *sorted(others)) if root else ("\uffff",)
        unpublished, later = [], []
        for path, live, expire_at in parents:
            if not path.startswith(root_paths):
                continue
            if not live or expire_at <= now:
                unpublished.append(path)
            else:
                later.append(expire_at.timestamp())
        return (root_paths, tuple(restricted), tuple(unpublished)), min(later, default=float("inf"))

    def as_if_live(self, page: Page) -> "Visibility":
        """The rule as it stood while `page` was live: what readers saw before it was
        unpublished (the sync feed reports those pages as removed)."""
        paths = tuple(path for path in self.unpublished_parent_paths if path != page.path)
        return replace(self, unpublished_parent_paths=paths)

    @cached_property
    def hidden_subtrees(self) -> tuple[str, ...]:
        return self.restricted_paths + self.unpublished_parent_paths

    def under_unpublished_parent(self, page: Page) -> bool:
        """Whether an ancestor is not live: the HTML front end answers 404, as for the API.

        Wagtail's own routing checks only the page itself, so it would serve it.
        """
        return page.path.startswith(self.unpublished_parent_paths)

    def allows(self, page: Page) -> bool:
        if getattr(page, PREVIEW_ATTRIBUTE, False):
            return True
        return (
            page.live
            and not page.expired
            and (page.expire_at is None or page.expire_at > self.now)
            and page.path.startswith(self.site_root_paths)
            and not page.path.startswith(self.hidden_subtrees)
            and not is_translation_alias(page, self.site_root_paths[0])
        )

    def filter_public(self, qs: QuerySet) -> QuerySet:
        """Pages of this site under no privacy restriction, whatever their other state."""
        in_trees = Q()
        for root_path in self.site_root_paths:
            in_trees |= Q(path__startswith=root_path)
        qs = qs.filter(in_trees)
        for path in self.restricted_paths:
            qs = qs.exclude(path__startswith=path)
        return qs

    def filter(self, qs: QuerySet) -> QuerySet:
        """The same rule in SQL.

        Like Wagtail's `public()`, but from the restricted paths already read, where
        `public()` would read the restrictions table again each time it is called; Wagtail's
        `live()` looks at the page alone, so the hidden ancestors are excluded here as well.
        """
        qs = qs.filter(live=True, expired=False).filter(
            Q(expire_at__isnull=True) | Q(expire_at__gt=self.now)
        )
        for path in self.unpublished_parent_paths:
            qs = qs.exclude(path__startswith=path)
        if len(self.site_root_paths) > 1:
            # Aliases in the other locales' trees: `is_translation_alias`, in SQL.
            qs = qs.exclude(
                Q(alias_of__isnull=False) & ~Q(path__startswith=self.site_root_paths[0])
            )
        return self.filter_public(qs)


def is_translation_alias(page: Page, default_root_path: str) -> bool:
    """An alias outside the default locale's tree: an untranslated page, served as its source."""
    return page.alias_of_id is not None and not page.path.startswith(default_root_path)


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
    """Drops every page a field returns that the rule does not allow (`guards.py` puts it on
    the fields whose type is a page)."""

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
