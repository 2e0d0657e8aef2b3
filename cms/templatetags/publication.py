"""The publication rule in templates: the HTML front end links only pages the API serves."""

from django import template
from django.http import HttpRequest
from wagtail.models import Page

from cms.graphql.publication import Visibility

register = template.Library()


@register.filter
def served(page: Page | None, request: HttpRequest) -> bool:
    """Whether readers may see `page` (live, public, below live ancestors), e.g. a procedure
    an article's body refers to."""
    return isinstance(page, Page) and Visibility.for_request(request).allows(page)
