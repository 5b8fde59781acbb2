"""Furniture detection: printed lines that look like web furniture."""

from __future__ import annotations

from leafletgen.model import Furniture, Section
from leafletgen.read.profiles import load_profiles


def find_furniture(sections: tuple[Section, ...]) -> tuple[Furniture, ...]:
    """Every printed unit that looks like web furniture (a phone number, opening
    hours, chat, donate, subscribe, newsletter, cookie, share, sign up, a bare
    URL), once per unit, naming what it looks like. The patterns are the
    same for every publisher (``generic.furniture``)."""
    profile = load_profiles()["generic"]
    found = []
    for section in sections:
        for block in section.blocks:
            for text, line in block.units:
                if profile.any_furniture is None or not profile.any_furniture.search(text):
                    continue
                kinds = []
                for kind, pattern in profile.furniture:
                    if kind not in kinds and pattern.search(text):
                        kinds.append(kind)
                if kinds:
                    found.append(Furniture(line, tuple(kinds), text))
    return tuple(found)
