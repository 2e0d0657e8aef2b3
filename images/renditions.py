"""Renditions made ahead, in the worker, so a reader's request never decodes an image.

Wagtail makes a rendition the first time something asks for it; a detail page's first read
then paid 3-5 s of image work inside a GraphQL request. Here the renditions apps ask for by
default (`IMAGE_PREPARED_RENDITIONS`) are made by a task when an image is saved (uploaded,
file replaced, focal point moved) and when a page that uses it is published. A resolver that
still finds one missing answers with `pending_url`: a signed URL of `cms.media.serve_rendition`,
which makes the rendition when the picture itself is fetched.

Rendition files live under the first characters of their image's content hash
(`CMSRendition.get_upload_to`), so new bytes give new URLs and `immutable` stays true.
"""

import posixpath
import re
from functools import lru_cache

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.dispatch import Signal
from django.urls import reverse
from django_tasks import task
from wagtail.images import get_image_model
from wagtail.images.models import IMAGE_FORMAT_EXTENSIONS, Filter
from wagtail.images.utils import generate_signature
from wagtail.models import ReferenceIndex

from .models import version_of


@lru_cache(maxsize=256)
def rendition_filter(spec: str) -> Filter:
    """One `Filter` per spec for the process: a filter parses its spec into operations once,
    and a list of images would otherwise parse the same few specs once per image."""
    return Filter(spec=spec)


def prepared_specs() -> list[str]:
    return list(settings.IMAGE_PREPARED_RENDITIONS)


# Sent with the image (`instance`) when the worker made renditions that answers promised:
# freshness re-sends and purges the answers, so clients move on to the made URLs.
renditions_made = Signal()


@task()
def prepare_renditions(image_id: int) -> int:
    """Make the prepared renditions of one image (those that exist are found, not remade);
    returns how many were made."""
    image = get_image_model().objects.filter(pk=image_id).first()
    if image is None:
        return 0
    image.get_file_hash()
    filters = [rendition_filter(spec) for spec in prepared_specs()]
    found = image.find_existing_renditions(*filters)
    missing = [chosen for chosen in filters if chosen not in found]
    if missing:
        image.create_renditions(*missing)
        renditions_made.send(sender=type(image), instance=image)
    return len(missing)


def prepare_later(image_ids) -> None:
    """Enqueue the task for each image once the saving transaction commits."""
    for image_id in sorted(set(image_ids)):
        transaction.on_commit(lambda image_id=image_id: prepare_renditions.enqueue(image_id))


def image_saved(sender, instance, **kwargs) -> None:
    if kwargs.get("raw"):
        return
    prepare_later([instance.pk])


def page_published(sender, instance, **kwargs) -> None:
    """The images a published page shows (its reference index rows), prepared in the worker."""
    image_type = ContentType.objects.get_for_model(get_image_model())
    references = ReferenceIndex.get_references_for_object(instance).filter(
        to_content_type=image_type
    )
    prepare_later(int(pk) for pk in references.values_list("to_object_id", flat=True))


def pending_url(image, spec: str) -> str:
    """A URL that makes the rendition on first fetch; signed, so only specs we hand out. It
    ends in the rendition's file extension, as its made URL will, for loaders that look."""
    signature = generate_signature(image.pk, spec)
    chosen = re.search(r"\bformat-(\w+)", spec)
    extension = (
        IMAGE_FORMAT_EXTENSIONS.get(chosen.group(1), "") if chosen else ""
    ) or posixpath.splitext(image.file.name)[1].lower()
    return reverse("rendition", args=(signature, image.pk, spec, version_of(image) + extension))
