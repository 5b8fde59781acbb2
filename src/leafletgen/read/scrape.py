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
* ``•``, ``-``, ``*`` and numbered ("1.", "2)") lines are list items (``• -``
  too; a number stays in its item's text), and lines
  (bullets too: a sub-list) indented under an item's text continue the item;
* a short label ending in ``:`` ("Side Effects of Nivolumab:") that starts
  a block and has text under it is a heading, unless it reads as a sentence
  announcing a list ("Call your care team if:"; ``not_label_headings`` of
  the page's language); a "Back to top" glued to a line makes it a heading,
  and is not part of its text (nor is the "»" of a heading that is a link);
* lines after a lead-in ending in ``:`` (directly, or after blank lines when
  two or more stand together) that do not end like a sentence are the items
  of a list whose bullets the scrape lost, unless they are a subsection
  heading (one such line with text after it, or a capitalised line after
  lower-case items); short labels each over such lines ("Lung problems." /
  its symptoms, as DailyMed prints Medication Guides) are the items, the
  lines under each its nested items;
* a bulleted list after a blank line is a list of its own when the list
  before it had two items or more; lower-case bullets right after an item
  ending in ``:`` are that item's nested items (a scrape that lost their
  indent).
"""

from __future__ import annotations

import re

from leafletgen.read.profiles import Profile
from leafletgen.read.text import Token, normalise

# A bullet, or the number of a numbered item ("1. Prepare", kept in its text:
# the order of steps may matter and the source is not rewritten).
_BULLET = re.compile(r"^\s*(?:[•·▪●◦‣]\s*(?:[-–*]\s+)?|[-*]\s+|(?=\d{1,3}[.)]\s))(.*)$")
_NUMBER = re.compile(r"\d{1,3}[.)]\s+")
_SENTENCE_END = re.compile(r"[.!?:;][”\"’)]?$")
_CLOSING = re.compile(r"[.,;:!]$")
_INNER_PUNCTUATION = re.compile(r"[.,;!?]")
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
        self.bare_items: set[int] = set()  # lines read as items of a list without bullets

    def text(self, index: int) -> str:
        """The line as a reader sees it, without a "Back to top" or "»" glued to it."""
        if 0 <= index < len(self.lines):
            text = self.lines[index].strip()
            for mark in (self.profile.heading_suffix, self.profile.link_mark):
                if mark is not None and (found := mark.search(text)) and found.start():
                    text = text[: found.start()]
            return text
        return ""

    def marked_heading(self, index: int) -> bool:
        """A "Back to top" link glued to the line: the scrape of a heading."""
        mark = self.profile.heading_suffix
        line = self.lines[index].strip() if 0 <= index < len(self.lines) else ""
        return mark is not None and bool(found := mark.search(line)) and found.start() > 0

    def is_label(self, index: int) -> bool:
        """A short label ending in ":" with text under it ("Drug Type:")."""
        text = self.text(index)
        if not text.endswith(":") or self.is_bullet(index) or not text[0].isupper():
            return False
        if len(text.split()) > _MAX_TITLE_WORDS or _INNER_PUNCTUATION.search(text[:-1]):
            return False
        if any(p.search(text) for p in self.profile.not_label_headings):
            return False
        following = next((i for i in range(index + 1, index + 4) if self.text(i)), None)
        under = following is not None and (self.is_bullet(following) or self.is_sentence(following))
        after_heading = bool(self.text(index - 1)) and self.looks_like_heading(index - 1)
        return under and self.starts_block(index) and not after_heading

    def is_bullet(self, index: int) -> bool:
        return bool(self.text(index)) and _BULLET.match(self.lines[index]) is not None

    def is_sentence(self, index: int) -> bool:
        text = self.text(index)
        return bool(text) and _SENTENCE_END.search(text) is not None

    def looks_like_heading(self, index: int) -> bool:
        text = self.text(index)
        first = text.lstrip("¿¡")[:1]
        if not text or self.is_bullet(index) or not (first.isupper() or first.isdigit()):
            return False
        if any(p.search(text) for p in self.profile.not_headings) and not text.endswith("?"):
            return False
        words = len(text.split())
        if text.endswith("?"):
            return words <= _MAX_QUESTION_WORDS
        return words <= _MAX_TITLE_WORDS and not _CLOSING.search(text)

    def starts_block(self, index: int) -> bool:
        """Nothing before it, or a blank line, a list item or a finished sentence."""
        before = index - 1
        return (
            not self.text(before)
            or self.is_bullet(before)
            or self.is_sentence(before)
            or before in self.bare_items
            or any(p.search(self.text(before)) for p in self.profile.not_headings)
        )

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
        if self.marked_heading(index) or self.is_label(index):
            return True
        if not self.looks_like_heading(index) or _indent(self.lines[index]) > _WRAPPED_INDENT:
            return False
        isolated = not self.text(index - 1) and not self.text(index + 1)
        if isolated or (text.endswith("?") and self.starts_block(index) and self.text(index + 1)):
            return True  # (a question that starts a block heads what follows it)
        after_blank = not self.text(index + 1) and any(
            self.text(i) for i in range(index + 2, len(self.lines))
        )
        return self.starts_block(index) and (after_blank or self.text_follows(index))


def tokenise_scrape(lines: list[str], profile: Profile) -> list[Token]:
    """Lines (already stripped of chrome) -> tokens."""
    page = _Lines(lines, profile)
    tokens: list[Token] = []
    item_column: int | None = None  # a list is open: lines indented this far continue its item
    run = 0  # items since the last blank line
    lead_open = False  # the open item, or a line of it, ends in ":"
    index = 0
    while index < len(lines):
        line, number, stripped = lines[index], index + 1, lines[index].strip()
        if not stripped:
            index += 1
            continue
        if bullet := _BULLET.match(line):
            text = normalise(bullet[1])
            if _nested(item_column, lead_open, line, text):
                tokens.append(Token("cont", text, number))
                lead_open = lead_open or text.endswith(":")
            elif text:  # an empty bullet is layout, not an item
                after_blank = not page.text(index - 1)
                new_list = after_blank and bool(tokens) and tokens[-1].kind != "para" and run > 1
                run = 1 if after_blank else run + 1
                tokens.append(Token("item", text, number, new_list=new_list))
                # a numbered item's own text starts after its number
                numbered = _NUMBER.match(bullet[1])
                item_column = bullet.start(1) + (numbered.end() if numbered else 0)
                lead_open = text.endswith(":")
            index += 1
            continue
        run = 0
        if item_column is not None and _indent(line) >= max(item_column, 3):
            tokens.append(Token("cont", normalise(stripped), number))
            lead_open = lead_open or stripped.endswith(":")
            index += 1
            continue
        item_column = None
        if page.is_heading(index):
            heading = normalise(page.text(index))
            tokens.append(Token("heading", heading, number))
            index += 1
            if heading.endswith(":"):  # a heading that announces a list
                index = _bare_list(page, index, tokens)
            elif questions := _question_items(page, index):
                tokens.extend(Token("item", normalise(page.text(i)), i + 1) for i in questions)
                page.bare_items.update(questions)
                index = questions[-1] + 1
            continue
        index = _paragraph(page, index, tokens)
    return tokens


def _nested(item_column: int | None, lead_open: bool, line: str, text: str) -> bool:
    """Whether a bullet is a nested item of the list item before it: indented
    under its text, or a lower-case item while that item's lead-in (a line of
    it ending in ":") is open."""
    if item_column is None:
        return False
    return _indent(line) >= item_column or (lead_open and text[:1].islower())


def _paragraph(page: _Lines, index: int, tokens: list[Token]) -> int:
    """A paragraph (a text browser's hard-wrapped lines join into one) and the
    bare list after it if it is a lead-in; returns the index after them."""
    lines = page.lines
    end = index + 1
    if _indent(lines[index]) >= _WRAPPED_INDENT:
        while page.text(end) and _indent(lines[end]) >= _WRAPPED_INDENT and not page.is_bullet(end):
            end += 1
    text = normalise(" ".join(lines[index:end]))
    tokens.append(Token("para", text, index + 1))
    if text.endswith(":"):
        return _bare_list(page, end, tokens)
    return end


def _run(page: _Lines, start: int) -> list[int]:
    """The lines from ``start`` that could be items whose bullets were lost."""
    run, index = [], start
    while (
        page.text(index)
        and not page.is_bullet(index)
        and not page.is_sentence(index)
        and len(page.text(index).split()) <= _MAX_BARE_ITEM_WORDS
    ):
        run.append(index)
        index += 1
    return run


def _next_text(page: _Lines, index: int) -> int:
    """The first line from ``index`` that is not blank."""
    while index < len(page.lines) and not page.text(index):
        index += 1
    return index


_MAX_SENTENCE_ITEM_WORDS = _MAX_BARE_ITEM_WORDS


def _question_items(page: _Lines, start: int) -> list[int]:
    """Right under a heading, two or more questions one per line with nothing
    between them ("How long will my treatment take?" / "Who do I call ...?"):
    a list of questions whose bullets the scrape lost, not headings each."""
    run, index = [], start
    while (
        page.text(index).endswith("?")
        and not page.is_bullet(index)
        and len(page.text(index).split()) <= _MAX_QUESTION_WORDS
    ):
        run.append(index)
        index += 1
    return run if len(run) >= 2 else []


_INNER_SENTENCE = re.compile(r"[.!?] ")


def _sentence_items(page: _Lines, start: int) -> list[int]:
    """Right under a lead-in, two or more short one-sentence lines in a row
    ("Wash your hands often." / "Ask visitors to wash their hands."): the
    items of a list whose bullets the scrape lost, where every block is one
    line. A longer line or a line of two sentences is the text again."""
    run, index = [], start
    while page.is_sentence(index) and not page.is_bullet(index):
        text = page.text(index)
        if len(text.split()) > _MAX_SENTENCE_ITEM_WORDS or _INNER_SENTENCE.search(text):
            break
        if text.endswith(":"):
            break
        run.append(index)
        index += 1
    ends = not page.text(index) or page.is_heading(index)
    return run if len(run) >= 2 and ends else []


def _bare_list(page: _Lines, start: int, tokens: list[Token]) -> int:
    """After a lead-in: the lines that are the items of a list whose bullets
    the scrape lost, as items; returns the index of the first line after them."""
    run = _run(page, start) or _sentence_items(page, start)
    if not run and page.text(start - 1):
        after = _next_text(page, start)
        run = _run(page, after)
        if len(run) < 2 or page.text(run[-1] + 1):
            return _labelled_items(page, after, tokens)
    if len(run) == 1 and page.looks_like_heading(run[0]) and page.is_sentence(run[0] + 1):
        return start  # a subsection heading, not a one-item list
    if len(run) > 1:
        last = page.text(run[-1])
        lower = all(not page.text(i)[0].isupper() for i in run[:-1])
        if lower and last[0].isupper() and page.looks_like_heading(run[-1]):
            run.pop()  # the heading after the list
    page.bare_items.update(run)
    for item in run:
        nested = page.text(item)[0].islower() and _labels_over_items(page, run)
        tokens.append(Token("cont" if nested else "item", normalise(page.text(item)), item + 1))
    return run[-1] + 1 if run else start


def _labels_over_items(page: _Lines, run: list[int]) -> bool:
    """Whether a bare list is capitalised labels each over lower-case items
    ("Lung problems" / "cough" / "chest pain" / "Liver problems" / ...)."""
    upper = [page.text(i)[0].isupper() for i in run]
    if not upper[0] or all(upper):
        return False
    return all(not (a and b) for a, b in zip(upper, [*upper[1:], True], strict=True))


_MAX_LABEL_WORDS = 8


def _labelled_items(page: _Lines, index: int, tokens: list[Token]) -> int:
    """Labels each over a run of bare lines ("Lung problems." / its symptoms):
    each label an item, its lines the item's nested items. Returns the index
    after the last group, or ``index`` when there is none."""
    end = index
    while index < len(page.lines):
        label = page.text(index)
        short_label = len(label.split()) <= _MAX_LABEL_WORDS and label.endswith(".")
        if not label or page.is_bullet(index) or not (label.endswith(":") or short_label):
            break
        if page.text(index + 1):
            break
        run = _run(page, _next_text(page, index + 1))
        if not run:
            break
        tokens.append(Token("item", normalise(label), index + 1))
        tokens.extend(Token("cont", normalise(page.text(i)), i + 1) for i in run)
        page.bare_items.update(run)
        end = run[-1] + 1
        index = _next_text(page, end)
    return end
