"""FHIR R4 ``DocumentReference`` resources for published leaflets, and bundles
of them, so a patient portal or EHR can file each PDF with its metadata."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

from leafletgen.errors import PublishError
from leafletgen.project import OutputLayout
from leafletgen.publish.manifest import ManifestEntry, output_file
from leafletgen.publish.provenance import provenance

# LOINC 34895-3 "Education note"; SNOMED CT 311401005 "Patient education".
DOCUMENT_TYPE = {
    "coding": [{"system": "http://loinc.org", "code": "34895-3", "display": "Education note"}],
    "text": "Patient education leaflet",
}
CATEGORY = {
    "coding": [
        {
            "system": "http://snomed.info/sct",
            "code": "311401005",
            "display": "Patient education (procedure)",
        }
    ],
    "text": "Patient education material",
}
BUNDLE_TYPES = ("collection", "transaction")
_NAMESPACE = uuid.UUID("5f0c8d3e-6f1a-4c38-9a55-2f1e8c1d7a10")


def resource_id(entry: ManifestEntry) -> str:
    """A stable id for a leaflet's DocumentReference (same PDF bytes, same id)."""
    return str(uuid.uuid5(_NAMESPACE, f"{entry.path}:{entry.sha256}"))


def doc_status(entry: ManifestEntry) -> str:
    """``final`` only for a leaflet cleared for distribution (see
    :mod:`leafletgen.clearance`); anything else, or no status, is
    ``preliminary``."""
    cleared = entry.status == "cleared" and not entry.draft
    return "final" if cleared else "preliminary"


def document_reference(
    entry: ManifestEntry,
    out: Path,
    *,
    inline: bool = False,
    original: str | None = None,
    content: bytes | None = None,
) -> dict[str, Any]:
    """The DocumentReference describing one published PDF.

    The attachment carries size and SHA-1 (base64, as FHIR defines ``hash``)
    of the PDF (``content``, or the file on disk, which must be inside
    ``out``), and either the data inline or a URL relative to the output
    folder. ``original``: the id of the English original's DocumentReference,
    for a translation or a large-print variant (``relatesTo`` code
    ``transforms``).
    """
    if content is None:
        path = output_file(out, entry.path)
        try:
            content = path.read_bytes()
        except OSError as error:
            raise PublishError(f"cannot read PDF: {error.strerror}", path) from None
    attachment: dict[str, Any] = {
        "contentType": "application/pdf",
        "language": entry.lang.replace("_", "-"),  # BCP 47: zh_Hans -> zh-Hans
        "title": entry.title,
        "size": len(content),
        "hash": base64.b64encode(hashlib.sha1(content).digest()).decode("ascii"),
    }
    if entry.created:
        attachment["creation"] = entry.created
    if inline:
        attachment["data"] = base64.b64encode(content).decode("ascii")
    else:
        attachment["url"] = entry.path
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": resource_id(entry),
        "status": "current",
        "docStatus": doc_status(entry),
        "type": DOCUMENT_TYPE,
        "category": [CATEGORY],
        "description": entry.title,
        "content": [{"attachment": attachment}],
    }
    if entry.created:
        resource["date"] = entry.created
    if original:
        resource["relatesTo"] = [
            {"code": "transforms", "target": {"reference": f"DocumentReference/{original}"}}
        ]
    return resource


def is_original(entry: ManifestEntry) -> bool:
    """Whether an entry is an English, standard-print, final original."""
    return entry.lang == "en" and entry.variant == "standard" and not entry.draft


def original_of(
    entry: ManifestEntry, entries: list[ManifestEntry] | dict[str, ManifestEntry]
) -> ManifestEntry | None:
    """The English, standard-print, final entry a translation or variant was made
    from. ``entries``: the manifest's entries, or :func:`originals` of them."""
    if entry.lang == "en" and entry.variant == "standard":
        return None
    if isinstance(entries, dict):
        return entries.get(entry.id)
    return next((o for o in entries if o.id == entry.id and is_original(o)), None)


def originals(entries: list[ManifestEntry]) -> dict[str, ManifestEntry]:
    """The English originals among ``entries``, by leaflet id (one lookup each,
    however large the manifest)."""
    found: dict[str, ManifestEntry] = {}
    for entry in entries:
        if is_original(entry):
            found.setdefault(entry.id, entry)
    return found


def resources_of(
    entry: ManifestEntry,
    out: Path,
    *,
    original: ManifestEntry | None,
    inline: bool = False,
    recorded: str,
    content: bytes | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An entry's DocumentReference and Provenance, related to its English
    ``original`` if it has one."""
    original_id = resource_id(original) if original else None
    reference = document_reference(entry, out, inline=inline, original=original_id, content=content)
    record = provenance(entry, reference["id"], original_id, entry.created or recorded)
    return reference, record


def resource_files(pdf_path: str, reference: dict, record: dict) -> dict[str, bytes]:
    """The files of a PDF's resources: its DocumentReference and its Provenance."""
    return {
        OutputLayout.fhir_path(pdf_path): json_bytes(reference),
        OutputLayout.provenance_path(pdf_path): json_bytes(record),
    }


def bundle(resources: list[dict[str, Any]], kind: str = "collection") -> dict[str, Any]:
    """A FHIR ``Bundle`` of resources: ``collection`` or ``transaction``."""
    if kind not in BUNDLE_TYPES:
        raise PublishError(f"bundle type must be one of {', '.join(BUNDLE_TYPES)}, not {kind!r}")
    entries = []
    for resource in resources:
        item: dict[str, Any] = {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
        if kind == "transaction":
            item["request"] = {
                "method": "PUT",
                "url": f"{resource['resourceType']}/{resource['id']}",
            }
        entries.append(item)
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def json_bytes(data: dict[str, Any]) -> bytes:
    """A resource as the UTF-8 JSON written to disk."""
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
