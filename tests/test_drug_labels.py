"""A drug's FDA label as a source: ``label:``, ``rxcui`` and ``brands`` in
drugs.yaml, ``label:`` in sources.yaml, each checked where it is loaded.

Label values are read from sources/labels/labels.yaml, never typed here. The
RxCUIs below are TEST VALUES (no stored source states a drug's RxCUI).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from leafletgen.errors import DefinitionError, LeafletError, SourceError
from leafletgen.project import load_inputs
from leafletgen.read.sources import load_sources, read_corpus
from leafletgen.select.drugs import load_drugs
from leafletgen.select.passages import find_drug_passages

ROOT = Path(__file__).resolve().parents[1]
TEST_RXCUI = "9900001"  # a test value, not any drug's RxCUI


def _labels() -> list[dict]:
    path = ROOT / "sources" / "labels" / "labels.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["labels"]


def _messages(error: LeafletError) -> list[tuple[int | None, str]]:
    return [(e.line, e.message) for e in getattr(error, "errors", [error])]


def test_rituximab_names_its_label_source_with_the_brand_it_prints(project):
    entry = next(e for e in _labels() if e["drug"] == "rituximab")
    specs = load_inputs(project, include_drugs=True).specs
    spec = specs["rituximab"]
    assert spec.label == entry["id"] and spec.brands == tuple(entry["brands"])
    assert all(s.rxcui is None for s in specs.values())  # no stored text states one
    assert [s.id for s in specs.values() if s.label] == ["rituximab"]
    info = load_sources(project.sources)[entry["id"]]
    assert info.file == f"labels/{entry['file']}" and info.url == entry["url"]
    assert info.label.set_id == entry["label"]["set_id"]
    assert info.label.revised == entry["label"]["revised"]
    assert info.label.version is None and info.label.effective is None
    assert info.licence.name == entry["licence"]["name"] and not info.licence.needs_permission


def test_label_source_is_read_byte_for_byte_and_never_mined_for_passages(project):
    entry = next(e for e in _labels() if e["drug"] == "rituximab")
    document = read_corpus(project.sources, {entry["id"]})[entry["id"]]
    assert document.label == load_sources(project.sources)[entry["id"]].label
    assert Path(document.path).resolve() == (project.sources / "labels" / entry["file"]).resolve()
    assert (
        Path(document.path).read_bytes() == (ROOT / "sources/labels" / entry["file"]).read_bytes()
    )
    names = ("rituximab",)
    assert find_drug_passages("rituximab", names, {document.id: document}) == []


DRUGS = """
classes:
  monoclonal-antibodies:
    leaflet: monoclonal-antibodies
    name: monoclonal antibodies
drugs:
  - name: rituximab
    class: monoclonal-antibodies
    label: {label}
    rxcui: {rxcui}
"""


def _write_drugs(project_copy, label: str, rxcui: str) -> Path:
    path = project_copy.drugs_file
    path.write_text(DRUGS.format(label=label, rxcui=rxcui).lstrip(), encoding="utf-8")
    return path


def test_test_rxcui_and_label_are_loaded(project_copy):
    label = next(e for e in _labels() if e["drug"] == "rituximab")["id"]
    path = _write_drugs(project_copy, label, TEST_RXCUI)
    specs = load_inputs(project_copy).specs
    drugs = load_drugs(path, specs)
    assert drugs["rituximab"].rxcui == TEST_RXCUI and drugs["rituximab"].label == label


@pytest.mark.parametrize(
    ("label", "rxcui", "line", "message"),
    [
        ("no-such-source", TEST_RXCUI, 8, "label 'no-such-source' is not a source in sources.yaml"),
        ("nci-immunotherapy", "'99-01'", 9, "rxcui '99-01' must be an RxNorm concept id"),
        ("nci-immunotherapy", "true", 9, "rxcui True must be an RxNorm concept id"),
    ],
)
def test_bad_label_or_rxcui_is_an_error_at_its_line(project_copy, label, rxcui, line, message):
    path = _write_drugs(project_copy, label, rxcui)
    with pytest.raises(DefinitionError) as raised:
        load_drugs(path, load_inputs(project_copy).specs)
    assert [(line, True)] == [(n, m.startswith(message)) for n, m in _messages(raised.value)]
    assert raised.value.path == str(path)


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("{set_id: not-a-uuid}", "set_id 'not-a-uuid' must be an SPL set id"),
        ("{revised: 2021-12}", "revised '2021-12' must be a revision date"),
        ("{version: v2}", "version 'v2' must be an SPL version number"),
        ("{edition: 3}", "unknown key 'edition' in label"),
        ("{}", "'label' states nothing"),
    ],
)
def test_bad_label_in_sources_yaml_is_an_error(project_copy, label, message):
    path = project_copy.sources / "sources.yaml"
    text = path.read_text(encoding="utf-8")
    entry = "  - id: nci-immunotherapy\n"
    assert entry in text
    path.write_text(text.replace(entry, f"{entry}    label: {label}\n"), encoding="utf-8")
    with pytest.raises(SourceError) as raised:
        load_sources(project_copy.sources)
    assert any(m.startswith(message) for _, m in _messages(raised.value))
