"""A read-only FHIR R4 endpoint over the leaflets the build published.

``DocumentReference`` resources are the ones the build wrote beside each PDF
(``<id>.fhir.json``), their attachment pointing at this server's
``Binary/<id>``; ``Binary/<id>`` is the PDF itself. Only files the manifest
lists are served, and only while their bytes match it: no request path is
ever turned into a file path.

This module is the endpoint's logic (the store, search, the Bundle and the
CapabilityStatement); its routes are :mod:`leafletgen.web.routes.fhir`.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse

from leafletgen import __version__
from leafletgen.publish import fhir
from leafletgen.publish.manifest import ManifestEntry
from leafletgen.web.library import Library, fold

FHIR_JSON = "application/fhir+json"
FHIR_VERSION = "4.0.1"
MAX_COUNT = 100

# name -> FHIR search parameter type, as the CapabilityStatement declares them
SEARCH_PARAMETERS = {
    "_id": ("token", "The resource's logical id"),
    "language": ("token", "Language of the leaflet (attachment.language), e.g. es"),
    "status": ("token", "current | superseded | entered-in-error"),
    "type": ("token", "Kind of document (LOINC 34895-3, Education note)"),
    "category": ("token", "Categorization of the document (SNOMED CT 311401005)"),
    "contenttype": ("token", "Mime type of the content (application/pdf)"),
    "description": ("string", "The leaflet's title; :contains and :exact supported"),
}
CONTROL_PARAMETERS = {"_count", "_offset", "_format"}

Criterion = tuple[str, str, str]  # (name, modifier, value) of one search parameter
Found = tuple[dict[str, Any], ManifestEntry]  # (DocumentReference, its manifest entry)


class FhirResponse(JSONResponse):
    """A FHIR resource as ``application/fhir+json``, indented, non-ASCII kept."""

    media_type = FHIR_JSON

    def render(self, content: Any) -> bytes:
        """The resource's JSON bytes."""
        return json.dumps(content, ensure_ascii=False, indent=2).encode("utf-8")


def outcome(status: int, code: str, message: str, severity: str = "error") -> FhirResponse:
    """An ``OperationOutcome`` saying what went wrong, with its HTTP status."""
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": message}],
    }
    return FhirResponse(body, status_code=status)


class FhirStore:
    """The DocumentReferences of the output folder, each with the manifest entry it describes."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def references(self, base: str) -> list[Found]:
        """Every DocumentReference whose PDF is intact, its attachment pointing at
        ``<base>/Binary/<id>``."""
        found = []
        for entry in self.library.entries():
            if not self.library.intact(entry):
                continue  # its PDF no longer has the bytes the reference describes
            resource = self._written(entry)
            resource["content"][0]["attachment"]["url"] = f"{base}/Binary/{resource['id']}"
            resource["content"][0]["attachment"].pop("data", None)
            found.append((resource, entry))
        return found

    def _written(self, entry: ManifestEntry) -> dict[str, Any]:
        """The resource the build wrote beside the PDF; made afresh if it is missing
        or does not describe this entry."""
        path = self.library.fhir_file_of(entry)
        if path is not None:
            try:
                resource = json.loads(path.read_text(encoding="utf-8"))
                if (
                    isinstance(resource, dict)
                    and resource.get("resourceType") == "DocumentReference"
                    and resource.get("id") == fhir.resource_id(entry)
                ):
                    return resource
            except (OSError, ValueError):
                pass
        return fhir.document_reference(entry, self.library.out)

    def find(self, resource_id: str, base: str) -> Found | None:
        """The DocumentReference ``resource_id`` and its manifest entry, if served."""
        return next(((r, e) for r, e in self.references(base) if r["id"] == resource_id), None)


def _token_matches(values: list[str], wanted: str) -> bool:
    """FHIR token search: ``code``, ``system|code``, ``|code`` or ``system|``."""
    options = wanted.split(",")
    for option in options:
        system, bar, code = option.rpartition("|")
        for value in values:
            value_system, _, value_code = value.rpartition("|")
            if bar and system and value_system != system:
                continue
            if not code or value_code.lower() == code.lower():
                return True
    return False


def _codings(concept: dict[str, Any]) -> list[str]:
    """A CodeableConcept's codings as ``system|code`` tokens."""
    return [f"{c.get('system', '')}|{c.get('code', '')}" for c in concept.get("coding", [])]


def _matches(resource: dict[str, Any], name: str, modifier: str, wanted: str) -> bool:
    """Whether ``resource`` meets one search parameter ``name[:modifier]=wanted``."""
    attachment = resource["content"][0]["attachment"]
    if name == "_id":
        return resource["id"] in wanted.split(",")
    if name == "language":
        return _token_matches([f"|{attachment.get('language', '')}"], wanted)
    if name == "status":
        return _token_matches([f"|{resource.get('status', '')}"], wanted)
    if name == "type":
        return _token_matches(_codings(resource.get("type", {})), wanted)
    if name == "category":
        codes = [c for concept in resource.get("category", []) for c in _codings(concept)]
        return _token_matches(codes, wanted)
    if name == "contenttype":
        return _token_matches([f"|{attachment.get('contentType', '')}"], wanted)
    if name == "description":
        text = resource.get("description", "")
        for option in wanted.split(","):
            if modifier == "exact" and text == option:
                return True
            if modifier == "contains" and fold(option) in fold(text):
                return True
            if not modifier and fold(text).startswith(fold(option)):
                return True
        return False
    return True


def search_criteria(params: QueryParams) -> tuple[list[Criterion], list[str]]:
    """The supported search parameters of a query as ``(name, modifier, value)``,
    and the names of those ignored (unsupported, control parameters aside)."""
    criteria: list[Criterion] = []
    ignored: list[str] = []
    for key, value in params.multi_items():
        name, _, modifier = key.partition(":")
        if name in SEARCH_PARAMETERS and modifier in ("", "contains", "exact", "not"):
            criteria.append((name, modifier, value))
        elif key not in CONTROL_PARAMETERS:
            ignored.append(key)
    return criteria, ignored


def matching(
    resources: Iterable[dict[str, Any]], criteria: list[Criterion]
) -> list[dict[str, Any]]:
    """The resources that meet every criterion (``:not`` inverts one)."""
    return [
        resource
        for resource in resources
        if all(_matches(resource, n, m, v) != (m == "not") for n, m, v in criteria)
    ]


def binary(resource_id: str, data: bytes) -> dict[str, Any]:
    """A FHIR ``Binary`` resource holding a PDF."""
    return {
        "resourceType": "Binary",
        "id": resource_id,
        "contentType": "application/pdf",
        "data": base64.b64encode(data).decode("ascii"),
    }


def searchset(
    base: str,
    criteria: list[Criterion],
    matches: list[dict[str, Any]],
    count: int,
    offset: int,
    ignored: list[str],
) -> dict[str, Any]:
    """A ``searchset`` Bundle of one page of matches, with self and next links."""
    params = [(f"{n}:{m}" if m else n, v) for n, m, v in criteria]

    def link(relation: str, start: int) -> dict[str, str]:
        """A link to the page of matches starting at ``start``."""
        query = urlencode([*params, ("_count", str(count)), ("_offset", str(start))])
        return {"relation": relation, "url": f"{base}/DocumentReference?{query}"}

    page = matches[offset : offset + count]
    links = [link("self", offset)]
    if offset + count < len(matches):
        links.append(link("next", offset + count))
    if offset > 0:
        links.append(link("previous", max(0, offset - count)))
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": f"{base}/DocumentReference/{resource['id']}",
            "resource": resource,
            "search": {"mode": "match"},
        }
        for resource in page
    ]
    if ignored:
        notice = {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "warning",
                    "code": "not-supported",
                    "diagnostics": "search parameters not supported and ignored: "
                    + ", ".join(sorted(set(ignored))),
                }
            ],
        }
        entries.append({"resource": notice, "search": {"mode": "outcome"}})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(matches),
        "link": links,
        "entry": entries,
    }


def capability_statement(base: str) -> dict[str, Any]:
    """What this server offers: read and search DocumentReference, read Binary."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": dt.date.today().isoformat(),
        "publisher": "leafletgen",
        "kind": "instance",
        "software": {"name": "leafletgen", "version": __version__},
        "implementation": {
            "description": "Patient leaflets published by leafletgen (read-only)",
            "url": base,
        },
        "fhirVersion": FHIR_VERSION,
        "format": [FHIR_JSON, "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Read-only. Only the PDFs listed in the build's manifest are "
                "served; DocumentReference.content.attachment.url points at Binary/<id>.",
                "resource": [
                    {
                        "type": "DocumentReference",
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchParam": [
                            {"name": name, "type": kind, "documentation": text}
                            for name, (kind, text) in SEARCH_PARAMETERS.items()
                        ],
                    },
                    {"type": "Binary", "interaction": [{"code": "read"}]},
                ],
            }
        ],
    }
