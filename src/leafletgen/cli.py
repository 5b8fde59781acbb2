"""Command line: parses arguments and calls the pipeline stages, nothing more.

Errors in the user's input print as ``path:line: message`` and exit 1; any
other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from leafletgen import __version__, clearance, label_versions
from leafletgen.batch.build import (
    Project,
    build_leaflets,
    choose_specs,
    leaflet_text,
    load_specs,
    page_budget_warning,
    select_leaflets,
    uses_broken_source,
)
from leafletgen.errors import LeafletError, TranslationError, shown
from leafletgen.model import Document
from leafletgen.publish.unit import read_manifest
from leafletgen.read.sources import load_sources, read_corpus, read_source
from leafletgen.select import furniture
from leafletgen.select.clinic import load_clinic
from leafletgen.select.readability import readability
from leafletgen.select.selection import select_sections
from leafletgen.translate import catalogs, extract, reviews, xliff
from leafletgen.translate.translator import leaflet_needs, load_translator, translation_progress


def document_json(document: Document) -> dict[str, Any]:
    """The documented ``inspect --json`` shape of a parsed document."""
    return {
        "title": document.title,
        "publisher": document.publisher,
        "url": document.url,
        "language": document.source.language,
        "last_reviewed": document.last_reviewed.isoformat() if document.last_reviewed else None,
        "next_review": document.next_review.isoformat() if document.next_review else None,
        "sections": [
            {
                "heading": section.heading,
                "kind": section.kind,
                "line": section.line,
                "blocks": [
                    {"type": "list", "items": list(block.items), "line": block.line}
                    if block.type == "list"
                    else {"type": "paragraph", "text": block.text, "line": block.line}
                    for block in section.blocks
                ],
            }
            for section in document.sections
        ],
        "warnings": [{"line": w.line, "message": w.message} for w in document.warnings],
        "furniture": [
            {"line": f.line, "kinds": list(f.kinds), "text": f.text} for f in document.furniture
        ],
    }


def document_text(document: Document) -> str:
    """A readable outline of a parsed document."""
    lines = [
        f"{document.title or '(untitled)'} — {document.publisher or 'unknown publisher'}",
        f"  url: {document.url or '-'}",
        f"  last reviewed: {document.last_reviewed or '-'}"
        f"   next review: {document.next_review or '-'}",
    ]
    for section in document.sections:
        lines.append(f"\n{section.line:>4}  [{section.kind}] {section.heading or '(no heading)'}")
        for block in section.blocks:
            if block.type == "list":
                for number, item in enumerate(block.items):
                    marker = f"{block.line:>4}" if number == 0 else "    "
                    lines.append(f"{marker}    • " + item.replace("\n", "\n        "))
            else:
                lines.append(f"{block.line:>4}    {block.text}")
    for warning in document.warnings:
        lines.append(f"warning: {document.path}:{warning.line}: {warning.message}")
    for flag in document.furniture:
        lines.append(f"warning: {document.path}:{flag.line}: {flag.message}")
    return "\n".join(lines)


def _info_for(path: Path):
    """The sources.yaml entry describing ``path``, if its folder has one."""
    catalog = path.parent / "sources.yaml"
    if not catalog.is_file():
        return None
    for info in load_sources(path.parent).values():
        if (path.parent / info.file).resolve() == path.resolve():
            return info
    return None


def cmd_inspect(args: argparse.Namespace) -> int:
    path = Path(args.path)
    document = read_source(path, _info_for(path))
    if args.json:
        json.dump(document_json(document), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(document_text(document))
    return 0


def find_project(folder: str | None) -> Project:
    """The project of ``--project`` (which must exist), else of the current folder."""
    if folder is None:
        return Project.find(".")
    if not Path(folder).is_dir():
        raise LeafletError("no such project folder", folder)
    return Project.find(folder)


def languages(values: list[str]) -> list[str]:
    """``--lang en,es --lang fr`` -> ``["en", "es", "fr"]``; an empty code is an error."""
    langs = []
    for value in values:
        for lang in value.split(","):
            if not lang.strip():
                raise LeafletError(f"empty language code in --lang {value!r}")
            langs.append(lang.strip())
    return langs


def cmd_build(args: argparse.Namespace) -> int:
    project = find_project(args.project)
    langs = languages(args.lang)
    out = Path(args.out)
    progress = Progress(sys.stderr) if sys.stderr.isatty() else None

    def report(result, done: int, total: int) -> None:
        if progress:
            progress.show(done, total, f"{result.id} [{result.lang}]")
        elif result.entry:
            entry = result.entry
            print(f"built    {out / entry.path}  ({entry.pages} pages, {entry.bytes:,} bytes)")
        elif result.skipped:
            print(f"skipped  {result.id} [{result.lang}]: {result.skipped}")

    results = build_leaflets(
        project,
        args.ids,
        langs or ["en"],
        out,
        draft=args.draft,
        include_drugs=args.all,
        jobs=args.jobs or os.cpu_count() or 1,
        executor=args.executor,
        force=args.force,
        large_print=args.large_print,
        fhir_inline=args.fhir_inline,
        fhir_bundle=args.fhir_bundle,
        html_twin=args.html,
        bilingual=args.bilingual,
        on_result=report,
        today=args.today,
    )
    if progress:
        progress.close()
    for result in results:
        warning = page_budget_warning(result.entry) if result.entry else None
        if warning:  # built and kept, never cut: a clinic decides what to drop
            print(f"warning  {warning}", file=sys.stderr)
    for result in results:
        if not result.ok:
            print(f"FAILED   {result.id} [{result.lang}]", file=sys.stderr)
            errors = getattr(result.error, "errors", [result.error])
            print(_indent("\n".join(shown(e) for e in errors)), file=sys.stderr)
    for finding in _printed_findings(project, args.ids, include_drugs=args.all):
        print(f"warning: {finding}", file=sys.stderr)
    built = sum(1 for r in results if r.entry)
    skipped = [r for r in results if r.skipped]
    unchanged = sum(1 for r in skipped if r.skipped == "unchanged")
    failed = sum(not r.ok for r in results)
    print(
        f"{built} built, {len(skipped)} skipped ({unchanged} unchanged, "
        f"{len(skipped) - unchanged} not built by choice), {failed} failed"
    )
    done = {(r.id, r.lang) for r in results if r.entry or r.skipped == "unchanged"}
    entries = [e for e in read_manifest(out) if (e["id"], e["lang"]) in done]
    print(distribution_summary(entries))
    return 1 if failed else 0


def _printed_findings(project: Project, ids, *, include_drugs: bool) -> list[furniture.Finding]:
    """What the chosen leaflets print that a person must look at: web furniture,
    passages pointing back to text not printed (the build reports its own
    errors; a definition that fails here is left to it)."""
    failed: dict[str, LeafletError] = {}
    try:
        specs = choose_specs(
            load_specs(project, include_drugs=include_drugs, failed=failed), ids, failed
        )
        clinic = load_clinic(project.clinic_file)
    except LeafletError:
        return []
    broken: dict[str, LeafletError] = {}  # (a source that cannot be read fails its leaflets)
    try:
        documents = read_corpus(project.sources, failed=broken)
    except LeafletError:
        return []
    leaflets = []
    for spec in specs:
        if spec.skip_reason or uses_broken_source(spec, broken):
            continue
        try:
            leaflets.append(select_sections(spec, documents))
        except LeafletError:
            continue
    return furniture.printed_findings(leaflets, clinic)


def distribution_summary(entries: list[dict]) -> str:
    """The end of ``build``: which PDFs are not cleared for distribution, and why."""
    summary = clearance.summarise(entries)
    if not summary.by_reason:
        return f"all {summary.total} PDF(s) cleared for distribution"
    count = sum(
        1 for e in entries if (e.get("distribution") or {}).get("status") != clearance.CLEARED
    )
    lines = [f"{count} of {summary.total} PDF(s) not cleared for distribution:"]
    for message, paths in sorted(summary.by_reason.items(), key=lambda kv: -len(kv[1])):
        shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        lines.append(f"  {message}\n      {len(paths)} PDF(s): {shown}")
    lines.append("(`leafletgen check` lists every reason; `check --strict` fails on them)")
    return "\n".join(lines)


class Progress:
    """A one-line progress bar for a terminal."""

    def __init__(self, stream, width: int = 30):
        self.stream, self.width = stream, width

    def show(self, done: int, total: int, label: str) -> None:
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done}/{total} {label[:40]:<40}")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def cmd_i18n(args: argparse.Namespace) -> int:
    project = find_project(args.project)
    locales = project.locales
    langs = [catalogs.language_code(lang) for lang in languages(args.lang)]
    langs = langs or catalogs.catalog_languages(locales)
    if args.action == "extract":
        chosen = select_leaflets(project, include_drugs=True)
        templates = {
            "messages": extract.extract_messages(project.root),
            "content": extract.extract_content(project.root, [leaflet for _, leaflet in chosen]),
        }
        for domain, catalog in templates.items():
            path = locales / f"{domain}.pot"
            state = "written" if catalogs.write_template(catalog, path) else "unchanged"
            print(f"{path}: {len(catalog)} messages ({state})")
        return 0
    if args.action == "update":
        for path, catalog in catalogs.update_catalogs(locales, langs):
            fuzzy = sum(1 for m in catalog if m.id and m.fuzzy)
            untranslated = sum(1 for m in catalog if m.id and not m.string)
            print(f"{path}: {len(catalog)} messages, {fuzzy} fuzzy, {untranslated} untranslated")
        return 0
    if args.action == "compile":
        for path in catalogs.compile_catalogs(locales, langs):
            print(f"compiled {path}")
        return 0
    if args.action == "glossary":
        for lang in langs:
            terms = clearance.glossary(locales, lang)
            if terms.path is None:
                continue
            target = terms.path.with_suffix(".tbx")
            from leafletgen.publish.unit import write_atomic

            write_atomic(target, qa_tbx(terms))
            print(f"{target}: {len(terms.terms)} terms")
        return 0
    if args.action == "review":
        return _review(project, _one_lang(langs, args), args)
    if args.action == "export":
        lang = _one_lang(langs, args)
        target = Path(args.output or f"{lang}.xlf")
        from leafletgen.publish.unit import write_atomic

        write_atomic(target, xliff.export_xliff(project.root, lang))
        print(f'wrote {target} (XLIFF 1.2; approved="yes" on reviewed entries)')
        return 0
    if args.action == "import":
        return _import(project, _one_lang(langs, args), args)
    return _status(project, langs, strict=args.strict)


def qa_tbx(terms) -> bytes:
    from leafletgen.translate.qa import glossary_tbx

    return glossary_tbx(terms)


def _one_lang(langs: list[str], args: argparse.Namespace) -> str:
    chosen = [catalogs.language_code(lang) for lang in languages(args.lang)]
    if len(chosen) != 1 or chosen[0] == catalogs.SOURCE_LANGUAGE:
        raise LeafletError(f"i18n {args.action} needs one translated language: --lang LANG")
    return chosen[0]


def _review(project: Project, lang: str, args: argparse.Namespace) -> int:
    """Record that a named, qualified reviewer approved the entries as they now stand."""
    if not args.reviewer or not args.qualification:
        raise LeafletError("i18n review needs --reviewer NAME and --qualification TEXT")
    if args.leaflet:
        chosen = select_leaflets(project, args.leaflet, include_drugs=True)
        translator = load_translator(project.locales, lang, draft=True)
        entries = {
            e.key: e
            for spec, leaflet in chosen
            for e in clearance.printed_entries(leaflet, spec, translator, project.root)
        }
    else:
        entries = {e.key: e for e in reviews.catalog_entries(project.locales, lang, project.root)}
    if not entries:
        raise TranslationError(f"nothing translated to review in {lang!r}", project.locales / lang)
    record = clearance.review_record(project.locales, lang)
    before = sum(1 for key in entries if record.review_of(key))
    record = reviews.add_review(
        record,
        reviewer=args.reviewer,
        qualification=args.qualification,
        date=args.date or dt.date.today(),
        approved=set(entries),
    )
    reviews.write_record(record)
    print(
        f"{record.path}: review by {args.reviewer} ({args.qualification}) on "
        f"{(args.date or dt.date.today()).isoformat()}: {len(entries)} entries approved "
        f"as they now stand ({before} were already approved)"
    )
    findings = clearance.entry_findings(list(entries.values()), lang, project.root)
    for finding in findings:
        print(f"warning: {finding}")
    if findings:
        print(f"{len(findings)} QA finding(s) among them keep their leaflets from being cleared")
    return 0


def _import(project: Project, lang: str, args: argparse.Namespace) -> int:
    if not args.file:
        raise LeafletError("i18n import needs the XLIFF file: --file PATH")
    result = xliff.import_xliff(
        Path(args.file),
        project.root,
        lang,
        reviewer=args.reviewer,
        qualification=args.qualification,
        date=args.date,
        translator=args.translator,
        method=args.method,
        machine=args.machine,
    )
    print(
        f"{args.file}: {len(result.changed)} translation(s) updated, "
        f"{len(result.fuzzy)} marked fuzzy, {result.approved} approved entr(y/ies) recorded"
    )
    for where in result.changed:
        print(f"  updated {where}")
    return 0


def _status(project: Project, langs: list[str], *, strict: bool) -> int:
    chosen = select_leaflets(project, include_drugs=True)
    incomplete = 0
    findings: dict[str, None] = {}
    for lang in ["en", *[lang for lang in langs if lang != "en"]]:
        translator = load_translator(project.locales, lang, draft=True)
        print(f"[{lang}]")
        if lang != catalogs.SOURCE_LANGUAGE:
            record = clearance.review_record(project.locales, lang)
            made = ", ".join(f"{t.by} ({t.method})" for t in record.translated) or "not recorded"
            reviewers = ", ".join(
                f"{r.reviewer} ({r.qualification}) on {r.date}" for r in record.reviews
            )
            print(
                f"  review record: {catalogs.project_relative(record.path, project.root)}: "
                f"translated by {made}; reviewed by {reviewers or 'nobody yet'}"
            )
        for spec, leaflet in chosen:
            needs = leaflet_needs(leaflet, spec, project.templates, project.root)
            progress = translation_progress(needs, translator)
            score = readability(leaflet_text(leaflet, translator), lang)
            if score.get("metric"):
                shown = f"{score['metric']} {score['score']}"
            else:
                shown = f"readability: {score.get('note', 'n/a')}"
            mark = "ok" if progress.complete else "INCOMPLETE"
            incomplete += not progress.complete
            reviewed = ""
            if lang != catalogs.SOURCE_LANGUAGE:
                review = clearance.review_translation(leaflet, spec, translator, project.root)
                reviewed = f"{review.reviewed}/{progress.total} reviewed, "
                findings |= dict.fromkeys(str(f) for f in review.findings)
            print(
                f"  {spec.id:<28} {progress.translated}/{progress.total} translated, "
                f"{reviewed}{progress.fuzzy} fuzzy, {progress.missing} missing  "
                f"{mark:<10}  {shown}"
            )
    for finding in findings:
        print(f"{'error' if strict else 'warning'}: {finding}")
    print(f"{len(findings)} translation QA finding(s)")
    return 1 if strict and (incomplete or findings) else 0


def cmd_check(args: argparse.Namespace) -> int:
    """Every leaflet in every language: its distribution status and why, each
    finding once; and whether the PDFs of ``--out`` carry the status they
    would get now."""
    project = find_project(args.project)
    today = args.today or dt.date.today()
    chosen = select_leaflets(project, include_drugs=True)
    langs = [catalogs.language_code(lang) for lang in languages(args.lang)]
    langs = langs or [catalogs.SOURCE_LANGUAGE, *catalogs.catalog_languages(project.locales)]
    documents = {d.id: d for _, leaflet in chosen for d in leaflet.documents}
    for document in documents.values():
        for warning in document.warnings:
            print(f"note: {document.path}:{warning.line}: {warning.message}")
    level = "error" if args.strict else "warning"
    findings: dict[str, list[str]] = {}
    statuses: dict[tuple[str, str], clearance.Status] = {}
    for lang in langs:
        translator = load_translator(project.locales, lang, draft=True)
        unreviewed: dict[str, None] = {}
        users: list[str] = []
        for spec, leaflet in chosen:
            status = clearance.assess(leaflet, spec, translator, root=project.root, today=today)
            statuses[(spec.id, lang)] = status
            for reason in status.reasons:
                if reason.code == "translation-not-reviewed":
                    unreviewed |= dict.fromkeys(reason.details)
                    users.append(f"{spec.id} [{lang}]")
                    continue
                lines = (
                    [f"[{lang}] {d}" for d in reason.details]
                    if reason.code == "translation-qa"
                    else [
                        f"[{lang}] {reason.message}"
                        if lang != "en" and reason.code.startswith("translation")
                        else reason.message
                    ]
                )
                for line in lines:
                    findings.setdefault(line, []).append(f"{spec.id} [{lang}]")
        if unreviewed:
            entries = list(unreviewed)
            shown = "; ".join(entries[:3]) + (
                f"; and {len(entries) - 3} more" if len(entries) > 3 else ""
            )
            line = (
                f"[{lang}] translation not reviewed: {len(entries)} printed entries have no "
                f"review by a qualified reviewer as they now stand: {shown}"
            )
            findings[line] = users
    clinic = load_clinic(project.clinic_file)
    for finding in furniture.printed_findings([leaflet for _, leaflet in chosen], clinic):
        findings.setdefault(str(finding), []).append(finding.leaflet)
    for line, users in findings.items():
        shown = ", ".join(users[:4]) + (f" and {len(users) - 4} more" if len(users) > 4 else "")
        print(f"{level}: {line}\n    affects {shown}")
    stale = _stale_manifest(Path(args.out), statuses)
    # Leaflets built longer than their page budget (one sheet; large print two).
    stale += [
        f"{Path(args.out) / str(entry['path'])}: {warning}"
        for entry in read_manifest(Path(args.out))
        if (warning := page_budget_warning(entry))
    ]
    stale += [str(label) for label in label_versions.changed_labels(project.root)]
    for line in stale:
        print(f"{level}: {line}")
    cleared = sum(status.cleared for status in statuses.values())
    print(
        f"{len(statuses)} leaflet x language outputs checked as of {today.isoformat()}: "
        f"{cleared} cleared, {len(statuses) - cleared} not cleared for distribution; "
        f"{len(findings)} finding(s)"
    )
    return 1 if args.strict and (findings or stale) else 0


def _stale_manifest(out: Path, statuses: dict[tuple[str, str], clearance.Status]) -> list[str]:
    """Built PDFs whose recorded status is not the one they would get now."""
    problems = []
    for entry in read_manifest(out):
        status = statuses.get((entry["id"], entry["lang"]))
        if status is None or entry.get("draft"):
            continue
        recorded = (entry.get("distribution") or {}).get("status", "none recorded")
        if recorded != status.status:
            problems.append(
                f"{out / str(entry['path'])}: built as {recorded}, now {status.status}; "
                "build it again"
            )
    return problems


def cmd_serve(args: argparse.Namespace) -> int:
    from leafletgen.web.app import serve

    project = Project.find(args.project)
    serve(project, host=args.host, port=args.port, out=args.out)
    return 0


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leafletgen", description="Print-ready patient leaflets from trusted sources."
    )
    parser.add_argument("--version", action="version", version=f"leafletgen {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    inspect = commands.add_parser("inspect", help="show how a source document is parsed")
    inspect.add_argument("path", help="a source file")
    inspect.add_argument("--json", action="store_true", help="print the parsed document as JSON")
    inspect.set_defaults(run=cmd_inspect)

    build = commands.add_parser("build", help="build leaflet PDFs")
    build.add_argument("ids", nargs="*", metavar="ID", help="leaflets to build (default: all)")
    build.add_argument("--lang", action="append", default=[], help="languages, e.g. en,es")
    build.add_argument("--out", default="out", help="output folder (default: out/)")
    build.add_argument(
        "--draft", action="store_true", help="render missing translations in English, marked DRAFT"
    )
    build.add_argument(
        "--all", action="store_true", help="also build one leaflet per drug of leaflets/drugs.yaml"
    )
    build.add_argument(
        "-j", "--jobs", type=int, default=0, help="worker processes (default: number of CPUs)"
    )
    build.add_argument(
        "--executor",
        default="local",
        metavar="WHERE",
        help="where leaflets render: local (a process pool, the default), dask (a Dask "
        "cluster on this machine, -j workers) or dask://HOST:PORT (a running Dask scheduler)",
    )
    build.add_argument(
        "--force", action="store_true", help="rebuild leaflets whose inputs did not change"
    )
    build.add_argument(
        "--large-print",
        action="store_true",
        help="also build a large-print variant (<id>.large.pdf, 16 pt body)",
    )
    build.add_argument(
        "--fhir-inline",
        action="store_true",
        help="put the PDF's data inside its FHIR DocumentReference (default: "
        "a URL relative to the output folder)",
    )
    build.add_argument(
        "--fhir-bundle",
        choices=("collection", "transaction"),
        help="also write every PDF of the output folder as one FHIR Bundle",
    )
    build.add_argument(
        "--html",
        action="store_true",
        help="also write each leaflet as a standalone, accessible HTML page",
    )
    build.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        help="judge source review dates as of this date (YYYY-MM-DD; default: today)",
    )
    build.add_argument(
        "--bilingual",
        metavar="LANG",
        help="also build a bilingual edition with LANG (e.g. en) beside each part "
        "(<id>.bilingual-LANG.pdf)",
    )
    build.add_argument("--project", help="project folder (default: here)")
    build.set_defaults(run=cmd_build)

    checker = commands.add_parser(
        "check",
        help="distribution status of every leaflet and language: reviews, QA, licences, dates",
    )
    checker.add_argument("--strict", action="store_true", help="fail on any finding")
    checker.add_argument(
        "--lang", action="append", default=[], help="languages (default: en and every catalog)"
    )
    checker.add_argument(
        "--out", default="out", help="output folder whose manifest is compared (default: out/)"
    )
    checker.add_argument(
        "--today", type=dt.date.fromisoformat, help="check as of this date (YYYY-MM-DD)"
    )
    checker.add_argument("--project", help="project folder (default: here)")
    checker.set_defaults(run=cmd_check)

    server = commands.add_parser(
        "serve", help="run the leaflet desk: staff pages, portal API and FHIR endpoint"
    )
    server.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine)",
    )
    server.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    server.add_argument("--out", default="out", help="output folder served (default: out/)")
    server.add_argument("--project", default=".", help="project folder (default: here)")
    server.set_defaults(run=cmd_serve)

    translate = commands.add_parser("i18n", help="manage translation catalogs")
    translate.add_argument(
        "action",
        choices=(
            "extract",
            "update",
            "compile",
            "status",
            "review",
            "export",
            "import",
            "glossary",
        ),
    )
    translate.add_argument(
        "--lang",
        action="append",
        default=[],
        help="languages (default: every catalog under locales/)",
    )
    translate.add_argument(
        "--strict",
        action="store_true",
        help="status: exit non-zero if any leaflet is incomplete or has QA findings",
    )
    translate.add_argument("--reviewer", help="review/import: the reviewer's name")
    translate.add_argument("--qualification", help="review/import: the reviewer's qualification")
    translate.add_argument(
        "--leaflet",
        action="append",
        default=[],
        metavar="ID",
        help="review: only the entries this leaflet prints (repeatable)",
    )
    translate.add_argument(
        "--date", type=dt.date.fromisoformat, help="review/import: date of the review (YYYY-MM-DD)"
    )
    translate.add_argument(
        "--format", choices=("xliff",), default="xliff", help="export: file format (XLIFF 1.2)"
    )
    translate.add_argument("--output", help="export: file to write (default: LANG.xlf)")
    translate.add_argument("--file", help="import: the XLIFF file to read")
    translate.add_argument(
        "--translator", help="import: who translated the entries the file changes"
    )
    translate.add_argument(
        "--machine",
        metavar="NAME",
        help="import: the machine translation system of units marked mt-suggestion",
    )
    translate.add_argument(
        "--method",
        choices=reviews.METHODS,
        default="translator",
        help="import: how the changed entries were translated",
    )
    translate.add_argument("--project", help="project folder (default: here)")
    translate.set_defaults(run=cmd_i18n)
    return parser


class _WarningFormatter(logging.Formatter):
    """``warning: <message>``, like the errors."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def _setup_logging() -> None:
    logger = logging.getLogger("leafletgen")
    if not any(getattr(h, "_leafletgen", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_WarningFormatter())
        handler._leafletgen = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    _setup_logging()
    try:
        return args.run(args)
    except LeafletError as error:
        print(shown(error), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: finished files are in place, nothing half-written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``leafletgen inspect x | head``): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
