"""What a reviewer sees and does: ``leafletgen sources show`` and ``sources review``.

:func:`marked_outline` prints every line of the source file beside what the
reader makes of it (heading, printed unit, not printed), and marks every
line the reader is unsure of: flagged web furniture, sentences and lead-ins
it withheld, metadata. :func:`record_review` records a review under the name
and role given, dated the machine's today, with the units excluded and kept
on purpose as data (line and text).
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from leafletgen.errors import LeafletError, SourceError, raise_all
from leafletgen.files import read_regular, write_atomic
from leafletgen.model import Document
from leafletgen.read.decode import MAX_SOURCE_BYTES, decode_source
from leafletgen.read.sources import load_sources, read_source
from leafletgen.read.text import normalise
from leafletgen.review.sources import (
    ReviewBook,
    SourceReview,
    Unit,
    apply_review,
    load_book,
    printed_units,
)

LEGEND = (
    "marks: '#' heading   ' ' printed   '!' printed, the reader is unsure: look at it\n"
    "       '?' withheld by the reader   'm' metadata (front matter)   '-' not printed\n"
    "       (site chrome, blank)   'x' excluded by a review   'k' kept on purpose by the review"
)
WIDTH = 100  # characters a line of the view holds before it wraps


@dataclass(frozen=True)
class RawSource:
    """A source as the reader proposes it, before any review, with the record."""

    document: Document  # the review applied (``review`` set, exclusions left out)
    raw: Document  # the outline the reader proposed
    lines: list[str]  # the file's text, line by line
    book: ReviewBook


def read_raw(sources: Path, source_id: str) -> RawSource:
    """Read one source of the corpus as the reader proposes it, and its review record."""
    infos = load_sources(sources)
    if source_id not in infos:
        known = ", ".join(sorted(infos)) or "none"
        raise SourceError(f"no source {source_id!r} in sources.yaml; known: {known}", sources)
    info = infos[source_id]
    path = sources / info.file
    raw = read_source(path, info)
    data = read_regular(path, limit=MAX_SOURCE_BYTES, what="source", error=SourceError)
    text, _notices = decode_source(data, path)
    book = load_book(sources)
    return RawSource(apply_review(raw, book), raw, text.split("\n"), book)


def _front_matter_end(lines: list[str]) -> int:
    """The number of lines a Markdown file's front matter takes (0 without one)."""
    if not lines or lines[0].strip() != "---":
        return 0
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return index + 1
    return 0


_MARKUP = re.compile(r"^\s*(?:#+|>|[*+-]|\d+[.)])\s+")


def _bare(text: str) -> str:
    """A line without its Markdown markers, white space collapsed."""
    return normalise(_MARKUP.sub("", text).replace("**", ""))


def _wrapped(first: str, text: str, rest: str) -> list[str]:
    """``text`` whole, in lines of about :data:`WIDTH` characters: a reviewer sees every word."""
    lines = textwrap.wrap(text, WIDTH, break_long_words=False, break_on_hyphens=False) or [""]
    return [f"{first}{lines[0]}".rstrip(), *(f"{rest}{line}" for line in lines[1:])]


def _line_marks(source: RawSource) -> dict[int, tuple[str, list[str]]]:
    """Each line's mark and notes, for the lines that are more than not printed."""
    raw, review = source.raw, source.document.review
    marks: dict[int, tuple[str, list[str]]] = {}
    for section in raw.sections:
        if section.heading is not None:
            marks[section.line] = ("#", [f"heading [{section.kind}]"])
    units = printed_units(raw)
    excluded = {line for line, _ in review.excluded} if review else set()
    kept = set(review.kept) if review else set()
    for line, text in units.items():
        notes = [] if _bare(source.lines[line - 1]) == normalise(text) else [f"prints: {text}"]
        marks[line] = ("x" if line in excluded else "k" if line in kept else " ", notes)
    for flag in raw.furniture:
        mark, notes = marks[flag.line]
        notes.append(f"flagged as web furniture ({', '.join(flag.kinds)})")
        marks[flag.line] = ("!" if mark == " " else mark, notes)
    for notice in raw.warnings:
        mark, notes = marks.get(notice.line, ("?", []))
        marks[notice.line] = ("!" if mark == " " else mark, [*notes, notice.message])
    for number in range(1, _front_matter_end(source.lines) + 1):
        marks.setdefault(number, ("m", []))
    for number, text in enumerate(source.lines, start=1):
        if number not in marks and (found := _unprinted_kind(text, raw.title)):
            marks[number] = found
    return marks


# Lines the reader reads but does not print, worth a reviewer's eye: the dates
# that decide whether the page is current, an image's alternative text.
_DATES = re.compile(r"\b(last (reviewed|updated|modified)|next review|reviewed|updated)\b", re.I)
_IMAGE = re.compile(r"^\s*!\[")


def _unprinted_kind(text: str, title: str | None) -> tuple[str, list[str]] | None:
    """The mark of a line the outline does not print, when it is more than chrome."""
    if title and _bare(text).casefold() == normalise(title).casefold():
        return "m", ["the page's title"]
    if _DATES.search(text) and re.search(r"\d", text) and len(text) < 120:
        return "m", ["a review date (metadata: it decides when the page is due)"]
    if _IMAGE.match(text):
        return "?", ["an image: its alternative text and caption are not printed"]
    return None


def _header(source: RawSource, path: str) -> list[str]:
    document, review = source.raw, source.document.review
    assert review is not None
    lines = [
        f"{document.id}: {document.publisher or 'unknown publisher'}, "
        f"“{document.title or '(untitled)'}”",
        f"  file: {path}   sha256: {review.sha256}   outline: {review.outline}",
        f"  metadata: url {document.url or '-'}; last reviewed {document.last_reviewed or '-'}; "
        f"next review {document.next_review or '-'}",
    ]
    if review.current:
        lines.append(
            f"  reviewed by {review.by} ({review.role}) on {review.date} ({review.where}); "
            f"{len(review.excluded)} excluded, {len(review.kept)} kept on purpose"
        )
    else:
        lines.append(
            "  not reviewed as it now stands: run `leafletgen sources review "
            f"{document.id} --reviewer NAME --role ROLE [--exclude LINE]... [--keep LINE]...`"
        )
    return [*lines, LEGEND, ""]


def marked_outline(source: RawSource, path: str) -> str:
    """Every line of the source beside what it prints, uncertain lines marked."""
    marks = _line_marks(source)
    units = printed_units(source.raw)
    out = _header(source, path)
    previous = None  # the text of the unit the lines above belong to
    for number, text in enumerate(source.lines, start=1):
        mark, notes = marks.get(number, ("-" if text.strip() else " ", []))
        if number in units:
            previous = units[number]
        elif number not in marks and previous and text.strip():
            if normalise(text)[:40] in normalise(previous):
                mark = "·"  # the rest of a unit that starts above
            else:
                previous = None
        out += _wrapped(f"{number:>5} {mark} ", text, " " * 8)
        for note in notes:
            out += _wrapped("        ^ ", note, " " * 10)
    unsure = sum(1 for mark, _ in marks.values() if mark in ("!", "?"))
    out.append(f"\n{unsure} line(s) the reader is unsure of (marked '!' or '?')")
    return "\n".join(out)


def _check_lines(lines: list[int], units: dict[int, str], what: str, path: str) -> list:
    return [
        SourceError(f"--{what} {line}: line {line} starts no printed paragraph or list item", path)
        for line in lines
        if line not in units
    ]


HEADER = """\
# Source reviews (kept by leafletgen): who looked at what each source prints.
#
# Each review names the source, the reviewer, their role and the date, and is
# bound to the source file's sha256 and a fingerprint of the outline the reader
# proposed: editing the file, or a reader change that alters what prints, makes
# the source unreviewed again. excluded: units left out of every leaflet (while
# that line holds that text); kept: flagged units printed on purpose.
# Record reviews with `leafletgen sources review`; never write a reviewer here
# who did not review.
"""


def _plain_units(units: tuple[Unit, ...]) -> list[dict]:
    return [{"line": unit.line, "text": unit.text} for unit in units]


def write_book(book: ReviewBook) -> None:
    """Write the record atomically, with its explanatory header."""
    entries = [
        {
            "source": r.source,
            "reviewer": r.reviewer,
            "role": r.role,
            "date": r.date.isoformat(),
            "sha256": r.sha256,
            "outline": r.outline,
            "excluded": _plain_units(r.excluded),
            "kept": _plain_units(r.kept),
        }
        for r in book.reviews
    ]
    body = yaml.safe_dump({"reviews": entries}, allow_unicode=True, sort_keys=False, width=100)
    try:
        write_atomic(book.path, (HEADER + body).encode("utf-8"))
    except OSError as error:
        raise SourceError(f"cannot write source reviews: {error.strerror}", book.path) from None


def record_review(
    sources: Path,
    source_id: str,
    *,
    reviewer: str,
    role: str,
    exclude: list[int],
    keep: list[int],
) -> tuple[SourceReview, list[str]]:
    """Record that ``reviewer`` (in ``role``) reviewed what the source now prints,
    today, excluding and keeping the units that start on the lines given.

    Returns the review and warnings: flagged lines neither excluded nor kept."""
    reviewer, role = reviewer.strip(), role.strip()
    if not reviewer or not role:
        raise LeafletError("sources review needs --reviewer NAME and --role ROLE")
    source = read_raw(sources, source_id)
    raw, review = source.raw, source.document.review
    assert review is not None
    units = printed_units(raw)
    file = Path(raw.path)  # named as the project names it, never as a server path
    path = (
        file.relative_to(sources.parent).as_posix()
        if file.is_relative_to(sources.parent)
        else raw.path
    )
    errors = _check_lines(exclude, units, "exclude", path) + _check_lines(keep, units, "keep", path)
    errors += [
        SourceError(f"line {line} is both excluded and kept", path)
        for line in set(exclude) & set(keep)
    ]
    raise_all(errors)
    entry = SourceReview(
        source=source_id,
        reviewer=reviewer,
        role=role,
        date=dt.date.today(),
        sha256=review.sha256,
        outline=review.outline,
        excluded=tuple(Unit(line, units[line]) for line in sorted(set(exclude))),
        kept=tuple(Unit(line, units[line]) for line in sorted(set(keep))),
    )
    write_book(replace(source.book, reviews=(*source.book.reviews, entry)))
    decided = set(exclude) | set(keep)
    warnings = [
        f"{path}:{flag.line}: flagged as web furniture ({', '.join(flag.kinds)}) and neither "
        f"excluded nor kept: a leaflet that prints it is not cleared unless its definition "
        f"keeps it: {flag.text!r}"
        for flag in raw.furniture
        if flag.line not in decided
    ]
    return entry, warnings
