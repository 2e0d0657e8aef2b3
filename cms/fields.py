"""Model fields for what editors type that the admin used to mend silently instead of refusing.

A scheme-less address became `https://…` and `ftp://` passed; a date the picker could not read
became today on blur. These fields refuse such input with a message saying what to type, and
leave the typed text in the form.
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone
from wagtail.admin.forms.models import register_form_field_override
from wagtail.admin.widgets import AdminDateInput

WEB_SCHEMES = ("https", "http")
DAY_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d %b %Y")


class WebAddressFormField(forms.URLField):
    """A web address typed in full; "www.…" is refused with the https:// it probably means."""

    default_validators = [URLValidator(schemes=WEB_SCHEMES)]
    # The field's message for code "invalid" replaces the validator's.
    default_error_messages = {"invalid": "Enter a web address starting with https:// (or http://)."}

    def to_python(self, value):
        value = (value or "").strip()
        if value and "://" not in value:
            raise ValidationError(
                "Start the address with https:// — did you mean https://%(value)s?",
                code="no_scheme",
                params={"value": value.removeprefix("//")},
            )
        # Django's URLField would prepend a scheme (assume_scheme); with one present, it only
        # normalises the text, which is what is kept.
        return super().to_python(value)


class WebURLField(models.URLField):
    """A URLField for addresses readers open in a browser: https or http, typed in full."""

    default_validators = [URLValidator(schemes=WEB_SCHEMES)]

    def formfield(self, **kwargs) -> forms.Field:
        # A scheme is never assumed (the form field refuses an address without one); naming
        # one only keeps Django 5's deprecation warning quiet.
        kwargs["assume_scheme"] = "https"
        return super().formfield(**{**kwargs, "form_class": WebAddressFormField})


class DayInput(AdminDateInput):
    """Wagtail's date picker, told not to replace text it cannot read with today's date.

    The picker (jQuery datetimepicker) does that on blur by default (`validateOnBlur`); with it
    off, the typed text reaches the server, which refuses it with a message.
    """

    def get_config(self) -> dict:
        return {**super().get_config(), "validateOnBlur": False}


class DayFormField(forms.DateField):
    input_formats = DAY_FORMATS
    default_error_messages = {
        "invalid": "Enter the date as YYYY-MM-DD, e.g. 2026-11-01 (or as 1 November 2026).",
    }


def not_in_future(day: datetime.date) -> None:
    if day > timezone.localdate():
        raise ValidationError(
            "%(day)s is in the future; enter the day you read it.",
            code="future",
            params={"day": day.isoformat()},
        )


class PastDayField(models.DateField):
    """A day that has happened (e.g. when a source was read), typed or picked, never guessed."""

    default_validators = [not_in_future]

    def formfield(self, **kwargs) -> forms.Field:
        return super().formfield(**{**kwargs, "form_class": DayFormField})


# Wagtail's overrides registry is its public seam for the widget each model field gets.
register_form_field_override(PastDayField, override={"widget": DayInput})
