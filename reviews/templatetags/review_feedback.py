"""`{% requested_changes object as changes %}` for the admin templates that show feedback."""

from django import template

from reviews.feedback import RequestedChanges
from reviews.feedback import requested_changes as find_requested_changes

register = template.Library()


@register.simple_tag
def requested_changes(obj) -> RequestedChanges | None:
    return find_requested_changes(obj) if obj is not None and obj.pk else None
