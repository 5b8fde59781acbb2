"""Leaflet definitions: selectors resolve against the real documents, and bad
definitions fail with the definition's file and line."""

from __future__ import annotations

import textwrap

import pytest

from leafletgen.errors import DefinitionError, LeafletError
from leafletgen.select.clinic import load_clinic
from leafletgen.select.definitions import load_definition, load_definitions
from leafletgen.select.drugs import read_drugs
from leafletgen.select.selection import select_sections


def write(tmp_path, text: str, name: str = "leaflet.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def messages(error: LeafletError) -> list[tuple[int | None, str]]:
    errors = getattr(error, "errors", [error])
    return [(e.line, e.message) for e in errors]


def test_shipped_definitions_select_real_passages(project, corpus):
    specs = load_definitions(project.leaflets)
    assert set(specs) >= {"monoclonal-antibodies", "immunotherapy"}
    for spec in specs.values():
        leaflet = select_sections(spec, corpus)
        kinds = [s.kind for s in leaflet.sections]
        assert {"what_to_expect", "side_effects", "when_to_call"} <= set(kinds)
        assert all(p.blocks for s in leaflet.sections for p in s.passages)


def test_range_selector_takes_blocks_between_phrases(project, corpus):
    leaflet = select_sections(load_definition(project.leaflets / "immunotherapy.yaml"), corpus)
    side_effects = next(s for s in leaflet.sections if s.kind == "side_effects")
    cleveland = side_effects.passages[1]
    assert cleveland.source == "cleveland-clinic-immunotherapy"
    assert [b.line for b in cleveland.blocks] == [24, 25]
    assert cleveland.blocks[0].text.startswith("Unlike chemotherapy, immunotherapy doesn’t use")


def test_selector_matching_several_sections_lists_what_is_there(tmp_path, corpus):
    path = write(
        tmp_path,
        """
        title: T
        sections:
          - kind: what_to_expect
            select:
              - source: nci-immunotherapy
                kind: what_to_expect
        """,
    )
    with pytest.raises(DefinitionError) as caught:
        select_sections(load_definition(path), corpus)
    error = caught.value
    assert (error.path, error.line) == (str(path), 5)
    assert "matches 4 sections in 'nci-immunotherapy'" in error.message
    assert "line 61: How is immunotherapy given? [what_to_expect]" in error.message


def test_selector_matching_nothing_and_unknown_source_reported_together(tmp_path, corpus):
    path = write(
        tmp_path,
        """
        title: T
        sections:
          - kind: side_effects
            select:
              - source: nci-immunotherapy
                heading: What are the risks?
              - source: nci-nowhere
                kind: side_effects
              - source: cruk-monoclonal-antibodies
                from: "a phrase that is not there"
        """,
    )
    with pytest.raises(LeafletError) as caught:
        select_sections(load_definition(path), corpus)
    found = messages(caught.value)
    assert [line for line, _ in found] == [5, 7, 9]
    assert "heading 'What are the risks?' matches nothing" in found[0][1]
    assert "unknown source 'nci-nowhere'; known:" in found[1][1]
    assert "is not in any printable block of 'cruk-monoclonal-antibodies'" in found[2][1]


def test_ambiguous_phrase_asks_for_more(tmp_path, corpus):
    path = write(
        tmp_path,
        """
        title: T
        sections:
          - kind: side_effects
            select:
              - {source: cruk-monoclonal-antibodies, from: "side effects"}
        """,
    )
    with pytest.raises(DefinitionError, match=r"occurs in .* blocks .* quote more of it"):
        select_sections(load_definition(path), corpus)


def test_phrase_inside_a_dropped_artifact_is_not_selectable(tmp_path, corpus):
    path = write(
        tmp_path,
        """
        title: T
        sections:
          - kind: side_effects
            select:
              - {source: cruk-monoclonal-antibodies, from: "paracetamol"}
        """,
    )
    with pytest.raises(DefinitionError, match="not in any printable block"):
        select_sections(load_definition(path), corpus)


def test_all_problems_of_a_definition_reported_together(tmp_path):
    path = write(
        tmp_path,
        """
        title: T
        colour: blue
        sections:
          - kind: side_efects
            select:
              - source: nci-immunotherapy
                kind: side_effects
                heading: Both
          - kind: what_to_expect
            selct: []
        """,
    )
    with pytest.raises(LeafletError) as caught:
        load_definition(path)
    found = messages(caught.value)
    assert (
        2,
        "unknown key 'colour' in leaflet definition; known: id, title, description, sections",
    ) in found
    assert any(line == 4 and "unknown section kind 'side_efects'" in m for line, m in found)
    assert any(line == 6 and "exactly one of 'kind', 'heading' or 'from'" in m for line, m in found)
    assert any(line == 10 and "did you mean 'select'?" in m for line, m in found)


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = write(tmp_path, "title: T\nsections:\n  - kind: [what\n")
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    assert caught.value.path == str(path)
    assert caught.value.line == 4
    assert "invalid YAML" in caught.value.message


def test_clinic_configuration(project, tmp_path):
    clinic = load_clinic(project.clinic_file)
    assert clinic.phone and clinic.emergency_number and clinic.paper in ("letter", "A4")
    path = write(tmp_path, "name: X\nphone: 1\npaper: A5\nlogo: nope.png\n", "clinic.yaml")
    with pytest.raises(LeafletError) as caught:
        load_clinic(path)
    found = messages(caught.value)
    assert (2, "'phone' must be text, not 1") in found
    assert (3, "paper must be one of letter, A4, not 'A5'") in found
    assert (4, "logo file 'nope.png' not found") in found
    assert (1, "clinic configuration is missing 'emergency_number'") in found


def test_range_ending_on_a_lead_in_without_its_list_is_refused(tmp_path, corpus):
    path = write(
        tmp_path,
        """
        title: T
        sections:
          - kind: side_effects
            select:
              - source: nci-monoclonal-antibodies
                from: "Like most types of immunotherapy, monoclonal antibodies"
                to: "Cytokine release syndrome can sometimes occur"
        """,
    )
    with pytest.raises(DefinitionError) as caught:
        select_sections(load_definition(path), corpus)
    ((line, message),) = messages(caught.value)
    assert line == 5
    assert "ends on a lead-in (line 106" in message and "without its list (line 108)" in message


def test_drug_passage_brings_the_definition_of_a_term_it_uses(corpus):
    from leafletgen.select.passages import find_drug_passages

    names = ("bevacizumab", "trastuzumab emtansine")
    ((passage,),) = [find_drug_passages("bevacizumab", names, corpus)]
    first, naming = passage.blocks
    assert "vascular endothelial growth factor (VEGF)" in first.text
    assert naming.text.startswith("Some mAbs block VEGF")


def test_drug_passage_brings_what_its_first_words_point_back_to(corpus):
    from leafletgen.select.passages import find_drug_passages

    names = ("trastuzumab", "trastuzumab emtansine")
    ((passage,),) = [find_drug_passages("trastuzumab emtansine", names, corpus)]
    texts = [block.text for block in passage.blocks]
    assert texts[0] == "Some mAbs have cancer drugs or radioactive substances attached to them."
    assert texts[1].startswith("The mAb finds the cancer cells")


def test_drugs_yaml_is_parsed_once_and_again_when_it_changes(tmp_path):
    text = "classes: {}\ndrugs:\n  - {name: alfamab, brands: [Alfa]}\n"
    path = write(tmp_path, text, "drugs.yaml")
    first = read_drugs(path)
    assert read_drugs(path) is first  # the drug leaflets and the QA checks share it
    assert first.names == ("alfamab", "Alfa")
    path.write_text("classes: {}\ndrugs:\n  - {name: betamab}\n", encoding="utf-8")
    assert read_drugs(path).names == ("betamab",)
