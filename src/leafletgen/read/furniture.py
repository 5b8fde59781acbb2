"""Furniture detection: printed lines that look like web furniture."""

from __future__ import annotations

import re

from leafletgen.model import Furniture, Section
from leafletgen.read.profiles import Profile, load_profiles

# What a heading is flagged as when everything under it is furniture: the
# title of a site's contact or promotion box ("Need to talk?", "Contact us").
BOX_TITLE = "title of web furniture"
# What a line that only sends the reader elsewhere is flagged as, where the
# reader kept it (a heading, a line it could not take out of its paragraph).
LINK = "link"
# Short lines that are not sentences, three or more in a row as paragraphs:
# a site menu, a table of contents or a related-links box the scrape kept.
MENU = "menu or list of links"
_MENU_RUN = 3
_MAX_MENU_WORDS = 8
_MAX_BOX_TITLE_WORDS = 6
_SENTENCE_END = re.compile(r"[.!?:;][”\"’)]?$")
_LABEL_END = re.compile(r"[.!:;][”\"’)]?$")


def find_furniture(sections: tuple[Section, ...]) -> tuple[Furniture, ...]:
    """Every printed unit that looks like web furniture (a phone number, opening
    hours, chat, donate, subscribe, newsletter, cookie, share, sign up, a bare
    URL, a disclaimer or page stamp, a link sentence), once per unit, naming
    what it looks like. The patterns are the same for every publisher
    (``generic.furniture``). A section heading is flagged too when it looks
    like furniture itself, or when every line under it does (the box's title
    goes with its box)."""
    profile = load_profiles()["generic"]
    found: list[Furniture] = []
    for section in sections:
        units = [(text, line) for block in section.blocks for text, line in block.units]
        paragraphs = [block.type == "paragraph" for block in section.blocks for _ in block.units]
        found_kinds = [_kinds(text, profile) for text, _ in units]
        _mark_menus(units, paragraphs, found_kinds)
        _mark_box_titles(units, paragraphs, found_kinds)
        flags = [
            Furniture(line, tuple(kinds), text)
            for (text, line), kinds in zip(units, found_kinds, strict=True)
            if kinds
        ]
        if section.heading:
            kinds = _kinds(section.heading, profile)
            menu_under = bool(found_kinds) and MENU in found_kinds[0]
            if not kinds and units and (len(flags) == len(units) or menu_under):
                kinds = [BOX_TITLE]
            if kinds:
                found.append(Furniture(section.line, tuple(kinds), section.heading))
        found.extend(flags)
    return tuple(found)


def _is_menu_item(text: str) -> bool:
    """A line a menu or contents list is made of: a few words, capitalised,
    not a sentence (a sentence, a question or a lead-in ends in punctuation)."""
    return (
        text[:1].isupper()
        and len(text.split()) <= _MAX_MENU_WORDS
        and not _SENTENCE_END.search(text)
    )


def _mark_menus(
    units: list[tuple[str, int]], paragraphs: list[bool], kinds: list[list[str]]
) -> None:
    """Flag each line of a run of at least three menu-like paragraphs. A run
    right after a lead-in ("Bring:") is the lead-in's list, not a menu."""
    run: list[int] = []
    for index in [*range(len(units)), len(units)]:
        if index < len(units) and paragraphs[index] and _is_menu_item(units[index][0]):
            run.append(index)
            continue
        led_in = bool(run) and run[0] > 0 and units[run[0] - 1][0].endswith(":")
        if len(run) >= _MENU_RUN and not led_in:
            for member in run:
                if MENU not in kinds[member]:
                    kinds[member].append(MENU)
        run = []
    for index in range(1, len(units) - 1):  # a longer entry between two of a menu's
        text = units[index][0]
        between = MENU in kinds[index - 1] and MENU in kinds[index + 1] and paragraphs[index]
        if between and MENU not in kinds[index] and not _SENTENCE_END.search(text):
            kinds[index].append(MENU)


def _mark_box_titles(
    units: list[tuple[str, int]], paragraphs: list[bool], kinds: list[list[str]]
) -> None:
    """Flag a short paragraph that is not a sentence ("Need to talk?") over a
    line flagged as furniture: the title of a site's box goes with the box."""
    for index in range(len(units) - 1):
        text = units[index][0]
        if kinds[index] or not paragraphs[index] or not kinds[index + 1]:
            continue
        if len(text.split()) <= _MAX_BOX_TITLE_WORDS and not _LABEL_END.search(text):
            kinds[index].append(BOX_TITLE)


def _kinds(text: str, profile: Profile) -> list[str]:
    """What a printed line looks like, in the order of ``generic.furniture``."""
    kinds: list[str] = []
    if profile.any_furniture is not None and profile.any_furniture.search(text):
        for kind, pattern in profile.furniture:
            if kind not in kinds and pattern.search(text):
                kinds.append(kind)
    if profile.nav_sentences is not None and profile.nav_sentences.match(text):
        kinds.append(LINK)
    return kinds
