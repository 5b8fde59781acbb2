"""Short lists side by side: how wide their columns are, and how many.

A list of short items (one-line symptoms, side effects) is set in columns as
wide as its widest item, measured with the body font's advance widths; as
many such columns as the line holds, at most three. On a screen (the web
page) CSS ``columns`` does it, whatever the window's width.

On paper the same columns are laid out explicitly: the text area's width is
known (the paper, its margins and the body size, as ``leaflet.css`` sets
them), so the number of columns is computed here and the list is a grid of
that many columns whose items fill each column top to bottom, the last
column taking what is left: the layout CSS column balancing finds for items
of one line, without the renderer balancing (a third of WeasyPrint's time
for a leaflet with lists in columns). The items stay in the document in
their order, so the tagged PDF and its text read item by item.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

BODY_FONT = "fonts/AtkinsonHyperlegible-Regular.ttf"
COLUMN_MIN_ITEMS = 4
COLUMN_MAX = 3
COLUMN_WIDEST_EM = 16.0  # a longer item is a sentence: one column
LIST_INDENT_EM = 1.3  # room for the bullet, as in leaflet.css
COLUMN_GAP_EM = 1.0  # ul.columns' column-gap in leaflet.css

# The text area of leaflet.css: the paper less 13 mm margins each side (a
# not-cleared copy's band keeps the same text area), in a 12 pt body, 16 pt
# in large print; inside the call box, less its padding and border.
POINT_MM = 25.4 / 72
TEXT_WIDTH_MM = {"letter": 215.9 - 2 * 13.0, "A4": 210.0 - 2 * 13.0}
BODY_PT = {False: 12.0, True: 16.0}
CALL_BOX_PADDING_EM = 2 * 0.8
CALL_BOX_BORDER_PT = 2 * 2.0


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


def column_width(items: Sequence[Sequence[str]], templates: Path) -> float | None:
    """The column width in em of a list of short items (each given by its
    lines), or ``None`` to set it as one column."""
    if len(items) < COLUMN_MIN_ITEMS or any(len(lines) > 1 for lines in items):
        return None
    widest = max(text_width_em(lines[0], templates) for lines in items)
    if widest > COLUMN_WIDEST_EM:
        return None
    return round(widest + LIST_INDENT_EM + 0.4, 2)


def screen_columns(width: float | None) -> str | None:
    """CSS ``columns`` for a screen: columns of ``width`` em, at most three."""
    return None if width is None else f"{width:.2f}em {COLUMN_MAX}"


def text_width_em_of(paper: str, large_print: bool, boxed: bool) -> float:
    """The width of the text area in em of the body size (``boxed``: inside the call box)."""
    body = BODY_PT[large_print]
    width = TEXT_WIDTH_MM.get(paper, TEXT_WIDTH_MM["letter"]) / (body * POINT_MM)
    if boxed:
        width -= CALL_BOX_PADDING_EM + CALL_BOX_BORDER_PT / body
    return width


def column_count(width: float, paper: str, large_print: bool, boxed: bool) -> int:
    """How many columns of ``width`` em the line holds, as CSS ``columns``
    counts them (gaps between), at least one and at most three."""
    line = text_width_em_of(paper, large_print, boxed)
    fits = math.floor((line + COLUMN_GAP_EM) / (width + COLUMN_GAP_EM) + 1e-9)
    return max(1, min(COLUMN_MAX, fits))


@dataclass(frozen=True)
class PrintColumns:
    """A list's columns on paper: the list's CSS, and each item's cell."""

    style: str
    cells: tuple[str, ...]


def print_columns(
    items: int, width: float, paper: str, large_print: bool, boxed: bool
) -> PrintColumns | None:
    """A list of ``items`` in columns of ``width`` em on paper, as a grid: each
    item placed in its cell, column by column, the columns as even as the
    count allows (seven items in three columns: 3, 2, 2, as balancing set
    them); ``None`` when one column is all that fits."""
    count = min(column_count(width, paper, large_print, boxed), items)
    if count < 2:
        return None
    rows = math.ceil(items / count)
    per_column = [items // count + (1 if c < items % count else 0) for c in range(count)]
    cells = tuple(
        f"grid-area: {row + 1} / {column + 1}"
        for column, length in enumerate(per_column)
        for row in range(length)
    )
    style = (
        f"display: grid; grid-template-columns: repeat({count}, minmax(0, 1fr));"
        f" grid-template-rows: repeat({rows}, auto)"
    )
    return PrintColumns(style, cells)
