"""HTML -> PDF bytes, with WeasyPrint: :func:`render_pdf` and :func:`render_document`.

The renderer fetches nothing but the project's own template and asset files
(:class:`LocalFetcher`). Every way WeasyPrint is adapted is in
:mod:`leafletgen.render.weasy`.
"""

from __future__ import annotations

import atexit
import logging
import mimetypes
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from leafletgen.errors import RenderError
from leafletgen.render import fonts, weasy

LOGGER = logging.getLogger(__name__)


@dataclass
class LocalFetcher:
    """A WeasyPrint URL fetcher that serves only files under the given folders.

    Anything else (http, https, data URLs outside them, ``file:`` paths
    elsewhere) is refused and recorded in ``refused``.
    """

    roots: tuple[Path, ...]
    refused: list[str] = field(default_factory=list)

    def allows(self, url: str) -> Path | None:
        """The file a ``file:`` URL names, if it is one the fetcher may serve."""
        parts = urlsplit(url)
        if parts.scheme != "file":
            return None
        path = Path(unquote(parts.path)).resolve()
        if any(path.is_relative_to(root) for root in self.roots) and path.is_file():
            return path
        return None

    def fetcher(self) -> Any:  # a weasyprint.urls.URLFetcher
        """The fetcher to give WeasyPrint (it records what it refuses here)."""
        weasy.load()
        from weasyprint.urls import URLFetcher, URLFetcherResponse

        local = self

        class _Fetcher(URLFetcher):
            def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
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
def _shared_stylesheets(
    path: Path, mtime: float, langs: tuple[str, ...]
) -> tuple[tuple[Any, Any], Any]:
    """The leaflet stylesheet and the pinned fonts of ``langs`` (root language
    first), parsed once per process and set of languages, with the font
    configuration their ``@font-face`` rules filled: reused for every document
    (about 15 % of a render is parsing CSS and loading fonts)."""
    weasy.load()
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


# A page laid out larger than its paper and scaled down to it when written:
# the not-cleared band's room (templates/notice/band.html).
_ZOOM = re.compile(r'<meta name="leafletgen-zoom" content="(0\.\d{1,4}|1(?:\.0{1,4})?)">')


def page_zoom(html: str) -> float:
    """The zoom a leaflet's ``leafletgen-zoom`` meta asks for (1 without one; never under 0.5)."""
    found = _ZOOM.search(html[:20_000])
    return max(float(found[1]), 0.5) if found else 1.0


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
    weasy.load()
    from weasyprint import HTML

    weasy.fixed_font_timestamps()
    base = Path(base_url).resolve()
    local = LocalFetcher(roots=(base, *(Path(a).resolve() for a in assets)))
    document = HTML(string=html, base_url=base.as_uri() + "/", url_fetcher=local.fetcher())
    # Parsed once: the glyph check reads the tree the renderer lays out.
    tree = weasy.parsed_tree(document)
    langs = fonts.check_glyphs(tree, base) if stylesheet is not None else ()
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
        weasy.tag_languages()
    # Laid out once: the page count comes from the layout, not from reading
    # the PDF back.
    laid_out = document.render(font_config=font_config, **options)
    data = laid_out.write_pdf(zoom=page_zoom(html), **options)
    if local.refused:
        LOGGER.warning("refused to fetch: %s", ", ".join(local.refused))
    if data is None:  # pragma: no cover - write_pdf returns bytes without a target
        raise RenderError("WeasyPrint returned no PDF")
    if stylesheet is not None:
        fonts.check_font_names(weasy.font_names(laid_out))
    fill, sources_alone = weasy.page_usage(laid_out.pages[-1]) if laid_out.pages else (0.0, False)
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
    weasy.load()

    if stylesheet is not None and Path(stylesheet).is_file():
        path = Path(stylesheet).resolve()
        _shared_stylesheets(path, path.stat().st_mtime, ())
