"""Right-to-left documents: direction, and left-to-right runs kept whole.

In an Arabic sentence, a phone number ``(555) 010-0100``, a URL, a drug name
(``blinatumomab (Blincyto®)``) or a number with its unit is a left-to-right
island. Left to the Unicode bidi algorithm inside right-to-left text, its
neutral characters (spaces, brackets, hyphens) take the paragraph's
direction and the island comes out reordered: ``0100-010 (555)``. Each such
run is therefore wrapped in ``<bdi dir="ltr">``, so it is laid out as one
left-to-right unit, and any element in a left-to-right language (English
fall-backs, the English of a bilingual edition, English source titles) gets
``dir="ltr"``.

This works on the rendered HTML (text between tags, which Jinja2 has
already escaped): text is unescaped, split, and escaped again, so escaping
is kept and nothing from the source becomes markup.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import cache

from babel import Locale, UnknownLocaleError
from markupsafe import escape

from leafletgen.render.fonts import VOID_ELEMENTS

_TAG = re.compile(r"(<[^>]*>)")
_START_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9]*)\b([^>]*)>")
_LANG_ATTRIBUTE = re.compile(r'\blang="([^"]*)"')
_DIR_ATTRIBUTE = re.compile(r"\bdir=")
# Text in these elements is not laid out in the page body.
_NOT_PRINTED = {"head", "title", "style", "script"}

# Bidi classes that continue a left-to-right run once it has begun: numbers and
# their separators and terminators (% ° + - / : , .), and the neutral marks that
# sit inside URLs, phone numbers and product names.
_JOINERS = {"EN", "ES", "ET", "CS", "NSM"}
_NEUTRAL_INSIDE = set("()[]/_&@#'’®™©*~=")
_PAIRS = {"(": ")", "[": "]"}


@cache
def text_direction(lang: str) -> str:
    """``rtl`` for a right-to-left language (Arabic, Hebrew, Persian, Urdu), else ``ltr``."""
    try:
        locale = Locale.parse(lang.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return "ltr"
    return "rtl" if locale.character_order == "right-to-left" else "ltr"


def _strong_ltr(char: str) -> bool:
    return unicodedata.bidirectional(char) in {"L", "EN"}


def _continues(char: str) -> bool:
    return (
        _strong_ltr(char) or unicodedata.bidirectional(char) in _JOINERS or char in _NEUTRAL_INSIDE
    )


def ltr_runs(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each left-to-right run in ``text``.

    A run begins at a Latin letter or a European digit, goes on over letters,
    digits, their separators and the marks of URLs, phone numbers and product
    names, and over single spaces followed by more of it; it ends at its last
    strong character, taking along a bracket pair that encloses it or that
    it opens and closes.
    """
    runs: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        if not _strong_ltr(text[i]):
            i += 1
            continue
        start, end, j = i, i + 1, i + 1
        while j < n:
            char = text[j]
            if char == " " and j + 1 < n and (_strong_ltr(text[j + 1]) or text[j + 1] in "(["):
                j += 1
                continue
            if not _continues(char):
                break
            j += 1
            if _strong_ltr(char) or char in ")]®™%":
                end = j
        start, end = _balance(text, start, end)
        runs.append((start, end))
        i = max(end, i + 1)
    return runs


def _balance(text: str, start: int, end: int) -> tuple[int, int]:
    """Take in the opening bracket a run closes, drop a closing one it never opened,
    and widen a run over a bracket pair that encloses it."""
    for opening, closing in _PAIRS.items():
        run = text[start:end]
        if run.count(closing) <= run.count(opening):
            continue
        if start > 0 and text[start - 1] == opening:
            start -= 1
        else:
            while run.endswith(closing) and run.count(closing) > run.count(opening):
                run, end = run[:-1], end - 1
    while (
        start > 0
        and end < len(text)
        and text[start - 1] in _PAIRS
        and text[end] == _PAIRS[text[start - 1]]
    ):
        start, end = start - 1, end + 1
    return start, end


def isolate_text(text: str) -> str:
    """Escaped ``text`` with each left-to-right run wrapped in ``<bdi dir="ltr">``."""
    pieces, last = [], 0
    for start, end in ltr_runs(text):
        pieces.append(str(escape(text[last:start])))
        pieces.append(f'<bdi dir="ltr">{escape(text[start:end])}</bdi>')
        last = end
    pieces.append(str(escape(text[last:])))
    return "".join(pieces)


def isolate_ltr(document: str) -> str:
    """A rendered right-to-left HTML document with its left-to-right runs isolated.

    Elements whose ``lang`` is a left-to-right language get ``dir="ltr"``
    and their text is left as it is.
    """
    out: list[str] = []
    stack: list[tuple[str, bool]] = []  # (tag, inside a left-to-right language)
    for part in _TAG.split(document):
        if not part:
            continue
        if part.startswith("<"):
            out.append(_open_or_close(part, stack))
            continue
        tags = {tag for tag, _ in stack}
        ltr_element = bool(stack) and stack[-1][1]
        if tags & _NOT_PRINTED or ltr_element or not part.strip():
            out.append(part)
        else:
            out.append(isolate_text(html.unescape(part)))
    return "".join(out)


def _open_or_close(tag: str, stack: list[tuple[str, bool]]) -> str:
    if tag.startswith("</"):
        name = tag[2:-1].strip().lower()
        for depth in range(len(stack) - 1, -1, -1):
            if stack[depth][0] == name:
                del stack[depth:]
                break
        return tag
    match = _START_TAG.match(tag)
    if not match:  # <!DOCTYPE>, comments
        return tag
    name, attributes = match.group(1).lower(), match.group(2)
    inherited = bool(stack) and stack[-1][1]
    lang = _LANG_ATTRIBUTE.search(attributes)
    ltr = inherited
    if lang and name != "html":
        ltr = text_direction(lang.group(1)) == "ltr"
        if ltr and not _DIR_ATTRIBUTE.search(attributes):
            tag = f'<{match.group(1)} dir="ltr"{attributes}>'
    if name not in VOID_ELEMENTS and not tag.endswith("/>"):
        stack.append((name, ltr))
    return tag
