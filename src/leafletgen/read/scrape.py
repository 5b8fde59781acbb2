"""Reader for plain-text page scrapes (text copied out of a web page).

A scrape has no markup. Its structure is recovered from layout alone, in both
layouts scrapes come in (blocks separated by blank lines, or one line per
block with no blank lines):

* every line is a paragraph, except that hard-wrapped indented lines (a text
  browser's dump) join into one;
* a heading is a short line (up to 12 words, or a question up to 15) without
  closing punctuation, that starts a block (after a blank line, a list or a
  finished sentence) and is followed by a blank line or by text (a sentence,
  a list, or another such heading with text after it); box titles, credits
  and labels ("Phone: ...") never are;
* ``•``, ``-`` and ``*`` lines are list items (``• -`` too), and lines
  (bullets too: a sub-list) indented under an item's text continue the item;
* lines directly after a lead-in ending in ``:`` that do not end like a
  sentence are the items of a list whose bullets the scrape lost, unless they
  are a subsection heading (one such line with text after it, or a
  capitalised line after lower-case items).
"""

from __future__ import annotations

import re

from leafletgen.read.profiles import Profile
from leafletgen.read.text import Token, normalise

_BULLET = re.compile(r"^\s*(?:[•·▪●◦‣]\s*(?:[-–*]\s+)?|[-*]\s+)(.*)$")
_SENTENCE_END = re.compile(r"[.!?:;][”\"’)]?$")
_CLOSING = re.compile(r"[.,;:!]$")
_INDENT = re.compile(r"^\s*")
_MAX_QUESTION_WORDS = 15
_MAX_TITLE_WORDS = 12
_MAX_BARE_ITEM_WORDS = 20
_WRAPPED_INDENT = 2  # a text browser's dump indents its wrapped paragraphs


def _indent(line: str) -> int:
    return len(_INDENT.match(line)[0])


class _Lines:
    """The page's lines with the questions the tokeniser asks of them."""

    def __init__(self, lines: list[str], profile: Profile) -> None:
        self.lines, self.profile = lines, profile

    def text(self, index: int) -> str:
        if 0 <= index < len(self.lines):
            return self.lines[index].strip()
        return ""

    def is_bullet(self, index: int) -> bool:
        return bool(self.text(index)) and _BULLET.match(self.lines[index]) is not None

    def is_sentence(self, index: int) -> bool:
        text = self.text(index)
        return bool(text) and _SENTENCE_END.search(text) is not None

    def looks_like_heading(self, index: int) -> bool:
        text = self.text(index)
        if not text or self.is_bullet(index) or not (text[0].isupper() or text[0].isdigit()):
            return False
        if any(p.search(text) for p in self.profile.not_headings) and not text.endswith("?"):
            return False
        words = len(text.split())
        if text.endswith("?"):
            return words <= _MAX_QUESTION_WORDS
        return words <= _MAX_TITLE_WORDS and not _CLOSING.search(text)

    def starts_block(self, index: int) -> bool:
        """Nothing before it, or a blank line, a list item or a finished sentence."""
        return not self.text(index - 1) or self.is_bullet(index - 1) or self.is_sentence(index - 1)

    def text_follows(self, index: int) -> bool:
        """The next line is text a heading could stand over."""
        following = index + 1
        if self.is_bullet(following) or self.is_sentence(following):
            return True
        return self.looks_like_heading(following) and (
            self.is_bullet(following + 1) or self.is_sentence(following + 1)
        )

    def is_heading(self, index: int) -> bool:
        text = self.text(index)
        if any(p.search(text) for p in self.profile.heading_lines):
            return True
        if not self.looks_like_heading(index) or _indent(self.lines[index]) > _WRAPPED_INDENT:
            return False
        isolated = not self.text(index - 1) and not self.text(index + 1)
        if isolated:
            return True
        after_blank = not self.text(index + 1) and any(
            self.text(i) for i in range(index + 2, len(self.lines))
        )
        return self.starts_block(index) and (after_blank or self.text_follows(index))


def tokenise_scrape(lines: list[str], profile: Profile) -> list[Token]:
    """Lines (already stripped of chrome) -> tokens."""
    page = _Lines(lines, profile)
    tokens: list[Token] = []
    item_column: int | None = None  # a list is open: lines indented this far continue its item
    index = 0
    while index < len(lines):
        line, number, stripped = lines[index], index + 1, lines[index].strip()
        if not stripped:
            index += 1
            continue
        if bullet := _BULLET.match(line):
            if item_column is not None and _indent(line) >= item_column:
                # A bullet under an item's text: a sub-list, kept with its item
                # ("have other medical problems:" / "• kidney disease").
                tokens.append(Token("cont", normalise(bullet[1]), number))
            elif normalise(bullet[1]):  # an empty bullet is layout, not an item
                tokens.append(Token("item", normalise(bullet[1]), number))
                item_column = bullet.start(1)
            index += 1
            continue
        if item_column is not None and _indent(line) >= max(item_column, 3):
            tokens.append(Token("cont", normalise(stripped), number))
            index += 1
            continue
        item_column = None
        if page.is_heading(index):
            tokens.append(Token("heading", normalise(stripped), number))
            index += 1
            continue
        # A paragraph; a text browser's hard-wrapped lines join into one.
        end = index + 1
        if _indent(line) >= _WRAPPED_INDENT:
            while (
                page.text(end)
                and _indent(lines[end]) >= _WRAPPED_INDENT
                and not page.is_bullet(end)
            ):
                end += 1
        text = normalise(" ".join(lines[index:end]))
        tokens.append(Token("para", text, number))
        index = end
        if text.endswith(":"):
            index = _bare_list(page, index, tokens)
    return tokens


def _bare_list(page: _Lines, start: int, tokens: list[Token]) -> int:
    """After a lead-in: the lines that are the items of a list whose bullets
    the scrape lost, as items; returns the index of the first line after them."""
    run = []
    index = start
    while (
        page.text(index)
        and not page.is_bullet(index)
        and not page.is_sentence(index)
        and len(page.text(index).split()) <= _MAX_BARE_ITEM_WORDS
    ):
        run.append(index)
        index += 1
    if len(run) == 1 and page.looks_like_heading(run[0]) and page.is_sentence(run[0] + 1):
        return start  # a subsection heading, not a one-item list
    if len(run) > 1:
        last = page.text(run[-1])
        lower = all(not page.text(i)[0].isupper() for i in run[:-1])
        if lower and last[0].isupper() and page.looks_like_heading(run[-1]):
            run.pop()  # the heading after the list
    for item in run:
        tokens.append(Token("item", normalise(page.text(item)), item + 1))
    return run[-1] + 1 if run else start
