"""The fonts leaflets are printed with: named files, pinned per script.

A leaflet never takes whatever font the machine happens to have. Each
language prints with the families listed in :data:`FAMILIES` (English,
Spanish and the other Latin-script languages with Atkinson Hyperlegible),
and every family is a set of named font files:

* the project's own, under ``templates/fonts/`` with their SIL Open Font
  Licence files beside them (Atkinson Hyperlegible, Noto Sans, Noto Sans
  Arabic);
* Noto Sans CJK, too large for the repository, from Debian's
  ``fonts-noto-cjk`` package (installed by ``scripts/install-system-packages``)
  at an explicit path that the renderer's fetcher is allowed to serve.

:func:`font_css` writes the ``@font-face`` and ``:lang()`` rules for the
languages a document uses; :func:`check_glyphs` fails a build, naming the
character and the string, when a printed character is in none of its
language's fonts (the renderer would otherwise silently fall back to some
system font); :func:`check_embedded_fonts` confirms afterwards that the PDF
embeds nothing but these families.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from leafletgen.errors import RenderError, raise_all

CJK_FOLDER = Path("/usr/share/fonts/opentype/noto")


@dataclass(frozen=True)
class Face:
    """One font file of a family: ``file`` is relative to the templates folder, or absolute."""

    family: str
    file: str
    weight: str = "normal"
    style: str = "normal"
    index: int = 0  # the face in a font collection (.ttc), for reading its character map

    def path(self, templates: Path) -> Path:
        """The font file, absolute."""
        return (templates / self.file).resolve()


ATKINSON = "Atkinson Hyperlegible"
NOTO_SANS = "Noto Sans"
NOTO_ARABIC = "Noto Sans Arabic"
NOTO_CJK_SC = "Noto Sans CJK SC"

FACES: tuple[Face, ...] = (
    Face(ATKINSON, "fonts/AtkinsonHyperlegible-Regular.ttf"),
    Face(ATKINSON, "fonts/AtkinsonHyperlegible-Bold.ttf", weight="bold"),
    Face(ATKINSON, "fonts/AtkinsonHyperlegible-Italic.ttf", style="italic"),
    # Atkinson Hyperlegible has no Vietnamese (ơ, ư and the stacked tone marks).
    Face(NOTO_SANS, "fonts/NotoSans-Regular.ttf"),
    Face(NOTO_SANS, "fonts/NotoSans-Bold.ttf", weight="bold"),
    Face(NOTO_SANS, "fonts/NotoSans-Italic.ttf", style="italic"),
    Face(NOTO_ARABIC, "fonts/NotoSansArabic-Regular.ttf"),
    Face(NOTO_ARABIC, "fonts/NotoSansArabic-Bold.ttf", weight="bold"),
    # The collection's faces share one character set; the text's lang (zh-Hans)
    # selects the Simplified Chinese glyph forms through the font's locl feature.
    Face(NOTO_CJK_SC, str(CJK_FOLDER / "NotoSansCJK-Regular.ttc"), index=2),
    Face(NOTO_CJK_SC, str(CJK_FOLDER / "NotoSansCJK-Bold.ttc"), weight="bold", index=2),
)

# Families per language (primary subtag), in the order the stylesheet tries them.
# Arabic text carries Latin runs (drug names, URLs, the clinic's name): the Latin
# face prints those.
FAMILIES: dict[str, tuple[str, ...]] = {
    "ar": (NOTO_ARABIC, ATKINSON),
    "zh": (NOTO_CJK_SC,),
    "vi": (NOTO_SANS,),
}
DEFAULT_FAMILIES: tuple[str, ...] = (ATKINSON,)

# Typesetting rules per language beyond the font: Chinese and Arabic are never
# hyphenated (Pango breaks Chinese between ideographs and keeps closing
# punctuation off the start of a line, following the text's lang).
LANGUAGE_RULES: dict[str, str] = {
    "zh": "hyphens: manual; word-break: normal; overflow-wrap: normal;",
    "ar": "hyphens: manual;",
}

MARGIN_BOXES = (
    "top-left",
    "top-center",
    "top-right",
    "bottom-left",
    "bottom-center",
    "bottom-right",
)


def primary(lang: str) -> str:
    """``zh_Hans`` / ``zh-Hans`` -> ``zh``."""
    return re.split("[-_]", lang, maxsplit=1)[0].lower()


def bcp47(lang: str) -> str:
    """A catalog's language code as HTML and PDF want it: ``zh_Hans`` -> ``zh-Hans``."""
    return lang.replace("_", "-")


def families_for(lang: str) -> tuple[str, ...]:
    """The font families a language prints with, in the order they are tried."""
    return FAMILIES.get(primary(lang), DEFAULT_FAMILIES)


def faces_for(langs: tuple[str, ...]) -> tuple[Face, ...]:
    """The faces of every family the languages print with."""
    wanted = {family for lang in langs for family in families_for(lang)}
    return tuple(face for face in FACES if face.family in wanted)


def all_font_files(templates: Path) -> tuple[Path, ...]:
    """Every pinned font file (for input hashes and the renderer's fetcher)."""
    return tuple(dict.fromkeys(face.path(templates) for face in FACES))


def _family_list(families: tuple[str, ...]) -> str:
    return ", ".join(f'"{family}"' for family in families)


def font_css(langs: tuple[str, ...], templates: Path, root_lang: str | None = None) -> str:
    """``@font-face`` rules for the faces ``langs`` need, a ``:lang()`` rule per
    language, and the page's margin boxes in the root language's fonts."""
    _require_files(faces_for(langs), templates)
    rules = []
    for face in faces_for(langs):
        url = face.path(templates).as_uri()
        rules.append(
            f'@font-face {{ font-family: "{face.family}"; src: url("{url}");'
            f" font-weight: {face.weight}; font-style: {face.style}; }}"
        )
    rules.append(language_css(langs))
    if root_lang:
        boxes = " ".join(
            f"@{box} {{ font-family: {_family_list(families_for(root_lang))}; }}"
            for box in MARGIN_BOXES
        )
        rules.append(f"@page {{ {boxes} }}")
    return "\n".join(rules) + "\n"


def _require_files(faces: Iterable[Face], templates: Path) -> None:
    """Fail, naming them, if font files of ``faces`` are not on this machine,
    or are damaged (each its own error, before the renderer reads them)."""
    faces = tuple(faces)
    missing = [face.path(templates) for face in faces]
    missing = [path for path in dict.fromkeys(missing) if not path.is_file()]
    if missing:
        raise RenderError(
            "font file not found (run scripts/install-system-packages, or restore "
            f"templates/fonts/): {', '.join(map(str, missing))}",
            missing[0],
        )
    damaged = []
    for path, index in dict.fromkeys((face.path(templates), face.index) for face in faces):
        info = path.stat()
        problem = _font_problem(path, index, info.st_mtime_ns, info.st_size)
        if problem:
            damaged.append(RenderError(f"font file is damaged ({problem}); restore it", path))
    raise_all(damaged)


# The tables a font needs to be printed with (and read for its characters).
REQUIRED_TABLES = ("head", "hhea", "maxp", "cmap", "post", "name", "OS/2")


@cache
def _font_problem(path: Path, index: int, mtime_ns: int, size: int) -> str | None:
    """What is wrong with a font file, or None (checked once per version of
    the file): not a font, cut short, a needed table missing or unreadable,
    a character map that maps nothing."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(path, fontNumber=index, lazy=True) as font:
            end = max((e.offset + e.length for e in font.reader.tables.values()), default=0)
            if end > size:
                return f"cut short: its tables need {end:,} bytes, the file has {size:,}"
            for tag in REQUIRED_TABLES:
                if tag not in font:
                    return f"it has no {tag!r} table"
                if tag != "cmap":  # read below, as the renderer reads it
                    font[tag]  # read: a damaged table raises
    except TTLibError as error:
        if "bad sfntVersion" in str(error) or "Not a TrueType" in str(error):
            return "not a TrueType or OpenType font"
        return str(error)[:200]
    except Exception as error:  # fontTools raises many kinds on a damaged table
        return f"{type(error).__name__}: {str(error)[:200]}"
    if not _character_map(path, index, mtime_ns, size):
        return "it maps no character to a glyph"
    return None


@cache
def _character_map(path: Path, index: int, mtime_ns: int, size: int) -> frozenset[int]:
    """The code points a face maps to a glyph, read by HarfBuzz (once per
    version of the file). HarfBuzz is what finds glyphs for the PDF (Pango)
    and cuts the web page's subsets, so this is the map they use; it drops a
    damaged character-map subtable as they would, and what is left may map
    nothing. fontTools decodes the table in Python: a tenth of a second for
    each Chinese face, which HarfBuzz reads in a third of a millisecond (the
    same code points, for every pinned face: see tests/test_font_check.py)."""
    import uharfbuzz as hb

    # A file that is not a font, or has no such face, is an empty face: no code points.
    return frozenset(hb.Face(hb.Blob.from_file_path(str(path)), index).unicodes)


def language_css(langs: tuple[str, ...], fallback: str = "") -> str:
    """A ``:lang()`` rule per language: its font families and typesetting rules."""
    rules = []
    for lang in sorted({primary(lang) for lang in langs}):
        extra = LANGUAGE_RULES.get(lang, "")
        families = _family_list(families_for(lang)) + (f", {fallback}" if fallback else "")
        rules.append(f":lang({lang}) {{ font-family: {families}; {extra}}}")
    return "\n".join(rules)


# --- glyph coverage ---------------------------------------------------------------


def coverage(lang: str, templates: Path) -> frozenset[int]:
    """Every code point the fonts of ``lang`` have (regular faces)."""
    return _coverage(families_for(lang), templates.resolve())


@cache
def _coverage(families: tuple[str, ...], templates: Path) -> frozenset[int]:
    _require_files((face for face in FACES if face.family in families), templates)
    covered: set[int] = set()
    for face in (face for face in FACES if face.family in families):
        if face.weight == "normal" and face.style == "normal":
            path = face.path(templates)
            info = path.stat()
            covered |= _character_map(path, face.index, info.st_mtime_ns, info.st_size)
    return frozenset(covered)


def _drawn(char: str) -> bool:
    # Spaces, line separators, controls and format characters (joiners, marks
    # of direction) are not drawn from a font.
    return unicodedata.category(char) not in {"Zs", "Zl", "Zp", "Cc", "Cf"}


VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}
)


@dataclass(frozen=True)
class PrintedText:
    """Every printed text of an HTML document with its language, the strings of
    its stylesheets (generated content such as page labels), and the
    languages that print list bullets."""

    texts: tuple[tuple[str, str], ...]  # (lang, text), in document order
    bulleted: frozenset[str]


def parse_html(html: str) -> Element:
    """An HTML document's tree, parsed as WeasyPrint parses it (tinyhtml5)."""
    import tinyhtml5

    return tinyhtml5.parse(html, namespace_html_elements=False)


def printed_text(document: str | Element) -> PrintedText:
    """The printed text of an HTML document (its source, or its parsed tree)."""
    root = parse_html(document) if isinstance(document, str) else document
    texts: list[tuple[str, str]] = []
    bulleted: set[str] = set()

    def add(text: str | None, lang: str, tags: frozenset[str]) -> None:
        if not text:
            return
        if "style" in tags:
            texts.extend((lang, s) for s in _css_strings(text))
        elif "head" not in tags and "script" not in tags:
            texts.append((lang, text))

    def walk(element: Element, lang: str, tags: frozenset[str]) -> None:
        lang = element.get("lang") or lang
        if element.tag == "li":
            bulleted.add(lang)
        tags = tags | {element.tag}
        add(element.text, lang, tags)
        for child in element:
            if isinstance(child.tag, str):  # not a comment
                walk(child, lang, tags)
            add(child.tail, lang, tags)

    walk(root, "", frozenset())
    return PrintedText(tuple(texts), frozenset(bulleted))


def _css_strings(css: str) -> list[str]:
    return list(_css_strings_of(css))


@cache
def _css_strings_of(css: str) -> tuple[str, ...]:
    # The page-label style block is the same in every leaflet of a language:
    # parsed once.
    import tinycss2

    found = []

    def walk(tokens: list[Any]) -> None:
        for token in tokens:
            if token.type == "string":
                found.append(token.value)
            for attribute in ("content", "arguments", "prelude"):
                inner = getattr(token, attribute, None)
                if isinstance(inner, list):
                    walk(inner)

    walk(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))
    return tuple(found)


def _shorten_around(text: str, index: int, width: int = 60) -> str:
    text = " ".join(text.split()) if len(text) > width else text
    if len(text) <= width:
        return text
    index = min(index, len(text) - 1)
    start = max(0, index - width // 2)
    return ("…" if start else "") + text[start : start + width] + "…"


def check_glyphs(document: str | Element, templates: Path) -> tuple[str, ...]:
    """Fail if any printed character of an HTML document (its source, or the
    tree the renderer parsed) has no glyph in its language's fonts.

    Returns the languages the document prints in (root language first).
    The error names the character, its code point and the string it is in.
    """
    printed = printed_text(document)
    texts = [*printed.texts, *((lang, "•") for lang in sorted(printed.bulleted))]
    langs = tuple(dict.fromkeys(lang for lang, _ in texts if lang))
    problems = []
    seen = set()
    covered_by: dict[str, frozenset[int]] = {}
    for lang, text in texts:
        covered = covered_by.get(lang)
        if covered is None:
            covered = covered_by[lang] = coverage(lang or "en", templates)
        # Each distinct character once, in the order the text has them.
        missing = [c for c in dict.fromkeys(text) if ord(c) not in covered]
        for char in missing:
            if not _drawn(char) or (lang, char) in seen:
                continue
            index = text.index(char)
            seen.add((lang, char))
            name = unicodedata.name(char, "unnamed")
            problems.append(
                RenderError(
                    f"no glyph for {char!r} (U+{ord(char):04X} {name}) in the "
                    f"{lang or 'default'} fonts ({', '.join(families_for(lang))}), "
                    f"in the string {_shorten_around(text, index)!r}"
                )
            )
    if problems:
        raise_all(problems)
    return langs


def embedded_fonts(pdf: bytes) -> set[str]:
    """The base names of the fonts a PDF embeds, subset prefixes removed."""
    from pypdf import PdfReader

    names: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources else None
        for font in (fonts.get_object() if fonts else {}).values():
            base = str(font.get_object().get("/BaseFont", ""))
            names.add(base.lstrip("/").split("+", 1)[-1])
    return names


def allowed_font_names() -> set[str]:
    """PDF base names of the pinned families: WeasyPrint writes the family with
    hyphens for spaces, then the style of bold and italic faces."""
    styles = ("", "-Bold", "-Italic", "-Bold-Italic")
    return {face.family.replace(" ", "-") + style for face in FACES for style in styles}


def check_embedded_fonts(pdf: bytes) -> None:
    """Fail if the PDF embeds a font that is not one of the pinned families."""
    check_font_names(embedded_fonts(pdf))


def check_font_names(names: Iterable[str]) -> None:
    """Fail if any of these PDF font names (``/ABCDEF+Family-Style``, subset
    prefix optional) is not one of the pinned families."""
    found = {name.lstrip("/").split("+", 1)[-1] for name in names}
    foreign = sorted(found - allowed_font_names())
    if foreign:
        raise RenderError(f"the PDF embeds fonts that are not pinned: {', '.join(foreign)}")
