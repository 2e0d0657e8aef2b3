"""Small views of the project itself: the docs page linked from `/`."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def docs(request: HttpRequest) -> HttpResponse:
    """The README, as plain text: how to run, edit, review and query the CMS."""
    text = (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")
    return HttpResponse(text, content_type="text/plain; charset=utf-8")
