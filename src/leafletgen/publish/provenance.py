"""FHIR R4 ``Provenance`` for published leaflets, so a portal can tell where a
PDF came from: the sources it prints (URL, review dates) as entities, the
translator(s) and the reviewer(s) as agents (reviewers as ``verifier``),
leafletgen's build as the activity, and for a translation or a large-print
variant the English original it was made from.
"""

from __future__ import annotations

import uuid
from typing import Any

from leafletgen import __version__
from leafletgen.publish.manifest import ManifestEntry, SourceCredit

_NAMESPACE = uuid.UUID("0d7c2f4e-5b1a-4f0e-9a7e-3c6f1b2d8e41")
PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
METHOD_ROLES = {
    "translator": "translator",
    "machine": "machine translation",
    "publisher": "publisher's own translation",
}


def provenance_id(reference_id: str) -> str:
    """The Provenance id of a DocumentReference (stable for the same PDF)."""
    return str(uuid.uuid5(_NAMESPACE, reference_id))


def _agent(code: str, display: str, role: str | None = None) -> dict[str, Any]:
    agent: dict[str, Any] = {
        "type": {"coding": [{"system": PARTICIPANT, "code": code}]},
        "who": {"display": display},
    }
    if role:
        agent["role"] = [{"text": role}]
    return agent


def _source_entity(source: SourceCredit) -> dict[str, Any]:
    dates = []
    if source.last_reviewed:
        dates.append(f"last reviewed {source.last_reviewed}")
    if source.next_review:
        dates.append(f"next review {source.next_review}")
    label = f"{source.publisher or source.id}, “{source.title or source.id}”"
    what: dict[str, Any] = {"display": label + (f" ({'; '.join(dates)})" if dates else "")}
    if source.url:
        what["identifier"] = {"system": "urn:ietf:rfc:3986", "value": source.url}
    return {"role": "source", "what": what}


def provenance(
    entry: ManifestEntry, reference_id: str, original_id: str | None, recorded: str
) -> dict[str, Any]:
    """The Provenance of the DocumentReference ``reference_id`` describing ``entry``
    (a manifest entry). ``original_id``: the English original's DocumentReference,
    for a translation or a large-print variant. ``recorded``: an ISO instant."""
    agents = [_agent("assembler", f"leafletgen {__version__}", "build")]
    for translator in entry.translators:
        role = METHOD_ROLES.get(translator.method, "translator")
        agents.append(_agent("author", translator.by, role))
    for reviewer in entry.reviewers:
        agents.append(
            _agent(
                "verifier",
                reviewer.name,
                f"translation reviewer: {reviewer.qualification}; reviewed {reviewer.date}",
            )
        )
    entities = [_source_entity(source) for source in entry.sources]
    if original_id:
        entities.append(
            {"role": "derivation", "what": {"reference": f"DocumentReference/{original_id}"}}
        )
    resource: dict[str, Any] = {
        "resourceType": "Provenance",
        "id": provenance_id(reference_id),
        "target": [{"reference": f"DocumentReference/{reference_id}"}],
        "recorded": recorded,
        "activity": {
            "coding": [{"system": DATA_OPERATION, "code": "CREATE", "display": "create"}],
            "text": "leaflet built from its sources"
            + (" and translated" if entry.lang != "en" else ""),
        },
        "agent": agents,
        "entity": entities,
    }
    if entry.created:
        resource["occurredDateTime"] = entry.created
    return resource
