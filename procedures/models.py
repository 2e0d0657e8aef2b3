"""The procedure index, the procedure pages and the Muscle snippet."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index
from wagtail.snippets.models import register_snippet
from wagtail_headless_preview.models import HeadlessMixin

from .enums import Approach, Invasiveness, Onset, Permanence, Sessions, Tissue
from .fields import ChoiceSetField, optional_choice

BODY_FEATURES = ["bold", "italic", "link", "ol", "ul"]


@register_snippet
class Muscle(index.Indexed, models.Model):
    """A muscle a calf-reduction procedure can target, shared by the article and procedures."""

    name = models.CharField(
        max_length=100, unique=True, help_text="As readers should see it, e.g. 'Soleus'."
    )
    slug = models.SlugField(
        max_length=100,
        unique=True,
        help_text="Stable identifier that apps filter on, e.g. 'soleus'.",
    )

    panels = [FieldPanel("name"), FieldPanel("slug")]

    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProcedureIndexPage(HeadlessMixin, Page):
    """The parent of every procedure page, at `/procedures/`."""

    intro = RichTextField(
        blank=True,
        features=BODY_FEATURES,
        help_text="Optional text shown above the list of procedures.",
    )

    content_panels = [*Page.content_panels, FieldPanel("intro")]

    parent_page_types = ["home.HomePage"]
    subpage_types = ["procedures.ProcedurePage"]
    max_count = 1


class ProcedurePage(HeadlessMixin, Page):
    """One procedure: its text, and its facts as typed fields apps can filter and compare.

    Every fact is optional: a fact the source does not state stays empty (null in the API)
    rather than being guessed.
    """

    summary = models.TextField(
        help_text="The opening sentence or two, shown in lists and above the body.",
    )
    body = RichTextField(
        blank=True,
        features=BODY_FEATURES,
        help_text="The rest of the procedure's text, after the summary.",
    )
    image = models.ForeignKey(
        "images.CMSImage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Hero image. Its alt text is edited with the image.",
    )

    approach = optional_choice(Approach)
    invasiveness = optional_choice(Invasiveness)
    permanence = optional_choice(Permanence)
    targets = ChoiceSetField(
        choices_enum=Tissue,
        verbose_name="targeted tissues",
        help_text="Tick each tissue the source says the procedure acts on.",
    )
    muscles = ParentalManyToManyField(
        "procedures.Muscle",
        blank=True,
        related_name="procedures",
        verbose_name="targeted muscles",
        help_text="Only muscles the source names for this procedure.",
    )
    recovery_time = models.CharField(
        max_length=255,
        blank=True,
        null=True,
        help_text="Recovery as readers should read it, e.g. 'One week'.",
    )
    recovery_days = models.PositiveSmallIntegerField(
        blank=True,
        null=True,
        validators=[MaxValueValidator(730)],
        help_text="The same recovery in days, for filtering (e.g. 7 for one week).",
    )
    sessions = optional_choice(Sessions)
    onset = optional_choice(Onset, verbose_name="onset of results")
    ideal_candidates = models.TextField(
        blank=True,
        null=True,
        help_text="Who the source says the procedure suits.",
    )
    related_procedures = ParentalManyToManyField(
        "procedures.ProcedurePage",
        blank=True,
        help_text="Procedures to suggest next to this one.",
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("body"),
        FieldPanel("image"),
    ]
    facts_panels = [
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("approach"), FieldPanel("invasiveness")]),
                FieldRowPanel([FieldPanel("permanence"), FieldPanel("onset")]),
                FieldPanel("sessions"),
            ],
            heading="Kind of procedure",
        ),
        MultiFieldPanel(
            [FieldPanel("targets"), FieldPanel("muscles")],
            heading="What it targets",
        ),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("recovery_time"), FieldPanel("recovery_days")])],
            heading="Recovery",
        ),
        FieldPanel("ideal_candidates"),
        FieldPanel("related_procedures"),
    ]
    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading="Content"),
            ObjectList(facts_panels, heading="Facts"),
            ObjectList(Page.promote_panels, heading="Promote"),
            ObjectList(Page.settings_panels, heading="Settings", classname="settings"),
        ]
    )

    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.SearchField("ideal_candidates"),
        index.FilterField("approach"),
        index.FilterField("invasiveness"),
        index.FilterField("permanence"),
        index.FilterField("recovery_days"),
    ]

    parent_page_types = ["procedures.ProcedureIndexPage"]
    subpage_types: list[str] = []

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.approach == Approach.SURGICAL and self.invasiveness == Invasiveness.NONINVASIVE:
            errors["invasiveness"] = "A surgical procedure cannot be noninvasive."
        if self.approach == Approach.NONSURGICAL and self.invasiveness == Invasiveness.INVASIVE:
            errors["invasiveness"] = "A nonsurgical procedure cannot be invasive."
        if self.recovery_days is not None and not self.recovery_time:
            errors["recovery_time"] = "Describe the recovery in words as well as in days."
        if errors:
            raise ValidationError(errors)
