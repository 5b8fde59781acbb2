"""The read-only FHIR endpoint: resources validated with fhir.resources, and a
real FHIR client (fhirpy) searching the server on a loopback port."""

from __future__ import annotations

import base64
import hashlib
import json

import httpx
import pytest
from deskutil import portal_token
from fhir.resources.R4B.binary import Binary
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhirpy import SyncFHIRClient

from leafletgen.publish import fhir
from leafletgen.publish.manifest import entry_from_json


def resource_id(record: dict) -> str:
    """The DocumentReference id of a manifest record as ``manifest.json`` lists it."""
    return fhir.resource_id(entry_from_json(record))


FHIR = "application/fhir+json"


def listed(out, lang=None) -> list[dict]:
    entries = json.loads((out / "manifest.json").read_text())["leaflets"]
    return [e for e in entries if lang is None or e["lang"] == lang]


def test_capability_statement(client):
    response = client.get("/fhir/metadata")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(FHIR)
    statement = CapabilityStatement.model_validate(response.json())
    assert statement.fhirVersion == "4.0.1" and statement.kind == "instance"
    resources = {r.type: r for r in statement.rest[0].resource}
    assert set(resources) == {"DocumentReference", "Binary"}
    assert {i.code for i in resources["DocumentReference"].interaction} == {"read", "search-type"}
    assert "language" in {p.name for p in resources["DocumentReference"].searchParam}
    assert statement.implementation.url == "http://testserver/fhir"


def test_search_by_language_returns_a_searchset_of_what_the_build_wrote(client, built_out):
    response = client.get("/fhir/DocumentReference", params={"language": "es"})
    assert response.status_code == 200
    bundle = Bundle.model_validate(response.json())
    assert bundle.type == "searchset"
    expected = {resource_id(e): e for e in listed(built_out, "es")}
    assert bundle.total == len(expected) == 2
    assert {entry.resource.id for entry in bundle.entry} == set(expected)
    for item in bundle.entry:
        assert item.search.mode == "match"
        assert item.fullUrl == f"http://testserver/fhir/DocumentReference/{item.resource.id}"
        reference = DocumentReference.model_validate(item.resource.model_dump())
        attachment = reference.content[0].attachment
        assert attachment.language == "es" and attachment.contentType == "application/pdf"
        # as written beside the PDF, with the attachment pointing at this server
        written = json.loads(
            (built_out / expected[reference.id]["path"].replace(".pdf", ".fhir.json")).read_text()
        )
        served = response.json()["entry"][[e.resource.id for e in bundle.entry].index(reference.id)]
        assert {k: v for k, v in served["resource"].items() if k != "content"} == {
            k: v for k, v in written.items() if k != "content"
        }
        assert attachment.url == f"http://testserver/fhir/Binary/{reference.id}"
        pdf = client.get(attachment.url)
        assert pdf.headers["content-type"] == "application/pdf"
        assert hashlib.sha1(pdf.content).digest() == attachment.hash  # base64 in the JSON
        assert len(pdf.content) == attachment.size


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({}, 4),
        ({"language": "en"}, 2),
        ({"language": "en,es"}, 4),
        ({"language": "fr"}, 0),
        ({"language:not": "es"}, 2),
        ({"status": "current"}, 4),
        ({"type": "http://loinc.org|34895-3"}, 4),
        ({"type": "http://snomed.info/sct|34895-3"}, 0),
        ({"category": "311401005"}, 4),
        ({"contenttype": "application/pdf"}, 4),
        ({"description": "ritux"}, 2),
        ({"description": "Inmuno"}, 1),
        ({"description:contains": "terapia"}, 1),
        ({"description:exact": "Rituximab (RITUXAN®)"}, 2),  # the brand its label prints
        ({"description:exact": "rituximab"}, 0),
        ({"description": "ritux", "language": "es"}, 1),
    ],
)
def test_search_parameters(client, params, count):
    bundle = client.get("/fhir/DocumentReference", params=params).json()
    Bundle.model_validate(bundle)
    assert bundle["total"] == count
    assert len([e for e in bundle["entry"] if e["search"]["mode"] == "match"]) == count


def test_search_by_id_and_paging(client, built_out):
    ids = sorted(resource_id(e) for e in listed(built_out))
    one = client.get("/fhir/DocumentReference", params={"_id": ids[0]}).json()
    assert [e["resource"]["id"] for e in one["entry"]] == [ids[0]]
    first = client.get("/fhir/DocumentReference", params={"_count": 3}).json()
    assert first["total"] == 4 and len(first["entry"]) == 3
    following = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = client.get(following).json()
    assert len(second["entry"]) == 1
    seen = [e["resource"]["id"] for e in first["entry"] + second["entry"]]
    assert sorted(seen) == ids


def test_unsupported_parameters_are_reported_not_silently_dropped(client):
    bundle = client.get("/fhir/DocumentReference", params={"langauge": "es"}).json()
    Bundle.model_validate(bundle)
    notice = [e for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert len(notice) == 1
    outcome = OperationOutcome.model_validate(notice[0]["resource"])
    assert "langauge" in outcome.issue[0].diagnostics
    bad = client.get("/fhir/DocumentReference", params={"_count": "many"})
    assert bad.status_code == 400
    OperationOutcome.model_validate(bad.json())


def test_read_one_document_reference_and_its_binary(client, built_out):
    item = listed(built_out, "en")[0]
    rid = resource_id(item)
    response = client.get(f"/fhir/DocumentReference/{rid}")
    assert response.status_code == 200
    reference = DocumentReference.model_validate(response.json())
    cleared = item["distribution"]["status"] == "cleared"
    assert reference.id == rid and reference.docStatus == ("final" if cleared else "preliminary")
    raw = client.get(f"/fhir/Binary/{rid}")
    assert hashlib.sha256(raw.content).hexdigest() == item["sha256"]
    wrapped = client.get(f"/fhir/Binary/{rid}", headers={"Accept": FHIR})
    assert wrapped.headers["content-type"].startswith(FHIR)
    binary = Binary.model_validate(wrapped.json())
    assert base64.b64decode(wrapped.json()["data"]) == raw.content
    assert binary.contentType == "application/pdf"
    assert client.get(f"/fhir/Binary/{rid}", params={"_format": "json"}).json()["id"] == rid


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/fhir/DocumentReference/no-such-id", "no DocumentReference with id 'no-such-id'"),
        ("/fhir/Binary/no-such-id", "no Binary with id 'no-such-id'"),
        ("/fhir/Patient/1", "resource type 'Patient' is not served here"),
        ("/fhir/Patient", "resource type 'Patient' is not served here"),
    ],
)
def test_unknown_fhir_ids_are_404_operation_outcomes(client, url, message):
    response = client.get(url)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(FHIR)
    outcome = OperationOutcome.model_validate(response.json())
    assert message in outcome.issue[0].diagnostics


def test_fhir_endpoint_is_read_only(client, built_out):
    rid = resource_id(listed(built_out)[0])
    for method in ("post", "put", "delete"):
        response = getattr(client, method)(f"/fhir/DocumentReference/{rid}")
        assert response.status_code in (404, 405)
    assert client.get(f"/fhir/DocumentReference/{rid}").status_code == 200


def test_fhirpy_searches_the_running_server(live_url, built_out):
    # a portal client: its token, read-only
    bearer = f"Bearer {portal_token()}"
    client = SyncFHIRClient(f"{live_url}/fhir", authorization=bearer)
    spanish = client.resources("DocumentReference").search(language="es").fetch_all()
    expected = {resource_id(e): e for e in listed(built_out, "es")}
    assert {r.id for r in spanish} == set(expected)
    assert all(r["content"][0]["attachment"]["language"] == "es" for r in spanish)
    # paging through "next" links
    everything = client.resources("DocumentReference").limit(1).fetch_all()
    assert len(everything) == len(listed(built_out))
    # read one by id and fetch its PDF from the attachment URL
    one = client.reference("DocumentReference", next(iter(expected))).to_resource()
    url = one["content"][0]["attachment"]["url"]
    pdf = httpx.get(url, headers={"Authorization": bearer}, timeout=30)
    assert pdf.status_code == 200
    assert hashlib.sha256(pdf.content).hexdigest() == expected[one.id]["sha256"]
    assert client.resources("DocumentReference").search(language="fr").fetch_all() == []
