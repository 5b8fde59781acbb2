"""Arabic, Chinese and Vietnamese leaflets: pinned fonts, right-to-left layout with
left-to-right runs kept whole, Chinese line breaking, and a missing glyph as an error.

The leaflets are built from the project's own catalogs and read back with pypdf.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from babel.messages.pofile import read_po, write_po
from pypdf import PdfReader

from conftest import squash
from leafletgen.batch.build import build_leaflets
from leafletgen.errors import LeafletError, RenderError
from leafletgen.render import fonts
from leafletgen.render.bidi import isolate_ltr, isolate_text, ltr_runs, text_direction
from leafletgen.render.pdf import render_pdf
from leafletgen.translate.catalogs import po_path

LANGS = ["ar", "zh_Hans", "vi"]
CLINIC_NUMBERS = ["(555) 010-0100", "(555) 010-0199", "911"]


@pytest.fixture(scope="module")
def built(project, tmp_path_factory):
    out = tmp_path_factory.mktemp("scripts")
    results = build_leaflets(
        project, ["immunotherapy", "monoclonal-antibodies"], LANGS, out, jobs=2
    )
    assert all(r.ok for r in results), [str(r.error) for r in results if not r.ok]
    return out


def pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def font_descriptors(path):
    """(base name, embedded font program) of every font the PDF uses."""
    found = []
    for page in PdfReader(path).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            program = next(
                (k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor), None
            )
            found.append((str(font["/BaseFont"]).lstrip("/"), program))
    return found


# --- left-to-right runs -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        ("اتصل على (555) 010-0100 الآن", ["(555) 010-0100"]),
        ("مثل blinatumomab (Blincyto®)، الذي", ["blinatumomab (Blincyto®)"]),
        ("يرتبط ببروتين يسمى CD20 على الخلايا", ["CD20"]),
        (
            "انظر https://www.cancer.gov/about-cancer/treatment.",
            ["https://www.cancer.gov/about-cancer/treatment"],
        ),
        ("الجرعة 5 mg/kg كل 3 أسابيع", ["5 mg/kg", "3"]),
        ("(مثل rituximab)", ["rituximab"]),
        ("المصدر: NCI [1]", ["NCI [1]"]),
        ("نسبة 20% من المرضى", ["20%"]),
        ("لا شيء هنا", []),
    ],
)
def test_left_to_right_runs(text, runs):
    assert [text[a:b] for a, b in ltr_runs(text)] == runs


def test_isolating_keeps_escaping():
    html = isolate_text("نص <script>alert(1)</script> & CD20")
    assert "<script>" not in html
    assert '<bdi dir="ltr">CD20</bdi>' in html
    assert "&lt;" in html and "&amp;" in html


def test_isolating_a_document_leaves_head_and_english_alone():
    document = (
        '<html lang="ar" dir="rtl"><head><title>CD20 title</title></head>'
        '<body><p>بروتين CD20</p><p lang="en">English CD20 text</p></body></html>'
    )
    result = isolate_ltr(document)
    assert "<title>CD20 title</title>" in result
    assert '<p>بروتين <bdi dir="ltr">CD20</bdi></p>' in result
    assert '<p dir="ltr" lang="en">English CD20 text</p>' in result


def test_text_direction():
    assert text_direction("ar") == "rtl"
    assert text_direction("he") == "rtl"
    assert text_direction("zh_Hans") == "ltr"
    assert text_direction("es") == "ltr"


# --- the built leaflets ----------------------------------------------------------------


@pytest.mark.parametrize(("lang", "tag"), [("ar", "ar"), ("zh_Hans", "zh-Hans"), ("vi", "vi")])
def test_pdf_language_tag(built, lang, tag):
    reader = PdfReader(built / lang / "immunotherapy.pdf")
    assert reader.trailer["/Root"]["/Lang"] == tag


@pytest.mark.parametrize(
    ("lang", "families"),
    [
        ("ar", {"Noto-Sans-Arabic", "Noto-Sans-Arabic-Bold", "Atkinson-Hyperlegible"}),
        ("zh_Hans", {"Noto-Sans-CJK-SC", "Noto-Sans-CJK-SC-Bold"}),
        ("vi", {"Noto-Sans", "Noto-Sans-Bold"}),
    ],
)
def test_only_pinned_fonts_embedded_and_subset(built, lang, families):
    for leaflet in ("immunotherapy", "monoclonal-antibodies"):
        found = font_descriptors(built / lang / f"{leaflet}.pdf")
        names = set()
        for name, program in found:
            prefix, _, base = name.partition("+")
            assert re.fullmatch(r"[A-Z]{6}", prefix), f"{name} is not subset"
            assert program is not None, f"{name} is not embedded"
            names.add(base)
        assert names <= fonts.allowed_font_names(), names
        assert families <= names


def test_arabic_keeps_numbers_urls_and_drug_names_in_logical_order(built):
    text = pdf_text(built / "ar" / "immunotherapy.pdf")
    for number in CLINIC_NUMBERS:
        assert number in text
    squashed = squash(text)
    for url in (
        "https://www.cancer.gov/about-cancer/treatment/types/immunotherapy",
        "https://my.clevelandclinic.org/health/treatments/11582-immunotherapy",
    ):
        assert squash(url) in squashed
    text = pdf_text(built / "ar" / "monoclonal-antibodies.pdf")
    # (blinatumomab, CD19 and CD3 are in that drug's own leaflet, not the topic's)
    for name in ("rituximab", "CD20", "B"):
        assert name in text
    assert "0100-010" not in text and "(555) 0100" not in text


def test_arabic_page_furniture_is_mirrored(built):
    """Page numbers in the bottom left corner, the title in the bottom right."""
    page = PdfReader(built / "ar" / "immunotherapy.pdf").pages[0]
    width = float(page.mediabox.width)
    where: dict[str, float] = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            where.setdefault(text.strip(), cm[4] + tm[4])

    page.extract_text(visitor_text=visit)
    label = next(x for text, x in where.items() if text.startswith("صفحة"))
    assert label < width / 3
    bullets = [x for text, x in where.items() if text == "•"]
    assert bullets and min(bullets) > width / 2  # bullets at the right margin


def test_chinese_lines_never_start_with_closing_punctuation(built):
    closing = "，。、；：？！）」』”’》"
    for leaflet in ("immunotherapy", "monoclonal-antibodies"):
        text = pdf_text(built / "zh_Hans" / f"{leaflet}.pdf")
        assert "免疫" in text
        lines = [line for line in text.splitlines() if line.strip()]
        starts = [line for line in lines if line.lstrip()[0] in closing]
        assert not starts, starts
        # no hyphenation: no line of Chinese ends in a hyphen
        assert not [line for line in lines if re.search(r"[\u4e00-\u9fff]-$", line)]


def test_vietnamese_prints_its_tone_marks(built):
    text = pdf_text(built / "vi" / "immunotherapy.pdf")
    assert "Liệu pháp miễn dịch điều trị ung thư" in text
    assert "ứ" in text or "ữ" in text


def test_translated_pdfs_are_not_drafts(built):
    for lang in LANGS:
        assert (built / lang / "immunotherapy.pdf").is_file()
        assert not (built / lang / "immunotherapy.draft.pdf").exists()


# --- fonts are pinned, never a silent fallback -------------------------------------------


def _set_translation(project, lang, domain, msgid, text):
    path = po_path(project.locales, lang, domain)
    with path.open("rb") as handle:
        catalog = read_po(handle)
    catalog[msgid].string = text
    buffer = io.BytesIO()
    write_po(buffer, catalog)
    path.write_bytes(buffer.getvalue())


def test_missing_glyph_fails_the_build_naming_character_and_string(project_copy, tmp_path):
    _set_translation(project_copy, "ar", "messages", "Side effects", "الآثار الجانبية ☃")
    out = tmp_path / "out"
    [result] = build_leaflets(project_copy, ["immunotherapy"], ["ar"], out)
    assert not result.ok
    message = str(result.error)
    assert "U+2603" in message and "SNOWMAN" in message
    assert "الآثار الجانبية ☃" in message
    assert "Noto Sans Arabic" in message
    assert not list(out.rglob("*.pdf"))


def test_a_pdf_with_a_foreign_font_is_refused():
    # No stylesheet: WeasyPrint takes whatever the machine has.
    pdf = render_pdf("<p>plain</p>", base_url=fonts.CJK_FOLDER)
    assert fonts.embedded_fonts(pdf) - fonts.allowed_font_names()
    with pytest.raises(RenderError, match="not pinned"):
        fonts.check_embedded_fonts(pdf)


def test_every_pinned_font_has_its_licence_beside_it(project):
    folder = project.templates / "fonts"
    licences = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("OFL*.txt")}
    for face in fonts.FACES:
        path = face.path(project.templates)
        assert path.is_file(), path
        if path.is_relative_to(folder):
            assert any(
                path.name in text or ("Atkinson" in face.family and "Braille" in text)
                for text in licences.values()
            ), path.name
    assert any("NotoSansCJK" in text for text in licences.values())


# --- a pseudo-bidi locale -----------------------------------------------------------------

PSEUDO_LETTERS = dict(zip("abcdefghijklmnopqrstuvwxyz", "ابتثجحخدذرزسشصضطظعغفقكلمنه", strict=True))
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}")


def pseudo_bidi(text: str) -> str:
    """English turned right to left: letters of words without digits become Arabic
    letters; words with digits (CD20, 2) and placeholders stay as they are."""

    def word(match: re.Match) -> str:
        token = match.group(0)
        if PLACEHOLDER.fullmatch(token) or any(c.isdigit() for c in token):
            return token
        return "".join(PSEUDO_LETTERS.get(c.lower(), c) for c in token)

    return re.sub(r"%\([a-z_]+\)s|\{[a-z_]+\}|[^\s]+", word, text)


@pytest.mark.slow
def test_pseudo_bidi_locale_keeps_left_to_right_runs_whole(project_copy, tmp_path):
    for domain in ("messages", "content"):
        path = po_path(project_copy.locales, "ar", domain)
        with path.open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            if message.id:
                message.string = pseudo_bidi(message.id)
        buffer = io.BytesIO()
        write_po(buffer, catalog)
        path.write_bytes(buffer.getvalue())
    results = build_leaflets(
        project_copy,
        ["monoclonal-antibodies", "blinatumomab"],
        ["ar"],
        tmp_path,
        include_drugs=True,
    )
    assert all(result.ok for result in results), [r.error for r in results]
    text = pdf_text(tmp_path / "ar" / "monoclonal-antibodies.pdf")
    assert pseudo_bidi("Monoclonal antibodies") in text
    for run in [*CLINIC_NUMBERS, "CD20"]:
        assert run in text
    # (CD19 and CD3 are in blinatumomab's own leaflet, no longer in the topic's)
    for run in ["CD19", "CD3,"]:
        assert run in pdf_text(tmp_path / "ar" / "blinatumomab.pdf")
    # Sources keep their URLs in order, however the lines broke.
    assert squash(
        "https://www.cancer.gov/about-cancer/treatment/types/immunotherapy/monoclonal-antibodies"
    ) in squash(text)
    assert "0100-010" not in text


# --- the bilingual edition ----------------------------------------------------------------


def structure_languages(path) -> dict[str, set[str]]:
    """/Lang of the structure elements, by structure type."""
    found: dict[str, set[str]] = {}

    def walk(node):
        node = node.get_object()
        if not hasattr(node, "get"):
            return
        if "/Lang" in node:
            found.setdefault(str(node["/Lang"]), set()).add(str(node.get("/S")))
        kids = node.get("/K")
        kids = kids.get_object() if kids is not None else []
        for kid in kids if isinstance(kids, list) else [kids]:
            walk(kid)

    walk(PdfReader(path).trailer["/Root"]["/StructTreeRoot"])
    return found


@pytest.fixture(scope="module")
def bilingual(project, built):
    results = build_leaflets(project, ["immunotherapy"], ["ar", "zh_Hans"], built, bilingual="en")
    assert all(r.ok for r in results)
    # The standard editions were already there and unchanged.
    assert {r.skipped for r in results if not r.entry} == {"unchanged"}
    return built


@pytest.mark.parametrize(("lang", "tag"), [("ar", "ar"), ("zh_Hans", "zh-Hans")])
def test_bilingual_edition_tags_both_languages(bilingual, lang, tag):
    path = bilingual / lang / "immunotherapy.bilingual-en.pdf"
    reader = PdfReader(path)
    assert reader.trailer["/Root"]["/Lang"] == tag
    languages = structure_languages(path)
    assert "/P" in languages["en"]  # each English paragraph tagged as English
    text = pdf_text(path)
    assert "Immunotherapy helps the immune system to better act against cancer." in text
    translated = {"ar": "يساعد العلاج المناعي", "zh_Hans": "免疫治疗帮助免疫系统"}[lang]
    assert translated in text
    assert text.index(translated) < text.index("Immunotherapy helps the immune system")


def test_bilingual_edition_in_the_manifest(bilingual):
    manifest = json.loads((bilingual / "manifest.json").read_text(encoding="utf-8"))
    entries = {(e["id"], e["lang"], e["variant"]): e for e in manifest["leaflets"]}
    entry = entries[("immunotherapy", "ar", "bilingual-en")]
    assert entry["path"] == "ar/immunotherapy.bilingual-en.pdf"
    assert entries[("immunotherapy", "ar", "standard")]["path"] == "ar/immunotherapy.pdf"


def test_bilingual_pairs_a_translation_with_the_english_original(project):
    with pytest.raises(LeafletError, match="English original"):
        build_leaflets(project, ["immunotherapy"], ["ar"], "unused", bilingual="es")


def test_readability_says_when_no_formula_exists(built):
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["leaflets"]:
        if entry["lang"] in LANGS:
            assert entry["readability"]["metric"] is None
            assert entry["readability"]["score"] is None
            assert "no published readability formula" in entry["readability"]["note"]


def test_font_names_are_checked_against_the_pinned_families():
    fonts.check_font_names(["/ABCDEF+Noto-Sans-Arabic-Bold", "Atkinson-Hyperlegible-Italic"])
    with pytest.raises(RenderError, match="DejaVu-Sans"):
        fonts.check_font_names(["/ABCDEF+Noto-Sans-CJK-SC", "/GHIJKL+DejaVu-Sans"])


def test_arabic_draft_marks_english_fallbacks_left_to_right(project_copy):
    from leafletgen.read.sources import read_corpus
    from leafletgen.render.html import RenderOptions, render_html
    from leafletgen.select.clinic import load_clinic
    from leafletgen.select.definitions import load_definitions
    from leafletgen.select.selection import select_sections
    from leafletgen.translate.translator import load_translator

    english = "Immunotherapy helps the immune system to better act against cancer."
    _set_translation(project_copy, "ar", "content", english, "")
    spec = load_definitions(project_copy.leaflets)["immunotherapy"]
    leaflet = select_sections(spec, read_corpus(project_copy.sources))
    translator = load_translator(project_copy.locales, "ar", draft=True)
    html = render_html(
        leaflet,
        load_clinic(project_copy.clinic_file),
        translator,
        templates=project_copy.templates,
        options=RenderOptions(draft=True),
    )
    assert '<html lang="ar" dir="rtl">' in html
    assert f'<p dir="ltr" class="untranslated" lang="en">{english}</p>' in html


def test_weasyprint_adaptations_refuse_another_major_version(monkeypatch):
    """The WeasyPrint adaptations are written for one major version; another
    one is refused by name, not patched blindly."""
    import weasyprint

    from leafletgen.errors import RenderError
    from leafletgen.render import weasy

    weasy.check_version.cache_clear()
    monkeypatch.setattr(weasyprint, "__version__", f"{weasy.WEASYPRINT_MAJOR + 1}.0")
    try:
        with pytest.raises(RenderError, match=r"written for WeasyPrint \d+, not \d+\.0"):
            weasy.check_version()
    finally:
        weasy.check_version.cache_clear()
