"""A reading-grade check suited to patient information (Flesch-Kincaid grade level).

Health literacy guidance asks patient materials to read at US school grade 6 to 8; the
setting `PATIENT_READING_GRADE` holds the limit.
"""

import html
import re

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


def reading_grade(text: str) -> float:
    """The Flesch-Kincaid grade of `text`, rounded to one decimal; 0 for no words."""
    words = WORD.findall(text)
    if not words:
        return 0.0
    sentences = max(len(SENTENCE_END.findall(text)), 1)
    total = sum(syllables(word) for word in words)
    grade = 0.39 * len(words) / sentences + 11.8 * total / len(words) - 15.59
    return round(max(grade, 0.0), 1)


def page_reading_grade(page) -> float:
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
