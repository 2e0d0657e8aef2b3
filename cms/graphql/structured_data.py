"""schema.org JSON-LD for a page: the `jsonLd` field, the page's absolute URL, and JSON text that
is safe inside a `<script type="application/ld+json">` element.

What a page type says about itself (a medical web page, a procedure) is built by its app; this
module holds only what every page's JSON-LD shares.
"""

import json

import graphene
from wagtail.models import Page, Site
from wagtail_headless_preview.models import get_client_root_url_from_site
from wagtail_headless_preview.settings import headless_preview_settings

from cms.preview import frontend_configured

from .interfaces import public_url_path

JSON_LD = "jsonLd"
SCHEMA_ORG = "https://schema.org"

# `</script>` (or `<!--`) inside a string would end the element early; `&` starts character
# references in XHTML. Escaped the way Django's `json_script` does: the JSON means the same.
# U+2028 and U+2029 end a line in older JavaScript string literals.
SCRIPT_SAFE = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


def json_ld_field() -> graphene.String:
    return graphene.String(
        required=True,
        description="schema.org structured data for this page as JSON-LD text, to paste "
        'as it is into `<script type="application/ld+json">`: `<`, `>` and `&` are escaped '
        "(`\\u003c`, `\\u003e`, `\\u0026`), so the text cannot end the element. Every value "
        "comes from a field of the page; what the page does not state is left out.",
    )


def script_safe_json(data: dict) -> str:
    """`data` as compact JSON with no character that could end a script element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.translate(SCRIPT_SAFE)


def site_root_url(site: Site | None) -> str:
    """Where readers open the site's pages: the frontend, when one is configured (where the CMS
    redirects a page's own URL, wagtail-headless-preview's rule), else the Wagtail site's root."""
    if site is None:
        return ""
    if frontend_configured():
        root = headless_preview_settings.SERVE_BASE_URL or get_client_root_url_from_site(site)
    else:
        root = site.root_url
    return root.rstrip("/")


def web_page(page: Page, context, schema_type: str) -> dict:
    """What every page's JSON-LD says of it: its type, title, description, absolute URL for the
    request's site, language and publication dates (each only when the page has it)."""
    data = {"@context": SCHEMA_ORG, "@type": schema_type, "name": page.title}
    if page.search_description:
        data["description"] = page.search_description
    data["url"] = site_root_url(context.site) + public_url_path(page)
    data["inLanguage"] = page.locale.language_code
    if page.first_published_at:
        data["datePublished"] = page.first_published_at.isoformat()
    if page.last_published_at:
        data["dateModified"] = page.last_published_at.isoformat()
    return data
