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

import yaml

from ..errors import SourceError
from .common import Profile, Token, normalise

# An ATX heading: 1-6 "#", then its text (closing "#"s are trimmed in code, so
# that no pattern backtracks over the line).
_HEADING = re.compile(r"^(#{1,6})(?:\s(.*))?$")
_ITEM = re.compile(r"^\s{0,3}[-*+]\s+(.*)$")
_IMAGE = re.compile(r"!\[[^\[\]]*\]\([^()]*\)")
_LINK = re.compile(r"\[([^\[\]]*)\]\(([^()]*)\)")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")

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
        data = yaml.safe_load("\n".join(lines[1:index])) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error)
        raise SourceError(f"front matter is not valid YAML: {problem}", path, line) from None
    if not isinstance(data, dict):
        raise SourceError("front matter must be a mapping of keys to values", path, 2)
    return FrontMatter(data, index + 1)


def review_from_front_matter(data: dict, path: Path) -> dict[str, dt.date]:
    """``lastReviewed`` and ``lastReviewed + reviewFrequency`` as dates."""
    value = data.get("lastReviewed")
    if value is None:
        return {}
    try:
        last = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    except ValueError:
        raise SourceError(f"lastReviewed {value!r} is not a YYYY-MM-DD date", path) from None
    found = {"last": last}
    months = REVIEW_MONTHS.get(str(data.get("reviewFrequency", "")).strip().lower())
    if months:
        found["next"] = _add_months(last, months)
    return found


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


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
    text = re.sub(r"([.!?])\s*\.(\s|$)", r"\1\2", text)
    text = _EMPHASIS.sub(r"\2", text)
    return normalise(text)


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
        if item := _ITEM.match(line):
            flush()
            text = inline_text(item[1], profile)
            if text:
                tokens.append(Token("item", text, number))
            continue
        if _IMAGE.fullmatch(stripped):
            flush()
            continue
        if not paragraph:
            paragraph_line = number
        paragraph.append(stripped)
    flush()
    return tokens, title
