"""Classify headings into the canonical section kinds kept in ``data/kinds.yaml``."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import yaml

from .model import SECTION_KINDS


@cache
def load_kind_patterns() -> tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]:
    """The packaged kind patterns, in the order they are tried."""
    text = resources.files("leafletgen.data").joinpath("kinds.yaml").read_text()
    kinds = yaml.safe_load(text)["kinds"]
    unknown = set(kinds) - set(SECTION_KINDS)
    if unknown:  # a packaging bug, not a user error
        raise ValueError(f"kinds.yaml names unknown kinds: {sorted(unknown)}")
    return tuple(
        (kind, tuple(re.compile(p, re.IGNORECASE) for p in patterns))
        for kind, patterns in kinds.items()
    )


def classify_heading(heading: str) -> str:
    """The canonical kind of a section heading, ``"other"`` when no pattern names it."""
    text = " ".join(heading.split())
    for kind, patterns in load_kind_patterns():
        if any(pattern.search(text) for pattern in patterns):
            return kind
    return "other"
