"""Compare (revisions, workflow review) marks StreamField blocks that moved.

Wagtail's `StreamBlockComparison` pairs blocks by id and shows additions, deletions and
edits, but a block that only changed place renders exactly like an unchanged one, so a
reviewer cannot see that two blocks were swapped. A public seam is
`register_comparison_class`: our StreamField comparison labels each moved block "Moved".
A moved block is one outside the longest run of kept blocks still in their old order, the
fewest blocks whose moves explain the new order (a swap of two marks one).
"""

from bisect import bisect_left

from django.utils.html import format_html
from wagtail.admin.compare import (
    StreamBlockComparison,
    StreamFieldComparison,
    register_comparison_class,
)
from wagtail.fields import StreamField


def moved_positions(old_ids: list, new_ids: list) -> dict:
    """{id: old 1-based position} for the blocks kept in both whose move explains the change."""
    old_index = {block_id: i for i, block_id in enumerate(old_ids)}
    kept = [block_id for block_id in new_ids if block_id in old_index]
    # Longest increasing subsequence of old positions (patience sorting, O(n log n)).
    tails: list[int] = []
    tail_ids: list = []
    previous: dict = {}
    for block_id in kept:
        position = old_index[block_id]
        at = bisect_left(tails, position)
        previous[block_id] = tail_ids[at - 1] if at else None
        if at == len(tails):
            tails.append(position)
            tail_ids.append(block_id)
        else:
            tails[at] = position
            tail_ids[at] = block_id
    in_order = set()
    block_id = tail_ids[-1] if tail_ids else None
    while block_id is not None:
        in_order.add(block_id)
        block_id = previous[block_id]
    return {block_id: old_index[block_id] + 1 for block_id in kept if block_id not in in_order}


class MovedBlock:
    """A block comparison that prefixes its rendering with where the block came from."""

    def __init__(self, comparison, old_position: int) -> None:
        self.comparison = comparison
        self.old_position = old_position

    def __getattr__(self, name: str):
        return getattr(self.comparison, name)

    def _label(self) -> str:
        return format_html(
            '<p class="comparison__moved"><strong>Moved</strong> (was block {})</p>',
            self.old_position,
        )

    def htmlvalue(self, val) -> str:
        return self._label() + self.comparison.htmlvalue(val)

    def htmldiff(self) -> str:
        return self._label() + self.comparison.htmldiff()


class MovesStreamBlockComparison(StreamBlockComparison):
    def get_block_comparisons(self) -> list:
        comparisons = super().get_block_comparisons()
        old_ids = [child.id for child in self.get_blocks_from_value(self.val_a)]
        new_ids = [child.id for child in self.get_blocks_from_value(self.val_b)]
        moved = moved_positions(old_ids, new_ids)
        # Wagtail lists the new value's blocks in order, with deleted ones slotted between.
        shown = iter(new_ids)
        marked = []
        for comparison in comparisons:
            if comparison.is_deleted():
                marked.append(comparison)
                continue
            block_id = next(shown)
            old = moved.get(block_id)
            marked.append(MovedBlock(comparison, old) if old else comparison)
        return marked


class MovesStreamFieldComparison(StreamFieldComparison):
    def htmldiff(self) -> str:
        if self.has_block_ids(self.val_a) and self.has_block_ids(self.val_b):
            return MovesStreamBlockComparison(
                self.field.stream_block, True, True, self.val_a, self.val_b
            ).htmldiff()
        return super().htmldiff()


register_comparison_class(StreamField, comparison_class=MovesStreamFieldComparison)
