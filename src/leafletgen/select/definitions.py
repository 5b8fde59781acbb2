"""Leaflet definitions (one YAML file a leaflet): what each section prints,
as selectors that remember their line.

Every selector must match exactly one place when it is resolved
(:mod:`leafletgen.select.selection`); here a definition is only read and
checked as a file, every problem of it reported together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from leafletgen.errors import DefinitionError, LeafletError, raise_all
from leafletgen.model import SECTION_KINDS
from leafletgen.read.text import normalise
from leafletgen.yamlfile import LineDict, LineList, load_yaml, require_keys

LEAFLET_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")

DEFINITION_KEYS = {"id": str, "title": str, "description": str, "sections": list}
SECTION_KEYS = {"kind": str, "heading": str, "select": list}
SELECTOR_KEYS = {
    "source": str,
    "kind": str,
    "heading": str,
    "from": str,
    "to": str,
    "keep": (str, list),
    "language": str,
}


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
    # The source's language, where it is not the leaflet's (English): the
    # definition takes text in another language on purpose.
    language: str | None = None

    def describe(self) -> str:
        """What the selector selects, as error messages name it."""
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
    drug_name: str | None = None  # in a drug leaflet: taken from the drug's own label


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
    brands: tuple[str, ...] = ()  # a drug's brand names, as its label prints them
    rxcui: str | None = None  # a drug's RxNorm concept id (RxCUI)
    label: str | None = None  # a drug's FDA label: a source id of sources.yaml
    # Class text a drug leaflet printing its label leaves out to stay on one
    # sheet: (phrase quoting the block, its line in drugs.yaml).
    leave_out: tuple[tuple[str, int], ...] = ()


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


# Section kinds the leaflet has no canonical, translated heading for: a
# leaflet section of one of them names its own heading.
UNHEADED_KINDS = ("other", "most_important", "before_treatment")


def _unknown_kind(kind: object, path: Path, line: int) -> DefinitionError:
    return DefinitionError(
        f"unknown section kind {kind!r}; known: {', '.join(SECTION_KINDS)}", path, line
    )


def _load_section(raw: object, path: Path) -> tuple[SectionSpec | None, list[LeafletError]]:
    """One ``sections:`` entry, with every problem of it and its selectors."""
    errors = require_keys(
        raw, SECTION_KEYS, {"kind", "select"}, path, DefinitionError, what="section"
    )
    if errors:
        return None, errors
    assert isinstance(raw, LineDict)
    kind = raw["kind"]
    if kind not in SECTION_KINDS:
        errors.append(_unknown_kind(kind, path, raw.line_of("kind")))
    if kind in UNHEADED_KINDS and "heading" not in raw:
        # (the leaflet template has canonical headings for the other kinds only)
        errors.append(
            DefinitionError(f"a section of kind {kind!r} needs a 'heading'", path, raw.line)
        )
    selectors = []
    for entry in raw["select"]:
        problems = _selector_problems(entry, path)
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
                keep=keep_phrases(entry.get("keep", [])),
                language=entry.get("language"),
            )
        )
    if not raw["select"]:
        errors.append(DefinitionError("'select' is empty", path, raw.line_of("select")))
    return SectionSpec(kind, raw.get("heading"), tuple(selectors), raw.line), errors


def _selector_problems(entry: object, path: Path) -> list[LeafletError]:
    """What is wrong with one ``select:`` entry (its keys, then the first
    inconsistency among them)."""
    problems = require_keys(
        entry,
        SELECTOR_KEYS,
        {"source"},
        path,
        DefinitionError,
        what="selector",
        max_length={"from": 1000, "to": 1000},
    )
    if problems:
        return problems
    assert isinstance(entry, LineDict)
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
    elif "keep" in entry and not keep_phrases(entry["keep"]):
        problems.append(
            DefinitionError(
                "'keep' must be a phrase, or a list of phrases, quoting the flagged "
                "lines to print on purpose",
                path,
                entry.line_of("keep"),
            )
        )
    return problems


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


def keep_phrases(value: object) -> tuple[str, ...]:
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
