"""The admin's page form, with every length limit shown and enforced but never applied silently.

Django puts a `maxlength` attribute on each limited input; the browser then cuts pasted or
typed text at the limit without a word (a 300-character title saved as its first 255). Here the
limit is said in the help text and checked on the server, whose error keeps the whole text in
the field for the editor to shorten.
"""

from functools import cache

from django import forms
from wagtail.admin.forms import WagtailAdminPageForm


def limit_text(max_length: int) -> str:
    return f"Up to {max_length:,} characters."


def show_length_limits(form: forms.BaseForm) -> None:
    """Each limited field says its limit in its help text, and the browser does not enforce it."""
    for field in form.fields.values():
        max_length = getattr(field, "max_length", None)
        if not max_length:
            continue
        field.widget.attrs.pop("maxlength", None)
        if limit_text(max_length) not in str(field.help_text):
            field.help_text = " ".join(filter(None, [str(field.help_text), limit_text(max_length)]))


class LengthLimitsShown:
    """A form mixin: `show_length_limits` on the form and on every form of its formsets."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        show_length_limits(self)
        for formset in getattr(self, "formsets", {}).values():
            # The formset makes its forms (and the empty form the inline panel copies) later.
            formset.form = with_length_limits_shown(formset.form)


@cache
def with_length_limits_shown(form_class: type[forms.BaseForm]) -> type[forms.BaseForm]:
    """The child form class with the mixin, made once per class."""
    if issubclass(form_class, LengthLimitsShown):
        return form_class
    return type(form_class.__name__, (LengthLimitsShown, form_class), {})


class CMSPageForm(LengthLimitsShown, WagtailAdminPageForm):
    """The base form of every page type here (`base_form_class`)."""
