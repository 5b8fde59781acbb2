"""Who translated each catalog entry and which qualified reviewer approved it.

gettext PO has no "approved" state, so the record lives beside the catalogs,
in ``locales/<lang>/reviews.yaml``:

* ``translated``: how the entries were translated (``translator``,
  ``machine`` or ``publisher``, the publisher's own translation) and by whom,
  for ``all`` entries or for a list of fingerprints (the last record naming
  an entry wins);
* ``reviews``: each review's reviewer, qualification, date and the
  fingerprints of the entries approved;
* ``sent_back``: an entry a reviewer sent back to its translator, with their
  comment (reviewer, qualification, date, fingerprint, comment). It holds
  while the entry stands as it is: a sent-back entry is not approved, and the
  record stops applying once either side of the entry changes.

A fingerprint is a hash of the domain, msgid and msgstr together, so editing
either side of an approved entry makes it unreviewed again without anyone
having to remember to say so. The record never names a reviewer that
``i18n review`` (or an imported XLIFF file) was not given.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from leafletgen.dates import record_date_problem
from leafletgen.errors import LeafletError, TranslationError, raise_all
from leafletgen.files import write_atomic
from leafletgen.translate.catalogs import DOMAINS, po_path, project_relative, read_catalog
from leafletgen.yamlfile import load_yaml, require_keys

RECORD = "reviews.yaml"
METHODS = ("translator", "machine", "publisher")
METHOD_LABELS = {
    "translator": "a translator",
    "machine": "machine translation",
    "publisher": "the publisher's own translation",
}


def fingerprint(domain: str, msgid: str, msgstr: str, context: str | None = None) -> str:
    """``<domain> <16 hex digits>``: the identity of one translated entry as it stands."""
    digest = hashlib.sha256("\0".join((domain, context or "", msgid, msgstr)).encode("utf-8"))
    return f"{domain} {digest.hexdigest()[:16]}"


@dataclass(frozen=True)
class Translated:
    """How some entries were translated, and by whom."""

    method: str  # one of METHODS
    by: str
    entries: frozenset[str] | None = None  # fingerprints; None: every entry
    line: int | None = None

    def covers(self, key: str) -> bool:
        """Whether this record is about the entry with fingerprint ``key``."""
        return self.entries is None or key in self.entries


@dataclass(frozen=True)
class Review:
    """One review: a named, qualified reviewer approved these entries on this date."""

    reviewer: str
    qualification: str
    date: dt.date
    approved: frozenset[str]
    line: int | None = None


@dataclass(frozen=True)
class SentBack:
    """A reviewer sent an entry, as it stood, back to its translator with a comment."""

    reviewer: str
    qualification: str
    date: dt.date
    entry: str  # its fingerprint
    comment: str
    line: int | None = None


@dataclass(frozen=True)
class ReviewRecord:
    """A language's review record (empty when the file does not exist)."""

    lang: str
    path: Path
    translated: tuple[Translated, ...] = ()
    reviews: tuple[Review, ...] = field(default=())
    sent_back: tuple[SentBack, ...] = ()

    @property
    def exists(self) -> bool:
        """Whether the record file exists."""
        return self.path.is_file()

    def translation_of(self, key: str) -> Translated | None:
        """The last ``translated`` record that covers the entry, if any."""
        for record in reversed(self.translated):
            if record.covers(key):
                return record
        return None

    def review_of(self, key: str) -> Review | None:
        """The latest review that approved the entry exactly as it now stands
        (none while the entry, as it stands, is sent back)."""
        if self.sent_back_of(key) is not None:
            return None
        found = [review for review in self.reviews if key in review.approved]
        return max(found, key=lambda review: review.date) if found else None

    def sent_back_of(self, key: str) -> SentBack | None:
        """The latest sending back of the entry exactly as it now stands, if any."""
        found = [back for back in self.sent_back if back.entry == key]
        return max(found, key=lambda back: back.date) if found else None


def record_path(locales: Path, lang: str) -> Path:
    """``locales/<lang>/reviews.yaml``."""
    return locales / lang / RECORD


def _date(value: object, path: Path, line: int) -> tuple[dt.date | None, list[LeafletError]]:
    day = None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, str):
        with contextlib.suppress(ValueError):
            day = dt.date.fromisoformat(value)
    if day is None:
        return None, [TranslationError(f"date must be YYYY-MM-DD, not {value!r}", path, line)]
    if problem := record_date_problem(day, "review"):
        return None, [TranslationError(problem, path, line)]
    return day, []


def _fingerprints(value: object, path: Path, line: int) -> tuple[frozenset[str], list]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return frozenset(), [TranslationError("expected a list of fingerprints", path, line)]
    return frozenset(" ".join(v.split()) for v in value), []


def load_record(locales: Path, lang: str) -> ReviewRecord:
    """Read ``locales/<lang>/reviews.yaml``; every problem reported at its line."""
    path = record_path(locales, lang)
    if not path.is_file():
        return ReviewRecord(lang, path)
    root = load_yaml(path, TranslationError)
    errors = require_keys(
        root,
        {"language": str, "translated": list, "reviews": list, "sent_back": list},
        {"language"},
        path,
        TranslationError,
        what="review record",
    )
    if root.get("language") not in (None, lang):
        errors.append(
            TranslationError(
                f"record is for {root.get('language')!r}, not {lang!r}", path, root.line
            )
        )
    translated = _translated(root.get("translated") or [], path, errors)
    reviews = _reviews(root.get("reviews") or [], path, errors)
    sent_back = _sent_back(root.get("sent_back") or [], path, errors)
    raise_all(errors)
    return ReviewRecord(lang, path, tuple(translated), tuple(reviews), tuple(sent_back))


def _translated(raw: list, path: Path, errors: list[LeafletError]) -> list[Translated]:
    """The ``translated:`` records (problems into ``errors``)."""
    translated: list[Translated] = []
    for entry in raw:
        problems = require_keys(
            entry,
            {"method": str, "by": str, "entries": (str, list)},
            {"method", "by", "entries"},
            path,
            TranslationError,
            what="translation record",
        )
        if problems:
            errors += problems
            continue
        if entry["method"] not in METHODS:
            errors.append(
                TranslationError(
                    f"method must be one of {', '.join(METHODS)}, not {entry['method']!r}",
                    path,
                    entry.line_of("method"),
                )
            )
            continue
        entries = None
        if entry["entries"] != "all":
            entries, problems = _fingerprints(entry["entries"], path, entry.line_of("entries"))
            errors += problems
        translated.append(Translated(entry["method"], entry["by"], entries, entry.line))
    return translated


def _reviews(raw: list, path: Path, errors: list[LeafletError]) -> list[Review]:
    """The ``reviews:`` records (problems into ``errors``)."""
    reviews: list[Review] = []
    for entry in raw:
        problems = require_keys(
            entry,
            {
                "reviewer": str,
                "qualification": str,
                "date": (str, dt.date),
                "approved": list,
            },
            {"reviewer", "qualification", "date", "approved"},
            path,
            TranslationError,
            what="review",
        )
        if problems:
            errors += problems
            continue
        date, problems = _date(entry["date"], path, entry.line_of("date"))
        approved, more = _fingerprints(entry["approved"], path, entry.line_of("approved"))
        errors += problems + more
        for key in ("reviewer", "qualification"):
            if not entry[key].strip():
                errors.append(TranslationError(f"{key} is empty", path, entry.line_of(key)))
        if date is not None:
            reviews.append(
                Review(entry["reviewer"], entry["qualification"], date, approved, entry.line)
            )
    return reviews


def _sent_back(raw: list, path: Path, errors: list[LeafletError]) -> list[SentBack]:
    """The ``sent_back:`` records (problems into ``errors``)."""
    found: list[SentBack] = []
    keys = {"reviewer": str, "qualification": str, "date": (str, dt.date)}
    for entry in raw:
        problems = require_keys(
            entry,
            keys | {"entry": str, "comment": str},
            {"reviewer", "qualification", "date", "entry", "comment"},
            path,
            TranslationError,
            what="sent-back entry",
        )
        if problems:
            errors += problems
            continue
        date, problems = _date(entry["date"], path, entry.line_of("date"))
        errors += problems
        for key in ("reviewer", "qualification", "comment"):
            if not entry[key].strip():
                errors.append(TranslationError(f"{key} is empty", path, entry.line_of(key)))
        if date is not None:
            found.append(
                SentBack(
                    entry["reviewer"],
                    entry["qualification"],
                    date,
                    " ".join(entry["entry"].split()),
                    entry["comment"],
                    entry.line,
                )
            )
    return found


HEADER = """\
# Review record of the {lang!r} catalogs in LC_MESSAGES/ (kept by leafletgen).
#
# translated: how the entries were translated (method: translator, machine or
#   publisher) and by whom; `entries: all` or a list of fingerprints, the last
#   record naming an entry wins.
# reviews: each review by a qualified reviewer: name, qualification, date and
#   the fingerprints of the (msgid, msgstr) pairs approved. A fingerprint
#   changes when either side of the entry changes, so an edited entry is
#   unreviewed until it is approved again. Record reviews with
#   `leafletgen i18n review` or by importing an XLIFF file whose units are
#   approved="yes"; never write a reviewer here who did not review.
# sent_back: an entry a reviewer sent back to its translator with a comment
#   (on the desk's review page); it is not approved while it stands as it is.
"""


def _plain(record: ReviewRecord) -> dict:
    return {
        "language": record.lang,
        "translated": [
            {
                "method": t.method,
                "by": t.by,
                "entries": "all" if t.entries is None else sorted(t.entries),
            }
            for t in record.translated
        ],
        "reviews": [
            {
                "reviewer": r.reviewer,
                "qualification": r.qualification,
                "date": r.date.isoformat(),
                "approved": sorted(r.approved),
            }
            for r in record.reviews
        ],
    } | (
        {
            "sent_back": [
                {
                    "reviewer": b.reviewer,
                    "qualification": b.qualification,
                    "date": b.date.isoformat(),
                    "entry": b.entry,
                    "comment": b.comment,
                }
                for b in record.sent_back
            ]
        }
        if record.sent_back
        else {}
    )


def write_record(record: ReviewRecord) -> None:
    """Write the record atomically, with its explanatory header."""
    body = yaml.safe_dump(_plain(record), allow_unicode=True, sort_keys=False, width=100)
    text = HEADER.format(lang=record.lang) + body
    try:
        write_atomic(record.path, text.encode("utf-8"))
    except OSError as error:
        raise TranslationError(
            f"cannot write review record: {error.strerror}", record.path
        ) from None


def add_review(
    record: ReviewRecord,
    *,
    reviewer: str,
    qualification: str,
    date: dt.date,
    approved: set[str] | frozenset[str],
) -> ReviewRecord:
    """The record with one more review (entries already approved by the same
    reviewer on the same date are merged into that review)."""
    reviewer, qualification = reviewer.strip(), qualification.strip()
    if not reviewer or not qualification:
        raise TranslationError("a review needs the reviewer's name and qualification")
    if problem := record_date_problem(date, "review"):
        raise TranslationError(problem, record.path)
    reviews = list(record.reviews)
    for index, review in enumerate(reviews):
        if (review.reviewer, review.qualification, review.date) == (
            reviewer,
            qualification,
            date,
        ):
            reviews[index] = replace(review, approved=review.approved | frozenset(approved))
            break
    else:
        reviews.append(Review(reviewer, qualification, date, frozenset(approved)))
    return replace(record, reviews=tuple(reviews))


def add_sent_back(record: ReviewRecord, back: SentBack) -> ReviewRecord:
    """The record with one more entry sent back (the same reviewer sending the
    same entry back again replaces their earlier comment)."""
    if not back.reviewer.strip() or not back.qualification.strip():
        raise TranslationError("sending back needs the reviewer's name and qualification")
    if not back.comment.strip():
        raise TranslationError("sending back needs a comment for the translator")
    if problem := record_date_problem(back.date, "review"):
        raise TranslationError(problem, record.path)
    kept = [b for b in record.sent_back if (b.reviewer, b.entry) != (back.reviewer, back.entry)]
    return replace(record, sent_back=(*kept, back))


def set_translated(record: ReviewRecord, method: str, by: str, entries: set[str]) -> ReviewRecord:
    """The record saying that ``entries`` were translated by ``method`` / ``by``."""
    if method not in METHODS:
        raise TranslationError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if not entries:
        return record
    current = {
        e
        for e in entries
        if (t := record.translation_of(e)) is not None and (t.method, t.by) == (method, by)
    }
    entries = set(entries) - current
    if not entries:
        return record
    kept = []
    for t in record.translated:
        if t.entries is not None:
            remaining = t.entries - entries
            if not remaining:
                continue
            t = replace(t, entries=frozenset(remaining))
        kept.append(t)
    merged = False
    for index, t in enumerate(kept):
        if (t.method, t.by) == (method, by) and t.entries is not None and index == len(kept) - 1:
            kept[index] = replace(t, entries=t.entries | frozenset(entries))
            merged = True
    if not merged:
        kept.append(Translated(method, by, frozenset(entries)))
    return replace(record, translated=tuple(kept))


@dataclass(frozen=True)
class Printed:
    """One translated catalog entry, with where it stands in its catalog."""

    domain: str
    msgid: str
    msgstr: str
    where: str  # "locales/es/LC_MESSAGES/content.po:123"
    key: str  # its fingerprint

    def describe(self) -> str:
        """``where: [domain] 'msgid'``, the msgid shortened to one line."""
        short = " ".join(self.msgid.split())
        short = short if len(short) <= 70 else short[:69] + "…"
        return f"{self.where}: [{self.domain}] {short!r}"


def catalog_entries(locales: Path, lang: str, root: Path) -> list[Printed]:
    """Every translated, not fuzzy entry of the language's catalogs."""
    entries = []
    for domain in DOMAINS:
        path = po_path(locales, lang, domain)
        if not path.is_file():
            continue
        for message in read_catalog(path):
            if not message.id or not isinstance(message.id, str):
                continue
            if message.fuzzy or not isinstance(message.string, str) or not message.string:
                continue
            where = f"{project_relative(path, root)}:{message.lineno}"
            key = fingerprint(domain, message.id, message.string, message.context)
            entries.append(Printed(domain, message.id, message.string, where, key))
    return entries
