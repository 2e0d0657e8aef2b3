"""Admin wiring for the CMS as a whole: one readability verdict in the Checks panel."""

from django.templatetags.static import static
from django.utils.html import format_html
from wagtail import hooks


@hooks.register("insert_editor_js")
def readability_checks_js() -> str:
    return format_html('<script src="{}"></script>', static("cms/readability_checks.js"))
