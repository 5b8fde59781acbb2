"""Reader for plain-text page scrapes (text copied out of a web page).

A scrape has no markup. Its structure is recovered from layout alone:

* every line is a paragraph;
* an isolated line (blank line before and after) that is a short question,
  or a short title without closing punctuation, is a heading;
* ``•`` lines are list items, and lines indented under them continue the item;
* lines directly after a lead-in ending in ``:`` that do not end like a
  sentence are the items of a list whose bullets the scrape lost.
"""

from __future__ import annotations

import re

from .common import Token, normalise

_BULLET = re.compile(r"^\s*[•·▪●◦‣]\s*(.*)$")
_CONTINUATION = re.compile(r"^\s{3,}\S")
_SENTENCE_END = re.compile(r"[.!?:;][”\"’)]?$")
_MAX_QUESTION_WORDS = 15
_MAX_TITLE_WORDS = 8
_MAX_BARE_ITEM_WORDS = 20


def _is_isolated(lines: list[str], index: int) -> bool:
    before = index == 0 or not lines[index - 1].strip()
    after = index + 1 >= len(lines) or not lines[index + 1].strip()
    return before and after


def _looks_like_heading(text: str) -> bool:
    words = text.split()
    if text.endswith("?"):
        return len(words) <= _MAX_QUESTION_WORDS
    return len(words) <= _MAX_TITLE_WORDS and text[0].isupper() and not re.search(r"[.,;:!]$", text)


def tokenise_scrape(lines: list[str]) -> list[Token]:
    """Lines (already stripped of chrome) -> tokens."""
    tokens: list[Token] = []
    in_list = False  # a bulleted list is open: indented lines continue its last item
    bare_list = False  # lines after a lead-in may be the items of a lost list
    for index, line in enumerate(lines):
        number, stripped = index + 1, line.strip()
        if not stripped:
            bare_list = False
            continue
        if bullet := _BULLET.match(line):
            if normalise(bullet[1]):  # an empty bullet is layout, not an item
                tokens.append(Token("item", normalise(bullet[1]), number))
            in_list, bare_list = True, False
            continue
        if in_list and _CONTINUATION.match(line):
            tokens.append(Token("cont", normalise(stripped), number))
            continue
        in_list = False
        if (
            bare_list
            and not _SENTENCE_END.search(stripped)
            and (len(stripped.split()) <= _MAX_BARE_ITEM_WORDS)
        ):
            tokens.append(Token("item", normalise(stripped), number))
            continue
        bare_list = False
        if _is_isolated(lines, index) and _looks_like_heading(stripped):
            tokens.append(Token("heading", normalise(stripped), number))
            continue
        tokens.append(Token("para", normalise(stripped), number))
        bare_list = stripped.endswith(":")
    return tokens
