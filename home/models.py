"""The site's home page and the educational article."""

from django import forms
from django.db import models
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import (
    FieldPanel,
    InlinePanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from cms.citations import Citation, citations_panel
from cms.preview import EmbeddedPreviewMixin
from procedures.fields import ProtectingParentalManyToManyField
from reviews.forms import ReviewedPageForm, SchedulingPageForm
from reviews.gate import ReviewGatedPage
from reviews.pages import MedicallyReviewedMixin
from reviews.panels import ReviewPanel
from reviews.revisions import UnchangedRevisionMixin

from .blocks import ArticleBodyBlock


class HomePage(ReviewGatedPage, EmbeddedPreviewMixin, Page):
    """The site root at `/`; the article and the procedure index live under it.

    Without a frontend, `/` is a small page linking the admin, the API and the docs.
    """

    base_form_class = SchedulingPageForm

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["home.ArticlePage", "procedures.ProcedureIndexPage"]
    max_count = 1

    class Meta:
        verbose_name = "home page"


class ArticleBenefit(Orderable):
    """One benefit in the article's list, in the editor's order."""

    page = ParentalKey("home.ArticlePage", on_delete=models.CASCADE, related_name="benefits")
    text = models.CharField(max_length=255, help_text="One benefit, as a short phrase.")

    panels = [FieldPanel("text")]


class ArticleCitation(Citation):
    page = ParentalKey("home.ArticlePage", on_delete=models.CASCADE, related_name="citations")


class ArticlePageForm(ReviewedPageForm):
    """The article's facts are its benefits and target muscles; its image is the hero image."""

    image_field = "hero_image"
    fact_fields = ("target_muscles",)
    fact_formsets = ("benefits",)


class ArticlePage(
    ReviewGatedPage,
    UnchangedRevisionMixin,
    MedicallyReviewedMixin,
    EmbeddedPreviewMixin,
    Page,
):
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
    target_muscles = ProtectingParentalManyToManyField(
        "procedures.Muscle",
        blank=True,
        related_name="articles",
        help_text="The muscles the article says calf reduction targets.",
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("hero_image"),
        FieldPanel("body"),
    ]
    facts_panels = [
        InlinePanel("benefits", heading="Benefits", label="Benefit"),
        FieldPanel("target_muscles", widget=forms.CheckboxSelectMultiple),
        citations_panel(),
        ReviewPanel(heading="Medical review"),
    ]
    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading="Content"),
            ObjectList(facts_panels, heading="Facts"),
            ObjectList(Page.promote_panels, heading="Promote"),
            ObjectList(Page.settings_panels, heading="Settings", classname="settings"),
        ]
    )
    base_form_class = ArticlePageForm

    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]

    parent_page_types = ["home.HomePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "article"

    def reviewed_by_line(self) -> str | None:
        """The last medical reviewer as readers see them: "Name, credentials"."""
        review = self.latest_medical_review()
        if review is None:
            return None
        return ", ".join(filter(None, [review.reviewer_name, review.reviewer_credentials]))

    def last_reviewed_on(self):
        review = self.latest_medical_review()
        return review.reviewed_at.date() if review else None

    def referenced_procedure_ids(self) -> list[int]:
        # Raw block data holds the chosen page ids, so no page is loaded just to read its id.
        return [
            block["value"]["procedure"]
            for block in self.body.raw_data
            if block["type"] == "procedure" and block["value"].get("procedure")
        ]
