"""A model field holding a set of choices, filterable the same way on SQLite and PostgreSQL."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from modelcluster.fields import ParentalManyToManyField

NOT_STATED = "Not stated in the source"


class OptionalChoiceField(models.CharField):
    """A nullable choice whose empty option says what empty means, instead of `---------`."""

    def formfield(self, **kwargs) -> forms.Field:
        kwargs.setdefault("choices", [("", NOT_STATED), *self.choices])
        return super().formfield(**kwargs)


class OptionalTextField(models.TextField):
    """Text that is NULL when left empty, so a form save never turns an unknown into ""."""

    def formfield(self, **kwargs) -> forms.Field:
        # Django does this for a nullable CharField but not for a TextField.
        kwargs.setdefault("empty_value", None)
        return super().formfield(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return None if value == "" else value

    def get_prep_value(self, value):
        return self.to_python(super().get_prep_value(value))


def optional_choice(choices_enum: type[models.TextChoices], **kwargs) -> models.CharField:
    """A fact from a fixed list, NULL (`null` in the API) when the source does not state it."""
    return OptionalChoiceField(
        max_length=20,
        choices=choices_enum.choices,
        blank=True,
        null=True,
        help_text="Leave empty if the source does not say.",
        **kwargs,
    )


class ChoiceSetField(models.CharField):
    """A set of values from one TextChoices enum, stored as `,a,b,` text.

    PostgreSQL's ArrayField would not run on the SQLite default, and JSON containment is not
    available on SQLite either. With a comma on each side of every value, "contains `,fat,`"
    matches one whole value on both databases (see `contains_lookup`).
    """

    def __init__(self, *args, choices_enum: type[models.TextChoices] | None = None, **kwargs):
        self.choices_enum = choices_enum
        kwargs.setdefault("max_length", 255)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["choices_enum"] = self.choices_enum
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection) -> list[str]:
        return self.to_python(value)

    def to_python(self, value) -> list[str]:
        if value is None or value == "":
            return []
        if isinstance(value, (list, tuple, set)):
            values = [str(item) for item in value]
        else:
            values = [item for item in str(value).split(",") if item]
        known = self.choices_enum.values if self.choices_enum else values
        unknown = [item for item in values if item not in known]
        if unknown:
            raise ValidationError(f"Unknown value(s): {', '.join(unknown)}.")
        # Keep the enum's order so equal sets always store the same text.
        return [item for item in known if item in values]

    def get_prep_value(self, value) -> str:
        values = self.to_python(value)
        return f",{','.join(values)}," if values else ""

    def value_to_string(self, obj) -> list[str]:
        return self.value_from_object(obj)

    def validate(self, value, model_instance) -> None:
        if not value and not self.blank:
            raise ValidationError(self.error_messages["blank"], code="blank")

    def run_validators(self, value) -> None:
        # The stored text length is bounded by the enum, so no max-length check on the list.
        return None

    def formfield(self, **kwargs) -> forms.Field:
        defaults = {
            "form_class": forms.TypedMultipleChoiceField,
            "choices": self.choices_enum.choices if self.choices_enum else [],
            "required": not self.blank,
            "widget": forms.CheckboxSelectMultiple,
            "label": self.verbose_name.capitalize(),
            "help_text": self.help_text,
        }
        defaults.update(kwargs)
        form_class = defaults.pop("form_class")
        for key in ("max_length", "empty_value"):
            defaults.pop(key, None)
        return form_class(**defaults)

    @staticmethod
    def contains_lookup(field_name: str, value: str) -> dict[str, str]:
        """The filter kwargs that match rows whose set includes `value`."""
        return {f"{field_name}__contains": f",{value},"}


class ProtectingParentalManyToManyField(ParentalManyToManyField):
    """A ParentalManyToManyField whose links Wagtail's reference index records.

    The index only reads fields that have `extract_references` (foreign keys, rich text,
    StreamField), so without it a snippet chosen here shows "referenced 0 times" and can be
    deleted from under the page. Marking the relation PROTECT makes the delete view refuse
    while a page links it; Django never consults `on_delete` for many-to-many relations, so
    database deletes behave as before.
    """

    def contribute_to_class(self, cls, name, **kwargs) -> None:
        super().contribute_to_class(cls, name, **kwargs)
        self.remote_field.on_delete = models.PROTECT

    def extract_references(self, value):
        for related in value or ():
            pk = related.pk if hasattr(related, "pk") else related
            yield self.related_model, str(pk), "", ""
