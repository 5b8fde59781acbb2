"""The HTML twin as a portal page: a viewport, the leaflet's own font embedded,
the clinic's numbers as ``tel:`` links, links to the same leaflet in its other
languages (kept true as languages are added), and nothing that only belongs
on paper. The pages are parsed back; the fonts are read back with fontTools.
(The same pages in a real browser: tests/web/test_web_browser.py.)
"""

from __future__ import annotations

import base64
import io
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from conftest import squash
from leafletgen.batch.build import build_leaflets
from leafletgen.render.twin import LanguageLink, relative_href, tel_uri, with_language_links
from leafletgen.translate.catalogs import po_path

CLINIC_LINKS = {  # leaflets/clinic.yaml's numbers, as a phone dials them
    "(555) 010-0100": "tel:5550100100",
    "(555) 010-0199": "tel:5550100199",
    "911": "tel:911",
}
FACE = re.compile(
    r'@font-face \{ font-family: "(?P<family>[^"]+)"; font-weight: (?P<weight>\w+);'
    r" font-style: (?P<style>\w+); font-display: swap;"
    r' src: url\("data:font/woff2;base64,(?P<data>[A-Za-z0-9+/=]+)"\) format\("woff2"\); \}'
)


class Page(HTMLParser):
    """A twin read back: its elements with their attributes and text, the text
    a reader sees (body, no style), and its style sheets."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.links: list[dict[str, str]] = []  # each <a>, with its "text"
        self.open: list[str] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        if tag == "a":
            self.links.append(attributes | {"text": ""})
        if tag not in ("meta", "img", "br", "link"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]

    def handle_data(self, data):
        if "style" in self.open:
            self.styles.append(data)
        elif "body" in self.open:
            self.text.append(data)
            if "a" in self.open:
                self.links[-1]["text"] += data

    @property
    def visible(self) -> str:
        return " ".join(" ".join(self.text).split())

    def first(self, tag: str, **attributes: str) -> dict[str, str] | None:
        return next(
            (
                a
                for t, a in self.elements
                if t == tag and all(a.get(k) == v for k, v in attributes.items())
            ),
            None,
        )


def read_page(out: Path, relative: str) -> Page:
    return Page((out / relative).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def twins(project, tmp_path_factory):
    """immunotherapy in English, Spanish, Arabic and Chinese, with its HTML twins."""
    out = tmp_path_factory.mktemp("twins") / "out"
    results = build_leaflets(
        project, ["immunotherapy"], ["en", "es", "ar", "zh_Hans"], out, html_twin=True
    )
    assert [r.error for r in results if not r.ok] == []
    return out


@pytest.mark.parametrize(
    "written, uri",
    [
        ("(555) 010-0100", "tel:5550100100"),
        ("555.010.0100", "tel:5550100100"),
        ("+1 555-010-0100", "tel:+15550100100"),
        ("+44 (0)20 7946 0000", "tel:+442079460000"),  # the trunk 0 is not dialled from abroad
        ("1-800-4-CANCER", "tel:18004226237"),  # a vanity number, by the keypad's letters
        ("555 0100 ext. 12", "tel:5550100;ext=12"),
        ("555-0100 x12", "tel:5550100;ext=12"),
        ("911", "tel:911"),
        ("15", "tel:15"),
        # Not only a number: printed, never guessed at.
        ("(555) 010-0100 (option 2)", None),
        ("Ask the operator for oncology", None),
        ("HELP", None),
        ("CALL 911", None),  # letters before the digits are words, not a vanity number
        ("1", None),
        ("+1 555 010 0100 0100 0100 01", None),  # more digits than any phone number
    ],
)
def test_phone_numbers_become_tel_links_only_when_they_are_numbers(written, uri):
    assert tel_uri(written) == uri


def test_twin_is_a_page_for_phones_with_its_fonts_embedded(twins):
    for lang in ("en", "es", "ar", "zh_Hans"):
        html = (twins / lang / "immunotherapy.html").read_text(encoding="utf-8")
        page = Page(html)
        assert page.first("meta", name="viewport") == {
            "name": "viewport",
            "content": "width=device-width, initial-scale=1",
        }
        faces = {(m["family"], m["weight"], m["style"]): m["data"] for m in FACE.finditer(html)}
        families = {family for family, _weight, _style in faces}
        regular = "Noto Sans CJK SC" if lang == "zh_Hans" else "Atkinson Hyperlegible"
        assert regular in families and (regular, "bold", "normal") in faces
        # Each face is a real font, cut down to the page's characters, with its
        # licence; together they draw every character a reader sees.
        drawn: set[int] = set()
        for (family, _weight, style), data in faces.items():
            font = TTFont(io.BytesIO(base64.b64decode(data)))
            assert font.flavor == "woff2"
            assert "SIL Open Font License" in font["name"].getDebugName(13)
            characters = set(font.getBestCmap())
            assert len(characters) < 2000, f"{family}: not subset ({len(characters)} characters)"
            if style == "normal":
                drawn |= characters
        missing = {ch for ch in page.visible if not ch.isspace() and ord(ch) not in drawn}
        assert missing == set(), f"{lang}: no embedded glyph for {sorted(missing)}"
        # Nothing is fetched: the only URLs are data, the sources' own pages,
        # the numbers to dial and the other languages' pages.
        assert "file:" not in html and "<link" not in html and "<script" not in html
        assert not re.search(r"url\((?!\"data:)", "".join(page.styles))


SHAPING = {  # per page: its own face, and the features its script needs to read right
    "en": ("Atkinson Hyperlegible", {"kern"}),
    "ar": ("Noto Sans Arabic", {"init", "medi", "fina", "isol", "rlig"}),  # letters joined
    "zh_Hans": ("Noto Sans CJK SC", {"locl"}),  # the Simplified Chinese glyph forms
}


@pytest.mark.parametrize("lang", list(SHAPING))
def test_embedded_fonts_keep_what_their_script_needs(twins, lang):
    family, needed = SHAPING[lang]
    html = (twins / lang / "immunotherapy.html").read_text(encoding="utf-8")
    faces = [face for face in FACE.finditer(html) if face["family"] == family]
    assert len(faces) >= 2  # regular and bold
    for face in faces:
        font = TTFont(io.BytesIO(base64.b64decode(face["data"])))
        features = {
            record.FeatureTag
            for table in ("GSUB", "GPOS")
            if table in font
            for record in font[table].table.FeatureList.FeatureRecord
        }
        assert needed <= features, f"{family} {face['weight']} lost {sorted(needed - features)}"


def test_clinic_numbers_dial_and_other_text_is_not_linked(twins):
    page = read_page(twins, "es/immunotherapy.html")
    dialled = {link["text"]: link["href"] for link in page.links if link["href"].startswith("tel:")}
    assert dialled == CLINIC_LINKS
    # The PDF prints the same numbers, as text.
    pdf = "".join(p.extract_text() for p in PdfReader(twins / "es/immunotherapy.pdf").pages)
    assert all(number in pdf for number in CLINIC_LINKS)


def test_a_clinic_number_with_words_is_printed_without_a_link(project_copy, tmp_path):
    clinic = project_copy.root / "leaflets/clinic.yaml"
    text = clinic.read_text(encoding="utf-8")
    clinic.write_text(
        text.replace(
            'after_hours_phone: "(555) 010-0199"',
            'after_hours_phone: "(555) 010-0199, then press 2"',
        ),
        encoding="utf-8",
    )
    results = build_leaflets(project_copy, ["immunotherapy"], ["en"], tmp_path, html_twin=True)
    assert [r.error for r in results if not r.ok] == []
    page = read_page(tmp_path, "en/immunotherapy.html")
    dialled = {link["text"]: link["href"] for link in page.links if link["href"].startswith("tel:")}
    assert dialled == {"(555) 010-0100": "tel:5550100100", "911": "tel:911"}
    assert "(555) 010-0199, then press 2" in page.visible


def test_print_only_lines_stay_on_paper(twins, project):
    with open(po_path(project.locales, "es", "messages"), "rb") as handle:
        catalog = read_po(handle, locale="es")
    printed_by = "Printed by %(clinic)s from the sources above."
    for lang, sentence in (
        ("en", printed_by),
        ("es", catalog[printed_by].string),
    ):
        sentence %= {"clinic": "Riverside Cancer Center"}
        reader = PdfReader(twins / lang / "immunotherapy.pdf")
        assert squash(sentence) in squash("".join(p.extract_text() for p in reader.pages))
        page = read_page(twins, f"{lang}/immunotherapy.html")
        assert sentence not in page.visible
        # No running header or footer, no page numbers, no page rules of its own.
        assert page.first("div", **{"class": "running-header"}) is None
        assert page.first("div", **{"class": "running-footer"}) is None
        assert not any("size: letter" in css or "counter(page)" in css for css in page.styles)
        # What a reader needs from the page's foot stays: its dates and sources.
        assert page.first("p", **{"class": "dates"}) is not None
        assert page.first("section", **{"class": "sources"}) is not None


def language_links(out: Path, relative: str) -> dict[str, tuple[str, str]]:
    """hreflang -> (href, text) of a twin's links to its other languages."""
    page = read_page(out, relative)
    return {a["hreflang"]: (a["href"], a["text"]) for a in page.links if a.get("hreflang")}


def test_each_twin_links_to_the_same_leaflet_in_its_other_languages(twins):
    assert language_links(twins, "en/immunotherapy.html") == {
        "ar": ("../ar/immunotherapy.html", "العربية"),
        "es": ("../es/immunotherapy.html", "Español"),
        "zh-Hans": ("../zh_Hans/immunotherapy.html", "中文 (简体)"),
    }
    assert language_links(twins, "es/immunotherapy.html") == {
        "en": ("../en/immunotherapy.html", "English"),
        "ar": ("../ar/immunotherapy.html", "العربية"),
        "zh-Hans": ("../zh_Hans/immunotherapy.html", "中文 (简体)"),
    }
    # Every link leads to that language's page, named in its own language.
    for lang in ("en", "es", "ar", "zh_Hans"):
        for hreflang, (href, _text) in language_links(twins, f"{lang}/immunotherapy.html").items():
            target = (twins / lang / href).resolve()
            assert read_page(target.parent, target.name).first("html")["lang"] == hreflang


@pytest.mark.slow
def test_language_links_follow_the_languages_the_folder_has(twins, project, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(twins, out)
    before = (out / "en/immunotherapy.pdf").read_bytes()
    # Vietnamese added later: the pages built before now link to it too.
    results = build_leaflets(project, ["immunotherapy"], ["vi"], out, html_twin=True)
    assert [r.error for r in results if not r.ok] == []
    for lang in ("en", "es", "ar", "zh_Hans"):
        assert language_links(out, f"{lang}/immunotherapy.html")["vi"][0] == (
            "../vi/immunotherapy.html"
        )
    assert set(language_links(out, "vi/immunotherapy.html")) == {"en", "es", "ar", "zh-Hans"}
    assert (out / "en/immunotherapy.pdf").read_bytes() == before  # only the links changed
    # Spanish rebuilt without its web page: the old page, no longer the PDF's
    # twin, is gone, and no page links to it any more.
    results = build_leaflets(project, ["immunotherapy"], ["es"], out, force=True)
    assert [r.error for r in results if not r.ok] == []
    assert not (out / "es/immunotherapy.html").exists()
    for lang in ("en", "ar", "zh_Hans", "vi"):
        assert "es" not in language_links(out, f"{lang}/immunotherapy.html")
    # Alone in its language, a page has no language links at all.
    alone = tmp_path / "alone"
    build_leaflets(project, ["immunotherapy"], ["en"], alone, html_twin=True)
    page = read_page(alone, "en/immunotherapy.html")
    assert page.first("nav", **{"class": "languages", "hidden": ""}) is not None
    assert not any(a.get("hreflang") for a in page.links)


@pytest.mark.slow
def test_twin_bytes_are_reproducible(project, tmp_path):
    pages = []
    for name in ("one", "two"):
        build_leaflets(project, ["immunotherapy"], ["en", "es"], tmp_path / name, html_twin=True)
        pages.append(
            [(tmp_path / name / lang / "immunotherapy.html").read_bytes() for lang in ("en", "es")]
        )
    assert pages[0] == pages[1]


def test_language_links_are_rewritten_only_inside_their_list():
    html = '<p>&lt;nav class="languages"&gt;</p><nav class="languages" hidden></nav><p>after</p>'
    linked = with_language_links(
        html, [LanguageLink("ar", relative_href("en/x.html", "ar/x.html"))]
    )
    assert linked == (
        '<p>&lt;nav class="languages"&gt;</p><nav class="languages"><ul><li>'
        '<a href="../ar/x.html" hreflang="ar" lang="ar" dir="rtl">العربية</a></li></ul></nav>'
        "<p>after</p>"
    )
