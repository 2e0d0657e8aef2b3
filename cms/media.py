"""Serves uploaded images from local disk, on every settings module, and only public ones.

Used when media live on this machine's disk (the embedded default and a one-machine
production); with shared storage (a bucket) the storage serves them. Django's `static.serve`
does the file work; this view first finds which image the file belongs to and refuses files
of private collections (and files that are no image's at all), as Wagtail does for documents.
"""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_safe
from django.views.static import serve
from wagtail.images import get_image_model
from wagtail.images.utils import verify_signature

from images.renditions import rendition_filter

from .graphql.publication import ImageVisibility
from .graphql.request_body import text_problem

# Rendition files are never rewritten in place (a new focal point or file makes new ones).
RENDITION_CACHE = "public, max-age=31536000, immutable"
ORIGINAL_CACHE = "public, max-age=86400"


def image_of(path: str):
    """The image whose original or rendition is stored at `path`, or None."""
    image_model = get_image_model()
    image = image_model.objects.filter(file=path).first()
    if image is not None:
        return image, ORIGINAL_CACHE
    rendition = (
        image_model.get_rendition_model().objects.filter(file=path).select_related("image").first()
    )
    if rendition is not None:
        return rendition.image, RENDITION_CACHE
    return None, None


@require_safe
def serve_media(request: HttpRequest, path: str) -> HttpResponse:
    # No stored file name holds a NUL, and PostgreSQL refuses one in a query (a 500).
    if text_problem(path):
        raise Http404("No such file.")
    image, cache_control = image_of(path)
    if image is None or not ImageVisibility.load().allows(image):
        raise Http404("No such file.")
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Cache-Control"] = cache_control
    return response


@require_safe
def serve_rendition(request: HttpRequest, signature: str, image_id: int, spec: str, version: str):
    """A rendition the worker has not made yet, made now and redirected to: the API hands out
    this URL (signed, so only specs it gave) instead of decoding the image in its own request.
    The redirect is short-lived: once made, the rendition's own URL is served `immutable`."""
    if text_problem(spec) or not verify_signature(signature, image_id, spec):
        raise Http404("No such file.")
    image = get_image_model().objects.filter(pk=image_id).first()
    if image is None or not ImageVisibility.load().allows(image):
        raise Http404("No such file.")
    rendition = image.get_rendition(rendition_filter(spec))
    response = HttpResponseRedirect(rendition.url)
    response["Cache-Control"] = "public, max-age=60"
    return response
