"""Leaflet definitions and clinic configuration, and choosing the sections a
leaflet prints from the parsed documents.

A definition names, for each leaflet section, the source passages that fill
it. Every selector must match exactly one place; anything else is an error
that names the definition's file and line and lists what the source offers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import DefinitionError, LeafletError, raise_all
from .model import SECTION_KINDS, Block, Document, Section
from .readers.common import normalise
from .yamlfile import LineDict, LineList, load_yaml, require_keys

LEAFLET_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
PAPER_SIZES = ("letter", "A4")

DEFINITION_KEYS = {"id": str, "title": str, "description": str, "sections": list}
SECTION_KEYS = {"kind": str, "heading": str, "select": list}
SELECTOR_KEYS = {"source": str, "kind": str, "heading": str, "from": str, "to": str}
CLINIC_KEYS = {
    "name": str,
    "phone": str,
    "after_hours_phone": str,
    "emergency_number": str,
    "paper": str,
    "logo": str,
    "logo_alt": str,
    "large_print": bool,
}


@dataclass(frozen=True)
class Clinic:
    """The clinic's own configuration (``leaflets/clinic.yaml``)."""

    name: str
    phone: str
    emergency_number: str
    after_hours_phone: str | None = None
    paper: str = "letter"
    logo: Path | None = None
    logo_alt: str | None = None
    large_print: bool = False


@dataclass(frozen=True)
class Selector:
    """One ``select:`` entry of a definition, with the line it was written on."""

    source: str
    line: int
    kind: str | None = None
    heading: str | None = None
    start: str | None = None
    end: str | None = None

    def describe(self) -> str:
        if self.kind:
            return f"kind {self.kind!r}"
        if self.heading:
            return f"heading {self.heading!r}"
        return f"from {self.start!r} to {self.end or self.start!r}"


@dataclass(frozen=True)
class SectionSpec:
    """A leaflet section as defined: its kind, optional heading and selectors."""

    kind: str
    heading: str | None
    selectors: tuple[Selector, ...]
    line: int


@dataclass(frozen=True)
class LeafletSpec:
    """A parsed leaflet definition file."""

    id: str
    title: str
    path: Path
    sections: tuple[SectionSpec, ...]
    description: str | None = None

    @property
    def source_ids(self) -> tuple[str, ...]:
        """The sources the definition draws on, in order of first use."""
        seen: dict[str, None] = {}
        for section in self.sections:
            for selector in section.selectors:
                seen.setdefault(selector.source)
        return tuple(seen)


@dataclass(frozen=True)
class Passage:
    """Blocks taken from one source for one leaflet section."""

    source: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class LeafletSection:
    """A section of the leaflet: canonical kind, heading override and passages."""

    kind: str
    heading: str | None
    passages: tuple[Passage, ...]


@dataclass(frozen=True)
class Leaflet:
    """What a leaflet prints, in English, with every passage's origin."""

    id: str
    title: str
    sections: tuple[LeafletSection, ...]
    documents: tuple[Document, ...]  # the sources used, in order of first use
    description: str | None = None
    definition: Path | None = None


# --- loading -----------------------------------------------------------------


def load_clinic(path: str | Path) -> Clinic:
    """Read ``clinic.yaml``; every problem in it is reported at once."""
    path = Path(path)
    data = load_yaml(path, DefinitionError)
    errors = require_keys(
        data,
        CLINIC_KEYS,
        {"name", "phone", "emergency_number"},
        path,
        DefinitionError,
        what="clinic configuration",
    )
    paper = data.get("paper", "letter")
    if isinstance(paper, str) and paper not in PAPER_SIZES:
        errors.append(
            DefinitionError(
                f"paper must be one of {', '.join(PAPER_SIZES)}, not {paper!r}",
                path,
                data.line_of("paper"),
            )
        )
    logo = None
    if isinstance(data.get("logo"), str):
        logo = (path.parent / data["logo"]).resolve()
        if not logo.is_file():
            errors.append(
                DefinitionError(f"logo file {data['logo']!r} not found", path, data.line_of("logo"))
            )
        elif logo.suffix.lower() not in (".svg", ".png", ".jpg", ".jpeg"):
            errors.append(
                DefinitionError("logo must be an SVG, PNG or JPEG file", path, data.line_of("logo"))
            )
    raise_all(errors)
    return Clinic(
        name=data["name"],
        phone=data["phone"],
        emergency_number=data["emergency_number"],
        after_hours_phone=data.get("after_hours_phone"),
        paper=paper,
        logo=logo,
        logo_alt=data.get("logo_alt"),
        large_print=data.get("large_print", False),
    )


def load_definition(path: str | Path) -> LeafletSpec:
    """Read one leaflet definition; all problems of the file are reported together."""
    path = Path(path)
    data = load_yaml(path, DefinitionError)
    errors = require_keys(
        data,
        DEFINITION_KEYS,
        {"title", "sections"},
        path,
        DefinitionError,
        what="leaflet definition",
    )
    leaflet_id = data.get("id", path.stem)
    if isinstance(leaflet_id, str) and not LEAFLET_ID.match(leaflet_id):
        errors.append(
            DefinitionError(
                f"leaflet id {leaflet_id!r} must be lower-case letters, digits and '-'",
                path,
                data.line_of("id"),
            )
        )
    sections: list[SectionSpec] = []
    raw_sections = data.get("sections")
    if isinstance(raw_sections, LineList):
        if not raw_sections:
            errors.append(DefinitionError("'sections' is empty", path, data.line_of("sections")))
        for raw in raw_sections:
            section, problems = _load_section(raw, path)
            errors += problems
            if section:
                sections.append(section)
    raise_all(errors)
    return LeafletSpec(
        id=leaflet_id,
        title=data["title"],
        description=data.get("description"),
        path=path,
        sections=tuple(sections),
    )


def _load_section(raw: object, path: Path) -> tuple[SectionSpec | None, list[LeafletError]]:
    errors = require_keys(
        raw, SECTION_KEYS, {"kind", "select"}, path, DefinitionError, what="section"
    )
    if errors:
        return None, errors
    assert isinstance(raw, LineDict)
    kind = raw["kind"]
    if kind not in SECTION_KINDS:
        errors.append(
            DefinitionError(
                f"unknown section kind {kind!r}; known: {', '.join(SECTION_KINDS)}",
                path,
                raw.line_of("kind"),
            )
        )
    if kind == "other" and "heading" not in raw:
        errors.append(
            DefinitionError("a section of kind 'other' needs a 'heading'", path, raw.line)
        )
    selectors = []
    for entry in raw["select"]:
        problems = require_keys(
            entry, SELECTOR_KEYS, {"source"}, path, DefinitionError, what="selector"
        )
        if not problems:
            ways = [k for k in ("kind", "heading", "from") if k in entry]
            if len(ways) != 1:
                problems.append(
                    DefinitionError(
                        "a selector needs exactly one of 'kind', 'heading' or 'from' "
                        f"(found {', '.join(ways) or 'none'})",
                        path,
                        entry.line,
                    )
                )
            elif "to" in entry and "from" not in entry:
                problems.append(DefinitionError("'to' needs a 'from'", path, entry.line_of("to")))
            elif "kind" in entry and entry["kind"] not in SECTION_KINDS:
                problems.append(
                    DefinitionError(
                        f"unknown section kind {entry['kind']!r}; "
                        f"known: {', '.join(SECTION_KINDS)}",
                        path,
                        entry.line_of("kind"),
                    )
                )
        if problems:
            errors += problems
            continue
        selectors.append(
            Selector(
                source=entry["source"],
                line=entry.line,
                kind=entry.get("kind"),
                heading=entry.get("heading"),
                start=entry.get("from"),
                end=entry.get("to"),
            )
        )
    if not raw["select"]:
        errors.append(DefinitionError("'select' is empty", path, raw.line_of("select")))
    return SectionSpec(kind, raw.get("heading"), tuple(selectors), raw.line), errors


def load_definitions(
    directory: str | Path, failed: dict[str, LeafletError] | None = None
) -> dict[str, LeafletSpec]:
    """Every leaflet definition in ``directory`` (``clinic.yaml`` aside), by id.

    Without ``failed``, any broken definition is an error. With it, each
    broken file is recorded there under its file name's stem and the others
    are still returned, so one bad definition does not stop a batch.
    """
    specs: dict[str, LeafletSpec] = {}
    errors: list[LeafletError] = []
    for path in sorted(Path(directory).glob("*.yaml")):
        if path.name in ("clinic.yaml", "drugs.yaml"):
            continue
        try:
            spec = load_definition(path)
            if spec.id in specs:
                raise DefinitionError(
                    f"leaflet id {spec.id!r} is also defined in {specs[spec.id].path}", path
                )
        except LeafletError as error:
            if failed is None:
                errors.append(error)
            else:
                failed[path.stem] = error
            continue
        specs[spec.id] = spec
    raise_all(errors)
    return specs


# --- selecting ---------------------------------------------------------------


def select_sections(spec: LeafletSpec, documents: dict[str, Document]) -> Leaflet:
    """Resolve every selector of ``spec`` against the parsed documents.

    Raises a :class:`DefinitionError` for each selector that matches nothing
    or more than one place, all of them together.
    """
    errors: list[LeafletError] = []
    sections = []
    for section in spec.sections:
        passages = []
        for selector in section.selectors:
            document = documents.get(selector.source)
            if document is None:
                errors.append(
                    DefinitionError(
                        f"unknown source {selector.source!r}; "
                        f"known: {', '.join(sorted(documents))}",
                        spec.path,
                        selector.line,
                    )
                )
                continue
            try:
                blocks = _resolve(selector, document)
            except LeafletError as error:
                errors.append(DefinitionError(error.message, spec.path, selector.line))
                continue
            passages.append(Passage(selector.source, blocks))
        sections.append(LeafletSection(section.kind, section.heading, tuple(passages)))
    raise_all(errors)
    used = tuple(documents[source_id] for source_id in spec.source_ids)
    return Leaflet(
        id=spec.id,
        title=spec.title,
        sections=tuple(sections),
        documents=used,
        description=spec.description,
        definition=spec.path,
    )


def _outline(document: Document) -> str:
    return "; ".join(
        f"line {s.line}: {s.heading or '(no heading)'} [{s.kind}]" for s in document.sections
    )


def _resolve(selector: Selector, document: Document) -> tuple[Block, ...]:
    if selector.kind or selector.heading:
        if selector.kind:
            matches = [s for s in document.sections if s.kind == selector.kind]
        else:
            wanted = normalise(selector.heading or "").casefold()
            matches = [
                s
                for s in document.sections
                if s.heading and normalise(s.heading).casefold() == wanted
            ]
        if len(matches) == 1:
            return matches[0].blocks
        found = "nothing" if not matches else f"{len(matches)} sections"
        raise LeafletError(
            f"{selector.describe()} matches {found} in {document.id!r}; "
            f"its sections are: {_outline(document)}"
        )
    return _resolve_range(selector, document)


def _block_text(block: Block) -> str:
    return normalise(" ".join(text for text, _ in block.units)).casefold()


def _find_phrase(phrase: str, document: Document) -> tuple[Section, int]:
    wanted = normalise(phrase).casefold()
    hits = [
        (section, index)
        for section in document.sections
        for index, block in enumerate(section.blocks)
        if wanted in _block_text(block)
    ]
    if len(hits) == 1:
        return hits[0]
    if hits:
        lines = ", ".join(str(section.blocks[i].line) for section, i in hits)
        raise LeafletError(
            f"phrase {phrase!r} occurs in {len(hits)} blocks of {document.id!r} "
            f"(lines {lines}); quote more of it"
        )
    raise LeafletError(
        f"phrase {phrase!r} is not in any printable block of {document.id!r}; "
        f"its sections are: {_outline(document)}"
    )


def _resolve_range(selector: Selector, document: Document) -> tuple[Block, ...]:
    assert selector.start is not None
    first_section, first = _find_phrase(selector.start, document)
    last_section, last = _find_phrase(selector.end or selector.start, document)
    if first_section is not last_section:
        raise LeafletError(
            f"'from' (line {first_section.blocks[first].line}) and 'to' "
            f"(line {last_section.blocks[last].line}) are in different sections of "
            f"{document.id!r}; select each section separately"
        )
    if last < first:
        raise LeafletError(
            f"'to' (line {last_section.blocks[last].line}) comes before 'from' "
            f"(line {first_section.blocks[first].line}) in {document.id!r}"
        )
    return first_section.blocks[first : last + 1]
