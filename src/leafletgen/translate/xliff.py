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

Each unit records the catalog text it was exported from (a ``<note
from="leafletgen">``, which translate-toolkit and the platforms built on it
keep); an import refuses every unit whose catalog entry has changed since,
so a file exported before a ``.po`` fix cannot put the old text back, let
alone record it as approved. The file is checked with a hardened parser
(defusedxml) after decoding, whatever its encoding, before translate-toolkit
reads it, and its size is bounded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from babel.messages.catalog import Catalog, Message

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

if TYPE_CHECKING:  # translate-toolkit is imported when a file is read or written
    from lxml import etree
    from translate.storage.xliff import xlifffile, xliffunit

SKELETON = """<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
<file original="{original}" source-language="en" target-language="{lang}" datatype="po">
<body></body></file></xliff>"""


def unit_id(domain: str, msgid: str) -> str:
    """A stable unit id: the domain and a hash of the English."""
    return f"{domain}-{hashlib.sha256(msgid.encode('utf-8')).hexdigest()[:16]}"


def export_xliff(root: Path, lang: str, *, only: set[tuple[str, str]] | None = None) -> bytes:
    """The language's catalogs as XLIFF 1.2, review state as ``approved``;
    ``only``: just these (domain, msgid) entries (the strings one leaflet prints)."""
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
            if only is not None and (domain, message.id) not in only:
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
            _record_exported(unit, target)
            for comment in message.auto_comments:
                unit.addnote(comment, origin="developer")
            for path, line in message.locations:
                unit.addnote(f"{path}:{line}", origin="developer")
    return bytes(store)


# The origin of the note that holds a unit's catalog text at export.
EXPORTED = "leafletgen"


def _record_exported(unit: xliffunit, target: str) -> None:
    """Note in the unit the catalog text it is exported from (empty if none)."""
    from lxml import etree

    note = etree.SubElement(unit.xmlelement, unit.namespaced("note"))
    note.set("from", EXPORTED)
    note.text = target


def _exported_from(unit: xliffunit) -> str | None:
    """The catalog text the unit was exported from (None: the file does not say)."""
    for note in unit.xmlelement.iterfind("{*}note"):
        if note.get("from") == EXPORTED:
            return note.text or ""
    return None


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


def _target_node(unit: xliffunit) -> etree._Element | None:
    return unit.xmlelement.find("{*}target")


def _set_state(unit: xliffunit, state: str) -> None:
    node = _target_node(unit)
    if node is not None:
        node.set("state", state)


# XLIFF 1.2 state-qualifiers saying a target came from machine translation.
MACHINE = {"mt-suggestion", "leveraged-mt"}


def _machine(unit: xliffunit) -> bool:
    node = _target_node(unit)
    return node is not None and node.get("state-qualifier") in MACHINE


def _needs_work(unit: xliffunit) -> bool:
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
    stale: list[str] = field(default_factory=list)  # entries changed since the export


# A language's catalogs (messages and content) export to about 110 KB (es:
# 210 units); 4 MB holds some 35 times that, and imports in about 3 s and
# 125 MB (a 60 MB file took 35 s and 1.2 GB).
MAX_XLIFF_BYTES = 4 * 1024 * 1024
XLIFF_SIZE_HINT = "a language's catalogs export to about 0.1 MB"


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
    if method not in METHODS:
        raise TranslationError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    store = _read_xliff(path)
    locales = root / "locales"
    changes = _Changes(
        path=path,
        lang=lang,
        by_original={
            project_relative(po_path(locales, lang, domain), root): domain for domain in DOMAINS
        },
        catalogs={
            domain: read_catalog(po_path(locales, lang, domain))
            for domain in DOMAINS
            if po_path(locales, lang, domain).is_file()
        },
    )
    for unit in store.unit_iter():
        changes.take(unit)
    changes.errors += changes.unnamed(reviewer, qualification, translator, machine)
    raise_all(changes.errors)
    record = load_record(locales, lang)
    if changes.translated and translator:
        record = set_translated(record, method, translator, changes.translated)
    if changes.machine_made and machine:
        record = set_translated(record, "machine", machine, changes.machine_made)
    if changes.approved and reviewer and qualification:
        record = add_review(
            record,
            reviewer=reviewer,
            qualification=qualification,
            date=date or dt.date.today(),
            approved=changes.approved,
        )
    for domain in sorted(changes.dirty):
        write_catalog(changes.catalogs[domain], po_path(locales, lang, domain))
    if changes.translated or changes.machine_made or changes.approved:
        write_record(record)
    changes.result.approved = len(changes.approved)
    return changes.result


def _read_xliff(path: Path) -> xlifffile:
    """The XLIFF file from a translator or a translation platform: a regular
    file of bounded size, well-formed and without DOCTYPE or entities whatever
    its encoding (checked with defusedxml before translate-toolkit reads it)."""
    from translate.storage import xliff

    data = read_regular(
        path,
        limit=MAX_XLIFF_BYTES,
        what="XLIFF file",
        error=TranslationError,
        hint=XLIFF_SIZE_HINT,
    )
    _check_xml(data, path)
    try:
        return xliff.xlifffile.parsestring(data)
    except Exception as error:  # lxml and translate-toolkit raise many kinds
        raise TranslationError(f"not an XLIFF 1.2 file: {error}", path) from None


def _check_xml(data: bytes, path: Path) -> None:
    """Refuse a DOCTYPE, an entity or malformed XML, after decoding in the
    encoding the file declares (UTF-16 included), at its line."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import DefusedXMLParser

    parser = DefusedXMLParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    try:
        parser.feed(data)
        parser.close()
    except DefusedXmlException:
        raise TranslationError(
            "the XLIFF file declares a DOCTYPE or entities; XLIFF 1.2 needs neither",
            path,
            parser.parser.CurrentLineNumber,
        ) from None
    except ParseError as error:
        raise TranslationError(
            f"not an XLIFF 1.2 file: {error}", path, error.position[0] if error.position else None
        ) from None


@dataclass
class _Changes:
    """What the units of an import change in the catalogs and the review
    record, gathered with every problem before anything is written."""

    path: Path
    lang: str
    by_original: dict[str, str]  # a catalog's path as the file names it -> its domain
    catalogs: dict[str, Catalog]
    result: ImportResult = field(default_factory=ImportResult)
    errors: list[TranslationError] = field(default_factory=list)
    approved: set[str] = field(default_factory=set)
    translated: set[str] = field(default_factory=set)
    machine_made: set[str] = field(default_factory=set)
    dirty: set[str] = field(default_factory=set)  # domains whose catalog changed

    def take(self, unit: xliffunit) -> None:
        """One unit's target, state and approval, into its catalog entry."""
        found = self._message(unit)
        if found is None:
            return
        domain, original, message = found
        line = unit.xmlelement.sourceline
        if self._stale(unit, original, message, line):
            return
        target = str(unit.target or "")
        problem = text_problem(str(unit.source), target) if target else None
        if problem:  # checked like every catalog: plain text only
            self.errors.append(TranslationError(f"the target contains {problem}", self.path, line))
            return
        where = f"{original}:{message.lineno}"
        fuzzy = _needs_work(unit) or not target
        if target and target != (message.string or ""):
            message.string = target
            self.result.changed.append(where)
            key = fingerprint(domain, message.id, target, message.context)
            (self.machine_made if _machine(unit) else self.translated).add(key)
            self.dirty.add(domain)
        if target and fuzzy != message.fuzzy:
            if fuzzy:
                message.flags.add("fuzzy")
                self.result.fuzzy.append(where)
            else:
                message.flags.discard("fuzzy")
            self.dirty.add(domain)
        if unit.isapproved() and target and not fuzzy:
            self.approved.add(fingerprint(domain, message.id, target, message.context))

    def _stale(self, unit: xliffunit, original: str, message: Message, line: int) -> bool:
        """Whether the unit's catalog entry changed since the export (an error
        listing the entry: taking the unit would put the old text back). A
        unit whose target is what the catalog now says puts nothing back (a
        file imported once, imported again for its approvals)."""
        exported = _exported_from(unit)
        now = message.string if isinstance(message.string, str) else ""
        if now in (exported, str(unit.target or "")):
            return False
        if exported is None and not now:  # nothing in the catalog to put back
            return False
        said = (
            f"exported from {exported!r}"
            if exported is not None
            else "the unit does not record the text it was exported from (its note "
            f'from="{EXPORTED}" is missing), so it may be older'
        )
        self.result.stale.append(f"{original}:{message.lineno}")
        self.errors.append(
            TranslationError(
                f"{original}:{message.lineno} (msgid {message.id!r}): {said}; "
                f"the catalog now says {now!r}; export again",
                self.path,
                line,
            )
        )
        return True

    def _message(self, unit: xliffunit) -> tuple[str, str, Message] | None:
        """The unit's domain, catalog and entry (else an error at its line)."""
        element = unit.xmlelement
        line = element.sourceline
        file_node = element.getparent().getparent()
        original = file_node.get("original", "")
        target_lang = file_node.get("target-language")
        domain = self.by_original.get(original)
        lang = self.lang
        if domain is None or domain not in self.catalogs:
            self.errors.append(
                TranslationError(
                    f"<file original={original!r}> is not a {lang!r} catalog", self.path, line
                )
            )
            return None
        if target_lang and target_lang.replace("_", "-").lower() != lang.replace("_", "-").lower():
            self.errors.append(
                TranslationError(
                    f"target-language {target_lang!r} is not {lang!r}", self.path, line
                )
            )
            return None
        message = self.catalogs[domain].get(str(unit.source))
        if message is None:
            self.result.unknown.append(f"{self.path}:{line}")
            self.errors.append(
                TranslationError(
                    f"unit {unit.getid().split(chr(4))[-1]!r}: its English is not in {original}; "
                    "export again from the current catalogs",
                    self.path,
                    line,
                )
            )
            return None
        return domain, original, message

    def unnamed(
        self,
        reviewer: str | None,
        qualification: str | None,
        translator: str | None,
        machine: str | None,
    ) -> list[TranslationError]:
        """Approvals and changes whose reviewer, translator or system the
        importer did not name (the file never says reliably)."""
        errors = []
        if self.approved and not (reviewer and qualification):
            errors.append(
                TranslationError(
                    f'{len(self.approved)} unit(s) are approved="yes": name who reviewed them '
                    "(--reviewer NAME --qualification TEXT)",
                    self.path,
                )
            )
        if self.translated and not translator:
            errors.append(
                TranslationError(
                    f"{len(self.translated)} translation(s) changed: name who translated them "
                    "(--translator NAME)",
                    self.path,
                )
            )
        if self.machine_made and not machine:
            errors.append(
                TranslationError(
                    f"{len(self.machine_made)} changed translation(s) are marked as machine "
                    "translation (state-qualifier): name the system (--machine NAME)",
                    self.path,
                )
            )
        return errors
