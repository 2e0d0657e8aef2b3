"""The procedure edit form: related procedures, and editors' sources for the facts they set."""

from django import forms
from django.db.models import QuerySet

from reviews.forms import ReviewedPageForm

from .facts import FACTS

NO_CITATION = ("", "Choose one of this page's citations")


class CitedFactForm:
    """A mixin for the *Sources of editors' facts* rows: facts by their labels, and the
    citation chosen from the page's own list rather than typed."""

    citation_choices: list[tuple[str, str]] = []
    fact_labels: dict[str, str] = {}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        fact = self.fields["fact"]
        fact.choices = [("", "Choose a fact"), *self.fact_labels.items()]
        citation = self.fields["citation_url"]
        self.fields["citation_url"] = forms.ChoiceField(
            label="Citation",
            choices=[NO_CITATION, *self.citation_choices],
            help_text=citation.help_text,
        )


class ProcedurePageForm(ReviewedPageForm):
    """The procedure form; a page is never offered as related to itself, and a fact's source
    must cite one of the page's citations and support a value the page states."""

    fact_fields = FACTS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields.get("related_procedures")
        if field is not None and self.instance.pk:
            field.queryset = field.queryset.exclude(pk=self.instance.pk)
        formset = self.formsets.get("fact_citations")
        if formset is not None:
            # The rows' choices depend on this page, so their form class is made per form.
            formset.form = type(
                "FactCitationForm",
                (CitedFactForm, formset.form),
                {
                    "citation_choices": self.citation_choices(),
                    "fact_labels": {
                        fact: self.instance._meta.get_field(fact).verbose_name.capitalize()
                        for fact in FACTS
                    },
                },
            )

    def citation_choices(self) -> list[tuple[str, str]]:
        """The page's citations as saved, and as posted (so one added in this save counts)."""
        choices = {citation.url: citation.title for citation in self.instance.citations.all()}
        citations = self.formsets.get("citations")
        if citations is not None and self.is_bound:
            for form in citations.forms:
                url, title = form["url"].value(), form["title"].value()
                if url:
                    choices.setdefault(url, title or url)
        return [(url, f"{title} — {url}") for url, title in choices.items()]

    def clean(self):
        cleaned_data = super().clean()
        self.check_fact_citations(cleaned_data)
        return cleaned_data

    def check_fact_citations(self, cleaned_data: dict) -> None:
        rows, citations = self.formsets.get("fact_citations"), self.formsets.get("citations")
        if rows is None or citations is None or not citations.is_valid():
            return  # a citation's own error is shown on it; a row cannot be checked against it
        cited = {
            form.cleaned_data["url"]: form.cleaned_data["title"]
            for form in citations.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        }
        seen: set[str] = set()
        for form in rows.forms:
            if not form.is_valid() or form.cleaned_data.get("DELETE"):
                continue
            fact, url = form.cleaned_data["fact"], form.cleaned_data["citation_url"]
            label = dict(form.fields["fact"].choices)[fact]
            if fact in seen:
                form.add_error("fact", f"{label} already has a source above; keep one.")
            seen.add(fact)
            if is_unstated(cleaned_data.get(fact)):
                form.add_error(
                    "fact",
                    f"{label} is empty on this page: set it, or remove this source "
                    "(a fact nobody states stays empty).",
                )
            if url not in cited:
                form.add_error(
                    "citation_url",
                    f"{url} is no longer among this page's citations: choose another "
                    "or add it back under Citations.",
                )


def is_unstated(value) -> bool:
    """As `fact_value` reads a stored fact: None, "" and an empty list or queryset are unstated."""
    if isinstance(value, QuerySet):
        return not value.exists()
    return value in ("", [], None)
