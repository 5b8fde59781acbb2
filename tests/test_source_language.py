"""A source in another language than English, selected on purpose: printed as
its publisher wrote it in an edition of its own language, never translated
through the catalogs, and not built in any other language.

The page is a real one of the corpus (NCI en español, public domain), copied
into a throwaway copy of the project with its real address and licence.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import squash
from leafletgen.batch.build import build
from leafletgen.batch.plan import BuildOptions
from leafletgen.batch.worker import PDF_VARIANT
from leafletgen.project import Project, load_inputs
from leafletgen.read.sources import read_corpus
from leafletgen.render.context import RenderOptions
from leafletgen.render.html import STYLESHEET, render_html
from leafletgen.render.pdf import render_document
from leafletgen.report import BuildSummary, check_leaflets, translation_status
from leafletgen.select.clinic import load_clinic
from leafletgen.select.selection import not_built_in, select_sections
from leafletgen.translate.extract import extract_content, extract_messages
from leafletgen.translate.translator import check_translations, leaflet_needs, load_translator

PAGE = Path(__file__).parent / "pages" / "holdout" / "nci-espanol" / "efectos-tardios.txt"
SOURCE_ID = "nci-es-efectos-tardios"
LEAFLET = "efectos-tardios"

SOURCE_ENTRY = f"""
  - id: {SOURCE_ID}
    file: {SOURCE_ID}.txt
    format: scrape
    publisher: National Cancer Institute (NCI)
    title: Efectos secundarios tardíos del tratamiento de cáncer
    url: https://cancer.gov/espanol/cancer/sobrellevar/investigacion/adolescentes-adultos-jovenes-problemas-salud
    language: es
    licence:
      name: Public domain (U.S. government work)
      needs_permission: false
"""

# The selectors stand on lines 5 and 10: the reasons name the first.
DEFINITION = f"""\
title: Late effects of cancer treatment
sections:
  - kind: what_it_is
    select:
      - source: {SOURCE_ID}
        kind: what_it_is
        language: es

  - kind: side_effects
    select:
      - source: {SOURCE_ID}
        from: "Muchos efectos secundarios del tratamiento del cáncer mejoran"
        language: es
"""

# The leaflet's own title comes from the catalog like any definition's: the
# publisher's own Spanish title of the page stands for it in this copy.
TITLE_ENTRY = """
msgid "Late effects of cancer treatment"
msgstr "Efectos secundarios tardíos del tratamiento de cáncer"
"""

# The page's text the leaflet prints (lines 5-7 and 2), as the file has it (the
# reader leaves out a line's closing cross-reference, "Para obtener más
# información, consulte ...": a pointer to another page, not printed).
LINES = PAGE.read_text(encoding="utf-8").splitlines()
PRINTED = [LINES[n].split(" Para obtener más información")[0] for n in (4, 5, 6, 1)]
NOT_BUILT = (
    f"not built: leaflets/{LEAFLET}.yaml:5: prints {SOURCE_ID!r} as written in 'es'; "
    "built only in 'es'"
)


@pytest.fixture
def spanish(project_copy: Project) -> Project:
    """The project copy with the Spanish page, its sources.yaml entry and a
    leaflet selecting its sections on purpose."""
    shutil.copy(PAGE, project_copy.sources / f"{SOURCE_ID}.txt")
    with (project_copy.sources / "sources.yaml").open("a", encoding="utf-8") as file:
        file.write(SOURCE_ENTRY)
    (project_copy.leaflets / f"{LEAFLET}.yaml").write_text(DEFINITION, encoding="utf-8")
    catalog = project_copy.locales / "es" / "LC_MESSAGES" / "messages.po"
    with catalog.open("a", encoding="utf-8") as file:
        file.write(TITLE_ENTRY)
    return project_copy


def _leaflet(project: Project):
    inputs = load_inputs(project)
    spec = inputs.specs[LEAFLET]
    return spec, select_sections(spec, inputs.documents)


def test_the_passage_keeps_its_sources_language_and_needs_no_catalog(spanish):
    spec, leaflet = _leaflet(spanish)
    assert {p.language for s in leaflet.sections for p in s.passages} == {"es"}
    needs = leaflet_needs(leaflet, spec, spanish.templates, spanish.root)
    assert [n for n in needs if n.domain == "content"] == []
    assert not any(line in n.msgid for n in needs for line in PRINTED)
    spanish_catalog = load_translator(spanish.locales, "es")
    check_translations(leaflet, spec, spanish_catalog, spanish.templates, spanish.root)
    assert spanish_catalog.content(PRINTED[0], "es") == (PRINTED[0], False)
    # an English block still goes through the catalog
    assert spanish_catalog.content("No such English block.") == ("No such English block.", True)
    assert not_built_in(leaflet, "es") is None
    reason = not_built_in(leaflet, "en")
    assert reason is not None and reason.line == 5 and reason.path == str(spec.path)
    assert reason.message == f"prints {SOURCE_ID!r} as written in 'es'; built only in 'es'"


def test_a_passage_in_another_language_than_the_leaflet_is_tagged_with_its_own(spanish):
    _spec, leaflet = _leaflet(spanish)
    clinic = load_clinic(spanish.clinic_file)
    options = RenderOptions()
    english = render_html(
        leaflet,
        clinic,
        load_translator(spanish.locales, "en"),
        templates=spanish.templates,
        options=options,
    )
    assert '<html lang="en"' in english
    assert english.count('<div class="passage" lang="es">') == 2
    assert 'class="untranslated"' not in english
    spanish_page = render_html(
        leaflet,
        clinic,
        load_translator(spanish.locales, "es"),
        templates=spanish.templates,
        options=options,
    )
    assert '<html lang="es"' in spanish_page
    assert spanish_page.count('<div class="passage">') == 2 and 'lang="en"' not in spanish_page
    for line in PRINTED:
        assert html.escape(line, quote=False) in spanish_page


def _tagged_languages(pdf: bytes) -> tuple[str, list[tuple[str, str]]]:
    """The PDF's document language, and each structure element's own ``/Lang``."""
    reader = PdfReader(io.BytesIO(pdf))
    found: list[tuple[str, str]] = []

    def walk(node) -> None:
        node = node.get_object()
        if not isinstance(node, dict):
            return
        if "/Lang" in node:
            found.append((str(node.get("/S")), str(node["/Lang"])))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return str(reader.trailer["/Root"]["/Lang"]), found


@pytest.mark.slow
def test_the_pdf_tags_a_passage_with_its_language_where_it_is_not_the_documents(spanish):
    _spec, leaflet = _leaflet(spanish)
    clinic = load_clinic(spanish.clinic_file)
    for lang, expected in (("en", [("/Div", "es"), ("/Div", "es")]), ("es", [])):
        translator = load_translator(spanish.locales, lang)
        page = render_html(
            leaflet, clinic, translator, templates=spanish.templates, options=RenderOptions()
        )
        pdf = render_document(
            page,
            base_url=spanish.templates,
            stylesheet=spanish.templates / STYLESHEET,
            pdf_variant=PDF_VARIANT,
        ).data
        document_lang, tagged = _tagged_languages(pdf)
        assert document_lang == lang
        assert [t for t in tagged if t[0] == "/Div"] == expected


@pytest.mark.slow
def test_a_spanish_source_prints_as_written_in_the_spanish_leaflet_only(spanish, tmp_path):
    out = tmp_path / "out"
    options = BuildOptions(
        ids=(LEAFLET,), langs=("es", "en"), out=out, html_twin=True, bilingual="en"
    )
    results = build(spanish, options)
    skipped = sorted((r.lang, r.skipped) for r in results if r.skipped)
    # English, and the bilingual edition beside English: not built, by choice
    assert skipped == [("en", NOT_BUILT), ("es", f"bilingual-en {NOT_BUILT}")]
    assert BuildSummary.of(results).line() == (
        "1 built, 2 skipped (0 unchanged, 2 not built by choice), 0 failed"
    )
    written = sorted(p.name for p in (out / "es").iterdir() if p.suffix in (".pdf", ".html"))
    assert not (out / "en").exists() and written == [f"{LEAFLET}.html", f"{LEAFLET}.pdf"]

    text = "\n".join(page.extract_text() for page in PdfReader(out / "es" / f"{LEAFLET}.pdf").pages)
    for line in PRINTED:
        assert squash(line) in squash(text)
    for heading in ("Qué es", "Efectos secundarios", "Emergencias", "Fuentes"):
        assert heading in text
    assert "Efectos secundarios tardíos del tratamiento de cáncer" in text  # the title
    assert "BORRADOR" not in text and "DRAFT" not in text
    assert "Traducido del" not in text  # its medical text was not translated: no such credit
    assert squash(
        "National Cancer Institute (NCI). Efectos secundarios tardíos del tratamiento de cáncer. "
        "https://cancer.gov/espanol/cancer/sobrellevar/investigacion/"
        "adolescentes-adultos-jovenes-problemas-salud"
    ) in squash(text)
    assert "Licencia: Dominio público" in text

    page = (out / "es" / f"{LEAFLET}.html").read_text(encoding="utf-8")
    for line in PRINTED:  # the web page has each sentence exactly as read
        assert html.escape(line, quote=False) in page
    assert '<html lang="es"' in page
    assert re.findall(r'<(?:p|li) class="[^"]*untranslated', page) == []  # no block left in English
    assert page.count('<div class="passage">') == 2

    [entry] = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["leaflets"]
    assert (entry["lang"], entry["sources"][0]["id"]) == ("es", SOURCE_ID)
    codes = [reason["code"] for reason in entry["distribution"]["reasons"]]
    assert "translation-incomplete" not in codes and "translation-qa" not in codes
    said = json.dumps(entry["distribution"], ensure_ascii=False)
    assert "[content]" not in said
    assert not any(line[:40] in said for line in PRINTED)
    assert (
        entry["translation"] == "complete" and entry["readability"]["metric"] == "fernandez_huerta"
    )


def test_check_and_i18n_status_list_only_the_language_it_is_built_in(spanish, tmp_path):
    inputs = load_inputs(spanish)
    chosen = [(inputs.specs[LEAFLET], _leaflet(spanish)[1])]
    check = check_leaflets(
        spanish,
        chosen,
        load_clinic(spanish.clinic_file),
        ["en", "es"],
        today=dt.date(2026, 12, 1),
        out=tmp_path / "out",
    )
    assert list(check.statuses) == [(LEAFLET, "es")]
    assert not any(line[:40] in f.message for f in check.findings for line in PRINTED)
    status = translation_status(spanish, chosen, ["es"])
    listed = {language.lang: [p.id for p in language.leaflets] for language in status.languages}
    assert listed == {"en": [], "es": [LEAFLET]}
    [progress] = status.languages[1].leaflets
    assert progress.missing == 0 and progress.fuzzy == 0 and progress.complete


def test_the_desk_lists_no_copy_it_is_not_built_in(spanish, tmp_path):
    from leafletgen.web.library import Library

    info = Library(spanish, tmp_path / "out").leaflet(LEAFLET)
    assert info is not None and not info.problems
    assert {(c.lang, c.variant) for c in info.copies} == {("es", "standard"), ("es", "large-print")}
    assert info.languages == ["es"]
    english = Library(spanish, tmp_path / "out").leaflet("immunotherapy")
    assert english is not None and {"en", "es"} <= set(english.languages)


def test_i18n_extract_leaves_the_spanish_text_out_of_the_catalogs(spanish):
    leaflets = [leaflet for _spec, leaflet in load_inputs(spanish).select()]
    assert any(leaflet.id == LEAFLET for leaflet in leaflets)
    content = extract_content(spanish.root, leaflets)
    messages = extract_messages(spanish.root)
    ids = [m.id for catalog in (content, messages) for m in catalog if m.id]
    assert not any(line[:40] in str(msgid) for msgid in ids for line in PRINTED)
    documents = read_corpus(spanish.sources)
    assert not any(documents[SOURCE_ID].path in str(m.locations) for m in content)
    # the English sources' blocks are all still there
    english = [m for m in content if m.id and "nci-immunotherapy" in str(m.locations)]
    assert english
