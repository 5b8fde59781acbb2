"""Benchmarks of leafletgen's batch builds. Not tests: they print numbers.

Every comparison is paired and alternated in one run (A B A B ..., then the
minimum and the median), because the machine may be shared and noisy; the
load average is printed with each figure.

    .venv/bin/python bench/bench.py engine  [--rounds 5]   # own work vs WeasyPrint alone
    .venv/bin/python bench/bench.py batch   [--sizes 16,200,2000] [--rounds 2]
    .venv/bin/python bench/bench.py latency [--rounds 5]   # one leaflet: CLI vs warm process
    .venv/bin/python bench/bench.py dask    [--size 200] [--rounds 2]
    .venv/bin/python bench/bench.py twin    [--rounds 5]   # what --html costs per language

``engine``: for every leaflet x language of the demo batch, the real job
(plan and input hash, select, translate, distribution status, template,
render with the real options, glyph and font checks, FHIR resources,
publish and journal) against plain WeasyPrint rendering the same HTML with
the same options (``pdf_variant="pdf/ua-1"``) and the same caching (the
stylesheets and font configuration parsed once); then a profile of the
difference.

``batch``: cold command-line runs (a new interpreter each time) of
``leafletgen build --all --lang en,es --force`` at -j1 and -j2, alternated,
on projects of 16, 200 and 2,000 leaflet x language jobs (extra definitions
are copies of the topic definitions, made in a temporary copy of the
project); a no-op rebuild after each; the current (not peak) resident memory
of every worker after each job it ran.

``latency``: one leaflet, one language, forced: ``leafletgen build ID``
from the shell against a second call in a process that already built once.

``dask``: the same batch through ``--executor local`` and ``--executor
dask`` (a LocalCluster of two single-threaded workers), cold, alternated; and
with a cluster already running.

``twin``: in one warm process, one leaflet per language (en, es, ar,
zh_Hans), forced, built with and without ``--html``, alternated; the extra
time is the second page (template again, fonts subset and compressed, the
language links rewritten), and the page's size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LANGS = ["en", "es"]
TOPICS = ("immunotherapy", "monoclonal-antibodies")
DEMO_JOBS = 16  # 2 topic + 6 drug leaflets x en, es


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def summary(values: list[float]) -> str:
    return f"min {min(values):.3f}  median {statistics.median(values):.3f}  max {max(values):.3f}"


def project_copy(jobs: int, parent: Path) -> Path:
    """A copy of the project's inputs with enough extra topic definitions for
    ``jobs`` leaflet x language jobs (en, es)."""
    folder = parent / f"project-{jobs}"
    for name in ("sources", "leaflets", "templates", "locales"):
        shutil.copytree(ROOT / name, folder / name)
    extra = (jobs - DEMO_JOBS) // len(LANGS)
    for n in range(extra):
        topic = TOPICS[n % len(TOPICS)]
        shutil.copy(
            folder / "leaflets" / f"{topic}.yaml", folder / "leaflets" / f"{topic}-{n:04d}.yaml"
        )
    return folder


# --- engine: own work against WeasyPrint --------------------------------------------


def engine(rounds: int) -> None:
    import cProfile
    import pstats

    from weasyprint import HTML

    from leafletgen.batch import plan, worker
    from leafletgen.project import Project
    from leafletgen.publish.journal import ManifestJournal
    from leafletgen.publish.writer import publish_leaflet
    from leafletgen.render import fonts, html, pdf
    from leafletgen.select.selection import select_sections

    project = Project(ROOT)
    today = None
    workspace = worker.load_workspace(project, include_drugs=True)
    worker.install_workspace(workspace)
    stylesheet = project.templates / html.STYLESHEET
    specs = [s for s in workspace.specs.values() if not s.skip_reason]
    cases = []
    for spec in specs:
        for lang in LANGS:
            prepared = worker.prepare_leaflet(workspace, spec, lang, variant="standard")
            langs = fonts.check_glyphs(prepared.html, project.templates.resolve())
            path = stylesheet.resolve()
            sheets, font_config = pdf._shared_stylesheets(path, path.stat().st_mtime, langs)
            cases.append((spec, lang, prepared.html, sheets, font_config))

    digests = plan.InputDigests(project.root)  # shared by a batch's jobs, as in a build

    def real_job(out: Path, journal: ManifestJournal, spec, lang) -> None:
        leaflet = select_sections(spec, workspace.documents)
        inputs = plan.input_hash(
            project, spec, leaflet, workspace.clinic, lang, False, "standard", today,
            digests=digests,
        )  # fmt: skip
        rendered = worker.run_job(worker.Job(workspace.key, spec.id, lang, "standard", inputs))
        assert rendered.error is None and rendered.entry is not None, rendered.error
        publish_leaflet(
            out, rendered.entry, rendered.pdf, rendered.html,
            fhir_inline=False, recorded="2026-01-01T00:00:00+00:00", journal=journal, originals={},
        )  # fmt: skip

    def plain(html: str, sheets, font_config) -> None:
        document = HTML(string=html, base_url=project.templates.as_uri() + "/")
        document.write_pdf(
            stylesheets=list(sheets), font_config=font_config, pdf_variant="pdf/ua-1"
        )

    # Warm both paths once (imports, caches), then alternate.
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        journal = ManifestJournal(out)
        for spec, lang, html, sheets, font_config in cases:
            real_job(out, journal, spec, lang)
            plain(html, sheets, font_config)
        journal.close()
    totals: dict[str, list[float]] = {"leafletgen": [], "weasyprint": []}
    per_job: dict[tuple[str, str], dict[str, list[float]]] = {}
    print(f"engine: {len(cases)} jobs x {rounds} rounds, alternated ({load()})")
    for round_number in range(rounds):
        with tempfile.TemporaryDirectory() as scratch:
            out = Path(scratch)
            journal = ManifestJournal(out)
            sums = {"leafletgen": 0.0, "weasyprint": 0.0}
            for spec, lang, html, sheets, font_config in cases:
                order = ("leafletgen", "weasyprint")
                if round_number % 2:
                    order = order[::-1]
                for which in order:
                    start = time.perf_counter()
                    if which == "leafletgen":
                        real_job(out, journal, spec, lang)
                    else:
                        plain(html, sheets, font_config)
                    took = time.perf_counter() - start
                    sums[which] += took
                    per_job.setdefault((spec.id, lang), {}).setdefault(which, []).append(took)
            journal.close()
        for which, total in sums.items():
            totals[which].append(total)
        print(
            f"  round {round_number + 1}: leafletgen {sums['leafletgen']:.3f} s, "
            f"WeasyPrint {sums['weasyprint']:.3f} s, "
            f"ratio {sums['leafletgen'] / sums['weasyprint']:.3f} ({load()})"
        )
    ratios = [a / b for a, b in zip(totals["leafletgen"], totals["weasyprint"], strict=True)]
    print(f"  batch of {len(cases)}, leafletgen s: {summary(totals['leafletgen'])}")
    print(f"  batch of {len(cases)}, WeasyPrint s: {summary(totals['weasyprint'])}")
    print(f"  ratio per round: {summary(ratios)}")
    print(
        f"  ratio of minima: {min(totals['leafletgen']) / min(totals['weasyprint']):.3f}; "
        f"of medians: "
        f"{statistics.median(totals['leafletgen']) / statistics.median(totals['weasyprint']):.3f}"
    )
    print("  per job, median ms (leafletgen / WeasyPrint):")
    for (leaflet_id, lang), times in per_job.items():
        a = statistics.median(times["leafletgen"]) * 1000
        b = statistics.median(times["weasyprint"]) * 1000
        print(f"    {leaflet_id:<24}{lang:<4}{a:8.1f}{b:8.1f}   {a / b:.3f}")

    # Where leafletgen's own time goes: one more round of the real job, profiled.
    profile = cProfile.Profile()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        journal = ManifestJournal(out)
        profile.enable()
        for spec, lang, *_ in cases:
            real_job(out, journal, spec, lang)
        profile.disable()
        journal.close()
    stats = pstats.Stats(profile)
    wanted = {
        "render_document": "pdf.py",
        "write_pdf": "document.py",
        "render": "document.py",
        "check_glyphs": "fonts.py",
        "check_embedded_fonts": "fonts.py",
        "assess": "clearance.py",
        "render_html": "pdf.py",
        "check_translations": "catalogs.py",
        "select_sections": "leaflets.py",
        "readability": "readability.py",
        "input_hash": "plan.py",
        "resources_of": "fhir.py",
        "publish_unit": "writer.py",
        "add": "journal.py",
        "describe_pdf": "manifest.py",
    }
    print("  profile of the real job, cumulative ms per job:")
    for (filename, _line, name), row in sorted(stats.stats.items(), key=lambda kv: -kv[1][3]):
        if name in wanted and filename.endswith(wanted[name]):
            where = Path(filename).parent.name + "/" + Path(filename).name
            print(f"    {name:<22}{where:<28}{row[3] / len(cases) * 1000:8.1f}")


# --- batch: cold command-line runs --------------------------------------------------


def cli(project: Path, out: Path, *args: str, rss_file: Path | None = None) -> float:
    """Wall time of one cold ``leafletgen build`` (a new interpreter)."""
    env = dict(os.environ)
    command = [str(BIN / "leafletgen")]
    if rss_file is not None:  # the same command, recording workers' memory per job
        env["LEAFLETGEN_BENCH_RSS"] = str(rss_file)
        command = [sys.executable, str(Path(__file__).with_name("rss_cli.py"))]
    command += ["build", "--project", str(project), "--out", str(out), *args]
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, env=env)
    took = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{completed.stderr[-2000:]}")
    return took


def rss_report(rss_file: Path) -> str:
    """Each worker's resident memory after its first and last job, and its peak."""
    samples = json.loads(rss_file.read_text())
    workers: dict[str, list[int]] = {}
    for worker, rss in samples:
        if rss:
            workers.setdefault(worker, []).append(rss)
    lines = []
    for worker, values in workers.items():
        mb = [v / 2**20 for v in values]
        lines.append(
            f"      worker {worker.rsplit(':', 1)[-1]}: {len(mb)} jobs, "
            f"after first {mb[0]:.0f} MB, after last {mb[-1]:.0f} MB, max {max(mb):.0f} MB"
        )
    return "\n".join(lines)


def batch(sizes: list[int], rounds: int, big_rounds: int, big_modes: list[str]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        for size in sizes:
            project = project_copy(size, scratch)
            count = size
            big = size >= 1000
            runs = big_rounds if big else rounds
            modes = big_modes if big else ["-j1", "-j2"]
            times: dict[str, list[float]] = {mode: [] for mode in modes}
            noop: list[float] = []
            shown = ", ".join(modes)
            print(f"batch of {count} jobs, {runs} round(s) of {shown}, alternated ({load()})")
            for round_number in range(runs):
                order = modes if round_number % 2 == 0 else modes[::-1]
                for jobs in order:
                    out = scratch / f"out-{size}-{jobs}-{round_number}"
                    rss = scratch / f"rss-{size}-{jobs}-{round_number}.json"
                    took = cli(
                        project, out, "--all", "--lang", "en,es", jobs, "--force", rss_file=rss
                    )
                    times[jobs].append(took)
                    again = cli(project, out, "--all", "--lang", "en,es", jobs)
                    noop.append(again)
                    print(
                        f"  {jobs}: {took:.2f} s = {took / count * 1000:.1f} ms per PDF; "
                        f"no-op rebuild {again:.2f} s ({load()})"
                    )
                    if jobs == "-j2":
                        print(rss_report(rss))
                    shutil.rmtree(out)
            for mode, values in times.items():
                per_pdf = min(values) / count * 1000
                print(f"  {mode} s: {summary(values)}   per PDF ms: {per_pdf:.1f} (min)")
            if {"-j1", "-j2"} <= times.keys():
                j1, j2 = times["-j1"], times["-j2"]
                print(
                    f"  -j2 speed-up: {min(j1) / min(j2):.2f}x (minima), "
                    f"{statistics.median(j1) / statistics.median(j2):.2f}x (medians)"
                )
            print(f"  no-op rebuild s: {summary(noop)}")
            shutil.rmtree(project)


# --- latency: one leaflet ------------------------------------------------------------


def latency(rounds: int) -> None:
    from leafletgen.batch.build import build
    from leafletgen.batch.plan import BuildOptions
    from leafletgen.project import Project

    project = Project(ROOT)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        options = BuildOptions(ids=("immunotherapy",), out=out, force=True)
        build(project, options)  # warm this process
        cold, warm = [], []
        print(f"latency: one leaflet (immunotherapy, en, forced), {rounds} rounds ({load()})")
        for round_number in range(rounds):
            order = ["cli", "warm"] if round_number % 2 == 0 else ["warm", "cli"]
            for which in order:
                if which == "cli":
                    args = ("immunotherapy", "--lang", "en", "--force", "-j", "1")
                    cold.append(cli(ROOT, out, *args))
                else:
                    start = time.perf_counter()
                    build(project, options)
                    warm.append(time.perf_counter() - start)
        print(f"  command line s: {summary(cold)}")
        print(f"  warm process s: {summary(warm)}   ({load()})")


# --- twin: what the web page costs ------------------------------------------------------


def twin(rounds: int) -> None:
    from leafletgen.batch.build import build
    from leafletgen.batch.plan import BuildOptions
    from leafletgen.project import Project

    project = Project(ROOT)
    langs = ("en", "es", "ar", "zh_Hans")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        build(project, BuildOptions(("immunotherapy",), langs, out, html_twin=True))  # warm up
        print(f"twin: immunotherapy, forced, with and without --html, {rounds} rounds ({load()})")
        for lang in langs:
            times: dict[bool, list[float]] = {False: [], True: []}
            for round_number in range(rounds):
                for html in (False, True) if round_number % 2 == 0 else (True, False):
                    start = time.perf_counter()
                    options = BuildOptions(
                        ("immunotherapy",), (lang,), out, force=True, html_twin=html
                    )
                    build(project, options)
                    times[html].append(time.perf_counter() - start)
            extra = [b - a for a, b in zip(times[False], times[True], strict=True)]
            size = (out / lang / "immunotherapy.html").stat().st_size
            print(
                f"  {lang:8} PDF only s: median {statistics.median(times[False]):.3f}"
                f"   with page: median {statistics.median(times[True]):.3f}"
                f"   extra per pair: {summary(extra)}   page {size:,} bytes   ({load()})"
            )


# --- dask: LocalCluster against the local pool -----------------------------------------


def dask(size: int, rounds: int) -> None:
    from leafletgen.batch.build import build
    from leafletgen.batch.executors import DaskCluster, LocalPool
    from leafletgen.batch.plan import BuildOptions
    from leafletgen.project import Project

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        project = project_copy(size, scratch)
        cold: dict[str, list[float]] = {"local": [], "dask": []}
        print(f"dask: batch of {size} jobs, cold command line, {rounds} rounds ({load()})")
        for round_number in range(rounds):
            order = ["local", "dask"] if round_number % 2 == 0 else ["dask", "local"]
            for which in order:
                out = scratch / f"out-{which}-{round_number}"
                args = ("--all", "--lang", "en,es", "-j", "2", "--force", "--executor", which)
                took = cli(project, out, *args)
                cold[which].append(took)
                print(f"  {which}: {took:.2f} s ({load()})")
                shutil.rmtree(out)
        print(f"  local pool s: {summary(cold['local'])}")
        print(f"  LocalCluster s: {summary(cold['dask'])}")
        print(f"  overhead (minima): {(min(cold['dask']) / min(cold['local']) - 1) * 100:+.1f} %")

        # The same with the executor already running (a long-lived cluster or
        # pool), in-process: the per-job cost of each.
        cluster = DaskCluster(None, workers=2)
        warm: dict[str, list[float]] = {"local": [], "dask": []}
        try:
            for round_number in range(rounds):
                order = ["local", "dask"] if round_number % 2 == 0 else ["dask", "local"]
                for which in order:
                    out = scratch / f"warm-{which}-{round_number}"
                    backend = cluster if which == "dask" else LocalPool(2)
                    start = time.perf_counter()
                    build(Project(project), BuildOptions(
                        (), tuple(LANGS), out, include_drugs=True, force=True,
                        jobs=2, executor=backend,
                    ))  # fmt: skip
                    warm[which].append(time.perf_counter() - start)
                    print(f"  running {which}: {warm[which][-1]:.2f} s ({load()})")
                    shutil.rmtree(out)
        finally:
            cluster.close()
        print(f"  started pool s: {summary(warm['local'])}")
        print(f"  running LocalCluster s: {summary(warm['dask'])}")
        print(f"  overhead (minima): {(min(warm['dask']) / min(warm['local']) - 1) * 100:+.1f} %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("engine", "batch", "latency", "dask", "twin"))
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--big-rounds", type=int, default=1, help="rounds at 1,000 jobs or more")
    parser.add_argument(
        "--big-modes", default="-j2", help="modes run at 1,000 jobs or more (time bound)"
    )
    parser.add_argument("--sizes", default="16,200,2000")
    parser.add_argument("--size", type=int, default=200)
    args = parser.parse_args()
    if args.what == "engine":
        engine(args.rounds or 5)
    elif args.what == "batch":
        sizes = [int(s) for s in args.sizes.split(",")]
        batch(sizes, args.rounds or 2, args.big_rounds, args.big_modes.split(","))
    elif args.what == "latency":
        latency(args.rounds or 5)
    elif args.what == "twin":
        twin(args.rounds or 5)
    else:
        dask(args.size, args.rounds or 2)


if __name__ == "__main__":
    main()
