"""Frames are denied site-wide, except the admin's preview, which Wagtail shows in a frame."""

import re

from django.http import HttpRequest, HttpResponse

ADMIN_PREVIEW_PATH = re.compile(r"^/admin/.*/preview/")


class AdminPreviewFramingMiddleware:
    """Lets the admin frame its own preview views; placed after XFrameOptionsMiddleware."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if ADMIN_PREVIEW_PATH.match(request.path):
            # XFrameOptionsMiddleware leaves a header that is already set alone.
            response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response
