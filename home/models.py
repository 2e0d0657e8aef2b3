"""The site's home page and the educational article."""

from django.db import models
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import (
    FieldPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index
from wagtail_headless_preview.models import HeadlessMixin

from .blocks import ArticleBodyBlock


class HomePage(HeadlessMixin, Page):
    """The site root at `/`; the article and the procedure index live under it."""

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["home.ArticlePage", "procedures.ProcedureIndexPage"]
    max_count = 1


class ArticleBenefit(Orderable):
    """One benefit in the article's list, in the editor's order."""

    page = ParentalKey("home.ArticlePage", on_delete=models.CASCADE, related_name="benefits")
    text = models.CharField(max_length=255, help_text="One benefit, as a short phrase.")

    panels = [FieldPanel("text")]


class ArticlePage(HeadlessMixin, Page):
    """An educational article; procedures appear in its body by reference."""

    intro = RichTextField(
        features=["bold", "italic", "link"],
        help_text="The opening paragraphs, shown above the body.",
    )
    hero_image = models.ForeignKey(
        "images.CMSImage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Shown at the top of the article. Its alt text is edited with the image.",
    )
    body = StreamField(
        ArticleBodyBlock(),
        help_text="Headings, paragraphs, lists, the benefits list and procedures by reference.",
    )
    target_muscles = ParentalManyToManyField(
        "procedures.Muscle",
        blank=True,
        related_name="articles",
        help_text="The muscles the article says calf reduction targets.",
    )
    reviewed_by = models.CharField(
        max_length=255,
        blank=True,
        null=True,
        help_text="Name and credentials of the clinician who last reviewed the medical content.",
    )
    last_reviewed = models.DateField(
        blank=True,
        null=True,
        help_text="When the medical content was last reviewed.",
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("hero_image"),
        FieldPanel("body"),
    ]
    facts_panels = [
        InlinePanel("benefits", heading="Benefits", label="Benefit"),
        FieldPanel("target_muscles"),
        MultiFieldPanel(
            [FieldPanel("reviewed_by"), FieldPanel("last_reviewed")],
            heading="Medical review",
        ),
    ]
    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading="Content"),
            ObjectList(facts_panels, heading="Facts"),
            ObjectList(Page.promote_panels, heading="Promote"),
            ObjectList(Page.settings_panels, heading="Settings", classname="settings"),
        ]
    )

    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]

    parent_page_types = ["home.HomePage"]
    subpage_types: list[str] = []

    def referenced_procedure_ids(self) -> list[int]:
        # Raw block data holds the chosen page ids, so no page is loaded just to read its id.
        return [
            block["value"]["procedure"]
            for block in self.body.raw_data
            if block["type"] == "procedure" and block["value"].get("procedure")
        ]
