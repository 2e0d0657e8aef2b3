"""What one GraphQL execution knows: its request, and what it worked out once for all fields.

This object is `info.context` for every resolver, so per-request facts (the visibility rule's
inputs, whether to plan queries) live here rather than as attributes added to the request.
"""

from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urljoin

from django.conf import settings
from django.http import HttpRequest

from .publication import ImageVisibility, Visibility


@dataclass
class APIContext:
    request: HttpRequest
    # `make bench` turns planning off to measure item-by-item resolution against it.
    query_planning: bool = True
    # When execution must stop (`time.monotonic()`), checked by `deadline.DeadlineExecutionContext`.
    deadline: float | None = None
    # What the answer read (`freshness.tags`): objects, lists and the site, for purging by tag.
    tags: set[str] = field(default_factory=set)

    @cached_property
    def visibility(self) -> Visibility:
        return Visibility.for_request(self.request)

    @cached_property
    def media_base(self) -> str:
        """What relative media URLs are made absolute against (`images.absolute_media_url`)."""
        return settings.MEDIA_PUBLIC_URL or self.request.build_absolute_uri("/")

    @cached_property
    def media_origin(self) -> str:
        """The scheme and host of `media_base`, e.g. `https://cdn.example.com`."""
        return urljoin(self.media_base, "/").removesuffix("/")

    @cached_property
    def visibility_of_images(self) -> ImageVisibility:
        return ImageVisibility.load()
