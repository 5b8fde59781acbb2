"""Classify headings into the canonical section kinds kept in ``data/kinds.yaml``."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import yaml

from leafletgen.model import SECTION_KINDS


def _load() -> dict:
    return yaml.safe_load(resources.files("leafletgen.data").joinpath("kinds.yaml").read_text())


def _compiled(kinds: dict) -> tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]:
    unknown = set(kinds) - set(SECTION_KINDS)
    if unknown:  # a packaging bug, not a user error
        raise ValueError(f"kinds.yaml names unknown kinds: {sorted(unknown)}")
    return tuple(
        (kind, tuple(re.compile(p, re.IGNORECASE) for p in patterns))
        for kind, patterns in kinds.items()
    )


@cache
def load_body_patterns() -> tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]:
    """The packaged patterns that name a kind from a section's first sentence."""
    return _compiled(_load().get("body", {}))


def classify_body(sentence: str) -> str:
    """The kind a section's first sentence names ("Call a doctor right away if
    ..." -> ``when_to_call``), ``"other"`` when it names none."""
    text = " ".join(sentence.split())
    for kind, patterns in load_body_patterns():
        if any(pattern.search(text) for pattern in patterns):
            return kind
    return "other"


@cache
def load_kind_patterns() -> tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]:
    """The packaged kind patterns, in the order they are tried."""
    return _compiled(_load()["kinds"])


def classify_heading(heading: str) -> str:
    """The canonical kind of a section heading, ``"other"`` when no pattern names it."""
    text = " ".join(heading.split())
    for kind, patterns in load_kind_patterns():
        if any(pattern.search(text) for pattern in patterns):
            return kind
    return "other"
