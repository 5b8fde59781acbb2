"""Whether a drug's FDA label is the version that was reviewed.

A label source's identity (its SPL set id and version, its effective date or
the revision date its text prints) is what the clinic's check of the source
vouches for: ``checked: {date, by, label: {...}}`` in ``sources.yaml``
records the version that was checked. When the file now holds another
version (a new SPL document, a changed ``label:`` of a saved text), every
leaflet printing from it is not cleared (``label-changed``) until the check
is done again; a label whose check records no version is not cleared either
(``label-not-reviewed``). :mod:`leafletgen.clearance` turns these into
reasons; ``check`` lists the drugs whose label changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from leafletgen.errors import LeafletError
from leafletgen.model import Document, LabelIdentity
from leafletgen.read.sources import read_corpus
from leafletgen.select.drugs import read_drugs
from leafletgen.yamlfile import LineDict

LABEL_CHANGED = "label-changed"
LABEL_NOT_REVIEWED = "label-not-reviewed"


@dataclass(frozen=True)
class LabelState:
    """A label source's version now and the version its check vouches for."""

    source: str
    current: LabelIdentity
    reviewed: LabelIdentity | None

    @property
    def code(self) -> str | None:
        """``label-changed``, ``label-not-reviewed``, or None: the reviewed version."""
        if self.reviewed is None:
            return LABEL_NOT_REVIEWED
        return LABEL_CHANGED if self.reviewed.differs_from(self.current) else None

    @property
    def message(self) -> str:
        """What changed, for the clinic."""
        if self.reviewed is None:
            return (
                f"FDA label ({self.current.describe()}): no check records which version "
                "was reviewed"
            )
        return (
            f"FDA label changed since it was checked: reviewed {self.reviewed.describe()}; "
            f"now {self.current.describe()}"
        )


def label_state(document: Document) -> LabelState | None:
    """The label state of a source that is an FDA label; None for any other source."""
    if document.label is None:
        return None
    checked = document.source.checked
    return LabelState(document.id, document.label, checked.label if checked else None)


@dataclass(frozen=True)
class DrugLabel:
    """A drug of ``drugs.yaml`` and the state of the label it names."""

    drug: str
    state: LabelState
    where: str  # sources.yaml and the entry's line

    def __str__(self) -> str:
        return (
            f"{self.drug}: {self.state.message}; compare the source {self.state.source!r} "
            f"with the label and record the check ({self.where}: checked: {{date, by, label}})"
        )


def drug_labels(root: Path) -> list[DrugLabel]:
    """Every drug that names a label (``label:`` in ``leaflets/drugs.yaml``),
    with its label's state; a label that cannot be read is left to the build
    that uses it to report."""
    drugs_file = root / "leaflets" / "drugs.yaml"
    if not drugs_file.is_file():
        return []
    named: dict[str, str] = {}
    for entry in read_drugs(drugs_file).root.get("drugs") or ():
        if isinstance(entry, LineDict) and isinstance(entry.get("label"), str):
            named[str(entry.get("name"))] = entry["label"]
    if not named:
        return []
    failed: dict[str, LeafletError] = {}
    documents = read_corpus(root / "sources", set(named.values()), failed)
    found = []
    for drug, source in named.items():
        document = documents.get(source)
        state = label_state(document) if document else None
        if state is not None:
            line = document.source.line
            where = "sources/sources.yaml" + (f":{line}" if line else "")
            found.append(DrugLabel(drug, state, where))
    return found


def changed_labels(root: Path) -> list[DrugLabel]:
    """The drugs whose label is not the version that was checked."""
    return [label for label in drug_labels(root) if label.state.code == LABEL_CHANGED]


def label_reasons(
    documents: tuple[Document, ...] | list[Document], sources_file: str
) -> list[tuple[str, str, str]]:
    """``(code, message, publisher)`` of every label source of ``documents``
    that is not the version that was checked (the clearance's reasons)."""
    found = []
    for document in documents:
        state = label_state(document)
        if state is None or state.code is None:
            continue
        line = document.source.line
        where = f"{sources_file}:{line}" if line else sources_file
        title = f"{document.publisher or document.id}, “{document.title or document.id}”"
        message = f"{title}: {state.message} ({where}: checked: {{date, by, label}})"
        found.append((state.code, message, document.publisher or document.id))
    return found
