"""Finding pages for root fields: by id, slug or URL path, or a draft by preview token."""

import graphene
from django.conf import settings
from django.core.signing import BadSignature, TimestampSigner
from django.db.models import QuerySet
from graphql import GraphQLResolveInfo
from wagtail.models import Page
from wagtail_headless_preview.models import PagePreview

from .arguments import is_database_id
from .locales import chain_for, locale_argument, localized_keys, mark_requested, translated
from .pagination import paginate, pagination_arguments
from .planning import join_images, prefetch_pages
from .publication import mark_preview, servable_pages
from .selections import selection_tree


def lookup_arguments() -> dict[str, graphene.Argument]:
    return {
        "id": graphene.Argument(graphene.ID, description="The page id."),
        "slug": graphene.Argument(graphene.String, description="The page slug."),
        "url_path": graphene.Argument(
            graphene.String,
            description="The path on the site, e.g. `/procedures/calf-liposuction/`.",
        ),
        "token": graphene.Argument(
            graphene.String, description="A preview token from the admin; returns the draft."
        ),
        "locale": locale_argument(),
    }


def page_field(node, model: type[Page], description: str) -> graphene.Field:
    """`<type>(id, slug, urlPath, token)`: one live page of `model`, planned, or its draft."""

    def resolve(root, info, **lookup):
        return prefetch_pages([find_page(model, info, **lookup)], info)[0]

    # A root lookup: its `locale` names the translation served.

    return graphene.Field(node, description=description, resolver=resolve, **lookup_arguments())


def page_list_field(list_type, description: str, **arguments) -> graphene.Field:
    """A paginated list field (`{ items pagination }`) with `page`, `perPage` and `locale`."""
    return graphene.Field(
        graphene.NonNull(list_type),
        description=description,
        **arguments,
        **pagination_arguments(),
        locale=locale_argument(),
    )


def paginated_pages(
    qs: QuerySet, info: GraphQLResolveInfo, page, per_page, locale: str | None = None
) -> dict:
    """One page of `qs` (pages of the default locale), each item replaced by its translation
    for `locale`, planned for what the selection asks of `items`."""
    result = paginate(qs, page, per_page)
    result["items"] = translated(result["items"], chain_for(info.context, locale), info.context)
    prefetch_pages(result["items"], info, "items")
    return result


def live_pages(model: type[Page], info: GraphQLResolveInfo) -> QuerySet:
    """Pages of `model` an anonymous reader may see on the request's site, in any locale."""
    return servable_pages(model.objects.all(), info.context)


def listed_pages(model: type[Page], info: GraphQLResolveInfo) -> QuerySet:
    """What a root list lists: the servable pages of the site's default locale, which
    `paginated_pages` then swaps for their translations (so filters, order and counts are the
    same in every locale)."""
    return live_pages(model, info).filter(locale_id=info.context.default_locale_id)


def find_page(
    model: type[Page],
    info: GraphQLResolveInfo,
    *,
    id: str | None = None,
    slug: str | None = None,
    url_path: str | None = None,
    token: str | None = None,
    locale: str | None = None,
) -> Page | None:
    """The live page that matches every given argument, or None; a token returns its draft."""
    if token:
        return preview_page(model, token)
    chain = chain_for(info.context, locale)
    if id is None and slug is None and url_path is None:
        return None
    qs = live_pages(model, info)
    if id is not None:
        if not is_database_id(id):
            return None
        qs = qs.filter(pk=int(id))
    if slug is not None:
        qs = qs.filter(slug=slug)
    if url_path is not None:
        qs = qs.filter(url_path__in=site_url_paths(info, url_path, chain))
    if chain is None:
        qs = qs.filter(locale_id=info.context.default_locale_id)
    else:
        qs = localized_keys(qs, chain, info.context)
    if model is Page:
        qs = qs.specific()
    found = join_images(qs, selection_tree(info), info.context).first()
    return mark_requested([found], chain)[0] if chain else found


def site_url_paths(info: GraphQLResolveInfo, url_path: str, chain) -> list[str]:
    """Wagtail's stored `url_path` (which starts at a locale's root page) for a public path,
    below the site's root page, or below its translation for each locale of `chain`."""
    site = info.context.site
    if site is None:
        roots = ["/"]
    elif chain is None:
        roots = [site.root_page.url_path]
    else:
        roots = Page.objects.filter(
            translation_key=site.root_page.translation_key, locale_id__in=chain.ids
        ).values_list("url_path", flat=True)
    path = url_path.strip("/")
    return [root + path + "/" if path else root for root in roots]


def preview_signer() -> TimestampSigner:
    # The salt wagtail-headless-preview signs its tokens with.
    return TimestampSigner(salt="headlesspreview.token")


def preview_page(model: type[Page], token: str) -> Page | None:
    """The draft behind a preview token, or None: the one check every `token` argument uses.

    The token must be genuine (signed with the project's key), younger than
    `PREVIEW_TOKEN_MAX_AGE` (wagtail-headless-preview checks the signature but not the age),
    known, for a page that still exists (a never-saved page has no id yet), and of `model`.
    It dies when the page moves on from the state it was made in: published, unpublished or
    saved again since (its live or latest revision changed), or made private (a view
    restriction now covers it), so a link handed out never shows a stale or private draft.
    """
    try:
        preview_signer().unsign(token, max_age=settings.PREVIEW_TOKEN_MAX_AGE)
    except BadSignature:
        return None
    preview = PagePreview.objects.filter(token=token).first()
    if preview is None:
        return None
    try:
        page = preview.as_page()
    except (ValueError, LookupError, AttributeError):
        return None  # content written by another version of the models
    if page.pk is not None and not still_as_previewed(page):
        return None
    return mark_preview(page) if isinstance(page, model) else None


def still_as_previewed(previewed: Page) -> bool:
    """Whether the stored page is in the state the preview was made from, and public."""
    current = (
        Page.objects.filter(pk=previewed.pk)
        .only("path", "depth", "live", "live_revision_id", "latest_revision_id")
        .first()
    )
    if current is None:
        return False
    state = ("live", "live_revision_id", "latest_revision_id")
    if any(getattr(current, name) != getattr(previewed, name) for name in state):
        return False
    return not current.get_view_restrictions().exists()
