"""Pre-distribution checks: sources past their review date or with no review
date at all, sources whose licence needs a permission that ``sources.yaml``
does not record, and built leaflets longer than their page budget.

Problems are collected, never raised one by one: ``check`` reports them all
and ``check --strict`` (the gate before distribution) fails on any of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .leaflets import Leaflet
from .model import Document


@dataclass(frozen=True)
class Finding:
    """One thing a clinic must look at before handing leaflets out."""

    kind: str  # "overdue-review", "no-review-date", "licence-permission", "page-budget"
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


def undated_findings(documents: Iterable[Document]) -> list[Finding]:
    """Sources that give no review date at all: nobody can tell how current they are."""
    return [
        Finding(
            "no-review-date",
            document.path,
            "the page gives no review date (neither last reviewed nor next review); "
            "check it against the publisher's current page, and leaflets printing it "
            "are due for review a year after issue",
        )
        for document in documents
        if not document.last_reviewed and not document.next_review
    ]


def page_budget_findings(entries: list[dict], out: Path) -> list[Finding]:
    """Built leaflets (from ``out/manifest.json``) longer than their page budget."""
    findings = []
    for entry in entries:
        allowed, pages = entry.get("pages_allowed"), entry.get("pages")
        if isinstance(allowed, int) and isinstance(pages, int) and pages > allowed:
            variant = entry.get("variant", "standard")
            findings.append(
                Finding(
                    "page-budget",
                    str(out / str(entry["path"])),
                    f"leaflet {entry['id']} [{entry['lang']}"
                    f"{'' if variant == 'standard' else ', ' + str(variant)}]: {pages} pages, "
                    f"{allowed} allowed, overflow {float(entry.get('overflow') or 0):.1f} page",
                )
            )
    return findings
