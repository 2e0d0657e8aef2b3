"""StreamField blocks of the article body."""

from wagtail import blocks

PARAGRAPH_FEATURES = ["bold", "italic", "link"]


class ProcedureBlock(blocks.StructBlock):
    """Shows a procedure page by reference, so its text lives in one place only."""

    procedure = blocks.PageChooserBlock(
        page_type="procedures.ProcedurePage",
        help_text="The procedure page to show here; its title and text come from that page.",
    )

    class Meta:
        icon = "doc-full"
        label = "Procedure"


class BenefitsBlock(blocks.StaticBlock):
    """Marks where the article's benefits list (`ArticlePage.benefits`) is shown."""

    class Meta:
        admin_text = "The article's list of benefits (edited on the Facts tab) is shown here."
        icon = "list-ul"
        label = "Benefits list"


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
