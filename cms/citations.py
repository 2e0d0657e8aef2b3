"""A reference an editor cites for a page; each page type keeps its own list of them."""

from django.db import models
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel
from wagtail.models import Orderable

from .fields import PastDayField, WebURLField


class Citation(Orderable):
    """A published source the page's medical content rests on."""

    title = models.CharField(
        max_length=255, help_text="The source's title as published, with its authors if known."
    )
    url = WebURLField(
        "URL",
        max_length=500,
        help_text="Where readers can find the source, starting with https:// (or http://).",
    )
    accessed = PastDayField(
        help_text="The day you last read the source at that address, as YYYY-MM-DD.",
    )

    panels = [FieldPanel("title"), FieldRowPanel([FieldPanel("url"), FieldPanel("accessed")])]

    class Meta(Orderable.Meta):
        abstract = True

    def __str__(self) -> str:
        return self.title


def citations_panel() -> InlinePanel:
    """The *Citations* list of a page's Facts tab (each page type's `citations` relation)."""
    return InlinePanel(
        "citations",
        heading="Citations",
        label="Citation",
        help_text="References a reader can check the medical content against.",
    )
