"""Readability scores for patient text, computed offline.

Flesch-Kincaid grade level for English and Fernández-Huerta for Spanish, the
usual measures for patient-education material in each language. For other
languages no published formula is implemented, and the result says so
rather than borrowing a formula made for another language: English syllable
counts mean nothing for Chinese characters, Vietnamese syllables written as
words, or Arabic written without short vowels. Syllables
are counted from the hyphenation dictionaries (Pyphen, the ones WeasyPrint
hyphenates with), so nothing is downloaded at run time.
"""

from __future__ import annotations

import re
from functools import cache

import pyphen

_WORD = re.compile(r"[^\W\d_]+(?:[’'-][^\W\d_]+)*")
# A run of stops is tried once, from its first character (linear on "?!?!?!…").
_SENTENCE = re.compile(r"(?<![.!?])[.!?]+(?:[”\"’)])?(?:\s|$)|\n+")
_VOWEL_GROUPS = re.compile(r"[aeiouyáéíóúüàèìòùâêîôû]+", re.IGNORECASE)

METRICS = {"en": "flesch_kincaid_grade", "es": "fernandez_huerta"}


@cache
def _dictionary(lang: str) -> pyphen.Pyphen:
    return pyphen.Pyphen(lang=lang, left=1, right=1)


def count_syllables(word: str, lang: str) -> int:
    """Syllables of one word: hyphenation points + 1, at least the vowel-group count
    for Spanish (where every vowel group is a syllable nucleus)."""
    pieces = len(_dictionary(lang).positions(word.lower())) + 1
    if lang == "es":
        return max(pieces, len(_VOWEL_GROUPS.findall(word)) or 1)
    return pieces


def text_counts(text: str, lang: str) -> tuple[int, int, int]:
    """(sentences, words, syllables) of a text."""
    words = _WORD.findall(text)
    sentences = max(1, len([s for s in _SENTENCE.split(text) if _WORD.search(s)]))
    syllables = sum(count_syllables(word, lang) for word in words)
    return sentences, len(words), syllables


NO_FORMULA = "no published readability formula implemented for this language"


def readability(text: str, lang: str) -> dict[str, float | str | None]:
    """``{"metric": name, "score": value}`` for English and Spanish; for other
    languages ``{"metric": None, "score": None, "note": NO_FORMULA}``; ``{}`` for
    an empty text.

    Flesch-Kincaid grade: U.S. school grade (lower is easier; 6-8 is the usual
    target for patient material). Fernández-Huerta: 0-100 (higher is easier;
    60-70 is "normal").
    """
    base = re.split("[-_]", lang)[0]
    if not text.strip():
        return {}
    if base not in METRICS:
        return {"metric": None, "score": None, "note": NO_FORMULA}
    sentences, words, syllables = text_counts(text, base)
    if not words:
        return {}
    if base == "en":
        score = 0.39 * words / sentences + 11.8 * syllables / words - 15.59
    else:
        score = 206.84 - 0.60 * (100 * syllables / words) - 1.02 * (100 * sentences / words)
    return {"metric": METRICS[base], "score": round(score, 1)}
