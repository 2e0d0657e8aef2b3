"""The `Page` interface every page type implements, and the registry of page types.

Tree fields (`parent`, `children`, ...) return only pages the publication rule allows: live,
unexpired, public, on the request's site.
"""

import graphene
from django.conf import settings
from django.db.models import QuerySet
from wagtail.models import Page as WagtailPage

from freshness.tags import depends_on, key_tag

from .arguments import bad_input
from .locales import (
    PLANNED_TRANSLATIONS,
    locale_by_id,
    prefetch_translations,
    requested_locale,
)
from .planning import prefetch_pages
from .publication import PREVIEW_ATTRIBUTE, servable_pages

# Page model -> its GraphQL object type; apps register theirs with `page_type`.
PAGE_TYPES: dict[type, type[graphene.ObjectType]] = {}


def page_type(model: type[WagtailPage]):
    """Class decorator: `cls` is the GraphQL type of `model`'s pages."""

    def register(cls):
        PAGE_TYPES[model] = cls
        return cls

    return register


def tree_arguments() -> dict:
    return {
        "in_menu": graphene.Boolean(description="Only pages shown in menus (or only hidden)."),
        "limit": graphene.Int(default_value=20, description="At most this many pages (≤ 100)."),
        "offset": graphene.Int(default_value=0, description="Skip this many pages first."),
    }


def tree_field(description: str) -> graphene.List:
    return graphene.List(
        graphene.NonNull(lambda: Page), required=True, description=description, **tree_arguments()
    )


class Translation(graphene.ObjectType):
    """A live, public translation of a page, for a language switcher and `hreflang` links."""

    locale = graphene.String(required=True, description="Its locale, e.g. `ko`.")
    url_path = graphene.String(
        required=True, description="Its path in that locale's tree, e.g. `/procedures/x/`."
    )


def is_preview(page: WagtailPage) -> bool:
    return getattr(page, PREVIEW_ATTRIBUTE, False)


class Page(graphene.Interface):
    """A page of the site, as readers see it."""

    id = graphene.ID(
        required=True,
        description='The page id; a preview\'s is "<id>:preview", so a client cache never '
        "confuses a draft with the live page.",
    )
    title = graphene.String(required=True)
    slug = graphene.String(required=True)
    url_path = graphene.String(
        required=True, description="The path on the site, e.g. `/procedures/calf-liposuction/`."
    )
    seo_title = graphene.String(required=True, description="The SEO title, else the title.")
    search_description = graphene.String(required=True, description='"" when none is set.')
    first_published_at = graphene.DateTime()
    last_published_at = graphene.DateTime(description="When the page last changed.")
    is_preview = graphene.Boolean(required=True, description="A draft shown by preview token.")
    locale = graphene.String(
        required=True,
        description="The locale of what is served, e.g. `en`; differs from `requestedLocale` "
        "when the page is not translated into that one (a fallback).",
    )
    requested_locale = graphene.String(
        required=True,
        description="The locale the root field's `locale` asked for (the site's default "
        "without one).",
    )
    translations = graphene.List(
        graphene.NonNull(Translation),
        required=True,
        description="This page in every locale it is live and public in, this one included, "
        "by locale code.",
    )
    parent = graphene.Field(lambda: Page, description="null at the site's home page.")
    children = tree_field("The pages below this one, in the editors' order.")
    siblings = tree_field("The other pages under the same parent.")
    descendants = tree_field("Every page below this one.")
    ancestors = tree_field("The pages above this one, from the home page down.")

    @classmethod
    def resolve_type(cls, instance, info):
        return PAGE_TYPES[type(instance)]

    @staticmethod
    def resolve_id(page, info) -> str:
        return f"{page.pk}:preview" if is_preview(page) else str(page.pk)

    @staticmethod
    def resolve_url_path(page, info) -> str:
        return public_url_path(page)

    @staticmethod
    def resolve_seo_title(page, info) -> str:
        return page.seo_title or page.title

    @staticmethod
    def resolve_search_description(page, info) -> str:
        return page.search_description or ""

    @staticmethod
    def resolve_is_preview(page, info) -> bool:
        return is_preview(page)

    @staticmethod
    def resolve_locale(page, info) -> str:
        return locale_by_id(info.context, page.locale_id).language_code

    @staticmethod
    def resolve_requested_locale(page, info) -> str:
        return requested_locale(page, info.context).language_code

    @staticmethod
    def resolve_translations(page, info) -> list[Translation]:
        context = info.context
        # Another locale's translation published or withdrawn changes this list.
        depends_on(context, {key_tag(page.translation_key)})
        if not hasattr(page, PLANNED_TRANSLATIONS):  # not planned: `parent`, a preview's own
            prefetch_translations([page], context)
        found = [
            Translation(
                locale=locale_by_id(context, other.locale_id).language_code,
                url_path=public_url_path(other),
            )
            for other in getattr(page, PLANNED_TRANSLATIONS)
        ]
        return sorted(found, key=lambda translation: translation.locale)

    @staticmethod
    def resolve_parent(page, info):
        if page.depth <= 2:
            return None
        parent = servable_pages(
            WagtailPage.objects.filter(path=page.path[: -page.steplen]), info.context
        )
        found = parent.specific().first()
        return found if type(found) in PAGE_TYPES else None

    @staticmethod
    def resolve_children(page, info, **kwargs):
        return page_list(page.get_children(), info, **kwargs)

    @staticmethod
    def resolve_siblings(page, info, **kwargs):
        return page_list(page.get_siblings().exclude(pk=page.pk), info, **kwargs)

    @staticmethod
    def resolve_descendants(page, info, **kwargs):
        return page_list(page.get_descendants(), info, **kwargs)

    @staticmethod
    def resolve_ancestors(page, info, **kwargs):
        return page_list(page.get_ancestors(), info, **kwargs)


def bounded(limit: int | None, offset: int | None) -> tuple[int, int]:
    limit = 20 if limit is None else limit
    offset = 0 if offset is None else offset
    if not 0 <= limit <= settings.API_MAX_PAGE_SIZE:
        raise bad_input(f"limit must be between 0 and {settings.API_MAX_PAGE_SIZE}; got {limit}.")
    if offset < 0:
        raise bad_input(f"offset must be 0 or more; got {offset}.")
    return limit, offset


def page_list(qs: QuerySet, info, *, in_menu=None, limit=None, offset=None) -> list:
    """The servable pages of `qs` in tree order, as their specific types, planned."""
    limit, offset = bounded(limit, offset)
    qs = servable_pages(qs, info.context).filter(content_type__in=page_content_types())
    if in_menu is not None:
        qs = qs.filter(show_in_menus=in_menu)
    pages = list(qs.order_by("path").specific()[offset : offset + limit])
    return prefetch_pages(pages, info)


def page_content_types(page_type=None) -> list:
    """The content types of the API's page types, or of the one `PageType` member given."""
    from django.contrib.contenttypes.models import ContentType

    models = list(PAGE_TYPES)
    if page_type is not None:
        models = [model for model in models if model._meta.label_lower == page_type.value]
    return list(ContentType.objects.get_for_models(*models).values())


def public_url_path(page: WagtailPage) -> str:
    """The page's path below its site's root page; Wagtail stores it with the root's slug."""
    parts = page.url_path.strip("/").split("/")
    # url_path starts at the site root page (depth 2), so its first segment is the root's slug.
    return "/" + "/".join(parts[1:]) + "/" if len(parts) > 1 else "/"
