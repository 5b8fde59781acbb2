"""The clinic's own configuration (``leaflets/clinic.yaml``) and its logo."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from leafletgen.errors import DefinitionError, LeafletError, brief, raise_all
from leafletgen.files import inside, read_regular
from leafletgen.yamlfile import load_yaml, require_keys

PAPER_SIZES = ("letter", "A4")
# A portal patients open from a printed code: https, a host, no credentials,
# nothing a printer or a QR reader could take for something else.
PORTAL_URL = re.compile(r"^https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~/-]*)?$")
CLINIC_KEYS = {
    "name": str,
    "phone": str,
    "after_hours_phone": str,
    "emergency_number": str,
    "paper": str,
    "logo": str,
    "logo_alt": str,
    "large_print": bool,
    "leaflet_contact": str,
    "portal_url": str,  # the portal's address: each leaflet prints a QR code to its page
}


@dataclass(frozen=True)
class Clinic:
    """The clinic's own configuration (``leaflets/clinic.yaml``)."""

    name: str
    phone: str
    emergency_number: str
    after_hours_phone: str | None = None
    paper: str = "letter"
    logo: Path | None = None
    logo_alt: str | None = None
    large_print: bool = False
    # Whom staff ask about a leaflet not cleared for distribution (printed in its band).
    leaflet_contact: str | None = None
    portal_url: str | None = None


def load_clinic(path: str | Path) -> Clinic:
    """Read ``clinic.yaml``; every problem in it is reported at once."""
    path = Path(path)
    data = load_yaml(path, DefinitionError)
    errors = require_keys(
        data,
        CLINIC_KEYS,
        {"name", "phone", "emergency_number"},
        path,
        DefinitionError,
        what="clinic configuration",
        max_length={"phone": 40, "after_hours_phone": 40, "emergency_number": 40},
    )
    paper = data.get("paper", "letter")
    if isinstance(paper, str) and paper not in PAPER_SIZES:
        errors.append(
            DefinitionError(
                f"paper must be one of {', '.join(PAPER_SIZES)}, not {paper!r}",
                path,
                data.line_of("paper"),
            )
        )
    portal = data.get("portal_url")
    if isinstance(portal, str) and not PORTAL_URL.match(portal):
        errors.append(
            DefinitionError(
                f"portal_url must be an https:// address, not {brief(portal)}",
                path,
                data.line_of("portal_url"),
            )
        )
    logo = None
    if isinstance(data.get("logo"), str):
        try:
            logo = check_logo(data["logo"], path.parent, path.parent.parent)
        except LeafletError as error:
            errors.append(DefinitionError(error.message, path, data.line_of("logo")))
    raise_all(errors)
    return Clinic(
        name=data["name"],
        phone=data["phone"],
        emergency_number=data["emergency_number"],
        after_hours_phone=data.get("after_hours_phone"),
        paper=paper,
        logo=logo,
        logo_alt=data.get("logo_alt"),
        large_print=data.get("large_print", False),
        leaflet_contact=data.get("leaflet_contact"),
        portal_url=portal,
    )


MAX_LOGO_BYTES = 1024 * 1024
_IMAGE_KINDS = {".svg": "SVG", ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


def check_logo(value: str, folder: Path, root: Path) -> Path:
    """The logo file named in ``clinic.yaml`` (relative to ``folder``): inside the
    project ``root`` (links too), a regular file of at most :data:`MAX_LOGO_BYTES`,
    and really the image its name says (an SVG without DOCTYPE or entities)."""
    root = Path(os.path.abspath(root))
    where = Path(os.path.normpath(Path(os.path.abspath(folder)) / value))
    if not where.is_relative_to(root):
        raise LeafletError(f"logo {value!r} is outside the project folder")
    if not where.exists():
        raise LeafletError(f"logo file {value!r} not found")
    if not inside(where, root):
        raise LeafletError(f"logo {value!r} is a link leading outside the project folder")
    kind = _IMAGE_KINDS.get(where.suffix.lower())
    if kind is None:
        raise LeafletError("logo must be an SVG, PNG or JPEG file")
    try:
        data = read_regular(where, limit=MAX_LOGO_BYTES, what="file")
    except LeafletError as error:
        raise LeafletError(f"logo {value!r}: {error.message}") from None
    if not data.strip():
        raise LeafletError(f"logo {value!r} is empty")
    problem = _image_problem(data, kind)
    if problem:
        raise LeafletError(f"logo {value!r} {problem}")
    return where.resolve()


def _image_problem(data: bytes, kind: str) -> str | None:
    if kind == "PNG":
        ok = data.startswith(b"\x89PNG\r\n\x1a\n")
    elif kind == "JPEG":
        ok = data.startswith(b"\xff\xd8\xff")
    else:
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            return "declares a DOCTYPE or entities; save it as plain SVG"
        try:
            root = ElementTree.fromstring(data)
        except (ElementTree.ParseError, ValueError) as error:
            if b"<svg" not in data[:4096]:
                return f"is not an {kind} image (its name says {kind})"
            return f"is not well-formed SVG: {str(error)[:100]}"
        ok = root.tag.rsplit("}", 1)[-1] == "svg"
    return None if ok else f"is not an {kind} image (its name says {kind})"
