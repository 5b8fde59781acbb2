"""Leaflet definitions and clinic configuration, and choosing the sections a
leaflet prints from the parsed documents.

A definition names, for each leaflet section, the source passages that fill
it. Every selector must match exactly one place; anything else is an error
that names the definition's file and line and lists what the source offers.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree

from leafletgen.errors import DefinitionError, LeafletError, brief, raise_all
from leafletgen.files import inside, read_regular
from leafletgen.model import SECTION_KINDS, Block, Document, Section
from leafletgen.read.common import normalise
from leafletgen.yamlfile import LineDict, LineList, load_yaml, require_keys

LEAFLET_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
PAPER_SIZES = ("letter", "A4")

DEFINITION_KEYS = {"id": str, "title": str, "description": str, "sections": list}
SECTION_KEYS = {"kind": str, "heading": str, "select": list}
SELECTOR_KEYS = {
    "source": str,
    "kind": str,
    "heading": str,
    "from": str,
    "to": str,
    "keep": (str, list),
}
CLINIC_KEYS = {
    "name": str,
    "phone": str,
    "after_hours_phone": str,
    "emergency_number": str,
    "paper": str,
    "logo": str,
    "logo_alt": str,
    "large_print": bool,
    "leaflet_contact": str,
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
    # Whom staff ask about a leaflet not cleared for distribution (printed in its band).
    leaflet_contact: str | None = None


@dataclass(frozen=True)
class Selector:
    """One ``select:`` entry of a definition, with the line it was written on."""

    source: str
    line: int
    kind: str | None = None
    heading: str | None = None
    start: str | None = None
    end: str | None = None
    drug: str | None = None  # every printed passage naming this drug, in any source
    keep: tuple[str, ...] = ()  # phrases of flagged lines printed on purpose

    def describe(self) -> str:
        if self.drug:
            return f"passages naming {self.drug!r}"
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
    class_name: str | None = None  # in a drug leaflet: the class the section is taken from


@dataclass(frozen=True)
class LeafletSpec:
    """A parsed leaflet definition file."""

    id: str
    title: str
    path: Path
    sections: tuple[SectionSpec, ...]
    description: str | None = None
    drug: str | None = None  # set for per-drug leaflets: the title is the drug's name
    drug_names: tuple[str, ...] = ()  # every drug name, to tell "trastuzumab" from
    # "trastuzumab emtansine"
    skip_reason: str | None = None  # listed but deliberately not built, and why
    class_leaflet: str | None = None  # a drug's class's topic leaflet (its shared sections)


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


@dataclass(frozen=True)
class LeafletSection:
    """A section of the leaflet: canonical kind, heading override and passages."""

    kind: str
    heading: str | None
    passages: tuple[Passage, ...]
    class_name: str | None = None  # taken from the drug's class: headed as the class's


@dataclass(frozen=True)
class Leaflet:
    """What a leaflet prints, in English, with every passage's origin."""

    id: str
    title: str
    sections: tuple[LeafletSection, ...]
    documents: tuple[Document, ...]  # the sources used, in order of first use
    description: str | None = None
    definition: Path | None = None

    def document(self, source_id: str) -> Document:
        """The source document a passage of this leaflet came from."""
        return next(d for d in self.documents if d.id == source_id)


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
        max_length={"phone": 40, "after_hours_phone": 40, "emergency_number": 40},
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
        try:
            logo = check_logo(data["logo"], path.parent, path.parent.parent)
        except LeafletError as error:
            errors.append(DefinitionError(error.message, path, data.line_of("logo")))
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
        leaflet_contact=data.get("leaflet_contact"),
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
        max_length={"description": 1000},
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


def _unknown_kind(kind: object, path: Path, line: int) -> DefinitionError:
    return DefinitionError(
        f"unknown section kind {kind!r}; known: {', '.join(SECTION_KINDS)}", path, line
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
        errors.append(_unknown_kind(kind, path, raw.line_of("kind")))
    if kind == "other" and "heading" not in raw:
        errors.append(
            DefinitionError("a section of kind 'other' needs a 'heading'", path, raw.line)
        )
    selectors = []
    for entry in raw["select"]:
        problems = require_keys(
            entry,
            SELECTOR_KEYS,
            {"source"},
            path,
            DefinitionError,
            what="selector",
            max_length={"from": 1000, "to": 1000},
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
                problems.append(_unknown_kind(entry["kind"], path, entry.line_of("kind")))
            elif "keep" in entry and not _keep_phrases(entry["keep"]):
                problems.append(
                    DefinitionError(
                        "'keep' must be a phrase, or a list of phrases, quoting the flagged "
                        "lines to print on purpose",
                        path,
                        entry.line_of("keep"),
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
                keep=_keep_phrases(entry.get("keep", [])),
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


MAX_LOGO_BYTES = 1024 * 1024
_IMAGE_KINDS = {".svg": "SVG", ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


def check_logo(value: str, folder: Path, root: Path) -> Path:
    """The logo file named in ``clinic.yaml`` (relative to ``folder``): inside the
    project ``root`` (links too), a regular file of at most :data:`MAX_LOGO_BYTES`,
    and really the image its name says (an SVG without DOCTYPE or entities)."""
    root = Path(os.path.abspath(root))
    where = Path(os.path.normpath(Path(os.path.abspath(folder)) / value))
    if not where.is_relative_to(root):
        raise LeafletError(f"logo {value!r} is outside the project folder")
    if not where.exists():
        raise LeafletError(f"logo file {value!r} not found")
    if not inside(where, root):
        raise LeafletError(f"logo {value!r} is a link leading outside the project folder")
    kind = _IMAGE_KINDS.get(where.suffix.lower())
    if kind is None:
        raise LeafletError("logo must be an SVG, PNG or JPEG file")
    try:
        data = read_regular(where, limit=MAX_LOGO_BYTES, what="file")
    except LeafletError as error:
        raise LeafletError(f"logo {value!r}: {error.message}") from None
    if not data.strip():
        raise LeafletError(f"logo {value!r} is empty")
    problem = _image_problem(data, kind)
    if problem:
        raise LeafletError(f"logo {value!r} {problem}")
    return where.resolve()


def _image_problem(data: bytes, kind: str) -> str | None:
    if kind == "PNG":
        ok = data.startswith(b"\x89PNG\r\n\x1a\n")
    elif kind == "JPEG":
        ok = data.startswith(b"\xff\xd8\xff")
    else:
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            return "declares a DOCTYPE or entities; save it as plain SVG"
        try:
            root = ElementTree.fromstring(data)
        except (ElementTree.ParseError, ValueError) as error:
            if b"<svg" not in data[:4096]:
                return f"is not an {kind} image (its name says {kind})"
            return f"is not well-formed SVG: {str(error)[:100]}"
        ok = root.tag.rsplit("}", 1)[-1] == "svg"
    return None if ok else f"is not an {kind} image (its name says {kind})"


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
            if selector.drug:
                found = [
                    replace(passage, keep=selector.keep, line=selector.line)
                    for passage in find_drug_passages(selector.drug, spec.drug_names, documents)
                ]
                if not found:
                    errors.append(
                        DefinitionError(
                            _no_drug_passage(selector.drug, spec.drug_names, documents),
                            spec.path,
                            selector.line,
                        )
                    )
                try:
                    _check_drug_keep(selector, found, documents)
                except LeafletError as error:
                    errors.append(DefinitionError(error.message, spec.path, selector.line))
                passages += found
                continue
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
                _check_keep(selector, blocks, document)
            except LeafletError as error:
                errors.append(DefinitionError(error.message, spec.path, selector.line))
                continue
            passages.append(Passage(selector.source, blocks, selector.keep, selector.line))
        sections.append(
            LeafletSection(section.kind, section.heading, tuple(passages), section.class_name)
        )
    raise_all(errors)
    used_ids = dict.fromkeys(p.source for s in sections for p in s.passages)
    used = tuple(documents[source_id] for source_id in used_ids)
    return Leaflet(
        id=spec.id,
        title=spec.title,
        sections=tuple(sections),
        documents=used,
        description=spec.description,
        definition=spec.path,
    )


def _keep_phrases(value: object) -> tuple[str, ...]:
    """``keep:`` as phrases: one string or a list of non-empty strings (else empty)."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values:
        return ()
    if not all(isinstance(v, str) and normalise(v) for v in values):
        return ()
    return tuple(normalise(v) for v in values)


def kept_on_purpose(text: str, keep: tuple[str, ...]) -> bool:
    """Whether a printed unit is one the definition keeps on purpose."""
    flat = normalise(text).casefold()
    return any(phrase.casefold() in flat for phrase in keep)


def _check_keep(selector: Selector, blocks: tuple[Block, ...], document: Document) -> None:
    """Every ``keep:`` phrase must quote a flagged line of the selected text, so
    a stale or mistyped phrase never silently keeps nothing."""
    flagged = {(f.line, f.text) for f in document.furniture}
    units = [text for block in blocks for text, line in block.units if (line, text) in flagged]
    if (phrase := _unquoting(selector.keep, units)) is not None:
        shown = "; ".join(repr(t) for t in units) or "none"
        raise DefinitionError(
            f"keep phrase {phrase!r} quotes no flagged line of {selector.describe()} in "
            f"{document.id!r} (flagged lines there: {shown})"
        )


def _unquoting(keep: tuple[str, ...], quotable: list[str]) -> str | None:
    """The first ``keep:`` phrase that quotes none of ``quotable``."""
    return next((p for p in keep if not any(kept_on_purpose(t, (p,)) for t in quotable)), None)


def _check_drug_keep(
    selector: Selector, passages: list[Passage], documents: dict[str, Document]
) -> None:
    """A drug's ``keep:`` phrase must quote a flagged line of its passages or
    a passage opening that points back to text not printed."""
    quoted = []
    for passage in passages:
        flagged = {(f.line, f.text) for f in documents[passage.source].furniture}
        opening = {line for line, _withheld in passage.dangling}
        quoted += [
            text
            for block in passage.blocks
            for text, line in block.units
            if (line, text) in flagged or block.line in opening
        ]
    if (phrase := _unquoting(selector.keep, quoted)) is not None:
        shown = "; ".join(brief(t) for t in quoted) or "none"
        raise DefinitionError(
            f"keep phrase {phrase!r} quotes no flagged line or passage opening of "
            f"{selector.describe()} (lines to quote there: {shown})"
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


@lru_cache(maxsize=65536)
def _block_text(block: Block) -> str:
    # Every definition with a phrase range searches the same blocks: each
    # block's searchable text is made once.
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
    following = last_section.blocks[last + 1] if last + 1 < len(last_section.blocks) else None
    ending = first_section.blocks[last]
    if (
        following is not None
        and following.type == "list"
        and ending.type == "paragraph"
        and ending.text.rstrip().endswith(":")
    ):
        raise LeafletError(
            f"the range ends on a lead-in (line {ending.line}: {ending.text[-40:]!r}) "
            f"without its list (line {following.line}); quote the list's last item in 'to'"
        )
    return first_section.blocks[first : last + 1]


# --- per-drug leaflets -------------------------------------------------------

DRUG_KEYS = {
    "name": str,
    "brands": list,
    "class": str,
    "build": bool,
    "reason": str,
    "keep": (str, list),
}
CLASS_KEYS = {"leaflet": str, "name": str}
DRUGS_FILE_KEYS = {"classes": dict, "drugs": list}

# A passage that starts like this leans on the block before it.
_LEANS_BACK = re.compile(r"^(this|these|as these|such|it|they|examples of these)\b", re.IGNORECASE)
# "The mAb finds ...": a definite noun at the start points back to the block
# before it when that block names the same thing.
_DEFINITE = re.compile(r"^the\s+(\w+)", re.IGNORECASE)
# A first sentence naming a drug like this refers to what came before it.
_REFERS_BACK = re.compile(r"\b(this type|this way|these)\b", re.IGNORECASE)
# A term a reader needs defined: an abbreviation with two capitals or a
# lower-case start ("VEGF", "CD20", "BiTEs", "mAb").
_TERM = re.compile(r"\b(?:[A-Z][a-z]*[A-Z]|[a-z]+[A-Z])[A-Za-z0-9]*\b")


def drug_leaflet_id(name: str) -> str:
    """``"trastuzumab emtansine"`` -> ``"trastuzumab-emtansine"``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def load_drugs(path: str | Path, specs: dict[str, LeafletSpec]) -> dict[str, LeafletSpec]:
    """One leaflet definition per drug of ``drugs.yaml``.

    Each drug leaflet's "How it works" is the passages naming the drug; its
    other sections are its class's topic leaflet's (from ``specs``).
    """
    path = Path(path)
    data = load_yaml(path, DefinitionError)
    errors = require_keys(
        data, DRUGS_FILE_KEYS, {"classes", "drugs"}, path, DefinitionError, what="drugs file"
    )
    raise_all(errors)
    classes: dict[str, LeafletSpec] = {}
    for name, entry in data["classes"].items():
        problems = require_keys(
            entry, CLASS_KEYS, {"leaflet", "name"}, path, DefinitionError, what="drug class"
        )
        if not problems and entry["leaflet"] not in specs:
            problems.append(
                DefinitionError(
                    f"class {name!r}: no leaflet {entry['leaflet']!r}; known: {', '.join(specs)}",
                    path,
                    entry.line_of("leaflet"),
                )
            )
        errors += problems
        if not problems:
            classes[name] = (specs[entry["leaflet"]], entry["name"])
    names = tuple(
        entry["name"] for entry in data["drugs"] if isinstance(entry, LineDict) and "name" in entry
    )
    drugs: dict[str, LeafletSpec] = {}
    for entry in data["drugs"]:
        problems = require_keys(
            entry,
            DRUG_KEYS,
            {"name", "class"},
            path,
            DefinitionError,
            what="drug",
            max_length={"reason": 1000},
        )
        brands = entry.get("brands") if not problems else None
        if isinstance(brands, list) and not all(isinstance(b, str) and b for b in brands):
            problems.append(
                DefinitionError("'brands' must be a list of names", path, entry.line_of("brands"))
            )
        if not problems and "keep" in entry and not _keep_phrases(entry["keep"]):
            problems.append(
                DefinitionError(
                    "'keep' must be a phrase, or a list of phrases, quoting the lines "
                    "the drug's passages print on purpose",
                    path,
                    entry.line_of("keep"),
                )
            )
        if not problems and entry.get("build") is False and not entry.get("reason"):
            problems.append(
                DefinitionError("'build: false' needs a 'reason'", path, entry.line_of("build"))
            )
        if not problems and entry["class"] not in classes:
            problems.append(
                DefinitionError(
                    f"unknown drug class {entry['class']!r}; known: {', '.join(classes)}",
                    path,
                    entry.line_of("class"),
                )
            )
        if problems:
            errors += problems
            continue
        name = entry["name"]
        base, class_name = classes[entry["class"]]
        brands = [str(b) for b in entry.get("brands", [])]
        title = name[:1].upper() + name[1:] + (f" ({', '.join(brands)})" if brands else "")
        keep = _keep_phrases(entry.get("keep", []))
        drug_selector = Selector(source="", line=entry.line, drug=name, keep=keep)
        how = SectionSpec("how_it_works", None, (drug_selector,), entry.line)
        # Shared sections speak of the whole class, and say so in their heading.
        shared = tuple(
            replace(s, class_name=class_name) for s in base.sections if s.kind != "how_it_works"
        )
        leaflet_id = drug_leaflet_id(name)
        if leaflet_id in specs or leaflet_id in drugs:
            errors.append(
                DefinitionError(f"leaflet id {leaflet_id!r} is already used", path, entry.line)
            )
            continue
        drugs[leaflet_id] = LeafletSpec(
            id=leaflet_id,
            title=title,
            path=path,
            sections=(how, *shared),
            description=base.description,
            drug=name,
            drug_names=names,
            skip_reason=entry.get("reason") if entry.get("build") is False else None,
            class_leaflet=base.id,
        )
    raise_all(errors)
    return drugs


def _name_spans(text: str, name: str, names: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where ``name`` stands in ``text`` as a whole name, not inside a longer drug name."""
    longer = [n for n in names if len(n) > len(name) and name.lower() in n.lower()]
    covered = [m.span() for n in longer for m in re.finditer(rf"\b{re.escape(n)}\b", text, re.I)]
    return [
        m.span()
        for m in re.finditer(rf"\b{re.escape(name)}\b", text, re.I)
        if not any(start <= m.start() and m.end() <= end for start, end in covered)
    ]


def find_drug_passages(
    name: str, names: tuple[str, ...], documents: dict[str, Document]
) -> list[Passage]:
    """Every printed passage that names the drug, one per source, in corpus order.

    A passage is the block naming the drug, plus the earlier blocks it depends
    on: the ones just before it that it points back to ("Pertuzumab is an
    example of this type of mAb." needs the paragraphs describing "this
    type"; "The mAb finds ..." needs the block that introduced the mAbs), and
    the block that defines a term it uses ("VEGF" needs "... vascular
    endothelial growth factor (VEGF)."). It never reaches across text that
    was left out of the document.
    """
    passages = []
    for document in documents.values():
        dropped = {w.line for w in document.warnings}
        chosen: dict[tuple[int, int], Block] = {}
        for s_index, section in enumerate(document.sections):
            for b_index, block in enumerate(section.blocks):
                units = [text for text, _ in block.units]
                if not any(_name_spans(text, name, names) for text in units):
                    continue
                first = _sentence_with(block, name, names)
                refers = first is not None and bool(_REFERS_BACK.search(first))
                start = _lean_back(section, b_index, dropped, refers=refers)
                for index in range(start, b_index + 1):
                    chosen[(s_index, index)] = section.blocks[index]
        for key in _definitions_needed(document, chosen, dropped):
            chosen[key] = document.sections[key[0]].blocks[key[1]]
        if chosen:
            blocks = tuple(chosen[key] for key in sorted(chosen))
            dangling = _dangling(document, chosen, dropped, name, names)
            passages.append(Passage(document.id, blocks, dangling=dangling))
    return passages


def _dangling(
    document: Document,
    chosen: dict[tuple[int, int], Block],
    dropped: set[int],
    name: str,
    names: tuple[str, ...],
) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """The chosen blocks that open a run by pointing back to text left out of
    the document ("This type of mAb ..." after a withheld sentence), with the
    lines left out: printed as published, but never without saying so."""
    found = []
    for s, b in sorted(chosen):
        if b == 0 or (s, b - 1) in chosen:
            continue
        block, previous = chosen[(s, b)], document.sections[s].blocks[b - 1]
        first = _sentence_with(block, name, names)
        refers = first is not None and bool(_REFERS_BACK.search(first))
        if not (refers or _leans_on_previous(block, previous)):
            continue
        lines = tuple(sorted(line for line in dropped if previous.line < line < block.line))
        if lines:
            found.append((block.line, lines))
    return tuple(found)


def _cut(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def dangling_references(leaflet: Leaflet) -> list[tuple[str, str]]:
    """Where a leaflet prints a passage that points back to text its source
    left out (withheld as damaged), as ``(file:line, message)``: the reader
    would meet "This type of ..." with nothing before it."""
    found = []
    for section in leaflet.sections:
        for passage in section.passages:
            if not passage.dangling:
                continue
            document = leaflet.document(passage.source)
            notices = {notice.line: notice.message for notice in document.warnings}
            for line, withheld in passage.dangling:
                block = next(b for b in passage.blocks if b.line == line)
                if any(kept_on_purpose(text, passage.keep) for text, _ in block.units):
                    continue  # read and kept on purpose by the definition
                opening = block.units[0][0]
                opening = re.split(r"(?<=[.!?])\s+", opening, maxsplit=1)[0]
                why = "; ".join(f"line {n}: {_cut(notices[n])}" for n in withheld if n in notices)
                found.append(
                    (
                        f"{document.path}:{line}",
                        f"leaflet {leaflet.id!r} prints {brief(opening, 90)}, which points back "
                        f"to text the source does not print ({why}); read the passage: quote it "
                        "under the drug's 'keep:' in drugs.yaml if it reads right as it is, "
                        "or hold the leaflet back with 'build: false' and a 'reason'",
                    )
                )
    return found


def _leans_on_previous(block: Block, previous: Block) -> bool:
    """Whether ``block``'s first words point back to ``previous``."""
    text = block.text or block.items[0]
    if _LEANS_BACK.match(text):
        return True
    definite = _DEFINITE.match(text)
    if not definite:
        return False
    noun = re.escape(
        definite.group(1).rstrip("s") if len(definite.group(1)) > 3 else definite.group(1)
    )
    return bool(re.search(rf"\b{noun}s?\b", _block_text(previous), re.IGNORECASE))


def _lean_back(section: Section, index: int, dropped: set[int], *, refers: bool = False) -> int:
    """The first block of the run ending at ``index`` that the block there leans on."""
    start = index
    while start > 0:
        current, previous = section.blocks[start], section.blocks[start - 1]
        if not (refers or _leans_on_previous(current, previous)):
            break
        if any(previous.line < line < current.line for line in dropped):
            break  # what it leans on was not printed: go no further
        start -= 1
        refers = False
    return start


def _defines(block: Block, term: str) -> bool:
    """Whether ``block`` introduces ``term``: "... growth factor (VEGF)", "called CD20"."""
    quoted = re.escape(term.removesuffix("s"))
    pattern = rf"\(\s*{quoted}s?\s*\)|\bcalled\s+(?:an?\s+)?{quoted}s?\b"
    return any(re.search(pattern, text) for text, _ in block.units)


def _definitions_needed(
    document: Document, chosen: dict[tuple[int, int], Block], dropped: set[int]
) -> list[tuple[int, int]]:
    """The earlier blocks of ``document`` that define the terms the chosen blocks
    use without defining them, with the blocks those lean on in turn."""
    if not chosen:
        return []
    first = min(chosen)
    terms = dict.fromkeys(
        term for block in chosen.values() for text, _ in block.units for term in _TERM.findall(text)
    )
    needed: list[tuple[int, int]] = []
    for term in terms:
        if any(_defines(block, term) for block in chosen.values()):
            continue
        earlier = [
            (s, b)
            for s, section in enumerate(document.sections)
            for b, block in enumerate(section.blocks)
            if (s, b) < first and _defines(block, term)
        ]
        if not earlier:
            continue  # the source never spells it out: nothing to bring
        s, b = earlier[-1]
        section = document.sections[s]
        needed += [(s, index) for index in range(_lean_back(section, b, dropped), b + 1)]
    return needed


def _sentence_with(block: Block, name: str, names: tuple[str, ...]) -> str | None:
    """The block's first sentence, if that is the sentence naming the drug."""
    if block.type != "paragraph":
        return None
    first = re.split(r"(?<=[.!?])\s+", block.text, maxsplit=1)[0]
    return first if _name_spans(first, name, names) else None


def _no_drug_passage(name: str, names: tuple[str, ...], documents: dict[str, Document]) -> str:
    """Why a drug has no "How it works": where the sources name it without printing it."""
    seen = []
    for document in documents.values():
        try:
            lines = Path(document.path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(lines, start=1):
            if _name_spans(line, name, names):
                seen.append(f"{Path(document.path).name}:{number}")
    where = f"; the sources name it only in text that is not printed ({', '.join(seen)})"
    return f"no printed passage of any source names {name!r}" + (where if seen else "")
