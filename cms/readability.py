"""The one readability measure and verdict: Flesch-Kincaid grade against patient information.

Health literacy guidance asks patient materials to read at US school grade 6 to 8; the
setting `PATIENT_READING_GRADE` holds the limit. The edit form, the preview and Wagtail's
Checks panel all show `page_readability(page)`. Wagtail's panel computes its own score (LIX
with fixed bands, in its JavaScript, not configurable), so the preview hands it ours
(`cms/static/cms/readability_checks.js`). A page without words gets no verdict.
"""

import html
import re
from dataclasses import dataclass

from django.conf import settings

APOSTROPHES = "'\u2019"
WORD = re.compile(rf"[A-Za-z][A-Za-z{APOSTROPHES}-]*")
SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")


def plain_text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", markup or ""))


def syllables(word: str) -> int:
    """Vowel groups, less a silent final e; at least one (a common English estimate)."""
    word = word.lower().strip(APOSTROPHES + "-")
    groups = re.findall(r"[aeiouy]+", word)
    count = len(groups)
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(count, 1)


def reading_grade(text: str) -> float | None:
    """The Flesch-Kincaid grade of `text`, rounded to one decimal; None for no words."""
    words = WORD.findall(text)
    if not words:
        return None
    sentences = max(len(SENTENCE_END.findall(text)), 1)
    total = sum(syllables(word) for word in words)
    grade = 0.39 * len(words) / sentences + 11.8 * total / len(words) - 15.59
    return round(max(grade, 0.0), 1)


@dataclass(frozen=True)
class Readability:
    """A reading grade and what it means for patient information."""

    grade: float | None
    limit: int

    @property
    def suits_patients(self) -> bool | None:
        return None if self.grade is None else self.grade <= self.limit

    @property
    def verdict(self) -> str:
        """The full sentence, for the preview and the edit form."""
        if self.grade is None:
            return "Reading grade: none, the page has no text to score yet."
        if self.suits_patients:
            return (
                f"Reading grade {self.grade}: suits patient information "
                f"(grade {self.limit} or below)."
            )
        return (
            f"Reading grade {self.grade}: too hard for patient information "
            f"(above grade {self.limit})."
        )

    @property
    def short(self) -> str:
        """The same verdict in the few words the Checks panel has room for."""
        if self.grade is None:
            return "No text"
        return f"Grade {self.grade}, {'suits patients' if self.suits_patients else 'too hard'}"


def page_readability(page) -> Readability:
    return Readability(page_reading_grade(page), settings.PATIENT_READING_GRADE)


def page_reading_grade(page) -> float | None:
    """The grade of the text a reader sees on the page (title excluded)."""
    parts = [getattr(page, "summary", ""), getattr(page, "intro", "")]
    body = getattr(page, "body", None)
    if body is not None and hasattr(body, "raw_data"):
        for block in body.raw_data:
            if block["type"] in ("heading", "paragraph"):
                parts.append(str(block["value"]))
            elif block["type"] == "list":
                parts += [f"{item.get('value', item)}." for item in block["value"]]
    elif body:
        parts.append(str(body))
    return reading_grade(" ".join(plain_text(str(part)) for part in parts if part))
