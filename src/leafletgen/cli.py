"""Command line: parses arguments and calls the pipeline stages, nothing more.

What a command found is data (:mod:`leafletgen.report`); this module prints
it. Errors in the user's input print as ``path:line: message`` and exit 1;
any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from leafletgen import __version__, accounts, audit, audit_evidence, clearance, report
from leafletgen.accounts import Actor
from leafletgen.audit_cli import add_audit_command, record_import
from leafletgen.batch.build import build
from leafletgen.batch.plan import BuildOptions, BuildResult
from leafletgen.desk_commands import add_account_commands, add_serve_options, serve_options
from leafletgen.errors import LeafletError, shown
from leafletgen.files import write_atomic
from leafletgen.model import SourceInfo
from leafletgen.project import Project, select_leaflets
from leafletgen.read.sources import load_sources, read_source
from leafletgen.review.commands import add_sources_command
from leafletgen.select.clinic import load_clinic
from leafletgen.terminal import Progress, setup_logging
from leafletgen.translate import catalogs, extract, leaflet_review, reviews
from leafletgen.translate.qa import glossary_tbx


def _print_lines(lines: Iterable[str], file: TextIO | None = None) -> None:
    for line in lines:
        print(line, file=file)


def _info_for(path: Path) -> SourceInfo | None:
    """The sources.yaml entry describing ``path``, if its folder has one."""
    if not (path.parent / "sources.yaml").is_file():
        return None
    infos = load_sources(path.parent).values()
    return next((i for i in infos if (path.parent / i.file).resolve() == path.resolve()), None)


def cmd_inspect(args: argparse.Namespace) -> int:
    """``inspect``: how a source document is parsed, as an outline or JSON."""
    from leafletgen.read import inspect as inspection  # commands import what they use

    path = Path(args.path)
    document = read_source(path, _info_for(path))
    if args.json:
        json.dump(inspection.document_json(document), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(inspection.document_text(document))
    return 0


def find_project(folder: str | None) -> Project:
    """The project of ``--project`` (which must exist), else of the current folder."""
    if folder is not None and not Path(folder).is_dir():
        raise LeafletError("no such project folder", folder)
    return Project.find(folder if folder is not None else ".")


def languages(values: list[str]) -> list[str]:
    """``--lang en,es --lang fr`` -> ``["en", "es", "fr"]``; an empty code is an error."""
    langs = []
    for value in values:
        for lang in value.split(","):
            if not lang.strip():
                raise LeafletError(f"empty language code in --lang {value!r}")
            langs.append(lang.strip())
    return langs


def _progress_printer(
    out: Path, progress: Progress | None
) -> Callable[[BuildResult, int, int], None]:
    """What ``build`` shows as each leaflet is done: a progress bar on a
    terminal, else a line each, flushed so that a pipe gets it at once."""

    def show(result: BuildResult, done: int, total: int) -> None:
        if progress:
            progress.show(done, total, f"{result.id} [{result.lang}]")
        elif line := report.result_line(result, out):
            print(line, flush=True)

    return show


def cmd_build(args: argparse.Namespace) -> int:
    """``build``: render the chosen leaflets, then say what was built and what is not cleared."""
    project = find_project(args.project)
    langs = languages(args.lang)
    out = Path(args.out)
    progress = Progress(sys.stderr) if sys.stderr.isatty() else None
    options = BuildOptions(
        ids=tuple(args.ids or ()),
        langs=tuple(langs or ["en"]),
        out=out,
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
        today=args.today,
    )
    findings: list = []  # (from the build's own selections: 10,000 jobs are not selected twice)
    results = build(project, options, on_result=_progress_printer(out, progress), findings=findings)
    audit.record_build(project.root, results, out, who=audit.command_line_user(), via="cli")
    if progress:
        progress.close()
    _print_lines(report.budget_warnings(results), file=sys.stderr)
    _print_lines(report.failure_lines(results), file=sys.stderr)
    for line in dict.fromkeys(map(str, findings)):  # each once, however many leaflets print it
        print(f"warning: {line}", file=sys.stderr)
    summary = report.BuildSummary.of(results)
    print(summary.line())
    print(report.distribution_summary(report.current_entries(results, out)))
    return 1 if summary.failed else 0


def cmd_i18n(args: argparse.Namespace) -> int:
    """``i18n ACTION``: manage the translation catalogs, reviews and exchange files."""
    project = find_project(args.project)
    langs = [catalogs.language_code(lang) for lang in languages(args.lang)]
    langs = langs or catalogs.catalog_languages(project.locales)
    actions: dict[str, Callable[[], int]] = {
        "extract": lambda: _extract(project),
        "update": lambda: _update(project, langs),
        "compile": lambda: _compile(project, langs),
        "glossary": lambda: _glossary(project, langs),
        "review": lambda: _review(project, _one_lang(langs, args), args),
        "export": lambda: _export(project, _one_lang(langs, args), args),
        "import": lambda: _import(project, _one_lang(langs, args), args),
    }
    return actions.get(args.action, lambda: _status(project, langs, strict=args.strict))()


def _extract(project: Project) -> int:
    chosen = select_leaflets(project, include_drugs=True)
    templates = {
        "messages": extract.extract_messages(project.root),
        "content": extract.extract_content(project.root, [leaflet for _, leaflet in chosen]),
    }
    written = []
    for domain, catalog in templates.items():
        path = project.locales / f"{domain}.pot"
        state = "written" if catalogs.write_template(catalog, path) else "unchanged"
        written += [path] if state == "written" else []
        print(f"{path}: {len(catalog)} messages ({state})")
    if written:
        audit.append_cli(project.root, "i18n.extract", {}, written)
    return 0


def _update(project: Project, langs: list[str]) -> int:
    updated = catalogs.update_catalogs(project.locales, langs)
    for path, catalog in updated:
        fuzzy = sum(1 for m in catalog if m.id and m.fuzzy)
        untranslated = sum(1 for m in catalog if m.id and not m.string)
        print(f"{path}: {len(catalog)} messages, {fuzzy} fuzzy, {untranslated} untranslated")
    audit.append_cli(project.root, "i18n.update", {"languages": langs}, [p for p, _ in updated])
    return 0


def _compile(project: Project, langs: list[str]) -> int:
    compiled = catalogs.compile_catalogs(project.locales, langs)
    for path in compiled:
        print(f"compiled {path}")
    mo_files = [path.with_suffix(".mo") for path in compiled]
    audit.append_cli(project.root, "i18n.compile", {"languages": langs}, mo_files)
    return 0


def _glossary(project: Project, langs: list[str]) -> int:
    for lang in langs:
        terms = clearance.glossary(project.locales, lang)
        if terms.path is None:
            continue
        target = terms.path.with_suffix(".tbx")
        write_atomic(target, glossary_tbx(terms))
        print(f"{target}: {len(terms.terms)} terms")
        audit.append_cli(project.root, "i18n.glossary", {"language": lang}, [target])
    return 0


def _export(project: Project, lang: str, args: argparse.Namespace) -> int:
    from leafletgen.translate import xliff

    target = Path(args.output or f"{lang}.xlf")
    only = leaflet_review.printed_messages(project, args.leaflet, lang) if args.leaflet else None
    write_atomic(target, xliff.export_xliff(project.root, lang, only=only))
    print(f'wrote {target} (XLIFF 1.2; approved="yes" on reviewed entries)')
    return 0


def _one_lang(langs: list[str], args: argparse.Namespace) -> str:
    chosen = [catalogs.language_code(lang) for lang in languages(args.lang)]
    if len(chosen) != 1 or chosen[0] == catalogs.SOURCE_LANGUAGE:
        raise LeafletError(f"i18n {args.action} needs one translated language: --lang LANG")
    return chosen[0]


def _review(project: Project, lang: str, args: argparse.Namespace) -> int:
    """Record that a desk user who reviews translations approved the entries as they now stand."""
    actor = _reviewer(project, args)
    if actor is None:
        raise LeafletError(
            "i18n review needs --reviewer NAME: a desk user who holds the role "
            "translation-reviewer (desk/users.yaml)"
        )
    _print_lines(leaflet_review.record_review(project, lang, actor, args.leaflet))
    return 0


def _reviewer(project: Project, args: argparse.Namespace) -> Actor | None:
    """The desk user ``--reviewer`` names, acting as a translation reviewer."""
    if args.qualification or args.date:
        raise LeafletError(
            f"i18n {args.action} takes the reviewer's qualification from their desk user "
            "record and records today's date: leave out --qualification and --date"
        )
    if not args.reviewer:
        return None
    actor = accounts.user_actor(project.root, args.reviewer, role="translation-reviewer")
    leaflet_review.check_reviewer(project, actor)
    return actor


def _import(project: Project, lang: str, args: argparse.Namespace) -> int:
    if not args.file:
        raise LeafletError("i18n import needs the XLIFF file: --file PATH")
    actor = _reviewer(project, args)
    if actor is not None:
        leaflet_review.refuse_own_import(project, actor, args.translator)
    from leafletgen.translate import xliff

    result = xliff.import_xliff(
        Path(args.file),
        project.root,
        lang,
        reviewer=actor.name if actor else None,
        qualification=actor.qualification if actor else None,
        translator=args.translator,
        method=args.method,
        machine=args.machine,
    )
    if result.changed or result.fuzzy or result.approved:
        record_import(project, lang, args, result)
    print(
        f"{args.file}: {len(result.changed)} translation(s) updated, "
        f"{len(result.fuzzy)} marked fuzzy, {result.approved} approved entr(y/ies) recorded"
    )
    for where in result.changed:
        print(f"  updated {where}")
    return 0


def _status(project: Project, langs: list[str], *, strict: bool) -> int:
    chosen = select_leaflets(project, include_drugs=True)
    status = report.translation_status(project, chosen, langs)
    _print_lines(status.lines(strict=strict))
    return 1 if status.fails(strict=strict) else 0


def cmd_check(args: argparse.Namespace) -> int:
    """``check``: every leaflet in every language, its distribution status and why,
    each finding once; and whether the PDFs of ``--out`` are up to date."""
    project = find_project(args.project)
    today = args.today or dt.date.today()
    chosen = select_leaflets(project, args.ids or None, include_drugs=True)
    langs = [catalogs.language_code(lang) for lang in languages(args.lang)]
    langs = langs or [catalogs.SOURCE_LANGUAGE, *catalogs.catalog_languages(project.locales)]
    _print_lines(report.document_notes(chosen))
    clinic = load_clinic(project.clinic_file)
    check = report.check_leaflets(
        project, chosen, clinic, langs, today=today, out=Path(args.out), ids=args.ids
    )
    _print_lines(check.lines(strict=args.strict))
    trail = audit_evidence.evidence(project.root)
    _print_lines(trail.lines(strict=args.strict))
    return 1 if check.fails(strict=args.strict) or trail.fails(strict=args.strict) else 0


def cmd_serve(args: argparse.Namespace) -> int:
    """``serve``: run the leaflet desk."""
    # Imported here: the web stack loads only for the command that serves it.
    from leafletgen.web.app import serve

    options = serve_options(args)
    serve(Project.find(args.project), host=args.host, port=args.port, out=args.out, **options)
    return 0


def make_parser() -> argparse.ArgumentParser:
    """The ``leafletgen`` argument parser, a subcommand each (see ``_add_*``)."""
    parser = argparse.ArgumentParser(
        prog="leafletgen", description="Print-ready patient leaflets from trusted sources."
    )
    parser.add_argument("--version", action="version", version=f"leafletgen {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for add in (
        _add_inspect,
        _add_build,
        _add_check,
        add_sources_command,
        _add_serve,
        add_account_commands,
        _add_i18n,
        add_audit_command,
    ):
        add(commands)
    return parser


def _switch(parser: argparse.ArgumentParser, name: str, help: str) -> None:
    parser.add_argument(name, action="store_true", help=help)


def _add_inspect(commands: Any) -> None:
    """``inspect PATH``."""
    inspect = commands.add_parser("inspect", help="show how a source document is parsed")
    inspect.add_argument("path", help="a source file")
    _switch(inspect, "--json", "print the parsed document as JSON")
    inspect.set_defaults(run=cmd_inspect)


def _add_build(commands: Any) -> None:
    """``build [ID ...]`` and its options."""
    build = commands.add_parser("build", help="build leaflet PDFs")
    build.add_argument("ids", nargs="*", metavar="ID", help="leaflets to build (default: all)")
    build.add_argument("--lang", action="append", default=[], help="languages, e.g. en,es")
    build.add_argument("--out", default="out", help="output folder (default: out/)")
    _switch(build, "--draft", "render missing translations in English, marked DRAFT")
    _switch(build, "--all", "also build one leaflet per drug of leaflets/drugs.yaml")
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
    _switch(build, "--force", "rebuild leaflets whose inputs did not change")
    _switch(build, "--large-print", "also build a large-print variant (<id>.large.pdf, 16 pt body)")
    _switch(
        build,
        "--fhir-inline",
        "put the PDF's data inside its FHIR DocumentReference (default: "
        "a URL relative to the output folder)",
    )
    build.add_argument(
        "--fhir-bundle",
        choices=("collection", "transaction"),
        help="also write every PDF of the output folder as one FHIR Bundle",
    )
    _switch(build, "--html", "also write each leaflet as a standalone, accessible HTML page")
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


def _add_check(commands: Any) -> None:
    """``check``."""
    checker = commands.add_parser(
        "check",
        help="distribution status of every leaflet and language: reviews, QA, licences, dates",
    )
    checker.add_argument("ids", nargs="*", metavar="ID", help="leaflets to check (default: all)")
    _switch(checker, "--strict", "fail on any finding")
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


def _add_serve(commands: Any) -> None:
    """``serve``."""
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
    add_serve_options(server)
    server.set_defaults(run=cmd_serve)


I18N_ACTIONS = ("extract", "update", "compile", "status", "review", "export", "import", "glossary")


def _add_i18n(commands: Any) -> None:
    """``i18n ACTION`` and the options of its actions."""
    i18n = commands.add_parser("i18n", help="manage translation catalogs")
    i18n.add_argument("action", choices=I18N_ACTIONS)
    i18n.add_argument(
        "--lang",
        action="append",
        default=[],
        help="languages (default: every catalog under locales/)",
    )
    _switch(
        i18n, "--strict", "status: exit non-zero if any leaflet is incomplete or has QA findings"
    )
    i18n.add_argument(
        "--reviewer",
        help="review/import: the desk user (role translation-reviewer) who reviewed; "
        "their qualification comes from desk/users.yaml and the date is today's",
    )
    i18n.add_argument("--qualification", help=argparse.SUPPRESS)  # refused: see --reviewer
    i18n.add_argument(
        "--leaflet",
        action="append",
        default=[],
        metavar="ID",
        help="review/export: only the entries this leaflet prints (repeatable)",
    )
    i18n.add_argument("--date", type=dt.date.fromisoformat, help=argparse.SUPPRESS)  # refused
    i18n.add_argument(
        "--format", choices=("xliff",), default="xliff", help="export: file format (XLIFF 1.2)"
    )
    i18n.add_argument("--output", help="export: file to write (default: LANG.xlf)")
    i18n.add_argument("--file", help="import: the XLIFF file to read")
    i18n.add_argument("--translator", help="import: who translated the entries the file changes")
    i18n.add_argument(
        "--machine",
        metavar="NAME",
        help="import: the machine translation system of units marked mt-suggestion",
    )
    i18n.add_argument(
        "--method",
        choices=reviews.METHODS,
        default="translator",
        help="import: how the changed entries were translated",
    )
    i18n.add_argument("--project", help="project folder (default: here)")
    i18n.set_defaults(run=cmd_i18n)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``leafletgen`` with ``argv``: the exit status (1 on an input error)."""
    args = make_parser().parse_args(argv)
    setup_logging()
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
