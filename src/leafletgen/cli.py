"""Command line: parses arguments and calls the pipeline stages, nothing more.

Errors in the user's input print as ``path:line: message`` and exit 1; any
other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__, check, i18n
from .build import Project, build_leaflets, leaflet_text, select_leaflets
from .errors import ErrorGroup, LeafletError
from .model import Document
from .readability import readability
from .sources import load_sources, read_corpus, read_source


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
        force=args.force,
        large_print=args.large_print,
        fhir_inline=args.fhir_inline,
        fhir_bundle=args.fhir_bundle,
        html_twin=args.html,
        on_result=report,
    )
    if progress:
        progress.close()
    for result in results:
        if not result.ok:
            print(f"FAILED   {result.id} [{result.lang}]", file=sys.stderr)
            errors = getattr(result.error, "errors", [result.error])
            print(_indent("\n".join(shown(e) for e in errors)), file=sys.stderr)
    built = sum(1 for r in results if r.entry)
    skipped = [r for r in results if r.skipped]
    unchanged = sum(1 for r in skipped if r.skipped == "unchanged")
    failed = sum(not r.ok for r in results)
    print(
        f"{built} built, {len(skipped)} skipped ({unchanged} unchanged, "
        f"{len(skipped) - unchanged} not built by choice), {failed} failed"
    )
    return 1 if failed else 0


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
    langs = [i18n.language_code(lang) for lang in languages(args.lang)]
    langs = langs or i18n.catalog_languages(locales)
    if args.action == "extract":
        chosen = select_leaflets(project, include_drugs=True)
        templates = {
            "messages": i18n.extract_messages(project.root),
            "content": i18n.extract_content(project.root, [leaflet for _, leaflet in chosen]),
        }
        for domain, catalog in templates.items():
            path = locales / f"{domain}.pot"
            state = "written" if i18n.write_template(catalog, path) else "unchanged"
            print(f"{path}: {len(catalog)} messages ({state})")
        return 0
    if args.action == "update":
        for path, catalog in i18n.update_catalogs(locales, langs):
            fuzzy = sum(1 for m in catalog if m.id and m.fuzzy)
            untranslated = sum(1 for m in catalog if m.id and not m.string)
            print(f"{path}: {len(catalog)} messages, {fuzzy} fuzzy, {untranslated} untranslated")
        return 0
    if args.action == "compile":
        for path in i18n.compile_catalogs(locales, langs):
            print(f"compiled {path}")
        return 0
    return _status(project, langs, strict=args.strict)


def _status(project: Project, langs: list[str], *, strict: bool) -> int:
    chosen = select_leaflets(project, include_drugs=True)
    incomplete = 0
    for lang in ["en", *[lang for lang in langs if lang != "en"]]:
        translator = i18n.load_translator(project.locales, lang, draft=True)
        print(f"[{lang}]")
        for spec, leaflet in chosen:
            needs = i18n.leaflet_needs(leaflet, spec, project.templates, project.root)
            progress = i18n.translation_progress(needs, translator)
            score = readability(leaflet_text(leaflet, translator), lang)
            shown = f"{score['metric']} {score['score']}" if score else "readability n/a"
            mark = "ok" if progress.complete else "INCOMPLETE"
            incomplete += not progress.complete
            print(
                f"  {spec.id:<28} {progress.translated}/{progress.total} translated, "
                f"{progress.fuzzy} fuzzy, {progress.missing} missing  {mark:<10}  {shown}"
            )
    return 1 if strict and incomplete else 0


def cmd_check(args: argparse.Namespace) -> int:
    project = find_project(args.project)
    today = args.today or dt.date.today()
    chosen = select_leaflets(project, include_drugs=True)
    documents = {d.id: d for _, leaflet in chosen for d in leaflet.documents}
    sources_file = str(project.sources / "sources.yaml")
    findings = check.review_findings(read_corpus(project.sources), today)
    findings += check.licence_findings([leaflet for _, leaflet in chosen], sources_file)
    for document in documents.values():
        for warning in document.warnings:
            print(f"note: {document.path}:{warning.line}: {warning.message}")
    for finding in findings:
        print(f"{'error' if args.strict else 'warning'}: {finding}")
    print(f"{len(chosen)} leaflets checked, {len(findings)} finding(s)")
    return 1 if args.strict and findings else 0


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
        "--project", help="project folder (default: the one holding the current folder)"
    )
    build.set_defaults(run=cmd_build)

    checker = commands.add_parser(
        "check", help="report sources past review and licences needing permission"
    )
    checker.add_argument("--strict", action="store_true", help="fail on any finding")
    checker.add_argument(
        "--today", type=dt.date.fromisoformat, help="check as of this date (YYYY-MM-DD)"
    )
    checker.add_argument(
        "--project", help="project folder (default: the one holding the current folder)"
    )
    checker.set_defaults(run=cmd_check)

    translate = commands.add_parser("i18n", help="manage translation catalogs")
    translate.add_argument("action", choices=("extract", "update", "compile", "status"))
    translate.add_argument(
        "--lang",
        action="append",
        default=[],
        help="languages (default: every catalog under locales/)",
    )
    translate.add_argument(
        "--strict", action="store_true", help="status: exit non-zero if any leaflet is incomplete"
    )
    translate.add_argument(
        "--project", help="project folder (default: the one holding the current folder)"
    )
    translate.set_defaults(run=cmd_i18n)
    return parser


def shown(error: LeafletError) -> str:
    """An error as printed: its path relative to the current folder when inside it."""
    if isinstance(error, ErrorGroup):
        return "\n".join(shown(member) for member in error.errors)
    if error.path and os.path.isabs(error.path):
        relative = os.path.relpath(error.path)
        if not relative.startswith(".."):
            error = copy.copy(error)
            error.path = relative
    return str(error)


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
