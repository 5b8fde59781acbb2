"""Values that travel between the pipeline stages.

All are frozen dataclasses: a stage takes values and returns new ones, and
every piece of text remembers where it came from (source id, line).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

SectionKind = Literal[
    "what_it_is",
    "how_it_works",
    "what_to_expect",
    "side_effects",
    "when_to_call",
    "questions_to_ask",
    "most_important",
    "before_treatment",
    "other",
]
SECTION_KINDS: tuple[str, ...] = SectionKind.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Licence:
    """The terms a source is published under."""

    name: str
    needs_permission: bool = False
    permission: str | None = None


@dataclass(frozen=True)
class Checked:
    """A clinic's own check of a source against the publisher's current page."""

    date: dt.date
    by: str
    label: LabelIdentity | None = None  # an FDA label: the version that was checked


@dataclass(frozen=True)
class LabelIdentity:
    """Which version of an FDA label a source holds: the SPL set id (the
    label's stable identity on DailyMed), its version number and effective
    time, and the revision date the text prints ("Revised: 12/2021"). Each is
    ``None`` where the stored text does not state it."""

    set_id: str | None = None
    version: str | None = None
    effective: dt.date | None = None
    revised: str | None = None
    # False: the source holds only part of the label's patient text (an
    # excerpt, printed with a notice saying so); None where nothing is said.
    complete: bool | None = None

    def _versions(self, other: LabelIdentity) -> tuple[tuple[object, object], ...]:
        return (
            (self.version, other.version),
            (self.effective, other.effective),
            (self.revised, other.revised),
        )

    def conflicts_with(self, other: LabelIdentity) -> bool:
        """Whether a value both state is not the same."""
        pairs = ((self.set_id, other.set_id), *self._versions(other))
        return any(a is not None and b is not None and a != b for a, b in pairs)

    def differs_from(self, other: LabelIdentity) -> bool:
        """Whether ``other`` may be another label or another version of it: a
        value both state is not the same, or they state no version value (SPL
        version, effective date, revision date) in common to compare."""
        if self.conflicts_with(other):
            return True
        return not any(a is not None and b is not None for a, b in self._versions(other))

    def describe(self) -> str:
        """The identity as one line: "set id b172…, version 36, effective 2025-01-06"."""
        parts = [
            f"set id {self.set_id}" if self.set_id else None,
            f"version {self.version}" if self.version else None,
            f"effective {self.effective.isoformat()}" if self.effective else None,
            f"revised {self.revised}" if self.revised else None,
        ]
        return ", ".join(p for p in parts if p) or "no version stated"


@dataclass(frozen=True)
class SourceInfo:
    """What ``sources.yaml`` records about a source (or what was guessed)."""

    id: str
    file: str
    format: str
    publisher: str | None = None
    profile: str | None = None
    title: str | None = None
    url: str | None = None
    language: str | None = None  # None: not given, read from the text
    licence: Licence | None = None
    line: int | None = None  # where the entry stands in sources.yaml
    checked: Checked | None = None  # the clinic's own last review of the source
    label: LabelIdentity | None = None  # an FDA label: the version the file holds


@dataclass(frozen=True)
class Block:
    """A paragraph or a list, with the line of the source it starts on."""

    type: Literal["paragraph", "list"]
    line: int
    text: str = ""
    items: tuple[str, ...] = ()
    item_lines: tuple[int, ...] = ()  # the line each list item starts on

    @property
    def units(self) -> tuple[tuple[str, int], ...]:
        """Each translatable unit with its line: the paragraph, or every list item."""
        if self.type == "list":
            lines = self.item_lines or (self.line,) * len(self.items)
            return tuple(zip(self.items, lines, strict=True))
        return ((self.text, self.line),)


@dataclass(frozen=True)
class Section:
    """A heading (``None`` for text before the first heading) and its blocks."""

    heading: str | None
    kind: str
    line: int
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Notice:
    """Something the reader left out of the document, and why."""

    line: int
    message: str


@dataclass(frozen=True)
class Furniture:
    """A printed line that looks like web furniture (a phone number that may not
    be the clinic's, opening hours, chat, donate, a bare URL ...): never
    printed silently, so reported wherever it is printed."""

    line: int
    kinds: tuple[str, ...]  # what it looks like: "phone", "opening hours", ...
    text: str

    @property
    def message(self) -> str:
        """What the reader reports about the line."""
        return f"looks like web furniture ({', '.join(self.kinds)}): {self.text!r}"


@dataclass(frozen=True)
class Reviewed:
    """What the clinic's source review (``sources/reviews.yaml``) says of a
    document as read: see :mod:`leafletgen.review.sources`."""

    sha256: str  # of the source file's bytes
    outline: str  # fingerprint of the outline the reader proposed
    by: str | None = None  # who reviewed exactly this text and outline (None: nobody)
    role: str | None = None
    date: dt.date | None = None
    where: str = ""  # the review's file:line
    excluded: tuple[tuple[int, str], ...] = ()  # (line, text) left out on a review's word
    kept: tuple[int, ...] = ()  # lines the current review keeps on purpose

    @property
    def current(self) -> bool:
        """Whether someone reviewed the text and outline as they now stand."""
        return self.by is not None


@dataclass(frozen=True)
class Document:
    """A parsed source: its metadata and ordered sections."""

    source: SourceInfo
    path: str
    title: str | None
    sections: tuple[Section, ...]
    last_reviewed: dt.date | None = None
    next_review: dt.date | None = None
    warnings: tuple[Notice, ...] = field(default=())
    # Every printed line that looks like web furniture, found by the reader.
    furniture: tuple[Furniture, ...] = field(default=())
    language: str = "en"  # sources.yaml's, else read from the text
    # Lines that describe the page ("Author: ...", "Trade Name: ..."): never
    # printed, kept with their line.
    metadata: tuple[tuple[int, str], ...] = field(default=())
    review: Reviewed | None = None  # set when read with the corpus's review record
    # An FDA label: the version the document is (read from SPL, else sources.yaml).
    label: LabelIdentity | None = None

    @property
    def id(self) -> str:
        """The source's id (``sources.yaml``)."""
        return self.source.id

    @property
    def publisher(self) -> str | None:
        """The source's publisher."""
        return self.source.publisher

    @property
    def url(self) -> str | None:
        """The source's web address."""
        return self.source.url


@dataclass(frozen=True)
class Passage:
    """Blocks taken from one source for one leaflet section."""

    source: str
    blocks: tuple[Block, ...]
    keep: tuple[str, ...] = ()  # flagged lines the definition prints on purpose
    line: int | None = None  # the selector's line in the definition
    # Blocks whose first words point back to text the reader withheld (a drug
    # passage cannot bring it along): (block's line, the withheld lines).
    dangling: tuple[tuple[int, tuple[int, ...]], ...] = ()
    # The source's language. English is translated through the catalogs; a
    # passage in another language is the publisher's own words, printed as
    # they stand in an edition of that language.
    language: str = "en"


# The headings of sections a drug leaflet takes from its class, as
# leaflet.html prints them (msgids of the catalogs): the review page and a
# bilingual edition's companion language name them the same way.
CLASS_HEADINGS = {
    "what_it_is": "What %(class_name)s are",
    "how_it_works": "How %(class_name)s work",
    "what_to_expect": "What to expect with %(class_name)s",
    "side_effects": "Side effects of %(class_name)s",
    "questions_to_ask": "Questions to ask about %(class_name)s",
}


@dataclass(frozen=True)
class LeafletSection:
    """A section of the leaflet: canonical kind, heading override and passages."""

    kind: str
    heading: str | None
    passages: tuple[Passage, ...]
    class_name: str | None = None  # taken from the drug's class: headed as the class's
    drug_name: str | None = None  # taken from the drug's own label: headed as the drug's


@dataclass(frozen=True)
class Leaflet:
    """What a leaflet prints (in English, or a source's own language where a
    selector asks for it), with every passage's origin."""

    id: str
    title: str
    sections: tuple[LeafletSection, ...]
    documents: tuple[Document, ...]  # the sources used, in order of first use
    description: str | None = None
    definition: Path | None = None
    # A drug leaflet printing its FDA label: what it leaves out of its class's
    # text to stay on one sheet, as (file:line, message) ...
    left_out: tuple[tuple[str, str], ...] = ()
    # ... and the leaflet as it prints without the label, in a language the
    # label's text is not translated into (translate.editions).
    without_label: Leaflet | None = None
    # Set on that edition: the label it leaves out, as (publisher, title), so
    # clearance holds it back (``label-not-translated``) until the label is
    # translated and it prints what the English edition prints.
    label_left_out: tuple[str, str] | None = None

    def document(self, source_id: str) -> Document:
        """The source document a passage of this leaflet came from."""
        return next(d for d in self.documents if d.id == source_id)
