"""``leaflets/drugs.yaml``: per drug its class, brands, FDA label (a source
id), RxCUI and what it keeps; one leaflet definition per drug.

The file is parsed in one place (:func:`read_drugs`) for every caller: the
drug leaflets and the translation checks' drug names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from leafletgen.errors import DefinitionError, LeafletError, raise_all
from leafletgen.read.sources import load_sources
from leafletgen.select.definitions import LeafletSpec, SectionSpec, Selector, keep_phrases
from leafletgen.yamlfile import LineDict, LineList, load_yaml, require_keys

DRUG_KEYS = {
    "name": str,
    "brands": list,
    "class": str,
    "build": bool,
    "reason": str,
    "keep": (str, list),
    "label": str,  # the drug's FDA label: a source id of sources.yaml
    "rxcui": (str, int),  # RxNorm concept id: digits only
    # Class text a leaflet printing its label leaves out to stay on one sheet.
    "leave_out": (str, list),
}
RXCUI = re.compile(r"^[0-9]{1,12}$")
CLASS_KEYS = {"leaflet": str, "name": str}
DRUGS_FILE_KEYS = {"classes": dict, "drugs": list}


def drug_name(name: str) -> str:
    """A drug's name as the leaflets use it: NFKC-normalised, so that a name
    typed in full-width letters (``ｐｅｒｔｕｚｕｍａｂ``) is the name."""
    return unicodedata.normalize("NFKC", name).strip()


def drug_leaflet_id(name: str) -> str:
    """``"trastuzumab emtansine"`` -> ``"trastuzumab-emtansine"`` (accents
    dropped: ``"é"`` -> ``"e"``); empty if the name has no letter a-z or digit."""
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", drug_name(name)) if not unicodedata.combining(c)
    )
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def leaflet_id_problem(name: str) -> str | None:
    """Why ``name`` gives no leaflet id, or one that leaves letters out."""
    dropped = [c for c in drug_name(name) if c.isalnum() and not drug_leaflet_id(c)]
    if dropped:
        return f"has letters a leaflet id cannot hold ({dropped[0]!r}); write it in Latin letters"
    if not drug_leaflet_id(name):
        return "gives no leaflet id: a drug's name needs letters a-z or digits"
    return None


@dataclass(frozen=True)
class DrugsFile:
    """``drugs.yaml`` as parsed: its top-level mapping (checked by
    :func:`load_drugs`) and every drug and brand name it lists."""

    path: Path
    root: LineDict
    names: tuple[str, ...]  # drug and brand names: a translation keeps them as they are


def read_drugs(path: str | Path) -> DrugsFile:
    """Parse ``drugs.yaml``, once for every caller while the file is unchanged.

    A file that cannot be read or is not YAML is a :class:`DefinitionError`
    at its line.
    """
    path = Path(path)
    try:
        info = path.stat()
        stamp = (info.st_mtime_ns, info.st_size)
    except OSError:
        stamp = (-1, -1)  # load_yaml says why it cannot be read
    return _read_drugs(path, stamp)


@cache
def _read_drugs(path: Path, stamp: tuple[int, int]) -> DrugsFile:
    data = load_yaml(path, DefinitionError)
    names = []
    for entry in data.get("drugs") or ():
        if isinstance(entry, LineDict) and isinstance(entry.get("name"), str):
            names.append(drug_name(entry["name"]))
            names += [str(b) for b in entry.get("brands") or () if isinstance(b, str)]
    return DrugsFile(path, data, tuple(names))


def load_drugs(
    path: str | Path,
    specs: dict[str, LeafletSpec],
    sources: Collection[str] | None = None,
) -> dict[str, LeafletSpec]:
    """One leaflet definition per drug of ``drugs.yaml``.

    Each drug leaflet's "How it works" is the passages naming the drug; its
    other sections are its class's topic leaflet's (from ``specs``). A drug's
    ``label`` must be one of ``sources`` (default: the ids of ``sources.yaml``
    in the project's ``sources/`` folder beside ``leaflets/``).
    """
    path = Path(path)
    if sources is None:
        sources = _source_ids(path)
    data = read_drugs(path).root
    errors = require_keys(
        data, DRUGS_FILE_KEYS, {"classes", "drugs"}, path, DefinitionError, what="drugs file"
    )
    raise_all(errors)
    classes = _classes(data["classes"], specs, path, errors)
    names = read_drugs(path).names
    drugs: dict[str, LeafletSpec] = {}
    for entry in data["drugs"]:
        problems = _drug_problems(entry, classes, path) or _label_problems(entry, sources, path)
        if problems:
            errors += problems
            continue
        base, class_name = classes[entry["class"]]
        leaflet_id = drug_leaflet_id(entry["name"])
        if leaflet_id in specs or leaflet_id in drugs:
            errors.append(
                DefinitionError(f"leaflet id {leaflet_id!r} is already used", path, entry.line)
            )
            continue
        drugs[leaflet_id] = _drug_spec(entry, base, class_name, names, path)
    raise_all(errors)
    return drugs


def _classes(
    raw: LineDict, specs: dict[str, LeafletSpec], path: Path, errors: list[LeafletError]
) -> dict[str, tuple[LeafletSpec, str]]:
    """Each drug class: its topic leaflet and its name (problems into ``errors``)."""
    classes: dict[str, tuple[LeafletSpec, str]] = {}
    for name, entry in raw.items():
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
    return classes


def _drug_problems(
    entry: object, classes: dict[str, tuple[LeafletSpec, str]], path: Path
) -> list[LeafletError]:
    """What is wrong with one drug's entry (its keys, then the first inconsistency)."""
    problems = require_keys(
        entry,
        DRUG_KEYS,
        {"name", "class"},
        path,
        DefinitionError,
        what="drug",
        max_length={"reason": 1000},
    )
    if problems:
        return problems
    assert isinstance(entry, LineDict)
    no_id = leaflet_id_problem(entry["name"])
    if no_id:
        return [
            DefinitionError(f"drug name {entry['name']!r} {no_id}", path, entry.line_of("name"))
        ]
    brands = entry.get("brands")
    if isinstance(brands, list) and not all(isinstance(b, str) and b for b in brands):
        problems.append(
            DefinitionError("'brands' must be a list of names", path, entry.line_of("brands"))
        )
    if not problems and "keep" in entry and not keep_phrases(entry["keep"]):
        problems.append(
            DefinitionError(
                "'keep' must be a phrase, or a list of phrases, quoting the lines "
                "the drug's passages print on purpose",
                path,
                entry.line_of("keep"),
            )
        )
    if not problems and "leave_out" in entry and not keep_phrases(entry["leave_out"]):
        problems.append(
            DefinitionError(
                "'leave_out' must be a phrase, or a list of phrases, quoting the class's "
                "blocks the drug's leaflet leaves out beside its label",
                path,
                entry.line_of("leave_out"),
            )
        )
    if not problems and "leave_out" in entry and "label" not in entry:
        problems.append(
            DefinitionError(
                "'leave_out' makes room for the drug's label: it needs a 'label'",
                path,
                entry.line_of("leave_out"),
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
    return problems


def _source_ids(path: Path) -> Collection[str]:
    """The source ids of the project ``drugs.yaml`` belongs to (none if it has no sources)."""
    folder = path.parent.parent / "sources"
    return load_sources(folder).keys() if (folder / "sources.yaml").is_file() else ()


def _label_problems(entry: LineDict, sources: Collection[str], path: Path) -> list[LeafletError]:
    """A drug's ``label`` names a source; its ``rxcui`` is digits only."""
    problems: list[LeafletError] = []
    label = entry.get("label")
    if label is not None and label not in sources:
        known = ", ".join(sorted(sources)) or "none"
        problems.append(
            DefinitionError(
                f"label {label!r} is not a source in sources.yaml; known: {known}",
                path,
                entry.line_of("label"),
            )
        )
    rxcui = entry.get("rxcui")
    if rxcui is not None and (isinstance(rxcui, bool) or not RXCUI.match(str(rxcui))):
        problems.append(
            DefinitionError(
                f"rxcui {rxcui!r} must be an RxNorm concept id: digits only",
                path,
                entry.line_of("rxcui"),
            )
        )
    return problems


def _label_sections(entry: LineDict, name: str, brands: list[str]) -> tuple[SectionSpec, ...]:
    """The drug's own label's sections: its "most important information" (the
    reader's Medication Guide kind ``most_important``), printed first in the
    "When to call" box and headed with the drug's name as its label prints it."""
    label = entry.get("label")
    if not label:
        return ()
    line = entry.line_of("label")
    shown = brands[0] if brands else name
    selector = Selector(source=label, line=line, kind="most_important")
    return (SectionSpec("when_to_call", None, (selector,), line, drug_name=shown),)


def _leave_out(entry: LineDict) -> tuple[tuple[str, int], ...]:
    """``leave_out:`` phrases, each with its line in drugs.yaml."""
    raw = entry.get("leave_out")
    phrases = keep_phrases(raw) if raw is not None else ()
    if isinstance(raw, LineList):
        return tuple(zip(phrases, raw.item_lines, strict=True))
    return tuple((phrase, entry.line_of("leave_out")) for phrase in phrases)


def _drug_spec(
    entry: LineDict, base: LeafletSpec, class_name: str, names: tuple[str, ...], path: Path
) -> LeafletSpec:
    """A drug's leaflet: its own "How it works", its label's sections (when it
    names one), then its class's shared sections."""
    name = drug_name(entry["name"])
    brands = [str(b) for b in entry.get("brands", [])]
    title = name[:1].upper() + name[1:] + (f" ({', '.join(brands)})" if brands else "")
    keep = keep_phrases(entry.get("keep", []))
    drug_selector = Selector(source="", line=entry.line, drug=name, keep=keep)
    how = SectionSpec("how_it_works", None, (drug_selector,), entry.line)
    # Shared sections speak of the whole class, and say so in their heading.
    shared = tuple(
        replace(s, class_name=class_name) for s in base.sections if s.kind != "how_it_works"
    )
    return LeafletSpec(
        id=drug_leaflet_id(name),
        title=title,
        path=path,
        sections=(how, *_label_sections(entry, name, brands), *shared),
        leave_out=_leave_out(entry),
        description=base.description,
        drug=name,
        drug_names=names,
        skip_reason=entry.get("reason") if entry.get("build") is False else None,
        class_leaflet=base.id,
        brands=tuple(brands),
        rxcui=str(entry["rxcui"]) if entry.get("rxcui") is not None else None,
        label=entry.get("label"),
    )
