"""Pre-distribution checks: sources past their review date, sources whose
licence needs a permission that ``sources.yaml`` does not record, and
printed lines that look like web furniture (a phone number that is not the
clinic's, opening hours, a chat or donate box, a bare URL ...).

Problems are collected, never raised one by one: ``check`` reports them all
and ``check --strict`` (the gate before distribution) fails on any of them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .leaflets import Clinic, Leaflet, kept_on_purpose
from .model import Document
from .readers.common import load_profiles


@dataclass(frozen=True)
class Finding:
    """One thing a clinic must look at before handing leaflets out."""

    kind: str  # "overdue-review", "licence-permission" or "web-furniture"
    where: str  # file or file:line
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def review_findings(documents: dict[str, Document], today: dt.date) -> list[Finding]:
    """Sources whose next review date has passed."""
    findings = []
    for document in documents.values():
        if document.next_review and document.next_review < today:
            last = document.last_reviewed.isoformat() if document.last_reviewed else "unknown"
            findings.append(
                Finding(
                    "overdue-review",
                    document.path,
                    f"review was due {document.next_review.isoformat()} "
                    f"(last reviewed {last}); compare it with the publisher's current page "
                    "before distributing",
                )
            )
    return findings


def licence_findings(leaflets: list[Leaflet], sources_file: str) -> list[Finding]:
    """Leaflets that print a source whose licence needs a permission nobody recorded."""
    findings = []
    for leaflet in leaflets:
        for document in leaflet.documents:
            licence = document.source.licence
            if licence is None:
                findings.append(
                    Finding(
                        "licence-permission",
                        f"{sources_file}:{document.source.line}",
                        f"leaflet {leaflet.id!r} uses {document.id!r}, "
                        "whose licence is not recorded",
                    )
                )
            elif licence.needs_permission and not licence.permission:
                findings.append(
                    Finding(
                        "licence-permission",
                        f"{sources_file}:{document.source.line}",
                        f"leaflet {leaflet.id!r} uses {document.id!r} ({licence.name}); reuse "
                        "needs the publisher's permission and none is recorded "
                        "(licence.permission)",
                    )
                )
    return findings


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
                                "web-furniture",
                                f"{document.path}:{line}",
                                f"leaflet {leaflet.id!r} prints text that looks like web "
                                f"furniture ({', '.join(kinds)}): {text!r}; if the leaflet "
                                "should print it, quote it under 'keep:' on its selector"
                                f"{where}",
                            )
                        )
    return findings
