"""FHIR errors as FHIR clients expect them: honest paging, 406 for formats
the server does not answer in, and OperationOutcome issue codes that match
the HTTP status."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome


@pytest.mark.parametrize("count", ["0", "-1"])
def test_a_page_of_nothing_is_refused_rather_than_linked_to_itself(client, count):
    response = client.get("/fhir/DocumentReference", params={"_count": count})
    assert response.status_code == 400
    issue = OperationOutcome.model_validate(response.json()).issue[0]
    assert issue.code == "invalid"
    assert issue.diagnostics == "_count must be between 1 and 100"


def test_following_next_links_ends(client):
    url, seen, pages = "/fhir/DocumentReference?_count=1", [], 0
    while url and pages < 50:
        bundle = client.get(url).json()
        Bundle.model_validate(bundle)
        seen += [e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "match"]
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        assert links.get("next") != links["self"]
        url, pages = links.get("next"), pages + 1
    assert url is None and len(seen) == len(set(seen)) == bundle["total"]


@pytest.mark.parametrize(
    "path",
    ["/fhir/metadata", "/fhir/DocumentReference", "/fhir/DocumentReference/x", "/fhir/Binary/x"],
)
@pytest.mark.parametrize("fmt", ["xml", "application/fhir+xml", "text/turtle"])
def test_a_format_not_served_is_406_not_json_with_200(client, path, fmt):
    response = client.get(path, params={"_format": fmt})
    assert response.status_code == 406
    issue = OperationOutcome.model_validate(response.json()).issue[0]
    assert issue.code == "not-supported"
    assert f"_format {fmt!r} is not served here" in issue.diagnostics


@pytest.mark.parametrize("fmt", ["json", "application/fhir+json", "application/json"])
def test_json_formats_are_served(client, fmt):
    assert client.get("/fhir/metadata", params={"_format": fmt}).status_code == 200


@pytest.mark.parametrize(
    "method, path, status, code",
    [
        ("post", "/fhir/DocumentReference", 405, "not-supported"),
        ("delete", "/fhir/metadata", 405, "not-supported"),
        ("get", "/fhir/DocumentReference/no-such-id", 404, "not-found"),
        ("get", "/fhir/DocumentReference?_count=many", 400, "invalid"),
    ],
)
def test_issue_codes_match_the_status(client, method, path, status, code):
    response = client.request(method, path)
    assert response.status_code == status
    assert OperationOutcome.model_validate(response.json()).issue[0].code == code
