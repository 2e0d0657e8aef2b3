"""grapple's `page`, `pages` and `search` root fields, resolved under the publication rule.

Only the resolvers are replaced: the fields and their arguments stay grapple's, so the
schema is unchanged for clients. The mixin comes first in the Query's bases, so these win.
"""

from django.db.models import Q
from graphql import GraphQLError
from wagtail.images import get_image_model
from wagtail.models import Page

from cms.search import ranked_ids

from .interfaces import page_list, search_page_ids
from .pages import find_page
from .planning import prefetch_pages
from .publication import servable_pages


class PageQueries:
    def resolve_page(self, info, *, content_type: str | None = None, **kwargs):
        lookup = {key: kwargs.get(key) for key in ("id", "slug", "url_path", "token")}
        page = find_page(Page, info, **lookup)
        if page is not None and content_type and content_type_label(page) != content_type:
            return None
        return prefetch_pages([page], info)[0]

    def resolve_pages(
        self,
        info,
        *,
        content_type: str | None = None,
        parent=None,
        ancestor=None,
        in_site: bool = False,
        site: str | None = None,
        **kwargs,
    ):
        # Every page served is in the request's site already; `inSite` changes nothing and
        # `site` naming another host finds nothing.
        qs = Page.objects.filter(depth__gt=1)
        if parent is not None:
            qs = qs.filter(pk__in=child_ids(parent))
        elif ancestor is not None:
            qs = qs.filter(pk__in=descendant_ids(ancestor))
        if site is not None and site.split(":")[0] != info.context.get_host().split(":")[0]:
            return []
        if content_type:
            qs = qs.filter(content_types_filter(content_type))
        return page_list(qs, info, **kwargs)

    def resolve_search(self, info, *, query: str | None = None, **kwargs):
        if not query:
            return []
        ids = search_page_ids(query)
        pages = servable_pages(Page.objects.filter(pk__in=ids), info.context).specific()
        by_id = {page.pk: page for page in pages}
        image_model = get_image_model()
        image_ids = ranked_ids(image_model.objects.all(), query, limit=100)
        images = image_model.objects.filter(
            pk__in=image_ids, collection__view_restrictions__isnull=True
        )
        pages = [by_id[pk] for pk in ids if pk in by_id]
        return prefetch_pages(pages, info) + list(images)


def content_type_label(page: Page) -> str:
    return f"{page._meta.app_label}.{type(page).__name__}"


def content_types_filter(content_type: str) -> Q:
    condition = Q()
    for label in content_type.split(","):
        app_label, dot, model = label.strip().lower().partition(".")
        if not dot or not app_label or not model:
            raise GraphQLError(
                f"contentType must look like 'app.Model' (e.g. 'procedures.ProcedurePage'); "
                f"got '{label.strip()}'.",
                extensions={"code": "BAD_USER_INPUT"},
            )
        condition |= Q(content_type__app_label=app_label, content_type__model=model)
    return condition


def page_by_id(page_id) -> Page | None:
    return Page.objects.filter(pk=int(page_id)).first() if str(page_id).isdigit() else None


def child_ids(page_id):
    page = page_by_id(page_id)
    return page.get_children().values("pk") if page else []


def descendant_ids(page_id):
    page = page_by_id(page_id)
    return page.get_descendants().values("pk") if page else []
