"""The source review record, ``sources/reviews.yaml``, and what it does to a document.

Kept like a translation review: each review names the source, who reviewed
what it prints, in which role and on which date, and is bound to the source
file's sha256 **and** a fingerprint of the outline the reader proposed
(headings, kinds, every printed unit with its line, the lines it flagged or
withheld). An edited file, or a reader change that alters what prints, makes
the source unreviewed again without anyone having to remember to say so.

A review records, as data, the units it excluded and the units it keeps on
purpose, each with its line and text: an excluded unit is not printed while
that line still holds that text (so a moved or edited line is printed again,
and asked about again). The record never names a reviewer or a date that
``leafletgen sources review`` was not given: its date is the machine's today.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

from leafletgen.errors import LeafletError, SourceError, raise_all
from leafletgen.files import read_regular
from leafletgen.model import Block, Document, Reviewed, Section
from leafletgen.read.decode import MAX_SOURCE_BYTES
from leafletgen.yamlfile import LineDict, LineList, load_yaml, require_keys

RECORD = "reviews.yaml"
REVIEW_KEYS: dict[str, type | tuple[type, ...]] = {
    "source": str,
    "reviewer": str,
    "role": str,
    "date": (str, dt.date),
    "sha256": str,
    "outline": str,
    "excluded": list,
    "kept": list,
}
UNIT_KEYS: dict[str, type | tuple[type, ...]] = {"line": int, "text": str}


@dataclass(frozen=True)
class Unit:
    """A printed unit (a paragraph or a list item) named by its line and text."""

    line: int
    text: str


@dataclass(frozen=True)
class SourceReview:
    """One review of one source, as the record holds it."""

    source: str
    reviewer: str
    role: str
    date: dt.date
    sha256: str
    outline: str
    excluded: tuple[Unit, ...] = ()
    kept: tuple[Unit, ...] = ()
    line: int | None = None  # where it stands in reviews.yaml


@dataclass(frozen=True)
class ReviewBook:
    """Every source review of a corpus (empty when the file does not exist)."""

    path: Path
    reviews: tuple[SourceReview, ...] = ()

    def of(self, source_id: str) -> tuple[SourceReview, ...]:
        """The reviews of one source, in the order they were recorded."""
        return tuple(r for r in self.reviews if r.source == source_id)


def record_path(sources: Path) -> Path:
    """``sources/reviews.yaml``, beside ``sources.yaml``."""
    return Path(sources) / RECORD


# --- fingerprints ----------------------------------------------------------------


def file_sha256(path: str | Path) -> str:
    """The sha256 of a source file's bytes, as 64 hex digits."""
    data = read_regular(path, limit=MAX_SOURCE_BYTES, what="source", error=SourceError)
    return hashlib.sha256(data).hexdigest()


def _outline_data(document: Document) -> list:
    return [
        document.title,
        [
            [
                section.heading,
                section.kind,
                section.line,
                [[block.type, [list(unit) for unit in block.units]] for block in section.blocks],
            ]
            for section in document.sections
        ],
        [[f.line, list(f.kinds), f.text] for f in document.furniture],
        sorted({notice.line for notice in document.warnings}),
    ]


def outline_fingerprint(document: Document) -> str:
    """16 hex digits naming the outline the reader proposed for a document:
    title, sections (heading, kind, line), every printed unit with its line,
    the flagged furniture and the lines the reader withheld."""
    text = json.dumps(_outline_data(document), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def printed_units(document: Document) -> dict[int, str]:
    """Every unit the document's outline prints, by the line it starts on."""
    return {
        line: text
        for section in document.sections
        for block in section.blocks
        for text, line in block.units
    }


# --- the record ------------------------------------------------------------------


def _date(value: object, path: Path, line: int) -> tuple[dt.date | None, list[LeafletError]]:
    if isinstance(value, dt.date):
        return (value.date() if isinstance(value, dt.datetime) else value), []
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value), []
        except ValueError:
            pass
    return None, [SourceError(f"date must be YYYY-MM-DD, not {value!r}", path, line)]


def _units(value: object, path: Path, line: int, what: str) -> tuple[tuple[Unit, ...], list]:
    """``[{line: N, text: ...}, ...]``: units a review excluded or kept."""
    if value is None:
        return (), []
    if not isinstance(value, LineList):
        return (), [SourceError(f"{what} must be a list of {{line, text}}", path, line)]
    units, errors = [], []
    for item in value:
        problems = require_keys(
            item, UNIT_KEYS, {"line", "text"}, path, SourceError, what=f"{what} unit",
            max_length={"text": 20_000},
        )  # fmt: skip
        if problems:
            errors += problems
            continue
        units.append(Unit(item["line"], item["text"]))
    return tuple(units), errors


def _review(entry: object, path: Path, today: dt.date) -> tuple[SourceReview | None, list]:
    required = {"source", "reviewer", "role", "date", "sha256", "outline"}
    errors = require_keys(entry, REVIEW_KEYS, required, path, SourceError, what="source review")
    if errors:
        return None, errors
    assert isinstance(entry, LineDict)
    for key in ("reviewer", "role"):
        if not entry[key].strip():
            errors.append(SourceError(f"{key} is empty", path, entry.line_of(key)))
    date, problems = _date(entry["date"], path, entry.line_of("date"))
    errors += problems
    if date is not None and date > today:
        errors.append(
            SourceError(
                f"review date {date} is in the future (today is {today}); a review is "
                "recorded on the day it is done",
                path,
                entry.line_of("date"),
            )
        )
    excluded, more = _units(entry.get("excluded"), path, entry.line_of("excluded"), "excluded")
    kept, most = _units(entry.get("kept"), path, entry.line_of("kept"), "kept")
    errors += more + most
    if errors or date is None:
        return None, errors
    review = SourceReview(
        entry["source"], entry["reviewer"].strip(), entry["role"].strip(), date,
        entry["sha256"].strip().lower(), entry["outline"].strip().lower(), excluded, kept,
        entry.line,
    )  # fmt: skip
    return review, []


def load_book(sources: Path, today: dt.date | None = None) -> ReviewBook:
    """Read ``sources/reviews.yaml``; every problem reported at its file and line.

    A review dated after ``today`` (default: the machine's today) is an error:
    a review is recorded on the day it is done, never ahead of it."""
    path = record_path(sources)
    if not path.is_file():
        return ReviewBook(path)
    root = load_yaml(path, SourceError)
    errors = require_keys(root, {"reviews": list}, set(), path, SourceError, what="review record")
    reviews = []
    for entry in root.get("reviews") or []:
        review, problems = _review(entry, path, today or dt.date.today())
        errors += problems
        if review is not None:
            reviews.append(review)
    raise_all(errors)
    return ReviewBook(path, tuple(reviews))


# --- applying the record to a document ---------------------------------------------


def current_review(
    document: Document, book: ReviewBook, sha256: str, outline: str
) -> SourceReview | None:
    """The latest review of the document's source as its file and outline now stand.

    A review dated before the page's own last review date cannot be of this
    text and does not count."""
    found = [
        review
        for review in book.of(document.id)
        if review.sha256 == sha256
        and review.outline == outline
        and not (document.last_reviewed and review.date < document.last_reviewed)
    ]
    return max(found, key=lambda r: r.date) if found else None


def _without(block: Block, excluded: set[tuple[int, str]]) -> Block | None:
    """The block without the excluded units (``None`` when nothing is left)."""
    if block.type == "paragraph":
        return None if (block.line, block.text) in excluded else block
    pairs = [(text, line) for text, line in block.units if (line, text) not in excluded]
    if len(pairs) == len(block.items):
        return block
    if not pairs:
        return None
    return replace(
        block,
        line=pairs[0][1],
        items=tuple(text for text, _ in pairs),
        item_lines=tuple(line for _, line in pairs),
    )


def exclude_units(document: Document, excluded: set[tuple[int, str]]) -> tuple[Section, ...]:
    """The document's sections without the excluded ``(line, text)`` units."""
    sections = []
    for section in document.sections:
        blocks = [_without(block, excluded) for block in section.blocks]
        sections.append(replace(section, blocks=tuple(b for b in blocks if b is not None)))
    return tuple(sections)


def apply_review(document: Document, book: ReviewBook) -> Document:
    """The document as the clinic's review has it: the units a review excluded
    left out, and what the review says recorded in ``Document.review``.

    The exclusions of the current review apply; without one, those of the
    source's latest review still apply wherever the line holds the same
    text (the source stays unreviewed either way)."""
    sha256 = file_sha256(document.path)
    outline = outline_fingerprint(document)
    review = current_review(document, book, sha256, outline)
    basis = review or (book.of(document.id)[-1] if book.of(document.id) else None)
    units = printed_units(document)
    excluded = {
        (unit.line, unit.text)
        for unit in (basis.excluded if basis else ())
        if units.get(unit.line) == unit.text
    }
    record = f"{book.path.parent.name}/{book.path.name}"
    where = f"{record}:{review.line}" if review and review.line else record
    reviewed = Reviewed(
        sha256=sha256,
        outline=outline,
        by=review.reviewer if review else None,
        role=review.role if review else None,
        date=review.date if review else None,
        where=where if review else "",
        excluded=tuple(sorted(excluded)),
        kept=tuple(sorted(unit.line for unit in review.kept)) if review else (),
    )
    sections = exclude_units(document, excluded) if excluded else document.sections
    return replace(document, sections=sections, review=reviewed)


def apply_book(documents: dict[str, Document], sources: Path) -> dict[str, Document]:
    """Every document with the corpus's review record applied."""
    book = load_book(sources)
    return {source_id: apply_review(doc, book) for source_id, doc in documents.items()}
