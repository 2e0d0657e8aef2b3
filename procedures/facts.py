"""Where each procedure fact comes from: the seed's source sentence, or an editor's citation."""

import functools
from dataclasses import dataclass
from typing import Any

from django.core.validators import MaxLengthValidator
from django.db import models
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel
from wagtail.models import Orderable

from reviews.pages import review_of_live_revision

# Every typed fact of a procedure, by model field name.
FACTS = (
    "approach",
    "invasiveness",
    "permanence",
    "targets",
    "muscles",
    "recovery_time",
    "recovery_days",
    "sessions",
    "onset",
    "ideal_candidates",
)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def fact_value(page, fact: str):
    """The fact's value in a comparable form: None when unstated, muscles as slugs."""
    if fact == "muscles":
        slugs = sorted(muscle.slug for muscle in page.muscles.all())
        return slugs or None
    value = getattr(page, fact)
    if value in ("", [], None):
        return None
    return list(value) if isinstance(value, (list, tuple)) else value


def same_value(value, other) -> bool:
    """Lists as sets: a page keeps tissues in the enum's order, a source names them as it says
    them (radio-frequency "destroys nerves" and "also attacks fat")."""
    if isinstance(value, list) and isinstance(other, list):
        return sorted(value) == sorted(other)
    return value == other


class FactSource(models.Model):
    """The seed's evidence for one fact of one procedure.

    Written by the seed loader only; editors see it beside the field. The value it supports is
    kept, so a fact whose value an editor changed is shown as theirs rather than the source's.
    """

    page = models.ForeignKey(
        "procedures.ProcedurePage", on_delete=models.CASCADE, related_name="fact_sources"
    )
    fact = models.CharField(max_length=40, choices=[(name, name) for name in FACTS])
    sentence = models.TextField(help_text="The source sentence the fact comes from.")
    inferred = models.BooleanField(
        default=False,
        help_text="The fact follows from the sentence by definition rather than being stated.",
    )
    definition = models.CharField(
        max_length=255, blank=True, help_text="For an inferred fact, the definition applied."
    )
    value = models.JSONField(help_text="The value the sentence supports.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["page", "fact"], name="one_source_per_fact")]

    def __str__(self) -> str:
        return f"{self.fact}: {self.sentence}"

    def api_name(self) -> str:
        return camel(self.fact)


FACT_QUOTE_MAX_LENGTH = 1000


class FactCitation(Orderable):
    """An editor's source for one fact: which of the page's citations, and the sentence quoted.

    Kept with the page's revisions like the citations themselves, so it is drafted, reviewed
    and published with the value it supports. The citation is named by its URL because a
    citation added in a draft has no database row to point at until the draft is published.
    """

    page = ParentalKey(
        "procedures.ProcedurePage", on_delete=models.CASCADE, related_name="fact_citations"
    )
    fact = models.CharField(
        max_length=40,
        choices=[(name, name) for name in FACTS],
        help_text="The fact you set from this source.",
    )
    citation_url = models.URLField(
        "citation",
        max_length=500,
        help_text="One of this page's citations (save the page after adding a new one).",
    )
    quote = models.TextField(
        max_length=FACT_QUOTE_MAX_LENGTH,
        validators=[MaxLengthValidator(FACT_QUOTE_MAX_LENGTH)],
        help_text="The sentence from the source that states the fact, word for word.",
    )

    panels = [FieldPanel("fact"), FieldPanel("citation_url"), FieldPanel("quote")]

    class Meta(Orderable.Meta):
        verbose_name = "fact source"

    def __str__(self) -> str:
        return f"{self.fact}: {self.quote}"


@dataclass
class FactEvidence:
    """Where the current value of one stated fact comes from, as editors and the API see it."""

    page: Any
    fact: str
    seed: FactSource | None = None
    cited: FactCitation | None = None
    citation: Any = None  # the page's citation `cited` names

    def set_by(self) -> str:
        """SEED while the value is the seed's and no editor cited a source of their own."""
        unchanged = self.seed is not None and same_value(
            fact_value(self.page, self.fact), self.seed.value
        )
        return "SEED" if unchanged and self.cited is None else "EDITOR"

    @property
    def from_seed(self) -> bool:
        return self.set_by() == "SEED"

    @property
    def inferred(self) -> bool:
        return self.from_seed and self.seed.inferred

    def source(self) -> str | None:
        """The sentence the value rests on: the seed's, or the editor's quote."""
        if self.cited is not None:
            return self.cited.quote
        return self.seed.sentence if self.from_seed else None

    def quote(self) -> str | None:
        return self.cited.quote if self.cited is not None else None

    def confirmed(self) -> bool:
        """A stated seed fact stands on its sentence; anything else needs the medical review
        of the published revision (an approval recorded for exactly that revision)."""
        if self.from_seed and not self.seed.inferred:
            return True
        return live_revision_reviewed(self.page)


def live_revision_reviewed(page) -> bool:
    return review_of_live_revision(page) is not None


@functools.cache
def default_locale_id() -> int:
    """The seed's (English) locale: made by Wagtail's first migration, protected by its pages."""
    from wagtail.models import Locale

    return Locale.get_default().pk


def seed_sources(page):
    """The seed's evidence for `page`'s facts. A translation's facts are its source's, copied
    by wagtail-localize (they are synchronised fields), so they rest on its source's
    sentences, in the source's language."""
    if not page.pk:
        return []
    if page.locale_id == default_locale_id():
        return page.fact_sources.all()
    return FactSource.objects.filter(
        page__translation_key=page.translation_key, page__locale_id=default_locale_id()
    )


def fact_sources(page) -> list[FactEvidence]:
    """One entry per fact that has a value: the seed's sentence, or the editor's citation."""
    seeded = {source.fact: source for source in seed_sources(page)}
    cited = {row.fact: row for row in page.fact_citations.all()}
    citations = {citation.url: citation for citation in page.citations.all()}
    entries = []
    for fact in FACTS:
        if fact_value(page, fact) is None:
            continue
        row = cited.get(fact)
        entries.append(
            FactEvidence(
                page=page,
                fact=fact,
                seed=seeded.get(fact),
                cited=row,
                citation=citations.get(row.citation_url) if row else None,
            )
        )
    return entries


class FactPanel(FieldPanel):
    """A fact's field with its evidence beside it: the source sentence, or who set it."""

    class BoundPanel(FieldPanel.BoundPanel):
        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            if self.bound_field is None:
                return
            entry = next(
                (e for e in fact_sources(self.instance) if e.fact == self.field_name), None
            )
            # A draft with changes is not what a reviewer approved, whatever the live page was.
            draft = bool(self.instance.pk and self.instance.has_unpublished_changes)
            self.help_text = " ".join(filter(None, [self.help_text, evidence(entry, draft=draft)]))


def evidence(entry: FactEvidence | None, *, draft: bool = False) -> str:
    """What the form and the preview say about a fact's origin."""
    if entry is None:
        return "Not stated in the source."
    if entry.cited is not None:
        confirmed = entry.confirmed() and not draft
        state = "confirmed in medical review" if confirmed else "to confirm in medical review"
        where = entry.citation.title if entry.citation is not None else entry.cited.citation_url
        return f"Set by an editor from {where} ({state}): “{entry.cited.quote}”"
    if not entry.from_seed:
        return "Set by an editor, no source cited: add one under “Sources of editors' facts”."
    seed = entry.seed
    if not entry.inferred:
        return f"Source: “{seed.sentence}”"
    state = "confirmed in medical review" if entry.confirmed() else "to confirm in medical review"
    return f"Inferred ({state}) from: “{seed.sentence}” {seed.definition}".strip()


def display_value(page, fact: str) -> str | None:
    """The fact as a reader reads it, or None when unstated."""
    if fact_value(page, fact) is None:
        return None
    if fact == "muscles":
        return ", ".join(muscle.name for muscle in page.muscles.all())
    field = page._meta.get_field(fact)
    if fact == "targets":
        labels = dict(field.choices_enum.choices)
        return ", ".join(labels[value] for value in page.targets)
    if field.choices:
        return str(dict(field.choices)[getattr(page, fact)])
    return str(getattr(page, fact))


def fact_label(model, fact: str) -> str:
    """The fact's name as editors and readers see it, e.g. "Recovery time"."""
    return model._meta.get_field(fact).verbose_name.capitalize()


def fact_rows(page) -> list[dict]:
    """Every fact with its label, value and evidence, for the preview."""
    entries = {entry.fact: entry for entry in fact_sources(page)}
    return [
        {
            "label": fact_label(type(page), fact),
            "value": display_value(page, fact),
            "evidence": evidence(entries.get(fact)),
            "inferred": bool(entries.get(fact) and entries[fact].inferred),
        }
        for fact in FACTS
    ]
