"""FHIR R4 ``DocumentReference`` resources for published leaflets, and bundles
of them, so a patient portal or EHR can file each PDF with its metadata."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

from leafletgen.errors import LeafletError, PublishError
from leafletgen.publish.unit import ManifestEntry, output_file, write_atomic

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


def resource_id(entry: ManifestEntry | dict) -> str:
    """A stable id for a leaflet's DocumentReference (same PDF bytes, same id)."""
    get = entry.get if isinstance(entry, dict) else lambda key: getattr(entry, key)
    return str(uuid.uuid5(_NAMESPACE, f"{get('path')}:{get('sha256')}"))


def doc_status(entry: dict) -> str:
    """``final`` only for a leaflet cleared for distribution (see
    :mod:`leafletgen.clearance`); anything else, or no status, is
    ``preliminary``."""
    distribution = entry.get("distribution") or {}
    cleared = distribution.get("status") == "cleared" and not entry.get("draft")
    return "final" if cleared else "preliminary"


def document_reference(
    entry: ManifestEntry | dict,
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
    data = entry if isinstance(entry, dict) else _as_dict(entry)
    if content is None:
        path = output_file(out, data["path"])
        try:
            content = path.read_bytes()
        except OSError as error:
            raise PublishError(f"cannot read PDF: {error.strerror}", path) from None
    attachment: dict[str, Any] = {
        "contentType": "application/pdf",
        "language": data["lang"].replace("_", "-"),  # BCP 47: zh_Hans -> zh-Hans
        "title": data["title"],
        "size": len(content),
        "hash": base64.b64encode(hashlib.sha1(content).digest()).decode("ascii"),
    }
    if data.get("created"):
        attachment["creation"] = data["created"]
    if inline:
        attachment["data"] = base64.b64encode(content).decode("ascii")
    else:
        attachment["url"] = data["path"]
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": resource_id(data),
        "status": "current",
        "docStatus": doc_status(data),
        "type": DOCUMENT_TYPE,
        "category": [CATEGORY],
        "description": data["title"],
        "content": [{"attachment": attachment}],
    }
    if data.get("created"):
        resource["date"] = data["created"]
    if original:
        resource["relatesTo"] = [
            {"code": "transforms", "target": {"reference": f"DocumentReference/{original}"}}
        ]
    return resource


def is_original(entry: dict) -> bool:
    """Whether an entry is an English, standard-print, final original."""
    return (
        entry["lang"] == "en"
        and entry.get("variant", "standard") == "standard"
        and not entry.get("draft")
    )


def original_of(entry: dict, entries: list[dict] | dict[str, dict]) -> dict | None:
    """The English, standard-print, final entry a translation or variant was made
    from. ``entries``: the manifest's entries, or :func:`originals` of them."""
    if entry["lang"] == "en" and entry.get("variant", "standard") == "standard":
        return None
    if isinstance(entries, dict):
        return entries.get(entry["id"])
    return next((o for o in entries if o["id"] == entry["id"] and is_original(o)), None)


def originals(entries: list[dict]) -> dict[str, dict]:
    """The English originals among ``entries``, by leaflet id (one lookup each,
    however large the manifest)."""
    found: dict[str, dict] = {}
    for entry in entries:
        if is_original(entry):
            found.setdefault(entry["id"], entry)
    return found


def resources_of(
    entry: dict,
    out: Path,
    *,
    original: dict | None,
    inline: bool = False,
    recorded: str,
    content: bytes | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An entry's DocumentReference and Provenance, related to its English
    ``original`` if it has one."""
    from leafletgen.publish.provenance import provenance

    original_id = resource_id(original) if original else None
    reference = document_reference(entry, out, inline=inline, original=original_id, content=content)
    record = provenance(entry, reference["id"], original_id, entry.get("created") or recorded)
    return reference, record


def resource_files(pdf_path: str, reference: dict, record: dict) -> dict[str, bytes]:
    """The files of a PDF's resources: ``<id>.fhir.json`` and ``<id>.provenance.json``."""
    stem = str(pdf_path).removesuffix(".pdf")
    return {
        f"{stem}.fhir.json": json_bytes(reference),
        f"{stem}.provenance.json": json_bytes(record),
    }


def publish_resources(
    entries: list[dict],
    out: Path,
    *,
    inline: bool = False,
    recorded: str,
    only: set[str] | None = None,
    failed: list[tuple[dict, LeafletError]] | None = None,
) -> list[dict[str, Any]]:
    """Write every entry's DocumentReference (``<id>.fhir.json``) and Provenance
    (``<id>.provenance.json``) beside its PDF, related to the English original
    where there is one; returns them all, for a Bundle. With ``only`` (leaflet
    ids), just the resources of those leaflets are made. A file whose content
    is already right is not written again. With ``failed``, an entry whose
    resources cannot be written is recorded there and left out, and the
    others are still written."""
    index = originals(entries)
    resources = []
    for entry in entries:
        if only is not None and entry["id"] not in only:
            continue
        try:
            reference, record = resources_of(
                entry, out, original=original_of(entry, index), inline=inline, recorded=recorded
            )
            for name, data in resource_files(entry["path"], reference, record).items():
                path = output_file(out, name)
                try:
                    if path.read_bytes() == data:
                        continue
                except OSError:
                    pass
                try:
                    write_atomic(path, data)
                except OSError as error:
                    raise PublishError(
                        f"cannot write FHIR resource: {error.strerror}", path
                    ) from None
        except LeafletError as error:
            if failed is None:
                raise
            failed.append((entry, error))
            continue
        resources += [reference, record]
    return resources


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


def write_json(data: dict[str, Any], path: Path) -> None:
    """Write a resource as JSON, atomically."""
    try:
        write_atomic(path, json_bytes(data))
    except OSError as error:
        raise PublishError(f"cannot write FHIR resource: {error.strerror}", path) from None


def _as_dict(entry: ManifestEntry) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(entry)
