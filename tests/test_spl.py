"""The SPL reader (read/spl.py): FDA labels as HL7 SPL XML -> the same
Document the text readers make; hostile XML -> one clear error each.

The only label text here is read from the stored files: the RITUXAN
Medication Guide excerpt (sources/labels/) and the SPL fixture assembled from
it (tests/data/spl/rituximab-spl.xml). Ids and text of the synthetic
documents below are illustrative, not a label's.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import yaml

from leafletgen.errors import SourceError
from leafletgen.model import Document, LabelIdentity, SourceInfo
from leafletgen.read.decode import MAX_SOURCE_BYTES
from leafletgen.read.document import FORMATS, read_document
from leafletgen.read.spl import MAX_DEPTH
from leafletgen.read.text import normalise

ROOT = Path(__file__).resolve().parents[1]
SPL = ROOT / "tests" / "data" / "spl"
LABELS = ROOT / "sources" / "labels"
EXCERPT = LABELS / "fda-rituximab-excerpt-medguide-opening.txt"


def _label_entry() -> dict:
    entries = yaml.safe_load((LABELS / "labels.yaml").read_text(encoding="utf-8"))["labels"]
    return next(e for e in entries if e["file"] == EXCERPT.name)


@pytest.fixture(scope="module")
def from_spl() -> Document:
    return read_document(SPL / "rituximab-spl.xml")


@pytest.fixture(scope="module")
def from_text() -> Document:
    entry = _label_entry()
    info = SourceInfo(id=entry["id"], file=entry["file"], format=entry["format"])
    return read_document(EXCERPT, info)


def units(document: Document) -> list[tuple[str, object]]:
    """The outline in reading order: every heading and paragraph as a line of
    text, every list as its items (each with its continuations)."""
    found: list[tuple[str, object]] = []
    for section in document.sections:
        if section.heading:
            found.append(("text", section.heading))
        for block in section.blocks:
            if block.type == "list":
                found.append(("list", block.items))
            else:
                found.append(("text", block.text))
    return found


def _from(found: list[tuple[str, object]], text: str) -> list[tuple[str, object]]:
    return found[next(i for i, unit in enumerate(found) if unit == ("text", text)) :]


QUESTION_LINE = 11  # the excerpt's line "What is the most important information ...?"


def lines_of(found: list[tuple[str, object]]) -> list[str]:
    """Every line of the outline's text in reading order, list items (and what
    they carry) line by line: the text, whichever way its lists are nested."""
    lines: list[str] = []
    for kind, value in found:
        for text in value if kind == "list" else (value,):
            lines += str(text).split("\n")
    return lines


def test_spl_and_text_of_the_same_guide_give_the_same_outline(from_spl, from_text):
    """From the guide's first question on, the same paragraphs and list items
    in the same order, word for word. The SPL fixture keeps the scrape's one
    level of bullets (it was built from them); the text reader nests the
    symptoms under the item whose lead-in announces them, as the guide does."""
    lines = EXCERPT.read_text(encoding="utf-8").split("\n")
    question = lines[QUESTION_LINE - 1]
    assert question.endswith("?")
    spl_body, text_body = _from(units(from_spl), question), _from(units(from_text), question)
    assert lines_of(spl_body) == lines_of(text_body)
    assert [len(items) for kind, items in spl_body if kind == "list"] == [11]
    [items] = [items for kind, items in text_body if kind == "list"]
    assert [item.split("\n")[0][:30] for item in items] == [
        "Infusion-related reactions. In",
        "Severe skin and mouth reaction",
    ]
    # each warning keeps its "get medical help right away" lead-in and its signs
    assert items[0].count("\n") == 10 and items[1].count("\n") == 5


def read_lines(document: Document) -> set[str]:
    """Every line the reader placed: title, metadata and the outline's text."""
    placed = {document.title or ""} | {text for _line, text in document.metadata}
    return placed | set(lines_of(units(document)))


def test_every_line_of_the_guide_is_in_both_outlines(from_spl, from_text):
    """Before the first question the same lines, placed differently: SPL puts a
    section's title ("MEDICATION GUIDE") above its text and its product lines
    in the section; the text reader takes "MEDICATION GUIDE" as the page's
    title and the approval, brand and generic lines as metadata. The page's
    DailyMed header (product line, packager, rule) is not part of the guide's
    SPL section."""
    spl = set(lines_of(units(from_spl)))
    text = read_lines(from_text)
    assert spl <= text
    lines = EXCERPT.read_text(encoding="utf-8").split("\n")
    assert all(line in {x.strip() for x in lines[:4]} for line in text - spl - {""})


def test_headings_the_spl_marks_are_lines_of_the_text(from_spl, from_text):
    """SPL says which lines are headings (section titles, nested); the text
    reader finds the question as a heading and "MEDICATION GUIDE" as the
    title. Every SPL heading is a line the text reader placed."""
    headings = [section.heading for section in from_spl.sections]
    assert headings and all(heading in read_lines(from_text) for heading in headings)
    lines = EXCERPT.read_text(encoding="utf-8").split("\n")
    assert headings == [lines[6], lines[QUESTION_LINE - 1]]  # "MEDICATION GUIDE", the question


def test_every_block_keeps_the_text_of_the_source_file(from_spl):
    """Nothing in the SPL outline is text the stored excerpt does not have."""
    source = normalise(EXCERPT.read_text(encoding="utf-8").replace("•", " "))
    for kind, value in units(from_spl):
        for text in value if kind == "list" else [value]:
            for line in str(text).split("\n"):
                assert normalise(line) in source


def test_label_identity_and_date_come_from_the_document(from_spl):
    xml = (SPL / "rituximab-spl.xml").read_text(encoding="utf-8")
    label = from_spl.label
    assert label.set_id == _label_entry()["label"]["set_id"]
    assert label.version == re.search(r'<versionNumber value="(\d+)"', xml)[1]
    effective = re.search(r'<effectiveTime value="(\d{8})"', xml)[1]
    assert label.effective.strftime("%Y%m%d") == effective
    assert from_spl.last_reviewed == label.effective
    assert from_spl.publisher == _label_entry()["publisher"]
    assert from_spl.source.format == "spl" and "spl" in FORMATS


def test_utf16_label_reads_the_same(tmp_path, from_spl):
    xml = (SPL / "rituximab-spl.xml").read_text(encoding="utf-8")
    path = tmp_path / "rituximab-utf16.xml"
    path.write_bytes(xml.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"))
    assert units(read_document(path)) == units(from_spl)


SYNTHETIC = """<?xml version="1.0" encoding="UTF-8"?>
<!-- leafletgen test data: illustrative ids and text, no label text. -->
<document xmlns="urn:hl7-org:v3">
  <setId root="00000000-0000-0000-0000-000000000900"/>
  <versionNumber value="3"/>
  <effectiveTime value="20200102"/>
  <component><structuredBody>
    <component><section>
      <code code="34076-0" codeSystem="2.16.840.1.113883.6.1"/>
      <title>17 PATIENT COUNSELING INFORMATION</title>
      <text><paragraph>Counselling text.</paragraph></text>
    </section></component>
    <component><section>
      <code code="68498-5" codeSystem="2.16.840.1.113883.6.1"/>
      <title>Patient Information</title>
      <text><paragraph>Opening text.</paragraph></text>
      <component><section>
        <title>Sample subsection</title>
        <text>
          <table><caption>Sample table</caption>
            <thead><tr><th>Column A</th><th>Column B</th></tr></thead>
            <tbody><tr><td>a one</td><td>b one</td></tr></tbody>
          </table>
          <list><item><paragraph>First item.</paragraph><paragraph>More.</paragraph></item>
            <item>Second item.<renderMultiMedia referencedObject="x"/></item></list>
        </text>
        <component><section><title>Sample sub-subsection</title>
          <text><paragraph>Deeper text.</paragraph></text></section></component>
      </section></component>
    </section></component>
  </structuredBody></component>
</document>
"""


def test_sections_tables_and_preference_of_codes(tmp_path):
    """The most wanted patient code wins (patient information over section
    17's counselling text); nested sections are headings one level deeper; a
    table is a list of rows, and says so."""
    path = tmp_path / "synthetic.xml"
    path.write_text(SYNTHETIC, encoding="utf-8")
    document = read_document(path)
    assert [s.heading for s in document.sections] == [
        "Patient Information",
        "Sample subsection",
        "Sample sub-subsection",
    ]
    blocks = [b for s in document.sections for b in s.blocks]
    assert [(b.type, b.text or b.items) for b in blocks] == [
        ("paragraph", "Opening text."),
        ("paragraph", "Sample table"),
        ("list", ("Column A | Column B", "a one | b one", "First item.\nMore.", "Second item.")),
        ("paragraph", "Deeper text."),
    ]
    messages = [w.message for w in document.warnings]
    assert any("table read as a list" in m for m in messages)
    assert any("image not printed" in m for m in messages)
    assert document.label.version == "3" and str(document.label.effective) == "2020-01-02"


def _make_hostile(folder: Path) -> None:
    spec = importlib.util.spec_from_file_location("spl_hostile_make", SPL / "hostile" / "make.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make(folder)


@pytest.fixture(scope="module")
def deep_nesting(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    _make_hostile(folder)
    return folder / "deep-nesting.xml"


@pytest.mark.parametrize(
    ("name", "message", "line"),
    [
        ("doctype-entities.xml", "document type declaration (DOCTYPE) refused", 3),
        ("external-entity.xml", "document type declaration (DOCTYPE) refused", 3),
        ("utf16.xml", "document type declaration (DOCTYPE) refused", 3),
        ("missing-section.xml", "no patient section in this SPL label", 11),
    ],
)
def test_hostile_spl_gives_one_clear_error(name, message, line):
    path = SPL / "hostile" / name
    with pytest.raises(SourceError) as raised:
        read_document(path)
    error = raised.value
    assert message in error.message and error.path == str(path) and error.line == line
    assert str(error).startswith(f"{path}:{line}: ")
    if name == "missing-section.xml":
        assert "42231-1 (Medication Guide)" in error.message and "34067-9" in error.message


def test_deep_nesting_is_refused_while_parsing(deep_nesting):
    with pytest.raises(SourceError) as raised:
        read_document(deep_nesting)
    assert f"nested more than {MAX_DEPTH} deep" in raised.value.message
    assert raised.value.line is not None


def test_hostile_files_are_what_make_py_writes(tmp_path):
    _make_hostile(tmp_path)
    for committed in (SPL / "hostile").glob("*.xml"):
        assert committed.read_bytes() == (tmp_path / committed.name).read_bytes()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"<document xmlns='urn:hl7-org:v3'><title>x</document>", "not well-formed XML"),
        (b"<html><body/></html>", "not an HL7 SPL document"),
    ],
)
def test_broken_xml_gives_one_clear_error(tmp_path, content, message):
    path = tmp_path / "broken.xml"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=message):
        read_document(path)


def test_huge_file_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "huge.xml"
    with path.open("wb") as file:
        file.write(b'<document xmlns="urn:hl7-org:v3">')
        file.write(b" " * MAX_SOURCE_BYTES)
        file.write(b"</document>")
    with pytest.raises(SourceError, match="bytes, more than"):
        read_document(path)


DOCTYPE_BODY = (
    '<!DOCTYPE document [<!ENTITY x "y">]><document xmlns="urn:hl7-org:v3"><component>'
    '<structuredBody><component><section><code code="42231-1"/><title>T</title><text>'
    "<paragraph>&x;</paragraph></text></section></component></structuredBody></component>"
    "</document>"
)  # illustrative, no label text


@pytest.mark.parametrize(
    ("declared", "codec", "message"),
    [
        ("UTF-16LE", "utf-16-le", "DOCTYPE) refused"),  # no byte-order mark
        ("UTF-16", "utf-16-be", "DOCTYPE) refused"),
        ("ISO-8859-1", "latin-1", "DOCTYPE) refused"),
        ("UTF-8", "utf-8-sig", "DOCTYPE) refused"),
        ("UTF-32", "utf-32", "not well-formed XML"),  # expat cannot read it: refused too
        ("UTF-7", "utf-7", "cannot decode the XML"),
        ("Shift_JIS", "shift_jis", "cannot decode the XML"),
    ],
)
def test_doctype_is_refused_whatever_the_encoding(tmp_path, declared, codec, message):
    path = tmp_path / "encoded.xml"
    path.write_bytes(f'<?xml version="1.0" encoding="{declared}"?>{DOCTYPE_BODY}'.encode(codec))
    with pytest.raises(SourceError, match=re.escape(message)) as raised:
        read_document(path)
    assert raised.value.path == str(path) and raised.value.line == 1


def test_a_sources_yaml_label_the_document_contradicts_is_reported(from_spl):
    stated = from_spl.label
    same = SourceInfo(id="x", file="x", format="spl", label=LabelIdentity(set_id=stated.set_id))
    assert read_document(SPL / "rituximab-spl.xml", same).warnings == ()
    other = LabelIdentity(set_id=stated.set_id, version=str(int(stated.version) + 1))  # test value
    info = SourceInfo(id="x", file="x", format="spl", label=other)
    document = read_document(SPL / "rituximab-spl.xml", info)
    assert document.label == stated
    (notice,) = document.warnings
    assert "sources.yaml says label" in notice.message
    assert "the document's is used" in notice.message
