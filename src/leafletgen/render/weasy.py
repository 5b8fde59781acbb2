"""Every way leafletgen adapts WeasyPrint, in one place, checked against its version.

WeasyPrint's public hook for post-processing, ``write_pdf(finisher=...)``,
is called with the document and the PDF objects after fonts are cut and
structure elements made. None of the adaptations below can move there; each
is written against WeasyPrint 70, and :func:`check_version` refuses any other
major version:

* :func:`fixed_font_timestamps` keeps fonts' own timestamps. When WeasyPrint
  cuts a font with fontTools (no HarfBuzz subsetter installed, or a variable
  or colour font), fontTools stamps the cut font with the wall clock. By the
  time a finisher runs, the font's bytes are the cut ones and nothing public
  says which file they were cut from, so the original timestamp is gone:
  fontTools is told to keep it (``recalcTimestamp=False``) when it cuts.
* :func:`tag_languages` wraps ``weasyprint.pdf.tags._build_box_tree``: PDF/UA
  asks for each change of language to be declared on the structure element
  where it happens, and WeasyPrint records only the root's ``lang``. A
  finisher sees structure elements that no longer say which HTML element
  they came from.
* :func:`page_usage` reads a laid-out page's boxes (``Page._page_box``) to
  tell how full the last page is; WeasyPrint's public ``Page`` gives its size
  and anchors, not its content.
* :func:`font_names` reads the names of the fonts a written document embeds
  from ``Document.fonts`` (public) and their ``Font.name`` (not documented).
* :func:`parsed_tree` reads the tree WeasyPrint parsed an HTML document into
  (``HTML.etree_element``, not documented), so that the glyph check reads the
  document the renderer lays out instead of parsing it a second time.
* :func:`load` imports WeasyPrint without asking ``ctypes.util.find_library``
  for its libraries. WeasyPrint opens each of its six libraries by trying a
  list of names (Windows and macOS ones first); cffi answers a name it cannot
  open by calling ``find_library``, which on Linux runs ``ldconfig -p``, then
  ``gcc`` and ``ld``, for every name that fails: 54 processes at every start
  here, about 0.1 s of CPU and 0.3-0.5 s of waiting. Every list also holds
  the library's plain file name (``libpango-1.0.so.0``), which the dynamic
  linker opens itself, so while WeasyPrint is imported ``find_library``
  answers "not found" at once and that name is the one opened. Should any
  library then fail to open, the import is tried again the usual way.
"""

from __future__ import annotations

import contextlib
import functools
import io
import sys
import threading
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any
from xml.etree.ElementTree import Element

from leafletgen.errors import RenderError

#: The WeasyPrint major version these adaptations are written for (the lock's).
WEASYPRINT_MAJOR = 70


_LOADING = threading.Lock()  # (one thread at a time swaps find_library)


@cache
def load() -> Any:
    """The ``weasyprint`` module, imported without running ``find_library``'s
    processes (see the module's notes); call it before importing any part of
    WeasyPrint."""
    with _LOADING:
        if "weasyprint" in sys.modules:
            return sys.modules["weasyprint"]
        try:
            # (WeasyPrint prints its installation advice before it raises: for
            # this first try, which may fail where the second does not, unseen)
            with _libraries_by_file_name(), contextlib.redirect_stdout(io.StringIO()):
                import weasyprint
        except OSError:
            # A library none of whose names the dynamic linker opens by itself:
            # forget the half-made import and let find_library look for it.
            for name in [m for m in sys.modules if m.split(".")[0] == "weasyprint"]:
                del sys.modules[name]
            import weasyprint
        return weasyprint


@contextlib.contextmanager
def _libraries_by_file_name() -> Iterator[None]:
    """While this thread imports WeasyPrint, ``ctypes.util.find_library``
    finds nothing for it (and runs no process); other threads are answered
    as usual."""
    import ctypes.util

    original = ctypes.util.find_library
    importer = threading.get_ident()

    def find_library(name: str) -> str | None:
        if threading.get_ident() == importer:
            return None
        return original(name)

    ctypes.util.find_library = find_library
    try:
        yield
    finally:
        ctypes.util.find_library = original


@cache
def check_version() -> None:
    """Refuse a WeasyPrint these adaptations were not written for."""
    weasyprint = load()

    major = weasyprint.__version__.split(".", 1)[0]
    if major != str(WEASYPRINT_MAJOR):
        raise RenderError(
            f"leafletgen's WeasyPrint adaptations (render/weasy.py) are written for "
            f"WeasyPrint {WEASYPRINT_MAJOR}, not {weasyprint.__version__}: "
            "install the locked version (make install)"
        )


# --- structure elements in their own language (no public hook) -----------------------


@cache
def tag_languages() -> None:
    """Give each tagged part in another language than the document its own /Lang.

    WeasyPrint records the root element's ``lang`` in the catalog only; PDF/UA
    asks for a change of language to be declared where it happens (the
    English of a bilingual edition, English source titles), so screen readers
    switch voice. Structure elements of boxes whose element has its own
    ``lang`` get that /Lang.
    """
    import pydyf
    from weasyprint.pdf import tags

    check_version()
    build = tags._build_box_tree

    def build_with_lang(box: Any, parent: Any, *args: Any) -> Iterator[Any]:
        element = getattr(box, "element", None)
        lang = element.get("lang") if element is not None else None
        own = lang and getattr(box, "element_tag", None) not in ("html", "body")
        for child in build(box, parent, *args):
            if own and "Lang" not in child and child.get("P") == parent.reference:
                child["Lang"] = pydyf.String(lang)
            yield child

    tags._build_box_tree = build_with_lang


# --- how full a page is (no public equivalent) ----------------------------------------


def _in_flow_lines(box: Any, inside_sources: bool = False) -> Iterator[tuple[Any, bool]]:
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


def page_usage(page: Any) -> tuple[float, bool]:
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


def parsed_tree(document: Any) -> Element:
    """The element tree of a ``weasyprint.HTML`` document, as WeasyPrint parsed it."""
    check_version()
    return document.etree_element


def font_names(document: Any) -> Iterable[str]:
    """The PDF names (``/ABCDEF+Family-Style``) of the fonts a laid-out document uses."""
    return [font.name.decode() for font in document.fonts.values()]


# --- font timestamps (no public equivalent) ------------------------------------------


@cache
def fixed_font_timestamps() -> None:
    """Same inputs, same bytes, whichever font subsetter WeasyPrint uses: when
    it falls back to fontTools (no HarfBuzz subsetter installed, or a variable
    or colour font), fontTools stamps each cut font with the wall clock unless
    told to keep the font's own timestamp."""
    from fontTools.ttLib import TTFont
    from weasyprint.pdf import fonts as pdf_fonts

    check_version()
    if getattr(pdf_fonts, "TTFont", None) is TTFont:
        pdf_fonts.TTFont = functools.partial(TTFont, recalcTimestamp=False)


__all__ = [
    "WEASYPRINT_MAJOR",
    "check_version",
    "fixed_font_timestamps",
    "font_names",
    "load",
    "page_usage",
    "parsed_tree",
    "tag_languages",
]
