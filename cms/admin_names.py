"""Accessible names for the admin inputs Wagtail 8 leaves unnamed (found by axe-core).

Draftail's editable box (`role="textbox"`) is not the hidden input the field's `<label for>`
points at, so it has no name (axe `aria-input-field-name`); a StreamField's plain-text child is
rendered with no `<label>` at all (axe `label`). Draftail takes `ariaLabel` and
`ariaLabelledBy` among the options Wagtail hands it, and a block's form field takes widget
attributes: through those two seams every input gets its field's or block's label.
"""

from wagtail import blocks
from wagtail.admin.rich_text import DraftailRichTextArea


class LabelledDraftailRichTextArea(DraftailRichTextArea):
    """Draftail named by the field's label, which Wagtail's panels give the id `<id>-label`.

    The default rich text editor (`WAGTAILADMIN_RICH_TEXT_EDITORS`), so every rich text field
    gets it; blocks, which render no label element, get an `ariaLabel` instead (below).
    """

    def get_context(self, name: str, value, attrs: dict) -> dict:
        if "ariaLabel" not in self.options and attrs and attrs.get("id"):
            self.options = {**self.options, "ariaLabelledBy": f"{attrs['id']}-label"}
        return super().get_context(name, value, attrs)


def name_block_inputs(stream_block: blocks.StreamBlock) -> None:
    """Give each top-level text and rich text child of `stream_block` its block label as name."""
    for child in stream_block.child_blocks.values():
        label = str(child.label)
        if isinstance(child, blocks.RichTextBlock):
            child.field.widget.options = {**child.field.widget.options, "ariaLabel": label}
        elif isinstance(child, blocks.FieldBlock) and hasattr(child.field.widget, "attrs"):
            child.field.widget.attrs.setdefault("aria-label", label)
