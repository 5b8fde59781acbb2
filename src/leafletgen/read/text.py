"""What every reader shares about text: tokens, what a line shows, white
space and sentences."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

# Every URL from data is a web address: a leaflet never links to a file, a
# script or anything else.
WEB_URL = re.compile(r"^https?://[^\s<>\"'\\]+$", re.IGNORECASE)

_HEADING_MARK = re.compile(r"^#{1,6}\s*")
_BULLET_MARK = re.compile(r"^(?:[•·▪●◦‣]\s*(?:[-–*]\s+)?|[-*+]\s+)")
_MD_LINK = re.compile(r"(?<!!)\[([^\[\]]*)\]\([^()]*\)")
_MD_STRONG = re.compile(r"(\*\*|__)")


@lru_cache(maxsize=8192)
def visible(line: str) -> str:
    """What a reader sees of a line: no surrounding white space, Markdown
    heading marks, bullets, emphasis or link targets."""
    text = _BULLET_MARK.sub("", _HEADING_MARK.sub("", line.strip()))
    return _MD_STRONG.sub("", _MD_LINK.sub(r"\1", text)).strip()


TokenKind = Literal["heading", "para", "item", "cont"]


@dataclass(frozen=True)
class Token:
    """One unit a reader found: a heading, a paragraph, a list item, or a
    continuation paragraph of the previous list item. ``level`` is a
    heading's Markdown level (0 in scrapes, which have none)."""

    kind: TokenKind
    text: str
    line: int
    level: int = 0


def normalise(text: str) -> str:
    """Collapse runs of white space to one space (a block's canonical form)."""
    return " ".join(text.split())


_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][”\"’)])\s+")


def split_sentences(text: str) -> list[str]:
    """The sentences of a paragraph, each with its closing mark."""
    return [part for part in _SENTENCE_SPLIT.split(text) if part]
