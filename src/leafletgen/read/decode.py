"""Bytes of a source file -> text: size and binary checks, UTF-8 or a clearly
Windows-1252 page, Unix newlines, invisible characters removed."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from leafletgen.errors import SourceError
from leafletgen.model import Notice

MAX_SOURCE_BYTES = 4 * 1024 * 1024

# Characters that change how text is displayed without being visible:
# zero-width joiners/spaces and bidirectional overrides (which can make a
# printed sentence read differently from the text that was reviewed).
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def decode_source(data: bytes, path: Path) -> tuple[str, list[Notice]]:
    """Bytes of a source file -> text with Unix newlines, or a clear :class:`SourceError`."""
    if not data.strip():
        raise SourceError("source file is empty", path)
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(
            f"source file is {len(data):,} bytes, more than the {MAX_SOURCE_BYTES:,} a "
            "patient-education page can plausibly be",
            path,
        )
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise SourceError("binary file (NUL byte), not a text document", path, line)
    notices = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        text = _decode_legacy(data)
        if text is None:
            line = data[: error.start].count(b"\n") + 1
            raise SourceError(
                f"not valid UTF-8 (byte 0x{data[error.start]:02x}) and not recognisably "
                "Windows-1252/ISO-8859-1; save the page as UTF-8",
                path,
                line,
            ) from None
        line = data[: error.start].count(b"\n") + 1
        notices.append(Notice(line, "not UTF-8: decoded as Windows-1252 (ISO-8859-1)"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if control := _CONTROL.search(text):
        line = text.count("\n", 0, control.start()) + 1
        raise SourceError(
            f"control character U+{ord(control[0]):04X}: not a text document", path, line
        )
    for number, line_text in enumerate(text.split("\n"), start=1):
        if _INVISIBLE.search(line_text):
            notices.append(Notice(number, "invisible or direction-changing characters removed"))
    text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text))
    return text, notices


# Bytes a Windows-1252 / ISO-8859-1 page uses outside ASCII: accented letters,
# typographic quotes and dashes, no-break space, (c), (R), degree, middle dot.
_LEGACY_BYTES = frozenset([0x91, 0x92, 0x93, 0x94, 0x96, 0x97, 0xA0, 0xA9, 0xAE, 0xB0, 0xB7])
_LEGACY_BYTES |= frozenset(range(0xC0, 0x100)) - {0xD7, 0xF7}
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _decode_legacy(data: bytes) -> str | None:
    """Decode a page saved as Windows-1252, if that is clearly what it is.

    Clearly means: every non-ASCII byte is a letter or common typographic
    mark of that encoding and stands alone between ASCII bytes (other
    encodings, and broken UTF-8, come in runs of high bytes).
    """
    previous_high = False
    for byte in data:
        high = byte >= 0x80
        if high and (byte not in _LEGACY_BYTES or previous_high):
            return None
        previous_high = high
    return data.decode("cp1252")
