"""What one GraphQL execution knows: its request, and what it worked out once for all fields.

This object is `info.context` for every resolver, so per-request facts (the visibility rule's
inputs, whether to plan queries) live here rather than as attributes added to the request.
"""

from dataclasses import dataclass
from functools import cached_property

from django.http import HttpRequest

from .publication import ImageVisibility, Visibility


@dataclass
class APIContext:
    request: HttpRequest
    # `make bench` turns planning off to measure item-by-item resolution against it.
    query_planning: bool = True

    @cached_property
    def visibility(self) -> Visibility:
        return Visibility.for_request(self.request)

    @cached_property
    def visibility_of_images(self) -> ImageVisibility:
        return ImageVisibility.load()
