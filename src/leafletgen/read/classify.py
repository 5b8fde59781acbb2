"""Classify headings into the canonical section kinds kept in ``data/kinds.yaml``."""

from __future__ import annotations

import re
from functools import cache

from leafletgen.model import SECTION_KINDS
from leafletgen.yamlfile import package_data


@cache
def _load() -> dict:
    return package_data("kinds.yaml")


def _compiled(kinds: dict) -> tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]:
    unknown = set(kinds) - set(SECTION_KINDS)
    if unknown:  # a packaging bug, not a user error
        raise ValueError(f"kinds.yaml names unknown kinds: {sorted(unknown)}")
    return tuple(
        (kind, tuple(re.compile(p, re.IGNORECASE) for p in patterns))
        for kind, patterns in kinds.items()
    )


_Patterns = tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]


@cache
def load_body_patterns(language: str = "en") -> _Patterns:
    """The packaged patterns that name a kind from a section's first sentence:
    the language's own (``languages:``), then the English ones."""
    own = _load().get("languages", {}).get(language, {}).get("body", {})
    return _compiled(own) + _compiled(_load().get("body", {}))


def classify_body(sentence: str, language: str = "en") -> str:
    """The kind a section's first sentence names ("Call a doctor right away if
    ..." -> ``when_to_call``), ``"other"`` when it names none."""
    return _first_kind(sentence, load_body_patterns(language))


@cache
def load_kind_patterns(language: str = "en") -> _Patterns:
    """The packaged kind patterns, in the order they are tried: the
    language's own (``languages:``), then the English ones."""
    own = _load().get("languages", {}).get(language, {}).get("kinds", {})
    return _compiled(own) + _compiled(_load()["kinds"])


def classify_heading(heading: str, language: str = "en") -> str:
    """The canonical kind of a section heading, ``"other"`` when no pattern names it."""
    return _first_kind(heading, load_kind_patterns(language))


def _first_kind(text: str, patterns: _Patterns) -> str:
    text = " ".join(text.split())
    for kind, compiled in patterns:
        if any(pattern.search(text) for pattern in compiled):
            return kind
    return "other"
