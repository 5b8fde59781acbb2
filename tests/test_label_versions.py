"""Label versions: the version a clinic checked is recorded with the check; a
label file holding another version un-clears every leaflet printing from it
(``label-changed``) and ``check`` names the drug.

Everything happens in a copy of the project. Label values are read from
sources/labels/labels.yaml and from the SPL fixture; the "new" version and
revision date written into the copies are TEST VALUES, derived from the
stored ones, not a label's.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
import yaml

from leafletgen import clearance
from leafletgen.cli import main
from leafletgen.label_versions import changed_labels, drug_labels
from leafletgen.read.sources import read_corpus
from leafletgen.review.outline import record_review
from leafletgen.select.definitions import load_definition
from leafletgen.select.selection import select_sections
from leafletgen.translate.translator import load_translator

ROOT = Path(__file__).resolve().parents[1]
SPL = ROOT / "tests" / "data" / "spl" / "rituximab-spl.xml"
TODAY = dt.date(2026, 12, 1)
CHECK_DATE = "2026-11-02"


def _excerpt() -> dict:
    path = ROOT / "sources" / "labels" / "labels.yaml"
    labels = yaml.safe_load(path.read_text(encoding="utf-8"))["labels"]
    return next(e for e in labels if e["drug"] == "rituximab")


def _spl_version(path: Path) -> str:
    return re.search(r'<versionNumber value="(\d+)"/>', path.read_text(encoding="utf-8"))[1]


def _add_check(sources_yaml: Path, source_id: str, label: str) -> None:
    """Record the clinic's check of a source, with the label version it checked."""
    text = sources_yaml.read_text(encoding="utf-8")
    entry = f"  - id: {source_id}\n"
    assert entry in text
    check = f'    checked: {{date: {CHECK_DATE}, by: "Pharmacy team", label: {label}}}\n'
    sources_yaml.write_text(text.replace(entry, entry + check), encoding="utf-8")


@pytest.fixture
def spl_project(project_copy):
    """The copy with the SPL fixture as rituximab's label, checked at its version,
    and a leaflet printing its "most important information"."""
    shutil.copy(SPL, project_copy.sources / "labels" / SPL.name)
    set_id = _excerpt()["label"]["set_id"]
    sources = project_copy.sources / "sources.yaml"
    with sources.open("a", encoding="utf-8") as file:
        file.write(
            "\n  - id: rituximab-spl\n"
            f"    file: labels/{SPL.name}\n"
            "    format: spl\n"
            f"    url: {_excerpt()['dailymed']}\n"
            "    licence: {name: Public domain, needs_permission: false}\n"
        )
    label = f"{{set_id: {set_id}, version: {_spl_version(SPL)}}}"
    _add_check(sources, "rituximab-spl", label)
    drugs = project_copy.drugs_file
    drugs.write_text(
        drugs.read_text(encoding="utf-8").replace(
            f"label: {_excerpt()['id']}", "label: rituximab-spl"
        ),
        encoding="utf-8",
    )
    question = re.search(r"<title>(What is the most important[^<]*)</title>", SPL.read_text())[1]
    (project_copy.leaflets / "rituximab-label.yaml").write_text(
        "title: Rituximab label test\nsections:\n  - kind: side_effects\n    select:\n"
        f"      - source: rituximab-spl\n        heading: {question!r}\n",
        encoding="utf-8",
    )
    # The clinic of this test has looked at what the label prints (a test reviewer).
    record_review(
        project_copy.sources, "rituximab-spl", reviewer="Test Pharmacist", role="pharmacist",
        exclude=[], keep=[],
    )  # fmt: skip
    return project_copy


def _status(project) -> clearance.Status:
    spec = load_definition(project.leaflets / "rituximab-label.yaml")
    leaflet = select_sections(spec, read_corpus(project.sources))
    translator = load_translator(project.locales, "en")
    return clearance.assess(leaflet, spec, translator, root=project.root, today=TODAY)


def _new_version(project) -> str:
    """Write a new version number into the copy's SPL file (a test value)."""
    path = project.sources / "labels" / SPL.name
    old = _spl_version(path)
    new = str(int(old) + 1)
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(f'<versionNumber value="{old}"/>', f'<versionNumber value="{new}"/>'),
        encoding="utf-8",
    )
    return new


def test_checked_version_clears_and_a_new_version_does_not(spl_project):
    assert _status(spl_project).cleared
    new = _new_version(spl_project)
    status = _status(spl_project)
    # a new version is a changed file too: its source review asks again
    assert sorted(r.code for r in status.reasons) == ["label-changed", "source-not-reviewed"]
    message = next(r for r in status.reasons if r.code == "label-changed").message
    assert f"version {_spl_version(SPL)}; now " in message and f"version {new}" in message
    assert "sources/sources.yaml:" in message and status.reasons[0].subject


def test_check_lists_the_drug_whose_label_changed(spl_project, capsys):
    args = ["check", "--project", str(spl_project.root), "--lang", "en"]
    args += ["--today", TODAY.isoformat(), "--out", str(spl_project.root / "out")]
    assert changed_labels(spl_project.root) == []
    main(args)
    assert "FDA label changed" not in capsys.readouterr().out
    _new_version(spl_project)
    (changed,) = changed_labels(spl_project.root)
    assert changed.drug == "rituximab" and changed.state.source == "rituximab-spl"
    main(args)
    out = capsys.readouterr().out
    assert "warning: rituximab: FDA label changed since it was checked" in out
    assert "    affects rituximab-label [en]" in out


def test_a_changed_revision_date_of_a_saved_text_is_a_changed_label(project_copy):
    """The excerpt states no SPL version: its revision date is its version."""
    excerpt = _excerpt()
    sources = project_copy.sources / "sources.yaml"
    revised = excerpt["label"]["revised"]
    label = f'{{set_id: {excerpt["label"]["set_id"]}, revised: "{revised}"}}'
    _add_check(sources, excerpt["id"], label)
    (state,) = [d.state for d in drug_labels(project_copy.root)]
    assert state.code is None
    month, year = revised.split("/")
    later = f"{month}/{int(year) + 1}"  # a test value: the saved text replaced by a later one
    text = sources.read_text(encoding="utf-8")
    assert text.count(f'revised: "{revised}"\n') == 1
    sources.write_text(text.replace(f'revised: "{revised}"\n', f'revised: "{later}"\n'))
    (changed,) = changed_labels(project_copy.root)
    assert f"reviewed set id {excerpt['label']['set_id']}, revised {revised}" in str(changed)
    assert f"now set id {excerpt['label']['set_id']}, revised {later}" in str(changed)
    document = read_corpus(project_copy.sources, {excerpt["id"]})[excerpt["id"]]
    codes = [r.code for r in clearance.source_reasons([document], TODAY, "sources/sources.yaml")]
    assert "label-changed" in codes


def test_a_label_whose_check_records_no_version_is_not_cleared(project_copy):
    excerpt = _excerpt()
    document = read_corpus(project_copy.sources, {excerpt["id"]})[excerpt["id"]]
    codes = [r.code for r in clearance.source_reasons([document], TODAY, "sources/sources.yaml")]
    assert "label-not-reviewed" in codes
    assert [d.state.code for d in drug_labels(project_copy.root)] == ["label-not-reviewed"]
    assert changed_labels(project_copy.root) == []


def test_a_version_is_the_same_only_when_a_version_value_compares_equal():
    from leafletgen.model import LabelIdentity

    set_id = _excerpt()["label"]["set_id"]
    revised = _excerpt()["label"]["revised"]
    text = LabelIdentity(set_id=set_id, revised=revised)
    assert not text.differs_from(LabelIdentity(set_id=set_id, revised=revised))
    assert text.differs_from(LabelIdentity(set_id=set_id, revised="01/1999"))  # test value
    assert text.differs_from(LabelIdentity(set_id=set_id))  # nothing to compare
    assert text.differs_from(LabelIdentity(set_id=set_id, version="1"))  # nothing in common
    other_label = LabelIdentity(set_id="00000000-0000-0000-0000-000000000000", revised=revised)
    assert text.differs_from(other_label)
    spl = LabelIdentity(set_id=set_id, version="2", effective=dt.date(2020, 1, 2))
    assert not spl.differs_from(LabelIdentity(set_id=set_id, version="2"))
    assert spl.differs_from(LabelIdentity(set_id=set_id, version="3"))
