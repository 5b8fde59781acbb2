"""A source's language: ``sources.yaml`` says it, or the text does.

The rule is small and tested (tests/test_pages.py reads every corpus page
without its ``sources.yaml`` entry): count the words of the text that are
among each language's commonest short words (``data/languages.yaml``
``stop_words``); the language with the most wins, English on a tie or when
fewer than :data:`MIN_STOP_WORDS` are found. Stop words are what language
identifiers fall back on for short texts, and a patient-education page has
hundreds of them, so no statistical model is needed to tell the languages
leafletgen reads apart.
"""

from __future__ import annotations

import re
from functools import cache

from leafletgen.yamlfile import package_data

DEFAULT_LANGUAGE = "en"
MIN_STOP_WORDS = 8
_WORD = re.compile(r"[^\W\d_]+")


@cache
def load_languages() -> dict[str, dict]:
    """The packaged per-language data (``data/languages.yaml``)."""
    return package_data("languages.yaml")


def detect_language(text: str) -> str:
    """The language ``text`` is written in, by stop-word counts (see the module)."""
    counts: dict[str, int] = {}
    stop_words = {
        language: frozenset(data.get("stop_words", ()))
        for language, data in load_languages().items()
    }
    for word in _WORD.findall(text.casefold()):
        for language, words in stop_words.items():
            if word in words:
                counts[language] = counts.get(language, 0) + 1
    best = max(counts.items(), key=lambda item: item[1], default=(DEFAULT_LANGUAGE, 0))
    if best[1] < MIN_STOP_WORDS or counts.get(DEFAULT_LANGUAGE, 0) >= best[1]:
        return DEFAULT_LANGUAGE
    return best[0]
