"""Admin and front-end wiring for the CMS as a whole: one readability verdict in the Checks
panel, and the publication rule on the HTML front end (a page below an unpublished page is not
served)."""

from django.http import Http404, HttpRequest
from django.templatetags.static import static
from django.utils.html import format_html
from wagtail import hooks
from wagtail.models import Page

from .graphql.publication import Visibility


@hooks.register("insert_editor_js")
def readability_checks_js() -> str:
    return format_html('<script src="{}"></script>', static("cms/readability_checks.js"))


@hooks.register("before_serve_page")
def hide_pages_below_unpublished_parents(page: Page, request: HttpRequest, args, kwargs) -> None:
    """Unpublishing a parent without its descendants hides them from the HTML front end too."""
    if Visibility.for_request(request).under_unpublished_parent(page):
        raise Http404


@hooks.register("after_bulk_action")
def bulk_action_changed_content(request, action_type, objects, action_class_instance) -> None:
    """Wagtail's bulk actions write with `QuerySet.update()` (images added to a collection,
    pages moved), which sends no model signal: announce the change here."""
    from freshness.changes import content_changed

    content_changed()
