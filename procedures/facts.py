"""Where each procedure fact comes from: the source sentence, and whether an editor changed it."""

from django.db import models
from wagtail.admin.panels import FieldPanel

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

    def set_by(self) -> str:
        return "SEED" if self.pk and fact_value(self.page, self.fact) == self.value else "EDITOR"

    def confirmed(self) -> bool:
        if not self.inferred:
            return True
        review = self.page.latest_medical_review()
        return review is not None and review.revision_id == self.page.live_revision_id

    def source(self) -> str | None:
        return self.sentence if self.set_by() == "SEED" else None


def fact_sources(page) -> list[FactSource]:
    """One entry per fact that has a value; a fact without seed evidence is the editor's."""
    known = {source.fact: source for source in page.fact_sources.all()} if page.pk else {}
    entries = []
    for fact in FACTS:
        if fact_value(page, fact) is None:
            continue
        entry = known.get(fact) or FactSource(fact=fact, sentence="", value=None)
        # The in-memory page (a preview draft) is the one whose values are compared.
        entry.page = page
        entries.append(entry)
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
            self.help_text = " ".join(filter(None, [self.help_text, evidence(entry)]))


def evidence(entry: FactSource | None) -> str:
    if entry is None:
        return "Not stated in the source."
    if entry.set_by() == "EDITOR":
        return "Set by an editor, not from the source."
    if not entry.inferred:
        return f"Source: “{entry.sentence}”"
    state = "confirmed in medical review" if entry.confirmed() else "to confirm in medical review"
    return f"Inferred ({state}) from: “{entry.sentence}” {entry.definition}".strip()


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


def fact_rows(page) -> list[dict]:
    """Every fact with its label, value and evidence, for the preview."""
    entries = {entry.fact: entry for entry in fact_sources(page)}
    return [
        {
            "label": page._meta.get_field(fact).verbose_name.capitalize(),
            "value": display_value(page, fact),
            "evidence": evidence(entries.get(fact)),
            "inferred": bool(entries.get(fact) and entries[fact].inferred),
        }
        for fact in FACTS
    ]
