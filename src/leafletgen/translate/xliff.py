"""XLIFF 1.2 round trip with review tools (Weblate, CAT tools), via translate-toolkit.

``export_xliff`` writes a language's catalogs as one XLIFF 1.2 file, one
``<file>`` per catalog; a unit is ``approved="yes"`` when its entry, as it
stands, was approved in the review record. ``import_xliff`` reads a file
back: changed translations go into the ``.po`` catalogs (recorded as
translated by whom the importer names), units marked as needing work turn
fuzzy, and units ``approved="yes"`` become a review in
``locales/<lang>/reviews.yaml`` by the reviewer the importer names. XLIFF
does not say reliably who approved a unit, so the reviewer is never taken
from the file and never guessed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from leafletgen.errors import TranslationError, raise_all
from leafletgen.files import read_regular
from leafletgen.translate.catalogs import (
    DOMAINS,
    po_path,
    project_relative,
    read_catalog,
    text_problem,
    write_catalog,
)
from leafletgen.translate.reviews import (
    METHODS,
    add_review,
    fingerprint,
    load_record,
    set_translated,
    write_record,
)

SKELETON = """<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
<file original="{original}" source-language="en" target-language="{lang}" datatype="po">
<body></body></file></xliff>"""


def unit_id(domain: str, msgid: str) -> str:
    """A stable unit id: the domain and a hash of the English."""
    return f"{domain}-{hashlib.sha256(msgid.encode('utf-8')).hexdigest()[:16]}"


def export_xliff(root: Path, lang: str) -> bytes:
    """The language's catalogs as XLIFF 1.2, review state as ``approved``."""
    from translate.storage import xliff

    locales = root / "locales"
    record = load_record(locales, lang)
    originals = [
        (domain, project_relative(po_path(locales, lang, domain), root))
        for domain in DOMAINS
        if po_path(locales, lang, domain).is_file()
    ]
    if not originals:
        raise TranslationError(f"no catalogs for {lang!r}", locales / lang)
    store = xliff.xlifffile.parsestring(
        SKELETON.format(original=originals[0][1], lang=lang).encode("utf-8")
    )
    for domain, original in originals:
        catalog = read_catalog(po_path(locales, lang, domain))
        for message in catalog:
            if not message.id or not isinstance(message.id, str):
                continue
            unit = store.addsourceunit(message.id, filename=original, createifmissing=True)
            unit.setid(unit_id(domain, message.id))
            target = message.string if isinstance(message.string, str) else ""
            if target:
                unit.target = target
            if message.fuzzy:
                _set_state(unit, "needs-review-translation")
            key = fingerprint(domain, message.id, target, message.context)
            unit.markapproved(bool(target) and not message.fuzzy and bool(record.review_of(key)))
            made = record.translation_of(key) if target else None
            if made is not None and made.method == "machine" and _target_node(unit) is not None:
                _target_node(unit).set("state-qualifier", "mt-suggestion")
            for comment in message.auto_comments:
                unit.addnote(comment, origin="developer")
            for path, line in message.locations:
                unit.addnote(f"{path}:{line}", origin="developer")
    return bytes(store)


# XLIFF 1.2 target states that mean the translation is not ready (PO: fuzzy).
NEEDS_WORK = {
    "new",
    "needs-translation",
    "needs-adaptation",
    "needs-l10n",
    "needs-review-translation",
    "needs-review-adaptation",
    "needs-review-l10n",
}


def _target_node(unit):
    return unit.xmlelement.find("{*}target")


def _set_state(unit, state: str) -> None:
    node = _target_node(unit)
    if node is not None:
        node.set("state", state)


# XLIFF 1.2 state-qualifiers saying a target came from machine translation.
MACHINE = {"mt-suggestion", "leveraged-mt"}


def _machine(unit) -> bool:
    node = _target_node(unit)
    return node is not None and node.get("state-qualifier") in MACHINE


def _needs_work(unit) -> bool:
    """Whether a unit's target is marked as not ready (its ``state``; translate-
    toolkit's ``isfuzzy`` also counts plain "translated" as unreviewed)."""
    node = _target_node(unit)
    return node is not None and node.get("state", "translated") in NEEDS_WORK


@dataclass
class ImportResult:
    """What an import changed."""

    changed: list[str] = field(default_factory=list)  # "file:line" of msgstrs updated
    fuzzy: list[str] = field(default_factory=list)
    approved: int = 0
    unknown: list[str] = field(default_factory=list)


MAX_XLIFF_BYTES = 64 * 1024 * 1024


def import_xliff(
    path: Path,
    root: Path,
    lang: str,
    *,
    reviewer: str | None = None,
    qualification: str | None = None,
    date: dt.date | None = None,
    translator: str | None = None,
    method: str = "translator",
    machine: str | None = None,
) -> ImportResult:
    """Read an XLIFF file back into the catalogs and the review record.

    Every problem is reported before anything is written: a unit whose
    English is not in the catalog (export again after ``i18n update``),
    approved units without a named reviewer, changed translations without a
    named translator. A changed target whose ``state-qualifier`` says machine
    translation (``mt-suggestion``, ``leveraged-mt``) is recorded as
    translated by the ``machine`` named.
    """
    from translate.storage import xliff

    if method not in METHODS:
        raise TranslationError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    # A file from a translator or a translation platform: a regular file of
    # bounded size (translate-toolkit's parser expands no entities).
    data = read_regular(path, limit=MAX_XLIFF_BYTES, what="XLIFF file", error=TranslationError)
    for declaration in (b"<!DOCTYPE", b"<!ENTITY"):
        if declaration in data:
            line = data[: data.index(declaration)].count(b"\n") + 1
            raise TranslationError(
                "the XLIFF file declares a DOCTYPE or entities; XLIFF 1.2 needs neither",
                path,
                line,
            )
    try:
        store = xliff.xlifffile.parsestring(data)
    except Exception as error:  # lxml and translate-toolkit raise many kinds
        raise TranslationError(f"not an XLIFF 1.2 file: {error}", path) from None
    locales = root / "locales"
    by_original = {
        project_relative(po_path(locales, lang, domain), root): domain for domain in DOMAINS
    }
    catalogs = {
        domain: read_catalog(po_path(locales, lang, domain))
        for domain in DOMAINS
        if po_path(locales, lang, domain).is_file()
    }
    errors: list[TranslationError] = []
    result = ImportResult()
    approved: set[str] = set()
    translated: set[str] = set()
    machine_made: set[str] = set()
    dirty: set[str] = set()
    for unit in store.unit_iter():
        element = unit.xmlelement
        line = element.sourceline
        file_node = element.getparent().getparent()
        original = file_node.get("original", "")
        target_lang = file_node.get("target-language")
        domain = by_original.get(original)
        if domain is None or domain not in catalogs:
            errors.append(
                TranslationError(
                    f"<file original={original!r}> is not a {lang!r} catalog", path, line
                )
            )
            continue
        if target_lang and target_lang.replace("_", "-").lower() != lang.replace("_", "-").lower():
            errors.append(
                TranslationError(f"target-language {target_lang!r} is not {lang!r}", path, line)
            )
            continue
        catalog = catalogs[domain]
        message = catalog.get(str(unit.source))
        if message is None:
            result.unknown.append(f"{path}:{line}")
            errors.append(
                TranslationError(
                    f"unit {unit.getid().split(chr(4))[-1]!r}: its English is not in {original}; "
                    "export again from the current catalogs",
                    path,
                    line,
                )
            )
            continue
        target = str(unit.target or "")
        problem = text_problem(str(unit.source), target) if target else None
        if problem:  # checked like every catalog: plain text only
            errors.append(TranslationError(f"the target contains {problem}", path, line))
            continue
        where = f"{original}:{message.lineno}"
        fuzzy = _needs_work(unit) or not target
        if target and target != (message.string or ""):
            message.string = target
            result.changed.append(where)
            key = fingerprint(domain, message.id, target, message.context)
            (machine_made if _machine(unit) else translated).add(key)
            dirty.add(domain)
        if target and fuzzy != message.fuzzy:
            if fuzzy:
                message.flags.add("fuzzy")
                result.fuzzy.append(where)
            else:
                message.flags.discard("fuzzy")
            dirty.add(domain)
        if unit.isapproved() and target and not fuzzy:
            approved.add(fingerprint(domain, message.id, target, message.context))
    if approved and not (reviewer and qualification):
        errors.append(
            TranslationError(
                f'{len(approved)} unit(s) are approved="yes": name who reviewed them '
                "(--reviewer NAME --qualification TEXT)",
                path,
            )
        )
    if translated and not translator:
        errors.append(
            TranslationError(
                f"{len(translated)} translation(s) changed: name who translated them "
                "(--translator NAME)",
                path,
            )
        )
    if machine_made and not machine:
        errors.append(
            TranslationError(
                f"{len(machine_made)} changed translation(s) are marked as machine translation "
                "(state-qualifier): name the system (--machine NAME)",
                path,
            )
        )
    raise_all(errors)
    record = load_record(locales, lang)
    if translated and translator:
        record = set_translated(record, method, translator, translated)
    if machine_made and machine:
        record = set_translated(record, "machine", machine, machine_made)
    if approved and reviewer and qualification:
        record = add_review(
            record,
            reviewer=reviewer,
            qualification=qualification,
            date=date or dt.date.today(),
            approved=approved,
        )
    for domain in sorted(dirty):
        write_catalog(catalogs[domain], po_path(locales, lang, domain))
    if translated or machine_made or approved:
        write_record(record)
    result.approved = len(approved)
    return result
