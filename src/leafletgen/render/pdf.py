"""Leaflet -> HTML (Jinja2) -> PDF (WeasyPrint).

One escaping rule: everything that comes from a file (source text, YAML,
catalogs) reaches the template as plain text and is escaped by autoescape
where it is printed. Translations are never markup (the gettext callables
return plain strings, and only ``%(name)s`` placeholders are filled: a ``%``
anywhere else prints as ``%``); text put into CSS strings has ``<`` escaped.
The PDF renderer fetches nothing but the project's own template and asset
files.
"""

from __future__ import annotations

import atexit
import base64
import datetime as dt
import functools
import logging
import mimetypes
import os
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from babel.dates import format_date
from jinja2 import BaseLoader, Environment, StrictUndefined, TemplateError, TemplateNotFound
from jinja2.ext import i18n as jinja_i18n

from leafletgen import __version__
from leafletgen.errors import RenderError
from leafletgen.files import contained, read_regular
from leafletgen.model import Leaflet
from leafletgen.read.text import WEB_URL
from leafletgen.render import fonts, twin
from leafletgen.render.bidi import isolate_ltr, text_direction
from leafletgen.render.qr import leaflet_link
from leafletgen.select.clinic import Clinic
from leafletgen.translate.translator import Translator

LOGGER = logging.getLogger(__name__)
TEMPLATE = "leaflet.html"
STYLESHEET = "leaflet.css"


@dataclass(frozen=True)
class RenderOptions:
    """How to print: paper size, large print, draft marking, fixed creation date."""

    paper: str = "letter"
    large_print: bool = False
    draft: bool = False
    created: dt.datetime | None = None
    issued: dt.date | None = None  # the leaflet's own dates, printed on it
    review_by: dt.date | None = None
    standalone: bool = False  # the HTML twin: a web page, stylesheet, fonts and logo inlined
    # The languages a twin may come to link to: their names are in its fonts.
    languages: tuple[str, ...] = ()
    # Why the leaflet is not cleared for distribution ({"code", "subject"}), printed
    # on every page; empty when cleared.
    distribution: tuple[dict[str, str], ...] = ()
    # Who translated and reviewed the text (translations only), for the credits.
    translation_credit: dict[str, Any] | None = None


MAX_TEMPLATE_BYTES = 1024 * 1024


def read_template_file(templates: Path, name: str, what: str = "template") -> tuple[str, Path]:
    """A file of the templates folder as text: inside the folder (links too), a
    regular file, UTF-8; anything else is a :class:`RenderError` at its line."""
    path = contained(templates, name, what=what, error=RenderError)
    data = read_regular(path, limit=MAX_TEMPLATE_BYTES, what=what, error=RenderError)
    try:
        return data.decode("utf-8"), path
    except UnicodeDecodeError as problem:
        line = data[: problem.start].count(b"\n") + 1
        raise RenderError(
            f"{what} is not valid UTF-8 (byte 0x{data[problem.start]:02x})", path, line
        ) from None


class _TemplateLoader(BaseLoader):
    """Loads templates only from inside the templates folder (see :func:`read_template_file`)."""

    def __init__(self, templates: Path):
        self.templates = templates

    def get_source(self, environment, template):
        if (
            not (self.templates / template).exists()
            and not (self.templates / template).is_symlink()
        ):
            raise TemplateNotFound(template)
        source, path = read_template_file(self.templates, template)
        mtime = os.stat(path).st_mtime_ns

        def uptodate() -> bool:
            try:
                return os.stat(path).st_mtime_ns == mtime
            except OSError:
                return False

        return source, str(path), uptodate


def _substitute(text: str, variables: dict[str, Any]) -> str:
    """Fill ``%(name)s`` placeholders (``%%`` is a percent sign); every other
    ``%`` is left as it is. Never Python's ``%`` operator: a translation or a
    licence name is text, not a format."""
    if not variables:
        return text
    return _PLACEHOLDER.sub(lambda m: "%" if m[0] == "%%" else str(variables.get(m[1], m[0])), text)


_PLACEHOLDER = re.compile(r"%%|%\((\w+)\)s")


def gettext_callables(translator: Translator) -> dict[str, Any]:
    """``_``, ``gettext`` and ``ngettext`` for the template: plain strings out
    (autoescape escapes them like any other text), placeholders filled."""

    def gettext(message: str, **variables: Any) -> str:
        return _substitute(translator.gettext(message), variables)

    def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
        return _substitute(translator.ngettext(singular, plural, n), {"num": n, **variables})

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext}


@cache
def _environment(templates: Path) -> Environment:
    environment = Environment(
        loader=_TemplateLoader(templates),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=[jinja_i18n],
        keep_trailing_newline=True,
    )
    environment.filters["css_page_label"] = page_label_css
    environment.filters["css_string"] = css_string
    environment.filters["tel_uri"] = twin.tel_uri
    return environment


def css_string(text: str) -> str:
    """``text`` as a CSS string literal: quotes, backslashes, newlines and
    ``<``, ``>``, ``&`` escaped, so it can never end the ``<style>`` element."""
    escaped = "".join(
        ch if ch.isprintable() and ch not in '"\\<>&' else f"\\{ord(ch):x} " for ch in text
    )
    return f'"{escaped}"'


def page_label_css(pattern: str) -> str:
    """``"Page {page} of {pages}"`` -> CSS ``content`` with page counters."""
    parts: list[str] = []
    rest = pattern
    while rest:
        positions = [(rest.find(k), k) for k in ("{page}", "{pages}") if k in rest]
        if not positions:
            parts.append(css_string(rest))
            break
        index, key = min(positions)
        if index:
            parts.append(css_string(rest[:index]))
        parts.append(f"counter({key[1:-1]})")
        rest = rest[index + len(key) :]
    return " ".join(parts)


def _logo_url(logo: Path, *, inline: bool) -> str:
    if not inline:
        return logo.as_uri()
    kind = mimetypes.guess_type(logo.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(logo.read_bytes()).decode('ascii')}"


def _inline_css(templates: Path, lang: str, others: tuple[str, ...] = ()) -> str:
    """The stylesheet for a standalone page: its rules, with the font families
    of its language first (and of ``others``, the languages it links to). Its
    ``@font-face`` rules (files of the project) are dropped: the page embeds
    the faces instead (:func:`fonts.web_font_css`)."""
    css, _path = read_template_file(templates, STYLESHEET, "stylesheet")
    css = re.sub(r"@font-face\s*\{[^{}]*\}\s*", "", css)
    css += "\n" + fonts.language_css((lang, "en", *others), fallback="sans-serif") + "\n"
    return css.replace("</", "<\\/")


# Lists of short items are set in columns: each list gets a column width of
# its longest item (measured with the body font's advance widths), and the
# renderer fits as many such columns as the line holds, at most three; the
# same rule serves Letter and A4, standard and large print.
BODY_FONT = "fonts/AtkinsonHyperlegible-Regular.ttf"
COLUMN_MIN_ITEMS = 4
COLUMN_MAX = 3
COLUMN_WIDEST_EM = 16.0  # a longer item is a sentence: one column
LIST_INDENT_EM = 1.3  # room for the bullet, as in leaflet.css


@cache
def _advance_widths(font: Path) -> tuple[dict[int, float], float]:
    """Advance width in em of every character the font maps, and their mean."""
    from fontTools.ttLib import TTFont

    with TTFont(font, lazy=True) as ttf:
        per_em = ttf["head"].unitsPerEm
        metrics = ttf["hmtx"].metrics
        widths = {code: metrics[glyph][0] / per_em for code, glyph in ttf.getBestCmap().items()}
    return widths, sum(widths.values()) / max(len(widths), 1)


def text_width_em(text: str, templates: Path) -> float:
    """How wide ``text`` sets in the body font, in em (kerning aside)."""
    font = templates / BODY_FONT
    if not font.is_file():
        return 0.55 * len(text)
    widths, mean = _advance_widths(font)
    return sum(
        widths.get(ord(ch), 1.0 if unicodedata.east_asian_width(ch) in "WF" else mean)
        for ch in text
    )


def list_columns(items: list[dict[str, Any]], templates: Path) -> str | None:
    """CSS ``columns`` for a list of short items, or ``None`` to set it as one column."""
    if len(items) < COLUMN_MIN_ITEMS or any(len(item["lines"]) > 1 for item in items):
        return None
    widest = max(text_width_em(item["lines"][0], templates) for item in items)
    if widest > COLUMN_WIDEST_EM:
        return None
    return f"{widest + LIST_INDENT_EM + 0.4:.2f}em {COLUMN_MAX}"


# The headings of sections a drug leaflet takes from its class (as in
# leaflet.html), for the companion language of a bilingual edition.
CLASS_HEADINGS = {
    "what_it_is": "What %(class_name)s are",
    "how_it_works": "How %(class_name)s work",
    "what_to_expect": "What to expect with %(class_name)s",
    "side_effects": "Side effects of %(class_name)s",
    "questions_to_ask": "Questions to ask about %(class_name)s",
}


def _companion_heading(section, companion: Translator | None) -> str | None:
    """A section's own or class heading in the companion language, if it has one."""
    if companion is None:
        return None
    if section.heading:
        return companion.gettext(section.heading)
    if section.class_name and section.kind in CLASS_HEADINGS:
        name = companion.gettext(section.class_name)
        return companion.gettext(CLASS_HEADINGS[section.kind]) % {"class_name": name}
    return None


def leaflet_context(
    leaflet: Leaflet,
    clinic: Clinic,
    translator: Translator,
    options: RenderOptions,
    templates: Path,
    companion: Translator | None = None,
) -> dict[str, Any]:
    """The values the template prints, every text already translated.

    With a ``companion`` translator (a bilingual edition), each heading, block
    and list item also carries its text in the companion's language.
    """
    refs = {document.id: number for number, document in enumerate(leaflet.documents, start=1)}
    lang = translator.lang

    def beside(text: str, fallback: bool) -> str | None:
        # A block already printed in the source language needs no second copy.
        if companion is None or fallback:
            return None
        translated, missing = companion.content(text)
        return None if missing and not companion.is_source else translated

    def block_context(block, next_block) -> dict[str, Any]:
        if block.type == "list":
            items = []
            for item in block.items:
                text, fallback = translator.content(item)
                other = beside(item, fallback)
                items.append(
                    {
                        "lines": text.split("\n"),
                        "fallback": fallback,
                        "companion": other.split("\n") if other else None,
                    }
                )
            return {"type": "list", "items": items, "columns": list_columns(items, templates)}
        text, fallback = translator.content(block.text)
        return {
            "type": "paragraph",
            "text": text,
            "fallback": fallback,
            "companion": beside(block.text, fallback),
            # A paragraph introducing a list stays on the page with it.
            "lead_in": next_block is not None and next_block.type == "list",
        }

    sections = []
    for section in leaflet.sections:
        passages: list[dict[str, Any]] = []
        for passage in section.passages:
            following = (*passage.blocks[1:], None)
            blocks = [block_context(b, n) for b, n in zip(passage.blocks, following, strict=True)]
            if passages and passages[-1]["ref"] == refs[passage.source]:
                # One credit line for consecutive passages of one source.
                passages[-1]["blocks"] += blocks
                continue
            document = leaflet.document(passage.source)
            passages.append(
                {
                    "ref": refs[passage.source],
                    "publisher": document.publisher or document.id,
                    "blocks": blocks,
                }
            )
        heading = translator.gettext(section.heading) if section.heading else None
        class_name = translator.gettext(section.class_name) if section.class_name else None
        sections.append(
            {
                "kind": section.kind,
                "heading": heading,
                "class_name": class_name,
                "companion_heading": _companion_heading(section, companion),
                "passages": passages,
            }
        )

    sources = []
    for document in leaflet.documents:
        licence = document.source.licence
        sources.append(
            {
                "ref": refs[document.id],
                "publisher": document.publisher or document.id,
                "title": document.title or document.id,
                "language": document.source.language,
                "url": document.url if document.url and WEB_URL.match(document.url) else "",
                "last_reviewed": format_date(document.last_reviewed, "long", locale=lang)
                if document.last_reviewed
                else None,
                "licence": translator.gettext(licence.name) if licence else None,
            }
        )
    credit = options.translation_credit
    if credit:
        credit = {
            "translators": credit["translators"],
            "reviews": [
                {**r, "date": format_date(r["date"], "long", locale=lang)}
                for r in credit["reviews"]
            ],
        }
    title = translator.gettext(leaflet.title)
    description = translator.gettext(leaflet.description) if leaflet.description else ""
    return {
        "lang": fonts.bcp47(lang),
        "dir": text_direction(lang),
        "title": title,
        "companion": {
            "lang": fonts.bcp47(companion.lang),
            "title": companion.gettext(leaflet.title),
            "gettext": gettext_callables(companion)["gettext"],
        }
        if companion
        else None,
        "description": description,
        "keywords": [title, *(d.publisher or d.id for d in leaflet.documents), clinic.name],
        "clinic": {
            "name": clinic.name,
            "phone": clinic.phone,
            "after_hours_phone": clinic.after_hours_phone,
            "emergency_number": clinic.emergency_number,
            "logo": _logo_url(clinic.logo, inline=options.standalone) if clinic.logo else None,
            "logo_alt": clinic.logo_alt,
        },
        "sections": sections,
        "sources": sources,
        "paper": options.paper,
        "large_print": options.large_print,
        "draft": options.draft,
        "created": options.created.isoformat() if options.created else None,
        "standalone": options.standalone,
        "inline_css": _inline_css(templates, lang, options.languages)
        if options.standalone
        else None,
        # The other languages are known once the batch has published them
        # (twin.relink_twins fills this in).
        "language_nav": twin.language_nav(()),
        "version": __version__,
        "issued": format_date(options.issued, "long", locale=lang) if options.issued else None,
        "review_by": format_date(options.review_by, "long", locale=lang)
        if options.review_by
        else None,
        # A draft says English stands in only where it does.
        "untranslated": any(
            block["fallback"]
            if block["type"] == "paragraph"
            else any(item["fallback"] for item in block["items"])
            for section in sections
            for passage in section["passages"]
            for block in passage["blocks"]
        ),
        "not_cleared": list(options.distribution),
        "translation_credit": credit,
        # A printed leaflet's QR code to its current page on the clinic's portal.
        "portal": None if options.standalone else leaflet_link(clinic.portal_url, leaflet.id, lang),
    }


def render_html(
    leaflet: Leaflet,
    clinic: Clinic,
    translator: Translator,
    *,
    templates: str | Path,
    options: RenderOptions | None = None,
    companion: Translator | None = None,
) -> str:
    """The leaflet as one HTML document, in the translator's language (and, for a
    bilingual edition, with the ``companion`` language beside each part)."""
    options = options or RenderOptions(paper=clinic.paper)
    environment = _environment(Path(templates).resolve())
    try:
        template = environment.get_template(TEMPLATE)
        context = leaflet_context(leaflet, clinic, translator, options, Path(templates), companion)
        context |= gettext_callables(translator)
        document = template.render(context)
        if options.standalone:
            # Again, with the fonts cut down to the characters the page prints.
            names = [(lang, twin.language_name(lang)) for lang in options.languages]
            fonts_css = fonts.web_font_css(document, Path(templates).resolve(), names)
            document = template.render(context | {"inline_css": fonts_css + context["inline_css"]})
    except TemplateError as error:
        raise RenderError(
            f"template error: {error}", Path(templates) / TEMPLATE, getattr(error, "lineno", None)
        ) from None
    if context["dir"] == "rtl":
        document = isolate_ltr(document)
    return document


@dataclass
class LocalFetcher:
    """A WeasyPrint URL fetcher that serves only files under the given folders.

    Anything else (http, https, data URLs outside them, ``file:`` paths
    elsewhere) is refused and recorded in ``refused``.
    """

    roots: tuple[Path, ...]
    refused: list[str] = field(default_factory=list)

    def allows(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.scheme != "file":
            return None
        path = Path(unquote(parts.path)).resolve()
        if any(path.is_relative_to(root) for root in self.roots) and path.is_file():
            return path
        return None

    def fetcher(self):  # -> weasyprint.urls.URLFetcher
        from weasyprint.urls import URLFetcher, URLFetcherResponse

        local = self

        class _Fetcher(URLFetcher):
            def fetch(self, url, headers=None):
                path = local.allows(url)
                if path is None:
                    local.refused.append(url)
                    raise ValueError(f"leafletgen fetches nothing outside the project: {url}")
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    path.as_uri(), path.read_bytes(), headers={"Content-Type": kind}
                )

        return _Fetcher()


@cache
def _shared_stylesheets(path: Path, mtime: float, langs: tuple[str, ...]):
    """The leaflet stylesheet and the pinned fonts of ``langs`` (root language
    first), parsed once per process and set of languages, with the font
    configuration their ``@font-face`` rules filled: reused for every document
    (about 15 % of a render is parsing CSS and loading fonts)."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    templates = path.parent
    local = LocalFetcher(roots=(templates, *fonts.all_font_files(templates)))
    stylesheet = CSS(filename=str(path), font_config=font_config, url_fetcher=local.fetcher())
    font_rules = CSS(
        string=fonts.font_css(langs, templates, root_lang=langs[0] if langs else None),
        base_url=templates.as_uri() + "/",
        font_config=font_config,
        url_fetcher=local.fetcher(),
    )
    if local.refused:
        raise RenderError(f"stylesheet refers outside the templates: {local.refused[0]}", path)
    return (stylesheet, font_rules), font_config


@cache
def _fixed_font_timestamps() -> None:
    """Same inputs, same bytes, whichever font subsetter WeasyPrint uses: when
    it falls back to fontTools (no HarfBuzz subsetter installed), fontTools
    stamps each subset font with the wall clock unless told to keep the
    font's own timestamp."""
    from fontTools.ttLib import TTFont
    from weasyprint.pdf import fonts as pdf_fonts

    if getattr(pdf_fonts, "TTFont", None) is TTFont:
        pdf_fonts.TTFont = functools.partial(TTFont, recalcTimestamp=False)


# Drop the shared fonts while the interpreter can still clean up their temporary
# folder (WeasyPrint removes it when the configuration is collected).
atexit.register(_shared_stylesheets.cache_clear)


@dataclass(frozen=True)
class RenderedPdf:
    """A PDF in memory and its page count, as the renderer laid it out, and
    what the layout says about fitting the page budget."""

    data: bytes
    pages: int
    last_page_fill: float = 0.0  # share of the last page's text area in use, 0..1
    sources_alone: bool = False  # the last page holds nothing but the Sources block

    def overflow(self, allowed: int) -> float:
        """Pages beyond ``allowed``, counting the last page by how full it is."""
        if self.pages <= allowed:
            return 0.0
        return round(self.pages - allowed - 1 + self.last_page_fill, 2)


@cache
def _tag_languages() -> None:
    """Give each tagged part in another language than the document its own /Lang.

    WeasyPrint records the root element's ``lang`` in the catalog only; PDF/UA
    asks for a change of language to be declared where it happens (the
    English of a bilingual edition, English source titles), so screen readers
    switch voice. Structure elements of boxes whose element has its own
    ``lang`` get that /Lang.
    """
    import pydyf
    from weasyprint.pdf import tags

    build = tags._build_box_tree

    def build_with_lang(box, parent, *args):
        element = getattr(box, "element", None)
        lang = element.get("lang") if element is not None else None
        own = lang and getattr(box, "element_tag", None) not in ("html", "body")
        for child in build(box, parent, *args):
            if own and "Lang" not in child and child.get("P") == parent.reference:
                child["Lang"] = pydyf.String(lang)
            yield child

    tags._build_box_tree = build_with_lang


def _in_flow_lines(box, inside_sources: bool = False):
    """Every line box of a page's flow with whether it belongs to the Sources block
    (boxes taken out of the flow, like the fixed draft mark, are left out)."""
    from weasyprint.formatting_structure.boxes import LineBox

    if box.style["position"] == "fixed":
        return
    element = getattr(box, "element", None)
    if element is not None and getattr(box, "element_tag", None) == "section":
        inside_sources = inside_sources or "sources" in (element.get("class") or "").split()
    if isinstance(box, LineBox):
        yield box, inside_sources
        return
    for child in getattr(box, "children", ()):
        yield from _in_flow_lines(child, inside_sources)


def _page_usage(page) -> tuple[float, bool]:
    """How full a page's text area is, and whether it holds only Sources lines."""

    from weasyprint.formatting_structure.boxes import MarginBox

    page_box = page._page_box
    top, height = page_box.content_box_y(), page_box.height
    flow = [child for child in page_box.children if not isinstance(child, MarginBox)]
    lines = [line for child in flow for line in _in_flow_lines(child)]
    if not lines or height <= 0:
        return 0.0, False
    bottom = max(line.position_y + line.margin_height() for line, _ in lines)
    fill = min(max((bottom - top) / height, 0.0), 1.0)
    return fill, all(in_sources for _, in_sources in lines)


def render_document(
    html: str,
    *,
    base_url: str | Path,
    stylesheet: str | Path | None = None,
    assets: tuple[Path, ...] = (),
    pdf_variant: str | None = None,
) -> RenderedPdf:
    """Render HTML with WeasyPrint: the PDF bytes and the number of pages.

    Relative URLs resolve against ``base_url`` (the templates folder); only
    files under it and under ``assets`` can be loaded. ``stylesheet`` (a CSS
    file under the templates) is applied, parsed once and reused, with the
    pinned fonts of the languages the document prints in: a character none of
    them has fails the render (naming it and its string), and so does a PDF
    that would embed any other font.
    """
    from weasyprint import HTML

    _fixed_font_timestamps()
    base = Path(base_url).resolve()
    langs = fonts.check_glyphs(html, base) if stylesheet is not None else ()
    local = LocalFetcher(roots=(base, *(Path(a).resolve() for a in assets)))
    document = HTML(string=html, base_url=base.as_uri() + "/", url_fetcher=local.fetcher())
    options: dict[str, Any] = {}
    font_config = None
    if stylesheet is not None:
        path = Path(stylesheet)
        try:
            mtime = path.stat().st_mtime
        except OSError as error:
            raise RenderError(f"cannot read stylesheet: {error.strerror}", path) from None
        if not path.resolve().is_relative_to(base):
            raise RenderError("the stylesheet is a link leading outside the templates", path)
        sheets, font_config = _shared_stylesheets(path.resolve(), mtime, langs)
        options["stylesheets"] = list(sheets)
    if pdf_variant:
        options["pdf_variant"] = pdf_variant
        _tag_languages()
    # Laid out once: the page count comes from the layout, not from reading
    # the PDF back.
    laid_out = document.render(font_config=font_config, **options)
    data = laid_out.write_pdf(**options)
    if local.refused:
        LOGGER.warning("refused to fetch: %s", ", ".join(local.refused))
    if data is None:  # pragma: no cover - write_pdf returns bytes without a target
        raise RenderError("WeasyPrint returned no PDF")
    if stylesheet is not None:
        fonts.check_font_names(font.name.decode() for font in laid_out.fonts.values())
    fill, sources_alone = _page_usage(laid_out.pages[-1]) if laid_out.pages else (0.0, False)
    return RenderedPdf(data, len(laid_out.pages), round(fill, 2), sources_alone)


def render_pdf(
    html: str,
    *,
    base_url: str | Path,
    stylesheet: str | Path | None = None,
    assets: tuple[Path, ...] = (),
    pdf_variant: str | None = None,
) -> bytes:
    """Render HTML with WeasyPrint and return the PDF bytes (see :func:`render_document`)."""
    return render_document(
        html, base_url=base_url, stylesheet=stylesheet, assets=assets, pdf_variant=pdf_variant
    ).data


def warm_renderer(stylesheet: str | Path | None = None) -> None:
    """Pay WeasyPrint's start-up now (its import, and parsing ``stylesheet`` with
    its fonts) rather than in the first leaflet: before worker processes are
    forked, or when a long-lived process starts."""
    import weasyprint  # noqa: F401

    if stylesheet is not None and Path(stylesheet).is_file():
        path = Path(stylesheet).resolve()
        _shared_stylesheets(path, path.stat().st_mtime, ())
