"""Pre-distribution checks: sources past their review date, and sources whose
licence needs a permission that ``sources.yaml`` does not record.

Problems are collected, never raised one by one: ``check`` reports them all
and ``check --strict`` (the gate before distribution) fails on any of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .leaflets import Leaflet
from .model import Document


@dataclass(frozen=True)
class Finding:
    """One thing a clinic must look at before handing leaflets out."""

    kind: str  # "overdue-review" or "licence-permission"
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
