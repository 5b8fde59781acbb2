"""Printed lines that look like web furniture: a phone number that is not the
clinic's, opening hours, a chat or donate box, a newsletter, a bare URL ...

The reader flags them (``Document.furniture``, patterns in
``data/profiles.yaml``); here they become findings for the leaflets that
print them, unless a selector (``keep:``) or the source's current review
(``kept``) keeps them on purpose. ``inspect``,
``build`` and ``check`` report them; ``check --strict`` fails on them.
:func:`printed_findings` adds the other text a person must look at before
a leaflet goes out: emergency numbers that are not the clinic's, the
reader's warnings about the sections a leaflet prints (what it withheld
there), and drug passages that point back to text the source does not
print.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from leafletgen.model import Document, Leaflet, Passage
from leafletgen.read.profiles import load_profiles
from leafletgen.select.clinic import Clinic
from leafletgen.select.definitions import kept_on_purpose
from leafletgen.select.passages import dangling_references


@dataclass(frozen=True)
class Finding:
    """A printed line a person must look at (web furniture, a passage pointing
    back to text not printed), where it is and why."""

    where: str  # file:line
    message: str
    leaflet: str  # the leaflet that prints it
    # Whether ``check --strict`` fails on it; a reader warning about a printed
    # section is shown for a person to read, and is not a failure by itself.
    blocking: bool = True

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _clinic_numbers(clinic: Clinic | None) -> set[str]:
    if clinic is None:
        return set()
    numbers = (clinic.phone, clinic.after_hours_phone, clinic.emergency_number)
    return {re.sub(r"\D", "", n) for n in numbers if n}


def _only_clinic_numbers(text: str, clinic_numbers: set[str]) -> bool:
    """Whether every phone number in ``text`` is one of the clinic's own."""
    patterns = [p for kind, p in load_profiles()["generic"].furniture if kind == "phone"]
    found = [re.sub(r"\D", "", m[0]) for p in patterns for m in p.finditer(text)]
    return bool(found) and all(number in clinic_numbers for number in found)


def furniture_findings(leaflets: list[Leaflet], clinic: Clinic | None = None) -> list[Finding]:
    """Every line a leaflet prints that looks like web furniture, unless its
    selector keeps it on purpose (``keep:``). A phone number is furniture only
    when it is not one of the clinic's own numbers."""
    clinic_numbers = _clinic_numbers(clinic)
    findings = []
    for leaflet in leaflets:
        for section in leaflet.sections:
            for passage in section.passages:
                document = leaflet.document(passage.source)
                flagged = {(f.line, f.text): f for f in document.furniture}
                for block in passage.blocks:
                    for text, line in block.units:
                        flag = flagged.get((line, text))
                        if flag is None or kept_on_purpose(text, passage.keep):
                            continue
                        if document.review and line in document.review.kept:
                            continue  # the source's current review keeps it on purpose
                        kinds = [
                            kind
                            for kind in flag.kinds
                            if not (kind == "phone" and _only_clinic_numbers(text, clinic_numbers))
                        ]
                        if not kinds:
                            continue
                        where = f" ({leaflet.definition}:{passage.line})" if passage.line else ""
                        findings.append(
                            Finding(
                                f"{document.path}:{line}",
                                f"leaflet {leaflet.id!r} prints text that looks like web "
                                f"furniture ({', '.join(kinds)}): {text!r}; if the leaflet "
                                "should print it, quote it under 'keep:' on its selector"
                                f"{where}",
                                leaflet.id,
                            )
                        )
    return findings


def emergency_findings(leaflets: list[Leaflet], clinic: Clinic | None = None) -> list[Finding]:
    """Every printed sentence that tells the reader to call an emergency
    number other than the clinic's own (``clinic.yaml`` ``emergency_number``):
    a UK page's "call 999" in a leaflet for a US clinic."""
    pattern = load_profiles()["generic"].emergency_call
    own = re.sub(r"\D", "", clinic.emergency_number) if clinic and clinic.emergency_number else None
    findings = []
    for leaflet in leaflets:
        for passage in _passages(leaflet):
            document = leaflet.document(passage.source)
            for block in passage.blocks:
                for text, line in block.units:
                    numbers = {m["number"] for m in pattern.finditer(text)} if pattern else set()
                    other = sorted(n for n in numbers if n != own)
                    if not other or kept_on_purpose(text, passage.keep):
                        continue
                    clinic_says = f"the clinic's is {own}" if own else "clinic.yaml names none"
                    findings.append(
                        Finding(
                            f"{document.path}:{line}",
                            f"leaflet {leaflet.id!r} prints the emergency number "
                            f"{', '.join(other)} ({clinic_says}): {text!r}; if the leaflet "
                            "should print it, quote it under 'keep:' on its selector",
                            leaflet.id,
                        )
                    )
    return findings


def reader_findings(leaflets: list[Leaflet]) -> list[Finding]:
    """Every reader warning about a section a leaflet prints from (text it
    withheld there, a lead-in without its list ...): the printed section may
    not say what the source says, so a person must look, in ``build`` and
    ``check`` as in ``inspect``."""
    findings: dict[tuple[str, str], Finding] = {}
    for leaflet in leaflets:
        for passage in _passages(leaflet):
            document = leaflet.document(passage.source)
            spans = _printed_spans(document, passage)
            for warning in document.warnings:
                if any(start <= warning.line < end for start, end in spans):
                    where = f"{document.path}:{warning.line}"
                    findings.setdefault(
                        (leaflet.id, where),
                        Finding(
                            where,
                            "a section a leaflet prints, where the reader withheld or "
                            f"doubted text: {warning.message}; read the printed section "
                            "against the source",
                            leaflet.id,
                            blocking=False,
                        ),
                    )
    return list(findings.values())


def _passages(leaflet: Leaflet) -> list[Passage]:
    return [passage for section in leaflet.sections for passage in section.passages]


def _printed_spans(document: Document, passage: Passage) -> list[tuple[int, int]]:
    """The line spans of the document's sections a passage prints from."""
    lines = {line for block in passage.blocks for _, line in block.units}
    spans = []
    sections = document.sections
    for index, section in enumerate(sections):
        end = sections[index + 1].line if index + 1 < len(sections) else sys.maxsize
        start = min([section.line, *(b.line for b in section.blocks)])
        if any(start <= line < end for line in lines):
            spans.append((start, end))
    return spans


def printed_findings(leaflets: list[Leaflet], clinic: Clinic | None = None) -> list[Finding]:
    """Everything the leaflets print that must not go out unremarked: web
    furniture (:func:`furniture_findings`), emergency numbers that are not the
    clinic's, the reader's warnings about printed sections, and passages that
    point back to text their source does not print."""
    findings = furniture_findings(leaflets, clinic) + emergency_findings(leaflets, clinic)
    findings += reader_findings(leaflets)
    for leaflet in leaflets:
        findings += [
            Finding(where, message, leaflet.id) for where, message in dangling_references(leaflet)
        ]
        # Class text a drug leaflet leaves out beside its label: chosen, never cut silently.
        findings += [
            Finding(where, message, leaflet.id, blocking=False)
            for where, message in leaflet.left_out
        ]
    return findings
