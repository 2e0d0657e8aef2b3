"""The procedure index, the procedure pages and the Muscle snippet."""

from django import forms
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.db import models
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.fields import RichTextField
from wagtail.models import (
    DraftStateMixin,
    LockableMixin,
    Page,
    RevisionMixin,
    TranslatableMixin,
    WorkflowMixin,
)
from wagtail.search import index
from wagtail.snippets.models import register_snippet
from wagtail_localize.fields import SynchronizedField

from cms.citations import Citation, citations_panel
from cms.preview import EmbeddedPreviewMixin
from reviews.forms import SchedulingPageForm
from reviews.gate import ReviewGatedPage
from reviews.pages import MedicallyReviewedMixin
from reviews.panels import ReviewPanel
from reviews.revisions import UnchangedRevisionMixin

from .enums import Approach, Invasiveness, Onset, Permanence, Sessions, Tissue
from .facts import FactCitation, FactPanel, FactSource, fact_rows
from .fields import (
    ChoiceSetField,
    OptionalTextField,
    ProtectingParentalManyToManyField,
    optional_choice,
)
from .forms import ProcedurePageForm

__all__ = [
    "DraftMuscleLink",
    "FactCitation",
    "FactSource",
    "Muscle",
    "ProcedureCitation",
    "ProcedureIndexPage",
    "ProcedurePage",
]

BODY_FEATURES = ["bold", "italic", "link", "ol", "ul"]
# A sentence or two for lists and the top of the page; longer text belongs in the body.
SUMMARY_MAX_LENGTH = 600
IDEAL_CANDIDATES_MAX_LENGTH = 1000


@register_snippet
class Muscle(
    WorkflowMixin,
    DraftStateMixin,
    LockableMixin,
    RevisionMixin,
    TranslatableMixin,
    index.Indexed,
    models.Model,
):
    """A muscle a calf-reduction procedure can target, shared by the article and procedures.

    Drafts, revisions and the medical review apply as on pages: the row holds the published
    version, which is all the API shows; a rename waits in a draft until it is approved.
    """

    # Unique per locale: a translation keeps the slug apps filter on.
    name = models.CharField(max_length=100, help_text="As readers should see it, e.g. 'Soleus'.")
    slug = models.SlugField(
        max_length=100, help_text="Stable identifier that apps filter on, e.g. 'soleus'."
    )

    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="muscle")
    workflow_states = GenericRelation(
        "wagtailcore.WorkflowState",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="muscle",
        for_concrete_model=False,
    )

    panels = [FieldPanel("name"), FieldPanel("slug")]

    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta(TranslatableMixin.Meta):
        ordering = ["name"]
        verbose_name = "muscle"
        constraints = [
            models.UniqueConstraint(fields=["locale", "name"], name="muscle_name_per_locale"),
            models.UniqueConstraint(fields=["locale", "slug"], name="muscle_slug_per_locale"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def revisions(self):
        return self._revisions


def live_muscles(muscles) -> list[Muscle]:
    """Published muscles only, from a prefetched or plain relation alike."""
    return [muscle for muscle in muscles.all() if muscle.live]


class ProcedureIndexPage(ReviewGatedPage, EmbeddedPreviewMixin, Page):
    """The parent of every procedure page, at `/procedures/`."""

    intro = RichTextField(
        blank=True,
        features=BODY_FEATURES,
        help_text="Optional text shown above the list of procedures.",
    )

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    base_form_class = SchedulingPageForm

    parent_page_types = ["home.HomePage"]
    subpage_types = ["procedures.ProcedurePage"]
    max_count = 1

    class Meta:
        verbose_name = "procedure index"


class ProcedureCitation(Citation):
    page = ParentalKey(
        "procedures.ProcedurePage", on_delete=models.CASCADE, related_name="citations"
    )


class ProcedurePage(
    ReviewGatedPage,
    UnchangedRevisionMixin,
    MedicallyReviewedMixin,
    EmbeddedPreviewMixin,
    Page,
):
    """One procedure: its text, and its facts as typed fields apps can filter and compare.

    Every fact is optional: a fact the source does not state stays empty (null in the API)
    rather than being guessed.
    """

    summary = models.TextField(
        max_length=SUMMARY_MAX_LENGTH,
        validators=[MaxLengthValidator(SUMMARY_MAX_LENGTH)],
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

    # Facts are the same in every language: a translation copies them from its source.
    override_translatable_fields = [SynchronizedField("targets")]

    approach = optional_choice(Approach)
    invasiveness = optional_choice(Invasiveness)
    permanence = optional_choice(Permanence)
    targets = ChoiceSetField(
        choices_enum=Tissue,
        verbose_name="targeted tissues",
        help_text="Tick each tissue the source says the procedure acts on.",
    )
    muscles = ProtectingParentalManyToManyField(
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
    ideal_candidates = OptionalTextField(
        max_length=IDEAL_CANDIDATES_MAX_LENGTH,
        validators=[MaxLengthValidator(IDEAL_CANDIDATES_MAX_LENGTH)],
        blank=True,
        null=True,
        help_text="Who the source says the procedure suits.",
    )
    related_procedures = ProtectingParentalManyToManyField(
        "procedures.ProcedurePage",
        blank=True,
        help_text="Procedures to suggest next to this one (never the page itself).",
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
                FieldRowPanel([FactPanel("approach"), FactPanel("invasiveness")]),
                FieldRowPanel([FactPanel("permanence"), FactPanel("onset")]),
                FactPanel("sessions"),
            ],
            heading="Kind of procedure",
        ),
        MultiFieldPanel(
            [
                FactPanel("targets"),
                FactPanel("muscles", widget=forms.CheckboxSelectMultiple),
            ],
            heading="What it targets",
        ),
        MultiFieldPanel(
            [FieldRowPanel([FactPanel("recovery_time"), FactPanel("recovery_days")])],
            heading="Recovery",
        ),
        FactPanel("ideal_candidates"),
        FieldPanel("related_procedures", widget=forms.CheckboxSelectMultiple),
        citations_panel(),
        InlinePanel(
            "fact_citations",
            heading="Sources of editors' facts",
            label="Fact source",
            help_text="For each fact you set, the citation it comes from and the sentence that "
            "states it. A fact counts as confirmed once a medical reviewer approves the page.",
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
    base_form_class = ProcedurePageForm

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

    class Meta:
        verbose_name = "procedure"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.pk and any(page.pk == self.pk for page in self.related_procedures.all()):
            errors["related_procedures"] = "A procedure cannot be related to itself."
        if self.approach == Approach.SURGICAL and self.invasiveness == Invasiveness.NONINVASIVE:
            errors["invasiveness"] = "A surgical procedure cannot be noninvasive."
        if self.approach == Approach.NONSURGICAL and self.invasiveness == Invasiveness.INVASIVE:
            errors["invasiveness"] = "A nonsurgical procedure cannot be invasive."
        if self.recovery_days is not None and not self.recovery_time:
            errors["recovery_time"] = "Describe the recovery in words as well as in days."
        if errors:
            raise ValidationError(errors)

    def get_context(self, request, *args, **kwargs) -> dict:
        return {**super().get_context(request, *args, **kwargs), "facts": fact_rows(self)}

    def related_procedure_ids(self) -> list[int]:
        # A preview draft holds its relations in memory: read them there, not in the database.
        return [page.pk for page in self.related_procedures.all()]

    def live_related_procedures(self) -> list["ProcedurePage"]:
        """Related procedures that are live and public, in tree order (for the preview)."""
        ids = self.related_procedure_ids()
        return list(ProcedurePage.objects.live().public().filter(pk__in=ids).order_by("path"))


class DraftMuscleLink(models.Model):
    """A muscle ticked in a page's unpublished draft but not on its live version.

    Wagtail's reference index reads a page's live row only, so such a muscle showed
    "referenced 0 times" and could be deleted from under the draft. These rows follow each
    page's latest draft (`procedures/draft_links.py`) and Wagtail indexes them like any model:
    the muscle's usage names the page, and PROTECT makes the delete view refuse.
    """

    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="draft_muscle_links"
    )
    # A page is not "used by" its own draft's bookkeeping.
    page.wagtail_reference_index_ignore = True
    muscle = models.ForeignKey(Muscle, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "muscle"], name="one_draft_link_per_muscle")
        ]
        verbose_name = "draft of a page"

    def __str__(self) -> str:
        return f"{self.page.get_admin_display_title()} (unpublished draft)"
