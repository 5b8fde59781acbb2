"""A phone link dials exactly the digits the clinic wrote, or there is no link.

Property-based: numbers are generated in every shape clinics write them
(groups, separators, an area code in parentheses, "+" with a trunk "(0)",
vanity letters after a hyphen, an extension), and then spoiled with whatever
may follow a number in clinic.yaml ("(24/7)", "/ 112", "OR 0199", "(FREE)").
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from leafletgen.render.twin import KEYPAD, tel_uri

digits = st.text("0123456789", min_size=1, max_size=4)
separator = st.sampled_from(["", " ", "-", ".", " - ", "  "])


@st.composite
def numbers(draw) -> str:
    """A number and nothing else, as a clinic writes one."""
    text = draw(st.sampled_from(["", "+", "+ "]))
    if draw(st.booleans()):
        text += f"({draw(digits)}) "
    text += draw(digits)
    for _ in range(draw(st.integers(0, 3))):
        text += draw(separator) + draw(digits)
    if draw(st.booleans()):
        text += "-" + draw(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=6))
    if draw(st.booleans()):
        text += draw(st.sampled_from([" ext. ", " x", ", extension "])) + draw(digits)
    return text


# What may follow a number that is not an extension: another number, opening
# hours, a word, an option; each is more than one number.
TAILS = [
    " (24/7)",
    " / 112",
    " OR 0199",
    " (FREE)",
    ", then press 2",
    " option 2",
    " or 555 0199",
    " FAX",
    " 24h",
    "/0199",
    " (Mon-Fri)",
    " ؛",
    " ١٢",
]


def dialled(written: str) -> str:
    """The characters a caller presses for ``written``, in order: digits and
    vanity letters (on the keypad), the extension after ``;ext=``, without
    the trunk ``(0)`` of an international number."""
    match = re.search(r"(?i)[\s,;]*(?:ext\.?|extension|x)\s*([0-9]+)\s*$", written)
    number = written[: match.start()] if match else written
    if number.strip().startswith("+"):
        number = number.replace("(0)", "", 1)
    pressed = re.sub("[^0-9A-Z]", "", number).translate(KEYPAD)
    return pressed + (f";ext={match[1]}" if match else "")


@settings(max_examples=400, deadline=None)
@given(numbers())
@example("(555) 010-0100")
@example("+44 (0)20 7946 0000")
@example("1-800-4-CANCER")
def test_a_link_dials_exactly_what_the_clinic_wrote(written):
    uri = tel_uri(written)
    if uri is None:
        return  # printed as text: always safe
    assert uri.removeprefix("tel:").removeprefix("+") == dialled(written)
    assert uri.startswith("tel:+") == written.strip().startswith("+")


@settings(max_examples=400, deadline=None)
@given(numbers(), st.sampled_from(TAILS))
@example("(555) 010-0100", " (24/7)")
@example("911", " / 112")
@example("0800 123 4567", " (FREE)")
@example("555-0100", " OR 0199")
def test_a_number_with_anything_after_it_has_no_link(written, tail):
    assert tel_uri(written + tail) is None


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=30))
def test_any_text_links_only_to_what_it_spells(written):
    uri = tel_uri(written)
    if uri is not None:
        assert uri.removeprefix("tel:").removeprefix("+") == dialled(written)
        assert re.fullmatch(r"[0-9A-Z+().\s\-,;]*(?:(?i:ext\.?|extension|x)\s*[0-9]+\s*)?", written)


@pytest.mark.parametrize(
    "written",
    [
        "(555) 010-0100 (24/7)",
        "911 / 112",
        "0800 123 4567 (FREE)",
        "555-0100 OR 0199",
        "555-0100 FAX",
        "٩١١",  # Arabic-Indic digits are not what a dial pad sends
    ],
)
def test_the_numbers_found_folded_into_links_are_printed_without_one(written):
    assert tel_uri(written) is None
