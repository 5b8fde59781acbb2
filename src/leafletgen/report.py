"""What a run found, as data: a build's results, the distribution status of
its PDFs, and ``check`` (every leaflet in every language, its status and
why, each finding once). The command line prints these values; the desk can
show the same ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from leafletgen import clearance, label_versions
from leafletgen.batch.plan import BuildResult
from leafletgen.batch.worker import leaflet_text
from leafletgen.errors import LeafletError, shown
from leafletgen.files import find_leftovers
from leafletgen.model import Document, Leaflet
from leafletgen.project import Project, load_inputs
from leafletgen.publish.manifest import ManifestEntry, page_budget_warning, read_manifest
from leafletgen.select import furniture
from leafletgen.select.clinic import Clinic
from leafletgen.select.definitions import LeafletSpec
from leafletgen.select.readability import readability
from leafletgen.select.selection import not_built_in, select_sections
from leafletgen.translate import catalogs
from leafletgen.translate.editions import edition, edition_findings
from leafletgen.translate.translator import (
    Translator,
    leaflet_needs,
    load_translator,
    translation_progress,
)

Chosen = Sequence[tuple[LeafletSpec, Leaflet]]


def _first(items: Sequence[str], count: int, sep: str, more: str) -> str:
    """The first ``count`` items joined, and how many more there are."""
    return sep.join(items[:count]) + (more.format(len(items) - count) if len(items) > count else "")


# --- a build ------------------------------------------------------------------------


def result_line(result: BuildResult, out: Path) -> str | None:
    """A build's progress line for one leaflet: built (where, how long) or skipped (why)."""
    if result.entry:
        entry = result.entry
        return f"built    {out / entry.path}  ({entry.pages} pages, {entry.bytes:,} bytes)"
    if result.skipped:
        return f"skipped  {result.id} [{result.lang}]: {result.skipped}"
    return None


def budget_warnings(results: Iterable[BuildResult]) -> list[str]:
    """Leaflets built longer than their page budget: built and kept, never cut
    (a clinic decides what to drop)."""
    warnings = (page_budget_warning(r.entry) if r.entry else None for r in results)
    return [f"warning  {warning}" for warning in warnings if warning]


def failure_lines(results: Iterable[BuildResult]) -> list[str]:
    """Each failed leaflet and its errors, indented."""
    lines = []
    for result in results:
        if not result.ok:
            lines.append(f"FAILED   {result.id} [{result.lang}]")
            errors = getattr(result.error, "errors", [result.error])
            text = "\n".join(shown(error) for error in errors)
            lines.append("\n".join(f"  {line}" for line in text.splitlines()))
    return lines


@dataclass(frozen=True)
class BuildSummary:
    """How many leaflets a build built, skipped (and why) and failed."""

    built: int
    skipped: int
    unchanged: int
    failed: int

    @classmethod
    def of(cls, results: Sequence[BuildResult]) -> BuildSummary:
        """Count a build's results."""
        skipped = [r for r in results if r.skipped]
        return cls(
            built=sum(1 for r in results if r.entry),
            skipped=len(skipped),
            unchanged=sum(1 for r in skipped if r.skipped == "unchanged"),
            failed=sum(not r.ok for r in results),
        )

    def line(self) -> str:
        """``3 built, 1 skipped (1 unchanged, 0 not built by choice), 0 failed``."""
        return (
            f"{self.built} built, {self.skipped} skipped ({self.unchanged} unchanged, "
            f"{self.skipped - self.unchanged} not built by choice), {self.failed} failed"
        )


def current_entries(results: Iterable[BuildResult], out: Path) -> list[ManifestEntry]:
    """The manifest entries of the outputs a build made or found up to date."""
    done = {(r.id, r.lang) for r in results if r.entry or r.skipped == "unchanged"}
    return [e for e in read_manifest(out) if (e.id, e.lang) in done]


@dataclass(frozen=True)
class Summary:
    """What ``build`` says at its end: the outputs not cleared, grouped by reason."""

    total: int = 0
    by_reason: dict[str, list[str]] = field(default_factory=dict)


def summarise(entries: list[ManifestEntry]) -> Summary:
    """Group manifest entries that are not cleared by the messages of their reasons."""
    by_reason: dict[str, list[str]] = {}
    for entry in entries:
        if entry.status == clearance.CLEARED:
            continue
        reasons = entry.reasons or [
            {"code": "unknown", "message": "no distribution status recorded"}
        ]
        for reason in reasons:
            message = reason.get("message", "")
            if reason.get("code") == "translation-not-reviewed":
                message = "translation not reviewed"
            elif reason.get("code") == "translation-qa":
                message = "translation QA findings (see `leafletgen i18n status`)"
            elif reason.get("code") == "source-not-reviewed":
                message = f"source not reviewed: {(reason.get('details') or ['?'])[0]}"
            elif reason.get("code") == "furniture-printed":
                message = "prints lines that look like web furniture (see `leafletgen check`)"
            by_reason.setdefault(message, []).append(str(entry.path))
    return Summary(len(entries), by_reason)


def distribution_summary(entries: list[ManifestEntry]) -> str:
    """The end of ``build``: which PDFs are not cleared for distribution, and why."""
    summary = summarise(entries)
    if not summary.total:  # "all 0 cleared" would read as good news
        return "no PDF built or up to date: nothing is cleared for distribution"
    if not summary.by_reason:
        return f"all {summary.total} PDF(s) cleared for distribution"
    count = sum(1 for e in entries if e.status != clearance.CLEARED)
    lines = [f"{count} of {summary.total} PDF(s) not cleared for distribution:"]
    for message, paths in sorted(summary.by_reason.items(), key=lambda kv: -len(kv[1])):
        listed = _first(paths, 3, ", ", " and {} more")
        lines.append(f"  {message}\n      {len(paths)} PDF(s): {listed}")
    lines.append("(`leafletgen check` lists every reason; `check --strict` fails on them)")
    return "\n".join(lines)


def printed_findings(
    project: Project, ids: Iterable[str] | None, *, include_drugs: bool
) -> list[furniture.Finding]:
    """What the chosen leaflets print that a person must look at: web furniture,
    passages pointing back to text not printed (the build reports its own
    errors; a definition that fails here is left to it)."""
    try:
        inputs = load_inputs(project, include_drugs=include_drugs)
        specs = inputs.choose(ids)
        clinic = inputs.clinic
    except LeafletError:
        return []
    leaflets = []
    for spec in specs:
        # (a source that cannot be read fails its leaflets)
        if spec.skip_reason or inputs.broken_source(spec):
            continue
        try:
            leaflets.append(select_sections(spec, inputs.documents))
        except LeafletError:
            continue
    return furniture.printed_findings(leaflets, clinic)


# --- check --------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One thing a person must look at, and the outputs (``id [lang]``) it affects."""

    message: str
    affects: tuple[str, ...]
    # False for the reader's warnings about a printed section: shown as
    # warnings, they fail nothing by themselves (the source review decides).
    blocking: bool = True

    def text(self, level: str) -> str:
        """``warning: <message>`` and the outputs it affects, the first four named."""
        level = level if self.blocking else "warning"
        return (
            f"{level}: {self.message}\n    affects {_first(self.affects, 4, ', ', ' and {} more')}"
        )


@dataclass(frozen=True)
class CheckReport:
    """Every leaflet x language: its distribution status, each finding once,
    and the built outputs that are out of date."""

    today: dt.date
    statuses: Mapping[tuple[str, str], clearance.Status]
    findings: tuple[Finding, ...]
    stale: tuple[str, ...]  # built outputs whose status or length needs a new build

    @property
    def cleared(self) -> int:
        """How many outputs are cleared for distribution."""
        return sum(status.cleared for status in self.statuses.values())

    def fails(self, *, strict: bool) -> bool:
        """Whether ``check`` fails: under ``--strict``, on any finding."""
        return strict and (any(f.blocking for f in self.findings) or bool(self.stale))

    def lines(self, *, strict: bool) -> list[str]:
        """The report as ``check`` prints it (``--strict``: errors, not warnings)."""
        level = "error" if strict else "warning"
        total = len(self.statuses)
        return [
            *(finding.text(level) for finding in self.findings),
            *(f"{level}: {line}" for line in self.stale),
            f"{total} leaflet x language outputs checked as of {self.today.isoformat()}: "
            f"{self.cleared} cleared, {total - self.cleared} not cleared for distribution; "
            f"{len(self.findings)} finding(s)",
        ]


def document_notes(chosen: Chosen) -> list[str]:
    """What the reader noted about each source the leaflets print from."""
    documents: dict[str, Document] = {d.id: d for _, leaflet in chosen for d in leaflet.documents}
    return [
        f"note: {document.path}:{warning.line}: {warning.message}"
        for document in documents.values()
        for warning in document.warnings
    ]


def _reason_lines(reason: clearance.Reason, lang: str) -> list[str]:
    """A reason as finding lines; a translation's marked with its language."""
    if reason.code == "translation-qa":
        return [f"[{lang}] {detail}" for detail in reason.details]
    if lang != "en" and reason.code.startswith("translation"):
        return [f"[{lang}] {reason.message}"]
    return [reason.message]


def _language_findings(
    chosen: Chosen,
    lang: str,
    statuses: dict[tuple[str, str], clearance.Status],
    findings: dict[str, list[str]],
    *,
    root: Path,
    locales: Path,
    today: dt.date,
) -> None:
    """Assess every leaflet in ``lang``; unreviewed translations as one finding."""
    translator = load_translator(locales, lang, draft=True)
    unreviewed: dict[str, None] = {}
    users: list[str] = []
    for spec, leaflet in chosen:
        if not_built_in(leaflet, lang):
            continue  # not built in this language by choice: no copy to assess
        printed = edition(leaflet, spec, translator, root / "templates", root, draft=False)
        status = clearance.assess(printed, spec, translator, root=root, today=today)
        statuses[(spec.id, lang)] = status
        for reason in status.reasons:
            if reason.code == "translation-not-reviewed":
                unreviewed |= dict.fromkeys(reason.details)
                users.append(f"{spec.id} [{lang}]")
                continue
            for line in _reason_lines(reason, lang):
                findings.setdefault(line, []).append(f"{spec.id} [{lang}]")
    if unreviewed:
        entries = list(unreviewed)
        line = (
            f"[{lang}] translation not reviewed: {len(entries)} printed entries have no "
            f"review by a qualified reviewer as they now stand: "
            f"{_first(entries, 3, '; ', '; and {} more')}"
        )
        findings[line] = users


def stale_outputs(
    out: Path,
    statuses: Mapping[tuple[str, str], clearance.Status],
    ids: Sequence[str] = (),
) -> list[str]:
    """Built PDFs whose recorded status is not the one they would get now, and
    leaflets built longer than their page budget (one sheet; large print two);
    only those of the leaflets ``ids`` when given."""
    problems = []
    entries = [e for e in read_manifest(out) if not ids or e.id in ids]
    for entry in entries:
        status = statuses.get((entry.id, entry.lang))
        if status is None or entry.draft:
            continue
        recorded = entry.status or "none recorded"
        if recorded != status.status:
            problems.append(
                f"{out / entry.path}: built as {recorded}, now {status.status}; build it again"
            )
    problems += [
        f"{out / entry.path}: {warning}"
        for entry in entries
        if (warning := page_budget_warning(entry))
    ]
    return problems


def check_leaflets(
    project: Project,
    chosen: Chosen,
    clinic: Clinic,
    langs: Sequence[str],
    *,
    today: dt.date,
    out: Path,
    ids: Sequence[str] = (),
) -> CheckReport:
    """Every chosen leaflet in every language of ``langs``: its distribution
    status and why, what it prints that a person must look at, and whether
    the PDFs of ``out`` carry the status they would get now."""
    findings: dict[str, list[str]] = {}
    statuses: dict[tuple[str, str], clearance.Status] = {}
    for lang in langs:
        _language_findings(
            chosen,
            lang,
            statuses,
            findings,
            root=project.root,
            locales=project.locales,
            today=today,
        )
    advisories: dict[str, list[str]] = {}
    leaflets = [leaflet for _, leaflet in chosen]
    specs = {spec.id: spec for spec, _ in chosen}
    translators = {lang: load_translator(project.locales, lang, draft=True) for lang in langs}
    for finding in [
        *furniture.printed_findings(leaflets, clinic),
        *edition_findings(
            leaflets, specs, translators.__getitem__, langs, project.templates, project.root
        ),
    ]:
        found = findings if finding.blocking else advisories
        found.setdefault(str(finding), []).append(finding.leaflet)
    return CheckReport(
        today=today,
        statuses=statuses,
        findings=(
            *(Finding(line, tuple(users)) for line, users in findings.items()),
            *(Finding(line, tuple(users), False) for line, users in advisories.items()),
        ),
        # (and the drug labels whose version changed since they were checked)
        stale=(
            *stale_outputs(out, statuses, ids),
            *(note for left in find_leftovers(out) if (note := left.note())),
            *(str(label) for label in label_versions.changed_labels(project.root)),
        ),
    )


# --- translation status -------------------------------------------------------------


@dataclass(frozen=True)
class LeafletProgress:
    """How far one leaflet is translated (and reviewed) in one language."""

    id: str
    translated: int
    total: int
    fuzzy: int
    missing: int
    complete: bool
    reviewed: int | None  # None in the source language
    readability: str  # the score, or why there is none

    def line(self) -> str:
        """One row of ``i18n status``."""
        reviewed = f"{self.reviewed}/{self.total} reviewed, " if self.reviewed is not None else ""
        mark = "ok" if self.complete else "INCOMPLETE"
        return (
            f"  {self.id:<28} {self.translated}/{self.total} translated, "
            f"{reviewed}{self.fuzzy} fuzzy, {self.missing} missing  "
            f"{mark:<10}  {self.readability}"
        )


@dataclass(frozen=True)
class LanguageStatus:
    """Every leaflet's progress in one language, and who translated and reviewed it."""

    lang: str
    record: str | None  # the review record, for a translated language
    leaflets: tuple[LeafletProgress, ...]


@dataclass(frozen=True)
class TranslationStatus:
    """``i18n status``: each language's progress and the translation QA findings."""

    languages: tuple[LanguageStatus, ...]
    findings: tuple[str, ...]

    @property
    def incomplete(self) -> int:
        """How many leaflet x language translations are incomplete."""
        return sum(not p.complete for lang in self.languages for p in lang.leaflets)

    def fails(self, *, strict: bool) -> bool:
        """Whether ``i18n status --strict`` fails: anything incomplete or a QA finding."""
        return strict and bool(self.incomplete or self.findings)

    def lines(self, *, strict: bool) -> list[str]:
        """The status as ``i18n status`` prints it."""
        lines = []
        for language in self.languages:
            lines.append(f"[{language.lang}]")
            if language.record is not None:
                lines.append(language.record)
            lines += [progress.line() for progress in language.leaflets]
        level = "error" if strict else "warning"
        lines += [f"{level}: {finding}" for finding in self.findings]
        lines.append(f"{len(self.findings)} translation QA finding(s)")
        return lines


def _record_line(locales: Path, lang: str, root: Path) -> str:
    record = clearance.review_record(locales, lang)
    made = ", ".join(f"{t.by} ({t.method})" for t in record.translated) or "not recorded"
    reviewers = ", ".join(f"{r.reviewer} ({r.qualification}) on {r.date}" for r in record.reviews)
    return (
        f"  review record: {catalogs.project_relative(record.path, root)}: "
        f"translated by {made}; reviewed by {reviewers or 'nobody yet'}"
    )


def _progress(
    spec: LeafletSpec,
    leaflet: Leaflet,
    translator: Translator,
    findings: dict[str, None],
    *,
    root: Path,
    templates: Path,
) -> LeafletProgress:
    lang = translator.lang
    leaflet = edition(leaflet, spec, translator, templates, root, draft=False)
    needs = leaflet_needs(leaflet, spec, templates, root)
    progress = translation_progress(needs, translator)
    score = readability(leaflet_text(leaflet, translator), lang)
    if score.get("metric"):
        shown_score = f"{score['metric']} {score['score']}"
    else:
        shown_score = f"readability: {score.get('note', 'n/a')}"
    reviewed = None
    if lang != catalogs.SOURCE_LANGUAGE:
        review = clearance.review_translation(leaflet, spec, translator, root)
        reviewed = review.reviewed
        findings |= dict.fromkeys(str(f) for f in review.findings)
    return LeafletProgress(
        spec.id,
        progress.translated,
        progress.total,
        progress.fuzzy,
        progress.missing,
        progress.complete,
        reviewed,
        shown_score,
    )


def translation_status(project: Project, chosen: Chosen, langs: Sequence[str]) -> TranslationStatus:
    """Every leaflet's translation progress in English and in each of ``langs``."""
    root, locales, templates = project.root, project.locales, project.templates
    findings: dict[str, None] = {}
    languages = []
    for lang in ["en", *[lang for lang in langs if lang != "en"]]:
        translator = load_translator(locales, lang, draft=True)
        record = _record_line(locales, lang, root) if lang != catalogs.SOURCE_LANGUAGE else None
        leaflets = tuple(
            _progress(spec, leaflet, translator, findings, root=root, templates=templates)
            for spec, leaflet in chosen
            if not not_built_in(leaflet, lang)
        )
        languages.append(LanguageStatus(lang, record, leaflets))
    return TranslationStatus(tuple(languages), tuple(findings))
