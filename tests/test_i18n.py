"""Translation integrity: catalogs round-trip, changed English turns fuzzy and
blocks the build, a pseudo-locale reaches every printed string, and the
Spanish leaflets contain no English block."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from babel.dates import format_date
from babel.messages.pofile import read_po, write_po
from pypdf import PdfReader

from conftest import squash
from leafletgen.batch.build import build_leaflets
from leafletgen.errors import LeafletError, TranslationError
from leafletgen.project import select_leaflets
from leafletgen.select.clinic import load_clinic
from leafletgen.translate import catalogs, extract
from leafletgen.translate.translator import leaflet_needs, load_translator, translation_progress
from test_build import pdf_text

PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}")


def pseudo(text: str) -> str:
    """The pseudo-translation: every letter upper-cased, placeholders kept."""
    parts = PLACEHOLDER.split(text)
    keys = PLACEHOLDER.findall(text)
    return "".join(p.upper() + (keys[i] if i < len(keys) else "") for i, p in enumerate(parts))


def make_pseudo_locale(project, lang: str) -> None:
    for domain in catalogs.DOMAINS:
        with (project.locales / f"{domain}.pot").open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        for message in catalog:
            if message.id:
                message.string = pseudo(message.id)
        path = catalogs.po_path(project.locales, lang, domain)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog)


def ours(po: bytes) -> bytes:
    """A catalog without Babel's ``Generated-By`` header line: which Babel wrote
    a file is Babel's wording, not something leafletgen decides."""
    return re.sub(rb'(?m)^"Generated-By: [^"\n]*\\n"\n', b"", po)


def test_catalog_round_trip(project):
    path = catalogs.po_path(project.locales, "es", "content")
    catalog = catalogs.read_catalog(path)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=79, include_previous=True)
    assert ours(buffer.getvalue()) == ours(path.read_bytes())
    message = catalog.get("fever")
    assert message.string == "fiebre"
    assert ("sources/nci-monoclonal-antibodies.md", 108) in message.locations


def test_templates_are_up_to_date(project):
    """The committed .pot files are what extraction gives today."""
    chosen = select_leaflets(project, include_drugs=True)
    content = extract.extract_content(project.root, [leaflet for _, leaflet in chosen])
    messages = extract.extract_messages(project.root)
    for catalog, name in ((content, "content.pot"), (messages, "messages.pot")):
        buffer = io.BytesIO()
        write_po(buffer, catalog, width=79, include_previous=True)
        assert ours(buffer.getvalue()) == ours((project.locales / name).read_bytes()), name


@pytest.mark.parametrize("leaflet_id", ["immunotherapy", "monoclonal-antibodies"])
def test_spanish_is_complete_for_every_shipped_leaflet(project, leaflet_id):
    translator = load_translator(project.locales, "es")
    for spec, leaflet in select_leaflets(project, [leaflet_id]):
        needs = leaflet_needs(leaflet, spec, project.templates, project.root)
        progress = translation_progress(needs, translator)
        assert progress.complete, progress


def test_glossary_terms_are_used(project):
    catalog = catalogs.read_catalog(catalogs.po_path(project.locales, "es", "content"))
    messages = catalogs.read_catalog(catalogs.po_path(project.locales, "es", "messages"))
    assert messages.get("What to expect").string == "Qué esperar"
    assert messages.get("Page {page} of {pages}").string == "Página {page} de {pages}"
    spanish = " ".join(m.string for m in catalog if m.id).lower()
    for term in (
        "efectos secundarios",
        "anticuerpos monoclonales",
        "inmunoterapia",
        "síntomas parecidos a los de la gripe",
        "presión arterial alta",
    ):
        assert term in spanish
    assert "efectos colaterales" not in spanish


@pytest.fixture(scope="module")
def spanish(demo):
    """The Spanish leaflets of the shared build, by id."""
    return demo.out, demo.built("es")


@pytest.mark.parametrize("leaflet_id", ["immunotherapy", "monoclonal-antibodies"])
def test_spanish_pdf_has_no_english_block(project, spanish, leaflet_id):
    out, _ = spanish
    text = squash(pdf_text(out / "es" / f"{leaflet_id}.pdf"))
    ((_, leaflet),) = select_leaflets(project, [leaflet_id])
    units = {u for s in leaflet.sections for p in s.passages for b in p.blocks for u, _ in b.units}
    english = [u for u in units if squash(u) in text]
    assert english == []
    for heading in ("What to expect", "Side effects", "When to call your care team", "Sources"):
        assert squash(heading) not in text
    for heading in (
        "Qué esperar",
        "Efectos secundarios",
        "Cuándo llamar a su equipo de atención médica",
        "Fuentes",
    ):
        assert squash(heading) in text


def test_spanish_pdf_language_dates_and_page_numbers(spanish):
    out, results = spanish
    reader = PdfReader(out / "es" / "monoclonal-antibodies.pdf")
    assert reader.trailer["/Root"]["/Lang"] == "es"
    assert reader.metadata.title == "Anticuerpos monoclonales"
    first = reader.pages[0].extract_text()
    assert f"Página 1 de {len(reader.pages)}" in first
    text = squash(pdf_text(out / "es" / "monoclonal-antibodies.pdf"))
    assert squash("Última revisión: 30 de diciembre de 2025") in text
    entry = results["monoclonal-antibodies"].entry
    assert entry.readability["metric"] == "fernandez_huerta"


def test_pseudo_locale_reaches_every_printed_string(project_copy, tmp_path):
    make_pseudo_locale(project_copy, "fr")
    results = build_leaflets(project_copy, langs=["fr"], out=tmp_path)
    assert [r.error for r in results if not r.ok] == []
    clinic = load_clinic(project_copy.clinic_file)
    for result in results:
        text = pdf_text(tmp_path / "fr" / f"{result.id}.pdf")
        # A copy not cleared says so in English for staff, then in its own
        # language (translated like the rest): the English line is meant.
        staff = re.compile(r"Not for patients yet\..*?" + re.escape(clinic.phone), re.S)
        assert len(staff.findall(text)) == text.count("NOT FOR PATIENTS YET") >= 1
        text = staff.sub("", text)
        allowed = [clinic.name, clinic.logo_alt or ""]
        # Dates print in the locale's words: the sources' and the leaflet's own.
        dates = [result.entry.issued, result.entry.review_by]
        for credit in result.entry.sources:
            allowed += [credit.url, credit.publisher, credit.title]
            dates += [credit.last_reviewed, credit.next_review]
        allowed += [
            format_date(dt.date.fromisoformat(date), "long", locale="fr") for date in dates if date
        ]
        rest = squash(text)
        for value in sorted(allowed, key=len, reverse=True):
            rest = rest.replace(squash(value), "")
        lower = re.findall(r"\w*[a-zà-ÿ]\w*", rest)
        assert lower == [], lower[:20]


def test_changed_english_turns_fuzzy_and_blocks_the_build(project_copy, tmp_path):
    source = project_copy.sources / "nci-immunotherapy.txt"
    old = "Outpatient means you do not spend the night in the hospital."
    new = "Outpatient means you do not stay the night in the hospital."
    source.write_text(source.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    chosen = select_leaflets(project_copy)
    content = extract.extract_content(project_copy.root, [leaflet for _, leaflet in chosen])
    assert catalogs.write_template(content, project_copy.locales / "content.pot")
    catalogs.update_catalogs(project_copy.locales, ["es"])

    catalog = catalogs.read_catalog(catalogs.po_path(project_copy.locales, "es", "content"))
    changed = next(m for m in catalog if m.id and m.id.startswith("You may receive immunotherapy"))
    assert changed.fuzzy and changed.string  # old translation kept for review
    assert catalog.get("fever").string == "fiebre" and not catalog.get("fever").fuzzy

    results = build_leaflets(project_copy, ["immunotherapy"], ["es"], out=tmp_path)
    error = results[0].error
    assert isinstance(error, TranslationError)
    assert (
        "sources/nci-immunotherapy.txt:76: fuzzy [content] 'You may receive immunotherapy"
        in str(error)
    )
    assert "1 string(s) missing or fuzzy" in str(error)
    assert not (tmp_path / "es" / "immunotherapy.pdf").exists()

    drafts = build_leaflets(project_copy, ["immunotherapy"], ["es"], out=tmp_path, draft=True)
    draft = tmp_path / "es" / "immunotherapy.draft.pdf"
    assert drafts[0].ok and draft.is_file()
    reader = PdfReader(draft)
    for page in reader.pages:
        assert "BORRADOR" in page.extract_text()
    assert squash(new) in squash(pdf_text(draft))  # the English, visibly marked


def test_missing_catalog_is_a_clear_error(project_copy, tmp_path):
    with pytest.raises(TranslationError, match="no messages catalog for 'de'"):
        load_translator(project_copy.locales, "de")
    with pytest.raises(TranslationError, match="unknown language code 'xx-nope'"):
        load_translator(project_copy.locales, "xx-nope")


def test_broken_catalogs(project_copy):
    path = catalogs.po_path(project_copy.locales, "es", "messages")
    text = path.read_text(encoding="utf-8")
    broken = text.replace('msgstr "Llame a %(clinic)s"', 'msgstr "Llame a %(clínica)s"')
    assert broken != text
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(LeafletError, match="unknown named placeholder"):
        load_translator(project_copy.locales, "es")
    lines = text.splitlines()
    number = lines.index('msgid "Sources"') + 1
    lines.insert(number, "this is not PO syntax")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(TranslationError) as caught:
        load_translator(project_copy.locales, "es")
    assert (caught.value.path, caught.value.line) == (str(path), number + 1)
    assert "malformed catalog: Unknown or misformatted keyword" in caught.value.message


def test_status_counts_and_strict_exit(project, project_copy, capsys):
    from leafletgen.cli import main

    assert main(["i18n", "status", "--strict", "--project", str(project.root)]) == 0
    out = capsys.readouterr().out
    assert "[es]" in out and "INCOMPLETE" not in out and "fernandez_huerta" in out
    path = catalogs.po_path(project_copy.locales, "es", "content")
    catalog = catalogs.read_catalog(path)
    catalog.get("fever").string = ""
    catalog.get("nausea").flags.add("fuzzy")
    catalogs.write_catalog(catalog, path)
    assert main(["i18n", "status", "--strict", "--project", str(project_copy.root)]) == 1
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "monoclonal-antibodies" in x and "INCOMPLETE" in x)
    assert "1 fuzzy, 1 missing" in line
