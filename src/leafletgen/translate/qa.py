"""Translation quality checks, run over every translated entry a leaflet prints.

Each check is a small named function over (English, translation) that returns
a message or ``None``, in the manner of translate-toolkit's ``pofilter`` and
Babel's checkers; :func:`entry_checks` lists them in the order their findings
are reported:

* translate-toolkit's own checkers for what they do well: numbers, URLs,
  e-mail addresses, printf and brace placeholders, text left unchanged, end
  punctuation, line breaks;
* the project's own: every number of the English (doses, days, weeks,
  temperatures, phone numbers) is in the translation and the translation has
  no number the English lacks; the same for drug names; a term of the
  language's glossary (``locales/<lang>/glossary.yaml``, shipped to
  translators' tools as TBX) translated another way.

Findings are reported as ``file:line: [check] msgid``. Nothing here can be
switched off per entry: a finding is fixed in the translation (or the
glossary), not silenced.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

from leafletgen.errors import TranslationError, raise_all
from leafletgen.yamlfile import load_yaml

if TYPE_CHECKING:  # translate-toolkit is imported only when a check runs
    from translate.filters.checks import StandardChecker

# translate-toolkit checkers used, by the name they report under.
TOOLKIT_CHECKS = (
    "numbers",
    "urls",
    "emails",
    "printf",
    "pythonbraceformat",
    "unchanged",
    "endpunc",
    "newlines",
)
GLOSSARY = "glossary.yaml"
GLOSSARY_TBX = "glossary.tbx"

# International Nonproprietary Name stems of cancer medicines: a word ending so
# is a drug name even when drugs.yaml does not list it.
# Drug names are printed in Latin script in every language, so a name's edges
# are Latin letters and digits only: "وteclistamab" (Arabic "and") and
# "rituximab就是" (Chinese) still name the drug.
_EDGE_BEFORE, _EDGE_AFTER = r"(?<![0-9A-Za-z])", r"(?![0-9A-Za-z])"
DRUG_STEM = re.compile(
    _EDGE_BEFORE + r"[a-z]{3,}(?:mab|nib|cept|parib|ciclib|platin|taxel|rubicin|tecan|lisib|"
    r"rafenib|degib|tinib|zomib|leukin|stim)" + _EDGE_AFTER,
    re.IGNORECASE,
)
# End punctuation that says the same in another script; spacing before it is
# the language's convention (translate-toolkit asks Vietnamese for " :").
_SAME_END = {
    ".": ".。۔",
    ":": ":：",
    "?": "?？؟",
    "!": "!！",
    ";": ";；؛",
    ",": ",，،",
}
# A number as printed: digits, with decimal point or comma and thousands
# separators, or a phone number's groups.
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True)
class Finding:
    """One problem with one translated entry."""

    where: str  # "file:line" of the entry in its catalog
    check: str
    msgid: str
    message: str

    def __str__(self) -> str:
        short = " ".join(self.msgid.split())
        short = short if len(short) <= 70 else short[:69] + "…"
        return f"{self.where}: [{self.check}] {short!r}: {self.message}"


@dataclass(frozen=True)
class Glossary:
    """English term -> required translation, for one language."""

    lang: str
    terms: tuple[tuple[str, str], ...] = ()
    path: Path | None = None


def glossary_path(locales: Path, lang: str) -> Path:
    """``locales/<lang>/glossary.yaml``."""
    return locales / lang / GLOSSARY


def load_glossary(locales: Path, lang: str) -> Glossary:
    """``locales/<lang>/glossary.yaml`` (English term: translation); none if absent."""
    path = glossary_path(locales, lang)
    if not path.is_file():
        return Glossary(lang)
    root = load_yaml(path, TranslationError)
    errors, terms = [], []
    for english, target in root.items():
        if not isinstance(english, str) or not isinstance(target, str) or not target.strip():
            errors.append(
                TranslationError(
                    "each term must map English text to its translation",
                    path,
                    root.line_of(english),
                )
            )
            continue
        terms.append((english, target))
    raise_all(errors)
    return Glossary(lang, tuple(terms), path)


def glossary_tbx(glossary: Glossary) -> bytes:
    """The glossary as TBX (what CAT tools and Weblate read), via translate-toolkit."""
    from translate.storage import tbx

    store = tbx.tbxfile(sourcelanguage="en", targetlanguage=glossary.lang)
    for english, target in glossary.terms:
        unit = store.addsourceunit(english)
        unit.target = target
    return bytes(store)


# --- the project's own checks ------------------------------------------------------


def _numbers(text: str) -> Counter[str]:
    # A decimal comma and a decimal point are the same number ("100.4" / "100,4"),
    # and "1,000" / "1.000" the same thousand: compare digits and their grouping.
    return Counter(re.sub(r"[.,]", ".", n) for n in NUMBER.findall(text))


def numbers_missing(english: str, translation: str) -> str | None:
    """A number of the English that the translation lacks (each as often)."""
    if missing := _numbers(english) - _numbers(translation):
        return "missing from the translation: " + ", ".join(sorted(missing))
    return None


def numbers_added(english: str, translation: str) -> str | None:
    """A number of the translation that the English lacks."""
    if extra := _numbers(translation) - _numbers(english):
        return "not in the English: " + ", ".join(sorted(extra))
    return None


def check_numbers(english: str, translation: str) -> list[str]:
    """Every number of the English in the translation, and no other."""
    found = (check(english, translation) for check in (numbers_missing, numbers_added))
    return [message for message in found if message is not None]


@lru_cache(maxsize=8192)
def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


@lru_cache(maxsize=8192)
def _drug_names(text: str, names: tuple[str, ...]) -> Counter[str]:
    folded = _fold(text)
    found: Counter[str] = Counter()
    spans: list[tuple[int, int]] = []
    # Longest names first, so "trastuzumab emtansine" is not also "trastuzumab".
    for name in sorted({_fold(n) for n in names}, key=len, reverse=True):
        for match in re.finditer(_EDGE_BEFORE + re.escape(name) + _EDGE_AFTER, folded):
            if any(start < match.end() and match.start() < end for start, end in spans):
                continue
            spans.append(match.span())
            found[name] += 1
    for match in DRUG_STEM.finditer(folded):
        if not any(start < match.end() and match.start() < end for start, end in spans):
            found[match.group(0)] += 1
    return found


def drug_names_missing(english: str, translation: str, names: tuple[str, ...]) -> str | None:
    """A drug name of the English that the translation lacks (each as often)."""
    if missing := _drug_names(english, names) - _drug_names(translation, names):
        return "missing from the translation: " + ", ".join(sorted(missing))
    return None


def drug_names_added(english: str, translation: str, names: tuple[str, ...]) -> str | None:
    """A drug name of the translation that the English lacks."""
    if extra := _drug_names(translation, names) - _drug_names(english, names):
        return "not in the English: " + ", ".join(sorted(extra))
    return None


def check_drug_names(english: str, translation: str, names: Iterable[str]) -> list[str]:
    """Every drug name of the English in the translation (as often), and no other."""
    names = tuple(names)
    found = (check(english, translation, names) for check in (drug_names_missing, drug_names_added))
    return [message for message in found if message is not None]


def _alternatives(target: str) -> list[str]:
    """A glossary translation and its accepted forms: "cansancio (fatiga)" also
    accepts "cansancio" and "fatiga"."""
    forms = [target]
    match = re.fullmatch(r"(.+?)\s*\((.+)\)", target)
    if match and not re.fullmatch(r"[A-Z]+", match.group(2)):
        forms += [match.group(1), match.group(2)]
    return forms


def _term_in(term: str, text: str) -> bool:
    """Whether ``term``'s words stand in ``text`` in order, with at most one word
    between two of them: a modifier the English also has sits inside a Spanish
    noun phrase ("presión arterial peligrosamente baja" for "dangerously low
    blood pressure")."""
    words = [re.escape(w) for w in _fold(term).split()]
    pattern = r"(?:\s+\S+)?\s+".join(words)
    return re.search(rf"(?<!\w){pattern}(?!\w)", text) is not None


def glossary_term(english: str, translation: str, term: str, wanted: str) -> str | None:
    """A glossary term of the English not translated as the glossary says."""
    if "{" in term or not re.search(rf"(?<!\w){re.escape(_fold(term))}(?!\w)", _fold(english)):
        return None
    if any(_term_in(form, _fold(translation)) for form in _alternatives(wanted)):
        return None
    return f"glossary: {term!r} is translated {wanted!r}"


def check_glossary(english: str, translation: str, glossary: Glossary) -> list[str]:
    """Each glossary term of the English translated as the glossary says."""
    found = (glossary_term(english, translation, term, wanted) for term, wanted in glossary.terms)
    return [message for message in found if message is not None]


# --- translate-toolkit ---------------------------------------------------------------


@cache
def _checker(lang: str, keep: tuple[str, ...]) -> StandardChecker:
    from translate.filters import checks

    config = checks.CheckerConfig(targetlanguage=lang, notranslatewords=list(keep))
    return checks.StandardChecker(checkerconfig=config)


def _without(text: str, names: Iterable[str]) -> str:
    for name in sorted(names, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", text, flags=re.IGNORECASE)
    return text


@lru_cache(maxsize=4096)
def _toolkit_failures(
    english: str, translation: str, lang: str, keep: tuple[str, ...]
) -> dict[str, object]:
    """What translate-toolkit's checkers say of one entry, by checker name (run
    once for all of :data:`TOOLKIT_CHECKS`)."""
    from translate.storage import po

    unit = po.pounit(english)
    unit.target = translation
    return _checker(lang, keep).run_filters(unit)


def toolkit_check(
    english: str, translation: str, name: str, lang: str, keep: tuple[str, ...]
) -> str | None:
    """translate-toolkit's checker ``name`` on one entry.

    ``keep`` are names a translation keeps as they are (publishers, drugs): a
    string that is nothing but such names and symbols ("© Cancer Research UK")
    is not "unchanged" text a translator forgot.
    """
    failures = _toolkit_failures(english, translation, lang, keep)
    if name not in failures:
        return None
    if name == "unchanged" and not re.search(r"[^\W\d_]", _without(english, keep)):
        return None
    if name == "endpunc" and _same_end(english, translation):
        return None
    message = failures[name]
    return message if isinstance(message, str) else str(message)


def _same_end(english: str, translation: str) -> bool:
    """Whether both end with the same punctuation mark (or the other script's
    form of it), whatever the spacing before it."""
    source, target = english.rstrip()[-1:], translation.rstrip()[-1:]
    return bool(source) and source in _SAME_END and target in _SAME_END[source]


# --- the checks, in the order their findings are reported ----------------------------


@dataclass(frozen=True)
class Check:
    """A named check of one translated entry: ``test(english, translation)``
    returns what is wrong, or ``None``. Findings are reported under ``name``."""

    name: str
    test: Callable[[str, str], str | None]


@cache
def entry_checks(
    lang: str, drug_names: tuple[str, ...], keep: tuple[str, ...], glossary: Glossary
) -> tuple[Check, ...]:
    """Every check an entry of ``lang`` goes through: translate-toolkit's chosen
    checkers, then the kept numbers, the drug names and each glossary term."""
    return (
        *(
            Check(name, partial(toolkit_check, name=name, lang=lang, keep=keep))
            for name in TOOLKIT_CHECKS
        ),
        Check("number-kept", numbers_missing),
        Check("number-kept", numbers_added),
        Check("drug-name", partial(drug_names_missing, names=drug_names)),
        Check("drug-name", partial(drug_names_added, names=drug_names)),
        *(
            Check("glossary", partial(glossary_term, term=term, wanted=wanted))
            for term, wanted in glossary.terms
        ),
    )


@cache
def check_entry(
    english: str,
    translation: str,
    lang: str,
    drug_names: tuple[str, ...],
    keep: tuple[str, ...],
    glossary: Glossary,
) -> tuple[tuple[str, str], ...]:
    """Every (check, message) for one translated entry (each distinct entry
    is checked once per process)."""
    found = []
    for check in entry_checks(lang, drug_names, keep, glossary):
        message = check.test(english, translation)
        if message is not None:
            found.append((check.name, message))
    return tuple(found)
