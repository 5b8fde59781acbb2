"""Short lists on paper: as many columns as CSS columns would fit, laid out as
a grid the renderer does not balance, filled column by column as evenly as
the count allows, read item by item; on a screen, CSS columns as before."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from conftest import squash
from leafletgen.render.columns import (
    column_count,
    column_width,
    print_columns,
    screen_columns,
    text_width_em_of,
)

# "Common signs of infusion reactions include:", in monoclonal-antibodies' call box.
SIGNS = ("Rash", "Fever", "Chills", "Shortness of breath", "Sweating")
SIGNS += ("Blood pressure changes", "Racing heart")


@pytest.mark.parametrize(
    "paper, large_print, boxed, expected",
    [
        ("letter", False, False, 44.86),  # 189.9 mm at 12 pt
        ("A4", False, False, 43.46),
        ("letter", True, False, 33.64),  # 16 pt
        ("letter", False, True, 44.86 - 1.6 - 4 / 12),  # the call box's padding and border
    ],
)
def test_the_text_area_in_em(paper, large_print, boxed, expected):
    assert text_width_em_of(paper, large_print, boxed) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize(
    "width, large_print, count",
    [
        (8.0, False, 3),  # at most three, however narrow
        (14.0, False, 3),  # 3 x 14 + 2 gaps = 44 em: fits in 44.86
        (14.5, False, 2),
        (22.0, False, 1),  # two would need 45 em
        (14.0, True, 2),  # large print: 33.64 em
        (16.5, True, 1),
    ],
)
def test_as_many_columns_as_the_line_holds(width, large_print, count):
    assert column_count(width, "letter", large_print, False) == count


def test_items_fill_each_column_top_to_bottom_as_evenly_as_they_can():
    seven = print_columns(7, 10.0, "letter", False, False)
    assert seven is not None
    assert "repeat(3, minmax(0, 1fr))" in seven.style and "repeat(3, auto)" in seven.style
    assert seven.cells == (
        *("grid-area: 1 / 1", "grid-area: 2 / 1", "grid-area: 3 / 1"),
        *("grid-area: 1 / 2", "grid-area: 2 / 2"),
        *("grid-area: 1 / 3", "grid-area: 2 / 3"),
    )
    six = print_columns(6, 10.0, "letter", False, False)
    assert six is not None and "repeat(2, auto)" in six.style
    assert print_columns(7, 30.0, "letter", False, False) is None  # one column fits


def test_only_short_one_line_lists_get_columns(project):
    templates = project.templates
    width = column_width([(s,) for s in SIGNS], templates)
    assert width is not None and 10 < width < 16
    assert screen_columns(width) == f"{width:.2f}em 3"
    assert column_width([(s,) for s in SIGNS[:3]], templates) is None  # too few
    assert column_width([(s, "more") for s in SIGNS], templates) is None  # a term and its text
    assert column_width([("a sentence much too long to stand in a column",)] * 5, templates) is None


@pytest.mark.slow
def test_a_list_in_columns_prints_side_by_side_and_reads_in_order(demo):
    pdf = (demo.out / "en" / "monoclonal-antibodies.pdf").read_bytes()
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    found: dict[str, tuple[float, float]] = {}

    def visit(text, _cm, tm, _font, _size):
        if text.strip() in SIGNS:
            found[text.strip()] = (tm[4], tm[5])

    page.extract_text(visitor_text=visit)
    assert set(found) == set(SIGNS)
    x = {sign: found[sign][0] for sign in SIGNS}
    y = {sign: found[sign][1] for sign in SIGNS}
    # Three columns, filled top to bottom: 3, 2, 2 (y grows down the page here).
    assert x["Rash"] == x["Fever"] == x["Chills"] < x["Sweating"] < x["Racing heart"]
    assert x["Shortness of breath"] == x["Sweating"]
    assert x["Blood pressure changes"] == x["Racing heart"]
    assert y["Rash"] == y["Shortness of breath"] == y["Blood pressure changes"] < y["Fever"]
    assert y["Fever"] == y["Sweating"] == y["Racing heart"] < y["Chills"]
    # The text reads item by item, in the list's order.
    assert squash("".join(SIGNS)) in squash(page.extract_text())
