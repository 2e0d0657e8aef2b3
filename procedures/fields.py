"""A model field holding a set of choices, filterable the same way on SQLite and PostgreSQL."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models


def optional_choice(choices_enum: type[models.TextChoices], **kwargs) -> models.CharField:
    """A fact from a fixed list, NULL (`null` in the API) when the source does not state it."""
    return models.CharField(
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
