"""What one GraphQL execution knows: its request, and what it worked out once for all fields.

This object is `info.context` for every resolver, so per-request facts (the visibility rule's
inputs, whether to plan queries) live here rather than as attributes added to the request.
"""

from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urljoin

from django.conf import settings
from django.http import HttpRequest
from wagtail.models import Site

from freshness.memo import known_generation, per_generation

from .publication import ImageVisibility, Visibility

FOREVER = float("inf")


@dataclass
class APIContext:
    request: HttpRequest
    # `make bench` turns planning off to measure item-by-item resolution against it.
    query_planning: bool = True
    # When execution must stop (`time.monotonic()`), checked by `deadline.DeadlineExecutionContext`.
    deadline: float | None = None
    # What the answer read (`freshness.tags`): objects, lists and the site, for purging by tag;
    # None when no shared cache is told them (`GRAPHQL_SHARED_MAX_AGE` 0): nothing records.
    tags: set[str] | None = field(default_factory=set)
    # The content generation, when the view read it already (for the response cache).
    read_generation: int | None = None
    # The last `locale` a root field asked for (`locales.chain_for`).
    locale_chain: object = None
    # Every locale other than the default that a root field asked for (for `freshness.tags`).
    requested_codes: set[str] = field(default_factory=set)

    @cached_property
    def generation(self) -> int | None:
        """What the per-request facts below are kept under (`freshness/memo.py`)."""
        return self.read_generation if self.read_generation is not None else known_generation()

    @cached_property
    def site(self) -> Site | None:
        """The request's site (Wagtail's rule), set where Wagtail's own lookups find it."""
        request = self.request
        if not hasattr(request, "_wagtail_site"):
            key = ("site", request._get_raw_host(), request.get_port())
            request._wagtail_site = per_generation.get(
                self.generation, key, lambda: (Site.find_for_request(request), FOREVER)
            )
        return request._wagtail_site

    @cached_property
    def visibility(self) -> Visibility:
        site = self.site
        paths = per_generation.get(
            self.generation,
            ("visibility", site.pk if site else None),
            lambda: Visibility.paths_for_site(site),
        )
        return Visibility.of_paths(*paths)

    @cached_property
    def default_locale_id(self) -> int | None:
        """The locale of the site's root page: what a field without `locale` serves."""
        site = self.site
        if site is None:
            return None
        return per_generation.get(
            self.generation,
            ("default_locale", site.pk),
            lambda: (site.root_page.locale_id, FOREVER),
        )

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
        return per_generation.get(
            self.generation, "images", lambda: (ImageVisibility.load(), FOREVER)
        )
