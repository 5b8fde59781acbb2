"""The QR code a printed leaflet carries to its current web page.

When ``clinic.yaml`` names the portal's address (``portal_url``), every
leaflet prints a QR code to its page there (the leaflet in the same
language), with the address spelled out beside it and the leaflet's issue
date, so whoever holds an old printout can find the current version. The
code is an inline SVG (segno): no file, no fetch, the same bytes for the
same address.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

__all__ = ["LeafletLink", "leaflet_link", "leaflet_url"]


@dataclass(frozen=True)
class LeafletLink:
    """A leaflet's web address and its QR code (SVG markup, no XML declaration)."""

    url: str
    svg: str


def leaflet_url(portal_url: str, leaflet_id: str, lang: str) -> str:
    """The leaflet's page on the portal: ``<portal>/leaflets/<id>?lang=<lang>``
    (the desk's page for the leaflet, which always offers its current copy)."""
    path = f"/leaflets/{quote(leaflet_id, safe='')}"
    return portal_url.rstrip("/") + path + "?" + urlencode({"lang": lang})


def leaflet_link(portal_url: str | None, leaflet_id: str, lang: str) -> LeafletLink | None:
    """The QR code of a leaflet's page, or None when the clinic names no portal."""
    if not portal_url:
        return None
    import segno  # only a clinic with a portal prints a QR code

    url = leaflet_url(portal_url, leaflet_id, lang)
    code = segno.make(url, error="m", micro=False)
    # A quiet zone of four modules: office printers and phone cameras need it.
    svg = code.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr-code", title=url)
    return LeafletLink(url, svg)
