"""The two distribution reasons a source review answers.

* ``source-not-reviewed``: a source the leaflet prints from has no review of
  its current file (sha256) and outline (fingerprint);
* ``furniture-printed``: the leaflet prints a line the reader flagged as web
  furniture that neither its definition (``keep:``) nor the source's current
  review (``kept``) keeps on purpose.

Each reason is returned as the keyword arguments of
:class:`leafletgen.clearance.Reason`, which :func:`leafletgen.clearance.assess`
adds to the others.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from leafletgen.errors import LeafletError
from leafletgen.model import Document, Leaflet
from leafletgen.select.clinic import Clinic, load_clinic
from leafletgen.select.furniture import Finding, furniture_findings


@cache
def _clinic(path: Path, mtime_ns: int) -> Clinic | None:
    try:
        return load_clinic(path)
    except LeafletError:  # reported by the build and by check
        return None


def clinic_of(root: Path) -> Clinic | None:
    """``leaflets/clinic.yaml`` (re-read when it changes), or ``None`` if it cannot be read."""
    path = root / "leaflets" / "clinic.yaml"
    try:
        return _clinic(path, path.stat().st_mtime_ns)
    except OSError:
        return None


def _label(document: Document) -> str:
    return f"{document.publisher or document.id}, “{document.title or document.id}”"


def _listed(items: list[str], limit: int = 2) -> str:
    more = len(items) - limit
    return "; ".join(items[:limit]) + (f"; and {more} more" if more > 0 else "")


def unreviewed(document: Document, relative: str) -> dict[str, Any] | None:
    """The ``source-not-reviewed`` reason of one document, or ``None`` when a
    review of its current text and outline is recorded."""
    review = document.review
    if review is not None and review.current:
        return None
    what = "has no source review"
    if review is not None:
        what = (
            f"has no source review of its current text and outline (file sha256 "
            f"{review.sha256[:12]}…, outline {review.outline})"
        )
    return {
        "code": "source-not-reviewed",
        "message": f"{_label(document)} ({relative}) {what}: look at what it prints with "
        f"`leafletgen sources show {document.id}`, then record your review with "
        f"`leafletgen sources review {document.id} --reviewer NAME --role ROLE`",
        "subject": document.publisher or document.id,
        "details": (relative,),
    }


def printed_furniture(leaflet: Leaflet, root: Path) -> list[Finding]:
    """Lines the leaflet prints that look like web furniture and nothing keeps on purpose."""
    return furniture_findings([leaflet], clinic_of(root))


def _relative(where: str, root: Path) -> str:
    """A source's ``path[:line]`` as the project names it (never a server path)."""
    path = Path(where)
    if path.is_absolute() and path.is_relative_to(root.resolve()):
        return path.relative_to(root.resolve()).as_posix()
    return where


def review_reasons(leaflet: Leaflet, root: Path) -> list[dict[str, Any]]:
    """The ``source-not-reviewed`` and ``furniture-printed`` reasons of a leaflet."""
    reasons = []
    for document in leaflet.documents:
        if (reason := unreviewed(document, _relative(document.path, root))) is not None:
            reasons.append(reason)
    findings = printed_furniture(leaflet, root)
    if findings:
        lines = [_relative(finding.where, root) for finding in findings]
        reasons.append(
            {
                "code": "furniture-printed",
                "message": f"prints {len(findings)} line(s) that look like web furniture and "
                f"that no definition (keep:) or source review keeps on purpose: {_listed(lines)} "
                "(`leafletgen sources review` excludes them or keeps them on purpose)",
                "details": tuple(
                    f"{where}: {finding.message}"
                    for where, finding in zip(lines, findings, strict=True)
                ),
            }
        )
    return reasons


def review_codes(leaflet: Leaflet) -> list[str]:
    """The review state of the leaflet's sources in short form: part of its
    input hash, so recording a review rebuilds it."""
    codes = []
    for document in leaflet.documents:
        state = repr(document.review).encode("utf-8")
        codes.append(f"source-review:{document.id}:{hashlib.sha256(state).hexdigest()[:16]}")
    return codes
