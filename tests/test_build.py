"""Built PDFs, read back with pypdf: what a patient and a portal would see."""

from __future__ import annotations

import hashlib
import json

import pytest
from pypdf import PdfReader

from conftest import squash
from leafletgen.batch.build import build_leaflets
from leafletgen.render.pdf import LocalFetcher, render_pdf
from leafletgen.select.clinic import load_clinic
from test_readers import CHROME

# Key sentences each leaflet must print, from each source it chose.
KEY_SENTENCES = {
    "monoclonal-antibodies": [
        "An example is rituximab, which binds to a protein called CD20 on B cells",
        "You’ll receive monoclonal antibodies through an IV in a vein.",
        "Monoclonal antibodies can cause mild to severe allergic reactions while you are receiving",
        "Call them or go to the emergency room if you’re having an unexpected reaction",
        "Common signs of infusion reactions include:",
        "Shortness of breath",
        "inflammatory lung disease",
        "trouble breathing",
    ],
    "immunotherapy": [
        "These cells, called tumor-infiltrating lymphocytes or TILs, are a sign",
        "The immunotherapy comes in pills or capsules that you swallow.",
        "Outpatient means you do not spend the night in the hospital.",
        "Immunotherapy can cause side effects, many of which happen when the immune system",
        "They range from mild to severe, depending on the drug.",
        "Call your oncologist if you have side effects during or after treatment",
    ],
}
HEADINGS = [
    "How it works",
    "What to expect",
    "Side effects",
    "When to call your care team",
    "Sources",
]


@pytest.fixture(scope="module")
def built(demo):
    """The English leaflets of the shared build, by id."""
    return demo.out, {i: r.entry for i, r in demo.built("en").items()}


def pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


@pytest.mark.parametrize("leaflet_id", sorted(KEY_SENTENCES))
def test_pdf_prints_headings_sentences_and_clinic(built, project, leaflet_id):
    out, _ = built
    text = squash(pdf_text(out / "en" / f"{leaflet_id}.pdf"))
    for heading in HEADINGS:
        assert squash(heading) in text
    for sentence in KEY_SENTENCES[leaflet_id]:
        assert squash(sentence) in text, sentence
    clinic = load_clinic(project.clinic_file)
    for value in (clinic.name, clinic.phone, clinic.after_hours_phone, clinic.emergency_number):
        assert squash(value) in text


@pytest.mark.parametrize("leaflet_id", sorted(KEY_SENTENCES))
def test_pdf_credits_every_source(built, corpus, leaflet_id):
    out, entries = built
    text = squash(pdf_text(out / "en" / f"{leaflet_id}.pdf"))
    assert entries[leaflet_id].sources
    for credit in entries[leaflet_id].sources:
        document = corpus[credit.id]
        assert squash(document.url) in text
        assert squash(document.publisher) in text
        assert squash(document.source.licence.name) in text
    assert "Source:" in pdf_text(out / "en" / f"{leaflet_id}.pdf")


def test_monoclonal_leaflet_shows_review_dates(built):
    out, _ = built
    text = squash(pdf_text(out / "en" / "monoclonal-antibodies.pdf"))
    for date in ("December 30, 2025", "December 10, 2025"):
        assert squash(f"Last reviewed: {date}") in text


@pytest.mark.parametrize("leaflet_id", sorted(KEY_SENTENCES))
def test_pdf_has_no_chrome(built, leaflet_id):
    out, _ = built
    text = pdf_text(out / "en" / f"{leaflet_id}.pdf")
    squashed = squash(text)
    leaked = [c for c in CHROME if squash(c) in squashed and c not in ("Last reviewed",)]
    assert leaked == []


@pytest.mark.parametrize("leaflet_id", sorted(KEY_SENTENCES))
def test_pdf_metadata_and_page_numbers(built, leaflet_id):
    out, entries = built
    reader = PdfReader(out / "en" / f"{leaflet_id}.pdf")
    entry = entries[leaflet_id]
    assert reader.metadata.title == entry.title
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert "National Cancer Institute (NCI)" in reader.metadata["/Keywords"]
    pages = len(reader.pages)
    assert entry.pages == pages
    assert f"Page 1 of {pages}" in reader.pages[0].extract_text()
    fonts = {
        font["/BaseFont"].split("+")[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts and all(f.startswith("Atkinson-Hyperlegible") for f in fonts)


def test_manifest_lists_every_pdf(built):
    out, entries = built
    manifest = json.loads((out / "manifest.json").read_text())
    english = [e for e in manifest["leaflets"] if e["lang"] == "en"]  # the shared build has es too
    listed = {(e["id"], e["lang"]): e for e in english}
    assert set(listed) == {(i, "en") for i in entries}
    for entry in listed.values():
        data = (out / entry["path"]).read_bytes()
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert all(s["url"] and s["publisher"] for s in entry["sources"])
        assert entry["readability"]["metric"] == "flesch_kincaid_grade"
    assert not list(out.rglob("*.part"))


def test_same_inputs_give_the_same_bytes(built, project, tmp_path):
    _, entries = built
    again = build_leaflets(project, ["immunotherapy"], ["en"], tmp_path)
    assert again[0].entry.sha256 == entries["immunotherapy"].sha256


def test_one_bad_leaflet_does_not_stop_the_others(project_copy, tmp_path):
    bad = project_copy.leaflets / "broken.yaml"
    bad.write_text(
        "title: Broken\nsections:\n  - kind: side_effects\n    select:\n"
        "      - {source: nci-immunotherapy, heading: Nope}\n"
    )
    results = build_leaflets(project_copy, langs=["en"], out=tmp_path)
    failed = [r for r in results if not r.ok]
    assert [r.id for r in failed] == ["broken"]
    assert failed[0].error.line == 5
    assert (tmp_path / "en" / "immunotherapy.pdf").is_file()
    assert not (tmp_path / "en" / "broken.pdf").exists()


def test_fetcher_serves_only_project_files(project, tmp_path):
    fetcher = LocalFetcher(roots=(project.templates.resolve(),))
    assert fetcher.allows((project.templates / "leaflet.css").resolve().as_uri())
    for url in (
        "http://127.0.0.1:9/x.css",
        "https://example.org/logo.png",
        "file:///etc/passwd",
        (project.templates / ".." / "pyproject.toml").resolve().as_uri(),
        "data:text/css,body{}",
    ):
        assert fetcher.allows(url) is None, url
    html = '<link rel=stylesheet href="http://127.0.0.1:9/evil.css"><img src="file:///etc/passwd"><p>x</p>'
    assert render_pdf(html, base_url=project.templates).startswith(b"%PDF")


def test_broken_definition_file_fails_alone(project_copy, tmp_path):
    (project_copy.leaflets / "broken.yaml").write_text("title: [unclosed\n")
    results = build_leaflets(project_copy, langs=["en"], out=tmp_path)
    failed = {r.id: r.error for r in results if not r.ok}
    assert list(failed) == ["broken"]
    assert (failed["broken"].path, failed["broken"].line) == (
        str(project_copy.leaflets / "broken.yaml"),
        2,
    )
    assert sorted(p.name for p in (tmp_path / "en").glob("*.pdf")) == [
        "immunotherapy.pdf",
        "monoclonal-antibodies.pdf",
    ]
