"""Dependency tags: what an answer read, and what a change makes stale, in one vocabulary.

An answer is tagged with every object it resolved (`p<id>` a page, `i<id>` an image and
`c<id>` its collection, `m<id>` a muscle, and from rich text the pages, images and documents
`d<id>` it links), the lists a new object may join (`pages`,
`muscles`, `redirects`) and its site (`s<id>`). An answer for a locale other than the default
(`locale: "ko"`) also carries, per page it served, `<translation key>.ko` (a translation
published later replaces that page there) and, with `pages`, `pages.ko`; a change to a
Korean page purges those, not the English answers. A change is purged by `tags_for_change`,
which names the same tags for the object that changed, so the two never drift apart.
"""

from django.conf import settings
from django.db.models import Model, Q
from graphql import ExecutionContext
from wagtail.contrib.redirects.models import Redirect
from wagtail.documents.models import AbstractDocument
from wagtail.images.models import AbstractImage
from wagtail.models import (
    Collection,
    CollectionViewRestriction,
    Locale,
    Page,
    PageViewRestriction,
    Site,
)

from cms.graphql.selections import per_selection

PAGES = "pages"
MUSCLES = "muscles"
REDIRECTS = "redirects"
# Carried, with the site's tag, by an answer that read more objects than a header should list
# (HTTP_CACHE_MAX_TAGS); every change purges it.
MANY = "many"

# Root fields that list things a change elsewhere may add to: their answer depends on the list.
# An unknown root field is taken to list pages (a wasted purge, never a stale answer).
ROOT_LISTS = {
    "muscles": {MUSCLES},
    # A redirect's new path follows its target page's path and visibility.
    "redirects": {REDIRECTS, PAGES},
}
# Root fields that find one object: tagged by what they find, or, when they find nothing,
# by `pages` (a page published later may be the one asked for).
ROOT_LOOKUPS = {"page", "procedure", "article", "preview", "__typename"}
# Fields of an object whose members a change to another page or muscle may show or hide.
FIELD_LISTS = {
    "parent": {PAGES},
    "children": {PAGES},
    "siblings": {PAGES},
    "descendants": {PAGES},
    "ancestors": {PAGES},
    "relatedProcedures": {PAGES},
    "muscles": {MUSCLES},
    "targetMuscles": {MUSCLES},
    # The finder's muscle chips (`procedures { facets { muscle } }`): every published muscle.
    "muscle": {MUSCLES},
}
# Models tagged by their own prefix; registered by their app (`register`).
PREFIXES: dict[type[Model], tuple[str, str | None]] = {}


def register(model: type[Model], prefix: str, list_tag: str | None = None) -> None:
    """Tag `model`'s objects `<prefix><pk>`; a change to one also purges `list_tag`."""
    PREFIXES[model] = (prefix, list_tag)
    _KINDS.clear()


def page_tags(ids) -> set[str]:
    return {f"p{pk}" for pk in ids}


def key_tag(translation_key, code: str | None = None) -> str:
    """A page's content in one locale: `<first 12 hex digits of its translation key>.<code>`;
    without a code, in any locale (what a page's `translations` read)."""
    short = translation_key.hex[:12]
    return f"{short}.{code}" if code else short


def locale_tags(tags: set[str], codes) -> set[str]:
    """The per-locale list tags of an answer for locales `codes` that reads lists."""
    return {f"{PAGES}.{code}" for code in codes} if PAGES in tags else set()


def site_tag(site: Site | None) -> str | None:
    return None if site is None else f"s{site.pk}"


def object_tags(obj) -> set[str]:
    """The tags of one resolved object (none for what is not a model instance)."""
    kind = _KINDS.get(type(obj))
    if kind is None:
        kind = _KINDS[type(obj)] = _kind_of(obj)
    if kind == "":
        return set()
    if kind in ("i", "d"):  # an image or a document: and the collection it is in
        return {f"{kind}{obj.pk}", f"c{obj.collection_id}"}
    return {f"{kind}{obj.pk}"}


# The tag prefix of each class `object_tags` met ("" for none): asked once per class.
_KINDS: dict[type, str] = {}


def _kind_of(obj) -> str:
    if isinstance(obj, Page):
        return "p"
    if isinstance(obj, AbstractImage):
        return "i"
    if isinstance(obj, AbstractDocument):  # linked from rich text
        return "d"
    for model, (prefix, _) in PREFIXES.items():
        if isinstance(obj, model):
            return prefix
    return ""


def depends_on(context, tags) -> None:
    """Add tags to the answer being computed (a no-op outside an API execution)."""
    recorded = getattr(context, "tags", None)
    if recorded is not None:
        recorded.update(tags)


def selection_lists(fields) -> frozenset[str]:
    names = [nodes[0].name.value for nodes in fields.values()]
    return frozenset().union(*(FIELD_LISTS.get(name, ()) for name in names))


class TagRecordingExecutionContext(ExecutionContext):
    """graphql-core's executor, recording the tags of each object whose selection it runs
    (`execute_fields` runs once per object) into `context.tags`.

    graphql-core collects a selection once per execution and hands the same `fields` to every
    object it runs on, so what a selection's field names add is worked out once per selection."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.selection_tag_memo: dict = {}

    def execute_fields(self, parent_type, source_value, path, fields):
        tags = getattr(self.context_value, "tags", None)
        if tags is None:
            return super().execute_fields(parent_type, source_value, path, fields)
        if path is None:  # the root
            return self.execute_root_fields(tags, parent_type, source_value, fields)
        tags.update(self.selection_tags(fields))
        pk = getattr(source_value, "pk", None)
        if pk is not None:
            tags.update(object_tags(source_value))
            codes = self.context_value.requested_codes
            if codes and isinstance(source_value, Page):
                tags.update(key_tag(source_value.translation_key, code) for code in codes)
        return super().execute_fields(parent_type, source_value, path, fields)

    def selection_tags(self, fields) -> frozenset[str]:
        """The lists that a selection's fields show (`FIELD_LISTS`), once per selection."""
        return per_selection(self.selection_tag_memo, fields, selection_lists)

    def execute_root_fields(self, tags, parent_type, source_value, fields):
        names = {key: nodes[0].name.value for key, nodes in fields.items()}
        for name in names.values():
            if name not in ROOT_LOOKUPS:
                tags.update(ROOT_LISTS.get(name, {PAGES}))
        result = super().execute_fields(parent_type, source_value, None, fields)
        if any(name in ROOT_LOOKUPS and result.get(key) is None for key, name in names.items()):
            tags.add(PAGES)  # nothing found: a page published later may be the one asked for
        tags.update(locale_tags(tags, self.context_value.requested_codes))
        return result


def header_tags(tags: set[str], site: Site | None) -> list[str]:
    """An answer's tags for its headers, sorted, at most HTTP_CACHE_MAX_TAGS (and its site)."""
    tags = set(tags)
    own_site = site_tag(site)
    if own_site:
        tags.add(own_site)
    if len(tags) > settings.HTTP_CACHE_MAX_TAGS:
        tags = {MANY, own_site} - {None}
    return sorted(tags)


def all_sites() -> set[str]:
    """Tags that purge every answer: each one carries its site's tag."""
    return {f"s{pk}" for pk in Site.objects.values_list("pk", flat=True)} | {MANY}


def page_and_descendants(page: Page) -> set[str]:
    """A page's path, visibility and parent show in its descendants' answers.

    A page of the default locale also governs its translations (they are hidden with it), so
    answers showing them are purged too. A page of another locale changes only that locale's
    answers (and those of locales falling back to it): its own, and those that showed another
    translation of it in its place (`key_tag`), that locale's lists, and the redirects."""
    below = Page.objects.filter(path__startswith=page.path)
    if page.locale_id == Locale.get_default().pk:
        ids = Page.objects.filter(
            Q(pk__in=below.values("pk")) | Q(translation_key__in=below.values("translation_key"))
        ).values_list("pk", flat=True)
        return page_tags(ids) | {f"p{page.pk}", PAGES}
    codes = falling_back_to(page.locale.language_code)
    # A redirect may name the page itself, and redirects are listed in every locale.
    tags = {f"p{page.pk}", REDIRECTS} | {f"{PAGES}.{code}" for code in codes}
    for pk, translation_key in below.values_list("pk", "translation_key"):
        tags.add(f"p{pk}")
        tags.add(key_tag(translation_key))
        tags.update(key_tag(translation_key, code) for code in codes)
    return tags


def falling_back_to(code: str) -> set[str]:
    """The locales whose answers may show a page of locale `code`: it, and those that fall
    back to it (`API_LOCALE_FALLBACKS`)."""
    return {code} | {
        other for other, chain in settings.API_LOCALE_FALLBACKS.items() if code in chain
    }


def collection_and_descendants(collection: Collection) -> set[str]:
    ids = Collection.objects.filter(path__startswith=collection.path).values_list("pk", flat=True)
    return {f"c{pk}" for pk in ids} | {f"c{collection.pk}"}


def tags_for_change(instance=None) -> set[str]:
    """What to purge when `instance` changed (None: anything may have, e.g. a bulk action).

    Mirrors what `TagRecordingExecutionContext` records, so every answer that read the object,
    or a list the object may join or leave, carries one of these tags.
    """
    if isinstance(instance, Page):
        tags = page_and_descendants(instance)
    elif isinstance(instance, PageViewRestriction):
        # Read again: deleted with its page, the restriction outlives the row it points at.
        page = Page.objects.filter(pk=instance.page_id).first()
        tags = page_and_descendants(page) if page else {f"p{instance.page_id}", PAGES}
    elif isinstance(instance, AbstractImage | AbstractDocument):
        tags = object_tags(instance)
    elif isinstance(instance, Collection):
        tags = collection_and_descendants(instance)
    elif isinstance(instance, CollectionViewRestriction):
        collection = Collection.objects.filter(pk=instance.collection_id).first()
        tags = collection_and_descendants(collection) if collection else set()
        tags.add(f"c{instance.collection_id}")
    elif isinstance(instance, Redirect):
        tags = {REDIRECTS}
    elif isinstance(instance, Site):
        # A hostname, port or default flag moves requests from one site to another.
        tags = all_sites()
    elif type(instance) in PREFIXES:
        prefix, list_tag = PREFIXES[type(instance)]
        tags = {f"{prefix}{instance.pk}"} | ({list_tag} if list_tag else set())
    else:
        tags = all_sites()
    tags.add(MANY)
    if len(tags) > settings.HTTP_CACHE_MAX_TAGS:
        return all_sites()
    return tags
