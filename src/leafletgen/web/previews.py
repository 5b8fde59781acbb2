"""Pictures of a leaflet's pages, so staff see what will print before printing.

Pages are rendered from the PDF itself (PDFium, in-process) and kept in a
small cache keyed by the PDF's SHA-256, so a rebuilt leaflet is never shown
with the old pictures.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict

SCALE = 1.25  # 72 dpi x 1.25: a letter page is 765 pixels wide
CACHED_PAGES = 64

_lock = threading.Lock()  # PDFium is not thread-safe
_cache: OrderedDict[tuple[str, int], bytes] = OrderedDict()


def page_png(pdf: bytes, sha256: str, page: int) -> bytes | None:
    """Page ``page`` (from 1) of a PDF as PNG bytes; None if it has no such page."""
    key = (sha256, page)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        png = _render(pdf, page)
        if png is not None:
            _cache[key] = png
            while len(_cache) > CACHED_PAGES:
                _cache.popitem(last=False)
        return png


def _render(pdf: bytes, page: int) -> bytes | None:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        if not 1 <= page <= len(document):
            return None
        bitmap = document[page - 1].render(scale=SCALE)
        buffer = io.BytesIO()
        bitmap.to_pil().save(buffer, format="PNG", optimize=True)
        return buffer.getvalue()
    finally:
        document.close()
