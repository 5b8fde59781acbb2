"""The FHIR R4 routes, under ``/fhir``: the CapabilityStatement, searching and
reading DocumentReferences, and reading a Binary (the PDF). Their logic is
:mod:`leafletgen.web.fhirapi`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from leafletgen.web.auth import require
from leafletgen.web.fhirapi import (
    FHIR_JSON,
    MAX_COUNT,
    FhirResponse,
    binary,
    capability_statement,
    matching,
    outcome,
    search_criteria,
    searchset,
    served_format,
)
from leafletgen.web.files import pdf_response
from leafletgen.web.state import Desk

router = APIRouter(
    prefix="/fhir",
    tags=["FHIR R4 (read-only)"],
    dependencies=[Depends(require("read_api")), Depends(served_format)],
)


def fhir_base(request: Request) -> str:
    """This server's FHIR base URL, as the client reached it."""
    return str(request.url_for("fhir_metadata")).removesuffix("/metadata")


@router.get(
    "/metadata",
    name="fhir_metadata",
    summary="CapabilityStatement",
    response_class=FhirResponse,
)
def metadata(request: Request) -> FhirResponse:
    """The server's CapabilityStatement: what can be read and searched."""
    return FhirResponse(capability_statement(fhir_base(request)))


@router.get("/DocumentReference", summary="Search DocumentReferences", response_class=FhirResponse)
def search_references(request: Request, desk: Desk) -> FhirResponse:
    """Search the leaflets' DocumentReferences, e.g. ``?language=es``.

    Supported: ``_id``, ``language``, ``status``, ``type``, ``category``,
    ``contenttype``, ``description`` (``:contains``, ``:exact``), with
    ``_count`` and ``_offset`` for paging. Parameters the server does not
    support are ignored and reported in an ``OperationOutcome`` entry.
    """
    base = fhir_base(request)
    criteria, ignored = search_criteria(request.query_params)
    try:
        count = min(int(request.query_params.get("_count", MAX_COUNT)), MAX_COUNT)
        offset = max(int(request.query_params.get("_offset", 0)), 0)
    except ValueError:
        return outcome(400, "invalid", "_count and _offset must be whole numbers")
    if count < 1:  # a page of nothing would link to itself as next, for ever
        return outcome(400, "invalid", f"_count must be between 1 and {MAX_COUNT}")
    resources = [resource for resource, _entry in desk.fhir.references(base)]
    matches = matching(resources, criteria)
    return FhirResponse(searchset(base, criteria, matches, count, offset, ignored))


@router.get(
    "/DocumentReference/{resource_id}",
    summary="Read a DocumentReference",
    response_class=FhirResponse,
)
def read_reference(resource_id: str, request: Request, desk: Desk) -> FhirResponse:
    """One DocumentReference, by id."""
    found = desk.fhir.find(resource_id, fhir_base(request))
    if found is None:
        return outcome(404, "not-found", f"no DocumentReference with id {resource_id!r}")
    return FhirResponse(found[0])


@router.get(
    "/Binary/{resource_id}",
    summary="Read a Binary (the PDF)",
    responses={200: {"content": {"application/pdf": {}, FHIR_JSON: {}}}},
)
def read_binary(resource_id: str, request: Request, desk: Desk) -> Response:
    """The leaflet's PDF; a FHIR ``Binary`` resource when the client asks for
    ``application/fhir+json`` (``Accept`` or ``_format=json``)."""
    found = desk.fhir.find(resource_id, fhir_base(request))
    if found is None:
        return outcome(404, "not-found", f"no Binary with id {resource_id!r}")
    _resource, entry = found
    data = desk.library.read(entry)
    if data is None:
        return outcome(
            409,
            "conflict",
            f"{entry.path} no longer matches the manifest; rebuild the leaflet",
        )
    wants = request.query_params.get("_format", "") + request.headers.get("accept", "")
    if "fhir+json" in wants or request.query_params.get("_format") == "json":
        return FhirResponse(binary(resource_id, data))
    name = f"{entry.id}-{entry.lang}-{entry.path.rsplit('/', 1)[-1]}"
    return pdf_response(request, data, entry.sha256, name)


@router.get("/{resource_type}", include_in_schema=False)
@router.get("/{resource_type}/{rest:path}", include_in_schema=False)
def unsupported(resource_type: str) -> FhirResponse:
    """Any other resource type: not served here."""
    return outcome(
        404,
        "not-supported",
        f"resource type {resource_type!r} is not served here; "
        "this server has DocumentReference and Binary (see /fhir/metadata)",
    )
