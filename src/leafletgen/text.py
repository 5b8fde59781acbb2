"""One rule for every piece of text that reaches a page or a record.

Translations, clinic.yaml, sources.yaml, drugs.yaml, leaflet definitions and
review records are all checked by :func:`unprintable`: no control characters,
no invisible or direction-overriding characters. A right-to-left override in
a phone number prints ``(555) 010-0100`` as ``0010-010 (555)``, and a
zero-width space makes the printed text differ from the text a person
reviewed. Marks that right-to-left and other scripts need (LRM, RLM, ALM,
ZWJ, ZWNJ, isolates) are allowed.
"""

from __future__ import annotations

import re

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
OVERRIDE = re.compile("[\u200b\u202a-\u202e\u2060-\u2064\ufeff]")


def unprintable(text: str) -> str | None:
    """What makes ``text`` unsafe to print or record as it stands, if anything
    ("a control character (U+0007); remove it")."""
    if control := CONTROL.search(text):
        return f"a control character (U+{ord(control[0]):04X}); remove it"
    if override := OVERRIDE.search(text):
        return (
            f"an invisible or direction-overriding character (U+{ord(override[0]):04X}); remove it"
        )
    return None
