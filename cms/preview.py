"""Preview and serving that need no frontend: a server-side rendering of what the API serves.

wagtail-headless-preview only knows the frontend (it redirects `serve` and frames the client
URL in `serve_preview`). This mixin keeps that as one preview mode when a frontend is
configured, and otherwise renders the page's template, which also feeds Wagtail's Checks panel
(words, reading time, readability) because Wagtail reads those from the preview.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from wagtail.models import Page
from wagtail_headless_preview.models import HeadlessPreviewMixin, HeadlessServeMixin

from cms.readability import page_readability

FRONTEND_MODE = "frontend"


def frontend_configured() -> bool:
    return bool(settings.WAGTAIL_HEADLESS_PREVIEW.get("CLIENT_URLS"))


class EmbeddedPreviewMixin(HeadlessPreviewMixin, HeadlessServeMixin):
    """Renders in the admin by default; offers the frontend as a second mode when set."""

    @property
    def preview_modes(self) -> list[tuple[str, str]]:
        modes = [("", "In the CMS")]
        if frontend_configured():
            modes.append((FRONTEND_MODE, "In the frontend"))
        return modes

    def serve_preview(self, request: HttpRequest, mode_name: str) -> HttpResponse:
        if mode_name == FRONTEND_MODE and frontend_configured():
            return HeadlessPreviewMixin.serve_preview(self, request, mode_name)
        return Page.serve_preview(self, request, mode_name)

    def serve(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if frontend_configured():
            return HeadlessServeMixin.serve(self, request)
        return Page.serve(self, request, *args, **kwargs)

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        context = super().get_context(request, *args, **kwargs)
        context["is_preview"] = getattr(request, "is_preview", False)
        if context["is_preview"]:
            context["readability"] = page_readability(self)
        context["graphiql_enabled"] = settings.GRAPHIQL_ENABLED
        return context
