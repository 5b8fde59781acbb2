"""Benchmark of the full batch (every leaflet x language). Not a test.

Prints, from one run on this machine:
  * per leaflet: leafletgen's own stages (read, select, translate, template,
    publish) against WeasyPrint's render, and the same HTML rendered by plain
    WeasyPrint (default settings) as the baseline, with the ratio;
  * batch throughput at -j1 and -j2, and a no-op rebuild;
  * PDF sizes and pages; peak memory, and memory as the batch is repeated.

    .venv/bin/python bench/bench.py [--rounds N]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="renders per leaflet (median)")
    args = parser.parse_args()

    from weasyprint import CSS, HTML

    from leafletgen import i18n
    from leafletgen.build import Project, build_leaflets, creation_date, leaflet_text, load_specs
    from leafletgen.leaflets import load_clinic, select_sections
    from leafletgen.publish import publish_pdf
    from leafletgen.readability import readability
    from leafletgen.render import STYLESHEET, RenderOptions, render_html, render_pdf
    from leafletgen.sources import read_corpus

    project = Project(ROOT)
    stylesheet = project.templates / STYLESHEET
    langs = ["en", "es"]

    # --- per leaflet, stage by stage -------------------------------------------
    start = time.perf_counter()
    documents = read_corpus(project.sources)
    clinic = load_clinic(project.clinic_file)
    specs = [s for s in load_specs(project, include_drugs=True).values() if not s.skip_reason]
    read_time = time.perf_counter() - start

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        for spec in specs:
            for lang in langs:
                timings: dict[str, list[float]] = {
                    k: [] for k in ("select", "translate", "template", "render", "publish", "plain")
                }
                size = pages = 0
                for _ in range(args.rounds):
                    t0 = time.perf_counter()
                    leaflet = select_sections(spec, documents)
                    t1 = time.perf_counter()
                    translator = i18n.load_translator(project.locales, lang)
                    i18n.check_translations(
                        leaflet, spec, translator, project.templates, project.root
                    )
                    t2 = time.perf_counter()
                    options = RenderOptions(paper=clinic.paper, created=creation_date(leaflet))
                    html = render_html(
                        leaflet, clinic, translator, templates=project.templates, options=options
                    )
                    t3 = time.perf_counter()
                    pdf = render_pdf(
                        html,
                        base_url=project.templates,
                        stylesheet=stylesheet,
                        assets=(clinic.logo.parent,) if clinic.logo else (),
                    )
                    t4 = time.perf_counter()
                    entry = publish_pdf(
                        pdf,
                        out=out,
                        leaflet_id=spec.id,
                        lang=lang,
                        title=spec.title,
                        documents=leaflet.documents,
                        readability=readability(leaflet_text(leaflet, translator), lang),
                    )
                    t5 = time.perf_counter()
                    # Baseline: the same HTML and stylesheet, WeasyPrint's defaults.
                    HTML(string=html, base_url=project.templates.as_uri() + "/").write_pdf(
                        stylesheets=[CSS(filename=str(stylesheet))]
                    )
                    t6 = time.perf_counter()
                    for key, value in zip(
                        timings, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5), strict=True
                    ):
                        value and timings[key].append(value)
                    size, pages = entry.bytes, entry.pages
                median = {k: statistics.median(v) * 1000 for k, v in timings.items()}
                rows.append((spec.id, lang, median, size, pages))

    print(f"read + parse 5 sources, clinic, definitions: {read_time * 1000:.1f} ms (once)")
    print()
    header = f"{'leaflet':<24}{'lang':<5}{'select':>8}{'transl':>8}{'templ':>8}{'publish':>8}"
    header += f"{'render':>9}{'plain WP':>10}{'ratio':>7}{'KB':>6}{'pages':>6}"
    print(f"{header}   (ms, median of {args.rounds})")
    ratios, own_all, plain_all = [], 0.0, 0.0
    for leaflet_id, lang, m, size, pages in rows:
        own = m["select"] + m["translate"] + m["template"] + m["publish"]
        total = own + m["render"]
        ratio = total / m["plain"]
        ratios.append(ratio)
        own_all += total
        plain_all += m["plain"]
        print(
            f"{leaflet_id:<24}{lang:<5}{m['select']:>8.1f}{m['translate']:>8.1f}"
            f"{m['template']:>8.1f}{m['publish']:>8.1f}{m['render']:>9.1f}{m['plain']:>10.1f}"
            f"{ratio:>7.2f}{size / 1024:>6.1f}{pages:>6}"
        )
    print(
        f"\nleafletgen total / plain WeasyPrint, whole batch: {own_all / plain_all:.3f} "
        f"({(own_all / plain_all - 1) * 100:+.1f} %)"
    )
    sizes = [r[3] / 1024 for r in rows]
    two_page = [r[3] / 1024 for r in rows if r[4] <= 2]
    print(
        f"PDF size: {min(sizes):.1f}-{max(sizes):.1f} KB; pages: "
        f"{min(r[4] for r in rows)}-{max(r[4] for r in rows)}"
        + (f"; 2-page leaflets max {max(two_page):.1f} KB" if two_page else "")
    )
    print(f"peak RSS after the per-leaflet runs: {rss_mb():.0f} MB")

    # --- whole batch: -j1, -j2, no-op -------------------------------------------
    print()
    jobs_total = len(rows)
    timings = {}
    for jobs in (1, 2):
        with tempfile.TemporaryDirectory() as scratch:
            t0 = time.perf_counter()
            results = build_leaflets(
                project, None, langs, scratch, include_drugs=True, jobs=jobs, force=True
            )
            elapsed = time.perf_counter() - t0
            built = sum(1 for r in results if r.entry)
            timings[jobs] = elapsed
            print(
                f"batch -j{jobs}: {built} PDFs in {elapsed:.2f} s = "
                f"{built / elapsed:.2f} leaflets/s"
            )
            if jobs == 2:
                t0 = time.perf_counter()
                again = build_leaflets(project, None, langs, scratch, include_drugs=True, jobs=2)
                noop = time.perf_counter() - t0
                skipped = sum(1 for r in again if r.skipped == "unchanged")
                print(f"no-op rebuild: {noop:.2f} s ({skipped} of {built} unchanged, skipped)")
    print(f"-j2 / -j1 throughput: {timings[1] / timings[2]:.2f}x")

    # --- memory as the batch grows -----------------------------------------------
    print()
    with tempfile.TemporaryDirectory() as scratch:
        for round_number in range(1, 4):
            build_leaflets(project, None, langs, scratch, include_drugs=True, jobs=1, force=True)
            print(
                f"serial batch round {round_number} ({jobs_total} PDFs each): "
                f"peak RSS {rss_mb():.0f} MB"
            )


if __name__ == "__main__":
    main()
