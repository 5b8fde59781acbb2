"""Whether a leaflet may be handed to patients: its distribution status.

Computed here and nowhere else, and shown the same way everywhere: the line
on every page of the PDF, the manifest's ``distribution`` key, the FHIR
``docStatus`` (``final`` only when cleared), ``check`` and the summary of
``build``. A leaflet is ``cleared`` only when

* every translated string it prints was approved, as it now stands, by a
  named, qualified reviewer (``locales/<lang>/reviews.yaml``) and passes
  translation QA (:mod:`leafletgen.translate.qa`);
* every source's licence is recorded and, where it needs one, the clinic's
  permission is recorded (``licence.permission`` in ``sources.yaml``);
* every source has a next review date that has not passed: the publisher's
  own, or one a year (or the publisher's shorter cycle) after its last
  review, or after the clinic's own check of the source against the
  publisher's current page (``checked: {date, by}`` in ``sources.yaml``);
* every source has a source review of its current text and outline, and no
  printed line flagged as web furniture goes unkept
  (:mod:`leafletgen.review.reasons`); an FDA label is the version that
  check recorded (``label_versions``).

Nothing here invents a permission, a reviewer or a date: what is not
recorded is a reason not to clear.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leafletgen.label_versions import label_reasons
from leafletgen.model import Document, Leaflet
from leafletgen.read.sources import load_sources
from leafletgen.review.reasons import review_codes, review_reasons
from leafletgen.select.definitions import LeafletSpec
from leafletgen.select.drugs import read_drugs
from leafletgen.translate.catalogs import (
    DOMAINS,
    SOURCE_LANGUAGE,
    po_path,
    project_relative,
    read_catalog,
)
from leafletgen.translate.qa import Finding, Glossary, check_entry, load_glossary
from leafletgen.translate.reviews import (
    Printed,
    Review,
    ReviewRecord,
    Translated,
    fingerprint,
    load_record,
)
from leafletgen.translate.translator import Need, Translator, leaflet_needs

if TYPE_CHECKING:  # the manifest is published after the status is assessed
    pass

CLEARED = "cleared"
NOT_CLEARED = "not-cleared"
# Next review when the publisher states no (shorter) cycle.
DEFAULT_CYCLE = dt.timedelta(days=365)


@dataclass(frozen=True)
class Reason:
    """Why an output is not cleared.

    ``message`` is for the clinic (manifest, ``check``, ``build``); ``code``
    and ``subject`` (the publisher a source reason is about) choose the short
    line printed on the leaflet, in its language; ``details`` lists every
    entry concerned as ``file:line: ...``.
    """

    code: str
    message: str
    subject: str | None = None
    details: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The reason as the manifest records it."""
        data: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.subject:
            data["subject"] = self.subject
        if self.details:
            data["details"] = list(self.details)
        return data


@dataclass(frozen=True)
class TranslationReview:
    """Who translated and who reviewed the strings a leaflet prints in one language."""

    lang: str
    total: int = 0
    translated: int = 0
    reviewed: int = 0
    unreviewed: tuple[str, ...] = ()  # "file:line: [domain] 'msgid'"
    translators: tuple[Translated, ...] = ()
    reviews: tuple[Review, ...] = ()
    findings: tuple[Finding, ...] = ()

    @property
    def complete(self) -> bool:
        """Every printed string reviewed as it now stands."""
        return self.total > 0 and self.reviewed == self.total


@dataclass(frozen=True)
class Status:
    """A leaflet's distribution status in one language."""

    reasons: tuple[Reason, ...] = ()
    translation: TranslationReview | None = None

    @property
    def status(self) -> str:
        """``cleared`` or ``not-cleared``."""
        return NOT_CLEARED if self.reasons else CLEARED

    @property
    def cleared(self) -> bool:
        """Whether nothing keeps the output from patients."""
        return not self.reasons

    def as_json(self) -> dict[str, Any]:
        """The manifest's ``distribution`` value."""
        return {"status": self.status, "reasons": [r.as_json() for r in self.reasons]}


# --- sources -------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceReview:
    """A source's last and next review, and on whose word."""

    last: dt.date | None
    next: dt.date | None
    basis: str  # "publisher", "clinic" or "none"
    checked_by: str | None = None


def source_review(document: Document) -> SourceReview:
    """The review that vouches for a source's text.

    The publisher's dates: its stated next review, else a year (or its
    shorter cycle) after its last review. A clinic's own check
    (``checked:``) counts as a last review too, with the next a year (or the
    publisher's shorter cycle) later; whichever vouches longer stands.
    """
    last, stated = document.last_reviewed, document.next_review
    cycle = DEFAULT_CYCLE
    if last and stated and stated > last:
        cycle = min(cycle, stated - last)
    candidates: list[SourceReview] = []
    if stated or last:
        candidates.append(
            SourceReview(last, stated or (last + cycle if last else None), "publisher")
        )
    checked = document.source.checked
    if checked is not None:
        candidates.append(SourceReview(checked.date, checked.date + cycle, "clinic", checked.by))
    candidates = [c for c in candidates if c.next]
    if not candidates:
        return SourceReview(last, None, "none")
    return max(candidates, key=lambda c: (c.next, c.basis == "clinic"))


def _label(document: Document) -> str:
    return f"{document.publisher or document.id}, “{document.title or document.id}”"


def source_reasons(
    documents: tuple[Document, ...] | list[Document], today: dt.date, sources_file: str
) -> list[Reason]:
    """Licence and review-date reasons of the sources a leaflet prints."""
    reasons = []
    for document in documents:
        where = f"{sources_file}:{document.source.line}" if document.source.line else sources_file
        publisher = document.publisher or document.id
        licence = document.source.licence
        if licence is None:
            reasons.append(
                Reason(
                    "licence-not-recorded",
                    f"{_label(document)}: no licence recorded ({where})",
                    publisher,
                )
            )
        elif licence.needs_permission and not licence.permission:
            reasons.append(
                Reason(
                    "licence-permission",
                    f"{_label(document)} ({licence.name}): reuse needs the publisher's "
                    f"permission and none is recorded ({where}: licence.permission)",
                    publisher,
                )
            )
        review = source_review(document)
        if review.next is None:
            reasons.append(
                Reason(
                    "review-date-missing",
                    f"{_label(document)}: the page states no review date and no check is "
                    f"recorded ({where}: checked: {{date, by}}); compare it with the "
                    "publisher's current page",
                    publisher,
                )
            )
        elif review.next < today:
            on = f"checked {review.last} by {review.checked_by}"
            if review.basis == "publisher":
                on = f"last reviewed {review.last}" if review.last else "no last review date"
            reasons.append(
                Reason(
                    "review-overdue",
                    f"{_label(document)}: review was due {review.next} ({on}); compare it "
                    f"with the publisher's current page and record the check ({where}: "
                    "checked: {date, by})",
                    publisher,
                )
            )
    return reasons + [Reason(*found) for found in label_reasons(documents, sources_file)]


# --- translations --------------------------------------------------------------------


@cache
def _catalog_lines(path: Path, mtime_ns: int) -> dict[str, int]:
    return {m.id: m.lineno for m in read_catalog(path) if m.id and isinstance(m.id, str)}


def drug_names(root: Path) -> tuple[str, ...]:
    """Every drug and brand name ``leaflets/drugs.yaml`` lists; a broken file is an error."""
    path = root / "leaflets" / "drugs.yaml"
    if not path.exists():
        return ()
    return read_drugs(path).names


@cache
def _record(locales: Path, lang: str, mtime_ns: int) -> ReviewRecord:
    return load_record(locales, lang)


@cache
def _glossary(locales: Path, lang: str, mtime_ns: int) -> Glossary:
    return load_glossary(locales, lang)


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def review_record(locales: Path, lang: str) -> ReviewRecord:
    """The language's review record (re-read when the file changes)."""
    return _record(locales, lang, _mtime(locales / lang / "reviews.yaml"))


def glossary(locales: Path, lang: str) -> Glossary:
    """The language's glossary (re-read when the file changes)."""
    return _glossary(locales, lang, _mtime(locales / lang / "glossary.yaml"))


def printed_entries(
    leaflet: Leaflet,
    spec: LeafletSpec,
    translator: Translator,
    root: Path,
    needs: list[Need] | None = None,
) -> list[Printed]:
    """Every distinct translated (not fuzzy, not missing) string the leaflet prints."""
    if needs is None:
        needs = leaflet_needs(leaflet, spec, root / "templates", root)
    catalogs = {}
    for domain in DOMAINS:
        path = po_path(root / "locales", translator.lang, domain)
        lines = _catalog_lines(path, _mtime(path)) if path.is_file() else {}
        catalogs[domain] = (project_relative(path, root), lines)
    entries, seen = [], set()
    for need in needs:
        key = (need.domain, need.msgid)
        if key in seen or translator.state(*key) != "translated":
            continue
        seen.add(key)
        table = translator.messages if need.domain == "messages" else translator.content_entries
        msgstr = table[need.msgid].text
        relative, lines = catalogs[need.domain]
        line = lines.get(need.msgid)
        where = relative + (f":{line}" if line else "")
        printed = fingerprint(need.domain, need.msgid, msgstr)
        entries.append(Printed(need.domain, need.msgid, msgstr, where, printed))
    return entries


@cache
def _publishers(path: Path, mtime_ns: int) -> tuple[str, ...]:
    infos = load_sources(path.parent).values()
    return tuple(sorted({info.publisher for info in infos if info.publisher}))


def kept_names(root: Path) -> tuple[str, ...]:
    """Names a translation keeps as they are: sources.yaml's publishers, drugs.yaml's names."""
    path = root / "sources" / "sources.yaml"
    publishers = _publishers(path, _mtime(path)) if path.exists() else ()
    return tuple(sorted(set(publishers) | set(drug_names(root))))


def entry_findings(entries: list[Printed], lang: str, root: Path) -> list[Finding]:
    """Translation QA findings of these entries."""
    names, keep = drug_names(root), kept_names(root)
    terms = glossary(root / "locales", lang)
    found = []
    for entry in entries:
        for check, message in check_entry(entry.msgid, entry.msgstr, lang, names, keep, terms):
            found.append(Finding(entry.where, check, entry.msgid, message))
    return found


def review_translation(
    leaflet: Leaflet, spec: LeafletSpec, translator: Translator, root: Path
) -> TranslationReview:
    """How far the strings the leaflet prints in the translator's language are
    translated, reviewed and clean."""
    lang = translator.lang
    all_needs = leaflet_needs(leaflet, spec, root / "templates", root)
    needs = {(n.domain, n.msgid) for n in all_needs}
    entries = printed_entries(leaflet, spec, translator, root, all_needs)
    record = review_record(root / "locales", lang)
    translators: dict[tuple[str, str], Translated] = {}
    reviews: dict[tuple[str, str, dt.date], Review] = {}
    unreviewed = []
    for entry in entries:
        who = record.translation_of(entry.key)
        if who is not None:
            translators.setdefault((who.method, who.by), who)
        review = record.review_of(entry.key)
        if review is None:
            unreviewed.append(entry.describe())
        else:
            reviews.setdefault((review.reviewer, review.qualification, review.date), review)
    return TranslationReview(
        lang=lang,
        total=len(needs),
        translated=len(entries),
        reviewed=len(entries) - len(unreviewed),
        unreviewed=tuple(unreviewed),
        translators=tuple(translators.values()),
        reviews=tuple(sorted(reviews.values(), key=lambda r: (r.date, r.reviewer))),
        findings=tuple(entry_findings(entries, lang, root)),
    )


def _listed(items: tuple[str, ...] | list[str], limit: int = 3) -> str:
    shown = "; ".join(items[:limit])
    more = len(items) - limit
    return shown + (f"; and {more} more" if more > 0 else "")


def translation_reasons(review: TranslationReview) -> list[Reason]:
    """Why the translation keeps the leaflet from patients (missing, unreviewed, QA)."""
    reasons = []
    missing = review.total - review.translated
    if missing:
        reasons.append(
            Reason(
                "translation-incomplete",
                f"{missing} of {review.total} strings not translated (or fuzzy)",
            )
        )
    if review.unreviewed:
        count = len(review.unreviewed)
        reasons.append(
            Reason(
                "translation-not-reviewed",
                f"translation not reviewed: {count} of {review.translated} strings have no "
                f"review by a qualified reviewer as they now stand: {_listed(review.unreviewed)}",
                details=review.unreviewed,
            )
        )
    if review.findings:
        reasons.append(
            Reason(
                "translation-qa",
                f"translation QA: {len(review.findings)} finding(s): "
                f"{_listed([str(f) for f in review.findings], 2)}",
                details=tuple(str(f) for f in review.findings),
            )
        )
    return reasons


def assess(
    leaflet: Leaflet,
    spec: LeafletSpec,
    translator: Translator,
    *,
    root: Path,
    today: dt.date,
    draft: bool = False,
    extra: tuple[Reason, ...] = (),
) -> Status:
    """The distribution status of one leaflet in the translator's language.

    ``extra`` carries reasons found elsewhere (e.g. a page budget overrun)."""
    reasons: list[Reason] = []
    if draft:
        reasons.append(Reason("draft", "draft: English text may stand in for missing translations"))
    review = None
    if translator.lang != SOURCE_LANGUAGE:
        review = review_translation(leaflet, spec, translator, root)
        reasons += translation_reasons(review)
    sources_file = project_relative(root / "sources" / "sources.yaml", root)
    reasons += source_reasons(leaflet.documents, today, sources_file)
    reasons += [Reason(**reason) for reason in review_reasons(leaflet, root)]
    if leaflet.label_left_out is not None:
        publisher, title = leaflet.label_left_out
        reasons.append(
            Reason(
                "label-not-translated",
                f"prints its class's text without the drug's FDA label ({publisher}, “{title}”), "
                f"whose text is not translated into {translator.lang!r}: the English edition "
                "prints the drug's own warnings",
                publisher,
            )
        )
    reasons += extra
    return Status(tuple(reasons), review)


def source_codes(leaflet: Leaflet, today: dt.date) -> list[str]:
    """The source reasons as of ``today`` in short (code, source) form: part of
    a leaflet's input hash, so a review date passing rebuilds it."""
    codes = [f"{r.code}:{r.subject}" for r in source_reasons(leaflet.documents, today, "")]
    return codes + review_codes(leaflet)


# --- what the outputs carry ----------------------------------------------------------


def printed_reasons(status: Status) -> tuple[dict[str, str], ...]:
    """The reasons as the leaflet prints them (code and publisher), each once."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for reason in status.reasons:
        seen.setdefault(
            (reason.code, reason.subject or ""),
            {"code": reason.code, "subject": reason.subject or ""},
        )
    return tuple(seen.values())


def translator_json(status: Status) -> tuple[dict[str, str], ...]:
    """Who translated the printed strings, as the manifest records it."""
    review = status.translation
    if review is None:
        return ()
    return tuple({"method": t.method, "by": t.by} for t in review.translators)


def reviewer_json(status: Status) -> tuple[dict[str, str], ...]:
    """Who reviewed the printed strings, as the manifest records it."""
    review = status.translation
    if review is None:
        return ()
    return tuple(
        {"name": r.reviewer, "qualification": r.qualification, "date": r.date.isoformat()}
        for r in review.reviews
    )


def credit(status: Status) -> dict[str, Any] | None:
    """The credits' translation line: who translated, and who reviewed (only
    when every printed string is reviewed as it stands)."""
    review = status.translation
    if review is None:
        return None
    return {
        "translators": [{"method": t.method, "by": t.by} for t in review.translators],
        "reviews": [
            {"name": r.reviewer, "qualification": r.qualification, "date": r.date}
            for r in review.reviews
        ]
        if review.complete
        else [],
    }
