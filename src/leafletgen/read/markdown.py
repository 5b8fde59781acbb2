"""Reader for Markdown exports with YAML front matter (NCI's content feed).

Knows Markdown only: front matter, ATX headings (including the empty ``##``
line whose heading text stands on the next non-blank line), ``-`` lists,
images and inline links. Publisher chrome is the profile's business.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from leafletgen.errors import SourceError, brief
from leafletgen.read.profiles import Profile
from leafletgen.read.text import Token, normalise
from leafletgen.yamlfile import LineDict, parse_yaml

# Every pattern here runs in time linear in the line: no nested or adjacent
# quantifiers over the same characters, and the inner parts of links, images
# and emphasis stop at the next bracket, parenthesis or star, so a line of
# thousands of "[a](", "![" or "**" is scanned once, not once per bracket.
# An ATX heading: 1-6 "#", then its text (closing "#"s are trimmed in code).
_HEADING = re.compile(r"^(#{1,6})(?:\s(.*))?$")
_ITEM = re.compile(r"^\s{0,3}[-*+]\s+(.*)$")
# An ordered list item ("1. How to keep the area clean"): its number is kept
# in its text, as the order of steps may matter and the source is not rewritten.
_NUMBERED = re.compile(r"^\s{0,3}(\d{1,3}[.)]\s+.*)$")
_IMAGE = re.compile(r"!\[[^\[\]]*\]\([^()]*\)")
_LINK = re.compile(r"\[([^\[\]]*)\]\(([^()]*)\)")
_EMPHASIS = re.compile(r"\*\*([^*]+)\*\*|__([^_]+)__")
_DOUBLED_STOP = re.compile(r"([.!?]) *\.(\s|$)")

REVIEW_MONTHS = {
    "monthly": 1,
    "quarterly": 3,
    "biannual": 6,
    "semiannual": 6,
    "semi-annual": 6,
    "annual": 12,
    "annually": 12,
    "yearly": 12,
    "biennial": 24,
}


@dataclass(frozen=True)
class FrontMatter:
    """The YAML header of a Markdown export, and where its body starts."""

    data: dict
    body_start: int  # index of the first body line


def read_front_matter(lines: list[str], path: Path) -> FrontMatter:
    """Parse the ``---`` delimited YAML header, with errors at their file line."""
    if not lines or lines[0].strip() != "---":
        return FrontMatter({}, 0)
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            break
    else:
        raise SourceError("front matter opened with '---' is never closed", path, 1)
    try:
        data = parse_yaml("\n".join(lines[1:index]), path, SourceError)
    except SourceError as error:
        # Lines of the header count from the file's second line.
        line = error.line + 1 if error.line is not None else 1
        message = error.message.replace("invalid YAML", "front matter is not valid YAML", 1)
        raise SourceError(message, path, line) from None
    if data is None:
        data = LineDict()
        data.line, data.key_lines = 1, {}
    if not isinstance(data, LineDict):
        raise SourceError("front matter must be a mapping of keys to values", path, 2)
    return FrontMatter(data, index + 1)


def review_from_front_matter(data: dict, path: Path) -> dict[str, dt.date]:
    """``lastReviewed`` and ``lastReviewed + reviewFrequency`` as dates."""
    value = data.get("lastReviewed")
    if value is None:
        return {}
    # The header starts on the file's second line.
    line = data.line_of("lastReviewed") + 1 if isinstance(data, LineDict) else None
    try:
        if isinstance(value, dt.date):
            last = value
        elif isinstance(value, str) and len(value) == 10:
            last = dt.date.fromisoformat(value)
        else:
            raise ValueError
    except ValueError:
        raise SourceError(
            f"lastReviewed {brief(value)} is not a real YYYY-MM-DD date", path, line
        ) from None
    found = {"last": last}
    frequency = data.get("reviewFrequency", "")
    months = REVIEW_MONTHS.get(frequency.strip().lower()) if isinstance(frequency, str) else None
    if months:
        next_review = _add_months(last, months)
        if next_review is None:
            raise SourceError(
                f"lastReviewed {last.isoformat()} plus a {frequency.strip()} review is past "
                "the last date the calendar can hold",
                path,
                line,
            )
        found["next"] = next_review
    return found


def _add_months(day: dt.date, months: int) -> dt.date | None:
    """``day`` plus ``months`` (the month's last day if it is shorter); None past year 9999."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    if year > dt.MAXYEAR:
        return None
    for candidate in (day.day, 31, 30, 29, 28):
        if candidate <= day.day:
            try:
                return dt.date(year, month, candidate)
            except ValueError:
                continue
    return None


def inline_text(text: str, profile: Profile) -> str:
    """Markdown inline markup -> plain text: images out, links to their text,
    links that only send the reader elsewhere on the site dropped."""
    text = _IMAGE.sub("", text)

    def link(match: re.Match[str]) -> str:
        label = match[1]
        if any(p.match(label) for p in profile.nav_links):
            return ""
        return label

    text = _LINK.sub(link, text)
    # A dropped navigation link can leave its sentence's full stop behind.
    text = _DOUBLED_STOP.sub(r"\1\2", normalise(text))
    text = _EMPHASIS.sub(lambda m: m[1] or m[2], text)
    return normalise(text)


def _list_item(tokens: list[Token], text: str, line: str, number: int, item_indent: int) -> int:
    """A list item, or a nested item kept with the item above it (indented
    further); returns the indent of the current top-level item."""
    indent = len(line) - len(line.lstrip())
    if text and tokens and tokens[-1].kind in ("item", "cont") and indent > item_indent:
        tokens.append(Token("cont", text, number))
    elif text:
        tokens.append(Token("item", text, number))
        return indent
    return item_indent


_THEMATIC_BREAK = re.compile(r"^[-*_](?:\s*[-*_]){2,}$")


def tokenise_markdown(
    lines: list[str], first: int, profile: Profile
) -> tuple[list[Token], str | None]:
    """Body lines (already stripped of chrome) -> tokens, and the page title;
    ``first`` is the index of the first body line. Level-1 headings before any
    content are the page title (the last of them, when an export repeats it
    with a suffix) and produce no section."""
    tokens: list[Token] = []
    title: str | None = None
    paragraph: list[str] = []
    paragraph_line = 0
    pending_heading: int | None = None  # level of an empty "##" awaiting its text
    item_indent = 0  # indent of the last top-level list item's marker

    def flush() -> None:
        nonlocal paragraph
        if paragraph:
            text = inline_text(" ".join(paragraph), profile)
            if text:
                tokens.append(Token("para", text, paragraph_line))
        paragraph = []

    for index in range(first, len(lines)):
        number, line = index + 1, lines[index]
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        if pending_heading is not None:
            tokens.append(Token("heading", inline_text(stripped, profile), number, pending_heading))
            pending_heading = None
            continue
        if _THEMATIC_BREAK.match(stripped):
            flush()
            continue
        if heading := _HEADING.match(stripped):
            flush()
            level, text = len(heading[1]), (heading[2] or "").strip().rstrip("#").strip()
            if not text:
                pending_heading = level
            elif level == 1 and not tokens:
                title = inline_text(text, profile)  # the page title
            else:
                tokens.append(Token("heading", inline_text(text, profile), number, level))
            continue
        if item := _ITEM.match(line) or _NUMBERED.match(line):
            flush()
            text = inline_text(item[1], profile)
            item_indent = _list_item(tokens, text, line, number, item_indent)
            continue
        if _IMAGE.fullmatch(stripped):
            flush()
            continue
        if not paragraph:
            paragraph_line = number
        paragraph.append(stripped)
    flush()
    return tokens, title
