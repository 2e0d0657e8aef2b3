"""StreamField blocks of the article body."""

import json

from grapple.helpers import register_streamfield_block
from grapple.models import GraphQLField, GraphQLString
from grapple.registry import registry
from wagtail import blocks

PARAGRAPH_FEATURES = ["bold", "italic", "link"]


def procedure_page_type():
    from procedures.models import ProcedurePage

    return registry.pages[ProcedurePage]


@register_streamfield_block
class ProcedureBlock(blocks.StructBlock):
    """Shows a procedure page by reference, so its text lives in one place only."""

    procedure = blocks.PageChooserBlock(
        page_type="procedures.ProcedurePage",
        help_text="The procedure page to show here; its title and text come from that page.",
    )

    graphql_fields = [
        GraphQLField(
            "procedure",
            procedure_page_type,
            source="live_procedure",
            description="The referenced procedure, or null if it is not live and public.",
        ),
        GraphQLString("raw_value", required=True),
    ]

    class Meta:
        icon = "doc-full"
        label = "Procedure"
        graphql_description = "A procedure page shown by reference."

    def live_procedure(self, info=None, values=None, **kwargs):
        """The chosen page; the API's publication guard drops it unless it may be shown.

        The article's planner may have loaded it already with what the query asks of it.
        """
        page = (values or {}).get("procedure")
        if page is None:
            return None
        planned = getattr(info.context, "planned_procedures", {}) if info else {}
        return planned.get(page.pk, page)

    def raw_value(self, info=None, values=None, **kwargs) -> str:
        """The stored form, `{"procedure": <page id>}`, as JSON."""
        page = (values or {}).get("procedure")
        return json.dumps({"procedure": page.pk if page is not None else None})


@register_streamfield_block
class BenefitsBlock(blocks.StaticBlock):
    """Marks where the article's benefits list (`ArticlePage.benefits`) is shown."""

    graphql_fields = [GraphQLString("raw_value", required=True)]
    # grapple reads a block's children from `base_blocks` before calling `raw_value`.
    base_blocks: dict = {}

    class Meta:
        admin_text = "The article's list of benefits (edited on the Facts tab) is shown here."
        icon = "list-ul"
        label = "Benefits list"
        graphql_description = "Render the article's `benefits` here."

    def raw_value(self, info=None, values=None, **kwargs) -> str:
        return ""


class ArticleBodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(
        max_length=120, icon="title", help_text="A section heading, as readers see it."
    )
    paragraph = blocks.RichTextBlock(features=PARAGRAPH_FEATURES, icon="pilcrow")
    list = blocks.ListBlock(
        blocks.CharBlock(max_length=255, label="Item"),
        icon="list-ul",
        help_text="A bulleted list; one item a line.",
    )
    benefits = BenefitsBlock()
    procedure = ProcedureBlock()

    class Meta:
        block_counts = {"benefits": {"max_num": 1}}
