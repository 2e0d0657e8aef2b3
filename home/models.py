"""The site's home page and the educational article."""

import graphene
from django import forms
from django.db import models
from grapple.models import (
    GraphQLField,
    GraphQLImage,
    GraphQLRichText,
    GraphQLStreamfield,
    GraphQLString,
)
from grapple.registry import registry
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

from cms.citations import Citation
from cms.graphql.fields import GraphQLList
from cms.graphql.planning import image_lookups, merge_trees, planned_queryset
from cms.graphql.publication import servable_pages
from cms.preview import EmbeddedPreviewMixin
from procedures.fields import ProtectingParentalManyToManyField
from reviews.pages import MedicallyReviewedMixin
from reviews.panels import ReviewPanel

from .blocks import ArticleBodyBlock, procedure_page_type


class HomePage(EmbeddedPreviewMixin, Page):
    """The site root at `/`; the article and the procedure index live under it.

    Without a frontend, `/` is a small page linking the admin, the API and the docs.
    """

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


class ArticlePage(MedicallyReviewedMixin, EmbeddedPreviewMixin, Page):
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
        InlinePanel(
            "citations",
            heading="Citations",
            label="Citation",
            help_text="References a reader can check the medical content against.",
        ),
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

    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]

    graphql_fields = [
        GraphQLRichText("intro", required=True),
        GraphQLImage("hero_image"),
        GraphQLStreamfield("body", required=True),
        GraphQLList(
            "benefits",
            graphene.String,
            source="benefit_texts",
        ),
        GraphQLList(
            "target_muscles",
            lambda: registry.snippets[_muscle_model()],
            source="published_target_muscles",
        ),
        GraphQLList(
            "procedures",
            procedure_page_type,
            source="referenced_procedures",
            description="The live, public procedures the body shows, in body order.",
        ),
        GraphQLList("citations", lambda: registry.django_models[ArticleCitation]),
        GraphQLString(
            "reviewed_by",
            source="reviewed_by_line",
            description="The last medical reviewer's name and credentials.",
        ),
        GraphQLField(
            "last_reviewed",
            graphene.Date,
            source="last_reviewed_on",
            description="The day of the last medical review.",
        ),
        *MedicallyReviewedMixin.graphql_review_fields(),
    ]

    parent_page_types = ["home.HomePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "article"

    @classmethod
    def graphql_prefetches(cls, tree: dict, request) -> list:
        """The lookups the fields in `tree` need (see `cms/graphql/planning.py`)."""
        lookups = image_lookups("hero_image", tree)
        if "benefits" in tree:
            lookups.append("benefits")
        if "targetMuscles" in tree:
            lookups.append("target_muscles")
        return lookups

    @classmethod
    def graphql_after_fetch(cls, articles: list["ArticlePage"], tree: dict, request) -> None:
        """Load every procedure the articles reference in one planned query.

        They serve `procedures` and the body's procedure blocks (through the request's
        `planned_procedures`), so neither asks the database once per block.
        """
        wanted = merge_trees(tree.get("procedures", {}), tree.get("body", {}).get("procedure", {}))
        if "procedures" not in tree and "procedure" not in tree.get("body", {}):
            return
        from procedures.models import ProcedurePage

        ids = {pk for article in articles for pk in article.referenced_procedure_ids()}
        pages = servable_pages(ProcedurePage.objects.filter(pk__in=ids), request)
        planned = {page.pk: page for page in planned_queryset(pages, wanted, request)}
        request.planned_procedures = {**getattr(request, "planned_procedures", {}), **planned}
        for article in articles:
            article.servable_referenced_procedures = [
                planned[pk] for pk in article.referenced_procedure_ids() if pk in planned
            ]

    def reviewed_by_line(self, info=None, **kwargs) -> str | None:
        review = self.latest_medical_review()
        if review is None:
            return None
        return ", ".join(filter(None, [review.reviewer_name, review.reviewer_credentials]))

    def last_reviewed_on(self, info=None, **kwargs):
        review = self.latest_medical_review()
        return review.reviewed_at.date() if review else None

    def published_target_muscles(self, info=None, **kwargs) -> list:
        from procedures.models import live_muscles

        return live_muscles(self.target_muscles)

    def benefit_texts(self, info=None, **kwargs) -> list[str]:
        return [benefit.text for benefit in self.benefits.all()]

    def referenced_procedure_ids(self) -> list[int]:
        # Raw block data holds the chosen page ids, so no page is loaded just to read its id.
        return [
            block["value"]["procedure"]
            for block in self.body.raw_data
            if block["type"] == "procedure" and block["value"].get("procedure")
        ]

    def referenced_procedures(self, info=None, **kwargs) -> list:
        prefetched = getattr(self, "servable_referenced_procedures", None)
        if prefetched is not None:
            return prefetched
        from procedures.models import ProcedurePage

        ids = self.referenced_procedure_ids()
        pages = ProcedurePage.objects.live().public().in_bulk(ids)
        return [pages[pk] for pk in ids if pk in pages]


def _muscle_model():
    from procedures.models import Muscle

    return Muscle
