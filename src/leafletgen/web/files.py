"""How the desk hands out a PDF: the manifest's SHA-256 as its ETag (so a
portal can ask again cheaply), and a file name made only of safe characters
(names come from the manifest, which is read as untrusted); and a web page only
while it says what the build wrote."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import Request
from fastapi.responses import Response

from leafletgen.errors import LeafletError
from leafletgen.files import read_regular
from leafletgen.render.twin import MAX_TWIN_BYTES, page_digest


def safe_name(name: str) -> str:
    """``name`` with anything but letters, digits, ``.``, ``_`` and ``-`` replaced."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "leaflet.pdf"


def pdf_response(
    request: Request, data: bytes, sha256: str, filename: str, *, download: bool = False
) -> Response:
    """The PDF, or ``304 Not Modified`` when the client already has these bytes."""
    tag = f'"{sha256}"'
    headers = {"ETag": tag, "Cache-Control": "no-cache"}
    if tag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    disposition = "attachment" if download else "inline"
    headers["Content-Disposition"] = f'{disposition}; filename="{safe_name(filename)}"'
    return Response(data, media_type="application/pdf", headers=headers)


def intact_page(path: Path, digest: str | None) -> str | None:
    """The web page at ``path`` if it still says what the build wrote: its digest
    without the language links (the desk puts in its own) is the manifest's
    ``digest``. A page without a recorded digest is never taken as intact."""
    if digest is None:
        return None
    try:
        html = read_regular(path, limit=MAX_TWIN_BYTES, what="web page").decode("utf-8")
    except (LeafletError, OSError, UnicodeDecodeError):
        return None
    return html if page_digest(html) == digest else None
