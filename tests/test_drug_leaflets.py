"""A drug leaflet printing its own FDA label (select/label_sections.py,
templates/drug/label.html): the label's "most important information" in the
When-to-call box under the drug's heading, its class's text after it headed
as the class's, an excerpt said to be one, class blocks left out to stay on
one sheet reported, and a language the label is not translated into keeping
the leaflet without it.

Every label sentence asserted here is read from the label's file in
sources/labels/, never typed: only the line numbers are written down.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import ROOT, squash
from leafletgen.cli import main
from leafletgen.errors import DefinitionError
from leafletgen.project import load_inputs
from leafletgen.select.selection import select_sections
from test_build import pdf_text

LABEL = ROOT / "sources" / "labels" / "fda-rituximab-excerpt-medguide-opening.txt"
DRUG_HEADING = "Most important information about RITUXAN®"
CLASS_HEADING = "When to call about monoclonal antibodies"
NOTICE = (
    "This is only part of the Medication Guide for RITUXAN®. Read the complete Medication "
    "Guide that comes with the medicine, or ask your care team for a copy."
)


def label_line(number: int) -> str:
    """Line ``number`` of the label's file, as the file holds it (bullet taken off)."""
    line = LABEL.read_text(encoding="utf-8").split("\n")[number - 1]
    return line.strip().removeprefix("• ")


# "Tell your healthcare provider or get medical help right away if ... during
# or after an infusion of RITUXAN:" and one of the signs under it.
CALL_SENTENCE, SIGN = label_line(14), label_line(22)


def test_the_label_lines_asserted_are_the_sentence_and_sign_meant():
    assert CALL_SENTENCE.startswith("Tell your healthcare provider or get medical help right away")
    assert CALL_SENTENCE.endswith("during or after an infusion of RITUXAN:")
    assert SIGN.startswith("palpitations (")


def test_rituximab_prints_its_label_first_in_the_call_box_under_its_own_heading(demo):
    text = squash(pdf_text(demo.out / "en" / "rituximab.pdf"))
    box = text.index(squash("When to call your care team"))
    drug = text.index(squash(DRUG_HEADING))
    sentence = text.index(squash(CALL_SENTENCE))
    sign = text.index(squash(SIGN))
    credit = text.index(squash("Source: Genentech, Inc."), sign)
    notice = text.index(squash(NOTICE))
    class_heading = text.index(squash(CLASS_HEADING))
    assert box < drug < sentence < sign < credit < notice < class_heading
    # the label's two items, cut where the stored copy ends, and nothing after
    assert squash(label_line(24)) in text and squash(label_line(29)) in text
    # "How it works" and the class's sections follow the box
    assert class_heading < text.index(squash("How it works"))
    assert squash("Side effects of monoclonal antibodies") in text


def test_no_class_text_is_headed_as_the_drugs(project, corpus):
    inputs = load_inputs(project, include_drugs=True)
    spec = inputs.specs["rituximab"]
    leaflet = select_sections(spec, inputs.documents)
    own = [s for s in leaflet.sections if s.drug_name]
    assert [s.drug_name for s in own] == ["RITUXAN®"] and own[0].class_name is None
    assert {p.source for s in own for p in s.passages} == {spec.label}
    # every other section that is not the drug's own "How it works" is the class's
    shared = [s for s in leaflet.sections if not s.drug_name and s.kind != "how_it_works"]
    assert shared and all(s.class_name == "monoclonal antibodies" for s in shared)
    assert spec.label not in {p.source for s in shared for p in s.passages}


def test_between_the_drugs_heading_and_the_next_only_the_label_prints(demo, corpus):
    text = squash(pdf_text(demo.out / "en" / "rituximab.pdf"))
    start = text.index(squash(DRUG_HEADING))
    end = text.index(squash(CLASS_HEADING))
    between = text[start:end]
    assert between.count(squash("Source:")) == 1  # Genentech's, the label's publisher
    class_text = [
        squash(unit)
        for source in ("cleveland-clinic-monoclonal-antibodies", "nci-monoclonal-antibodies")
        for section in corpus[source].sections
        for block in section.blocks
        for unit, _ in block.units
    ]
    assert not [unit for unit in class_text if len(unit) > 12 and unit in between]


@pytest.mark.parametrize(
    "drug", ["blinatumomab", "teclistamab", "pertuzumab", "trastuzumab-emtansine", "bevacizumab"]
)
def test_drugs_without_a_label_print_as_before(demo, project, drug):
    inputs = load_inputs(project, include_drugs=True)
    leaflet = select_sections(inputs.specs[drug], inputs.documents)
    assert not any(s.drug_name for s in leaflet.sections)
    assert leaflet.without_label is None and leaflet.left_out == ()
    text = squash(pdf_text(demo.out / "en" / f"{drug}.pdf"))
    assert squash("Common signs of infusion reactions include") in text
    for absent in (DRUG_HEADING.split(" about")[0], CLASS_HEADING, "Medication Guide"):
        assert squash(absent) not in text


def test_rituximab_leaves_out_what_drugs_yaml_chooses_and_says_so(demo, project, capsys, tmp_path):
    text = squash(pdf_text(demo.out / "en" / "rituximab.pdf"))
    spec = load_inputs(project, include_drugs=True).specs["rituximab"]
    assert spec.leave_out
    for phrase, _line in spec.leave_out:
        assert squash(phrase) not in text
    # Cancer Research UK's passage left out: its credit goes with it
    assert squash("Cancer Research UK") not in text
    args = ["check", "rituximab", "--today", "2026-12-01", "--out", str(tmp_path)]
    code = main([*args, "--project", str(project.root)])
    out = capsys.readouterr().out
    assert code == 0
    drugs = project.drugs_file
    for _phrase, line in spec.leave_out:
        shown = next(x for x in out.splitlines() if f"{drugs}:{line}:" in x)
        assert "leaves out" in shown and "to stay on one sheet beside its FDA label" in shown
    assert "'Common signs of infusion reactions include:' and the list it introduces" in out


def test_the_build_reports_what_it_leaves_out(project_copy, tmp_path, capsys):
    args = ["build", "rituximab", "--all", "--lang", "en", "--out", str(tmp_path / "out")]
    assert main([*args, "--project", str(project_copy.root)]) == 0
    err = capsys.readouterr().err
    left = [x for x in err.splitlines() if "leaves out" in x]
    assert len(left) == len(
        load_inputs(project_copy, include_drugs=True).specs["rituximab"].leave_out
    )
    assert all(x.startswith(f"warning: {project_copy.drugs_file}:") for x in left)
    assert "warning  leaflet rituximab" not in err  # within its page budget


def test_a_leave_out_phrase_quoting_nothing_is_an_error_at_its_line(project_copy):
    path = project_copy.drugs_file
    text = path.read_text(encoding="utf-8")
    text = text.replace('- "Common signs of infusion reactions include"', '- "Nothing like this"')
    path.write_text(text, encoding="utf-8")
    line = next(n for n, x in enumerate(text.split("\n"), 1) if "Nothing like this" in x)
    inputs = load_inputs(project_copy, include_drugs=True)
    with pytest.raises(DefinitionError) as caught:
        select_sections(inputs.specs["rituximab"], inputs.documents)
    assert (caught.value.path, caught.value.line) == (str(path), line)
    assert "quotes no block" in caught.value.message


def _manifest(out: Path) -> dict[tuple[str, str], dict]:
    entries = json.loads((out / "manifest.json").read_text())["leaflets"]
    return {(e["id"], e["lang"]): e for e in entries if e["variant"] == "standard"}


def test_rituximab_needs_the_labels_review_and_its_class_sources_permissions(demo):
    entry = _manifest(demo.out)[("rituximab", "en")]
    reasons = entry["distribution"]["reasons"]
    messages = " ".join(r["message"] for r in reasons)
    codes = {r["code"] for r in reasons}
    assert {"source-not-reviewed", "label-not-reviewed", "licence-permission"} <= codes
    assert LABEL.name in messages
    permissions = [r["message"] for r in reasons if r["code"] == "licence-permission"]
    # Cleveland Clinic's class text needs its permission; the label is public
    # domain, and Cancer Research UK's passage is left out, so neither asks one.
    assert len(permissions) == 1 and permissions[0].startswith("Cleveland Clinic")


def test_spanish_keeps_the_leaflet_without_the_label_until_it_is_translated(demo, corpus):
    text = squash(pdf_text(demo.out / "es" / "rituximab.pdf"))
    assert squash(CALL_SENTENCE) not in text and squash("RITUXAN®") in text
    assert squash(NOTICE) not in text and squash("Medication Guide") not in text
    # the class's text stands in, as it did: Cleveland Clinic's infusion signs
    assert squash("Fiebre") in text
    # ... and that edition is not cleared: it lacks the drug's own warnings
    reasons = _manifest(demo.out)[("rituximab", "es")]["distribution"]["reasons"]
    (missing,) = [r for r in reasons if r["code"] == "label-not-translated"]
    assert "not translated into 'es'" in missing["message"]
    assert squash("Genentech, Inc. drug label not yet translated") in text  # the band
    assert not any(
        r["code"] == "label-not-translated"
        for (drug, lang), entry in _manifest(demo.out).items()
        if (drug, lang) != ("rituximab", "es") and lang == "es"
        for r in entry["distribution"]["reasons"]
    )


@pytest.mark.slow
def test_a_draft_shows_the_label_in_spanish_with_its_english_marked(project_copy, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["build", "rituximab", "--all", "--lang", "es", "--out", str(out)]
    assert main([*args, "--project", str(project_copy.root)]) == 0
    err = capsys.readouterr().err
    assert "leaflet 'rituximab' [es] prints its class's text without its FDA label" in err
    assert main([*args, "--draft", "--project", str(project_copy.root)]) == 0
    text = squash(pdf_text(out / "es" / "rituximab.draft.pdf"))
    assert squash(CALL_SENTENCE) in text and squash(SIGN) in text
    assert "BORRADOR" in pdf_text(out / "es" / "rituximab.draft.pdf")


@pytest.mark.slow
def test_a_complete_label_prints_no_excerpt_notice(project_copy, tmp_path):
    path = project_copy.sources / "sources.yaml"
    text = path.read_text(encoding="utf-8")
    assert re.search(r"\n      complete: false.*\n", text)
    path.write_text(re.sub(r"\n      complete: false.*\n", "\n", text), encoding="utf-8")
    out = tmp_path / "out"
    args = ["build", "rituximab", "--all", "--lang", "en", "--out", str(out)]
    assert main([*args, "--project", str(project_copy.root)]) == 0
    text = squash(pdf_text(out / "en" / "rituximab.pdf"))
    assert squash(CALL_SENTENCE) in text and squash(DRUG_HEADING) in text
    assert squash("This is only part of the Medication Guide") not in text
