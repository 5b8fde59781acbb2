"""Where a web page's time goes over a batch, and this tree against a base.

Not a test: prints numbers. A new process prepares every demo leaflet in one
language as a build does (select, translate, check, the PDF's HTML) and
renders one PDF (so WeasyPrint and its fonts are loaded, as in a build), then
makes each leaflet's web page as the worker does and counts the CPU time of
the web pages alone: the first page with what a process does once (font
files checked, language names, imports), then the others. Leaving the PDF
renders out of the figure takes their noise out of it (they vary by more
than a web page costs on a shared machine).

``compare`` runs that process for this tree and for ``--base`` (e.g. the
commit before, exported with ``git archive``: its code and its templates),
alternated, ``--rounds`` times each; every process starts with an empty
font cache folder (a fresh output folder) or, with ``--warm``, with the one
its tree filled in a first, uncounted run (a batch into an existing
``out/``). ``profile`` writes a cProfile of the pages of one such process.

    .venv/bin/python bench/bench_webpage.py compare --base /tmp/base [--lang en]
        [--rounds 5] [--warm]
    .venv/bin/python bench/bench_webpage.py profile --out /tmp/web.prof [--warm]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load() -> str:
    """The load average, printed beside every figure."""
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def pages(tree: Path, lang: str, cache: Path, profile: Path | None) -> dict:
    """In this process, with ``tree``'s code and project: the CPU seconds of
    the web pages of every demo leaflet in ``lang`` (the first and the rest)."""
    sys.path.insert(0, str(tree / "src"))
    from leafletgen.batch import worker
    from leafletgen.errors import LeafletError
    from leafletgen.project import Project
    from leafletgen.render import twin

    workspace = worker.load_workspace(
        Project(tree), include_drugs=True, html_twin=True, font_cache=cache
    )
    prepared = []
    for spec in workspace.specs.values():
        try:  # the demo's leaflets that build (a build reports the others)
            prepared.append(worker.prepare_leaflet(workspace, spec, lang))
        except LeafletError:
            continue
    worker._render_pdf(workspace, prepared[0].html)  # WeasyPrint loaded, as in a build
    profiler = cProfile.Profile() if profile else None
    times = []
    for item in prepared:
        start = time.process_time()
        if profiler:
            profiler.enable()
        page = worker._web_page(workspace, item)
        twin.page_digest(page)
        if profiler:
            profiler.disable()
        times.append(time.process_time() - start)
    if profiler and profile:
        profiler.dump_stats(profile)
    return {"pages": len(times), "first": times[0], "rest": times[1:], "bytes": len(page)}


def one_process(tree: Path, lang: str, cache: Path) -> dict:
    """:func:`pages` in a new interpreter."""
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import bench_webpage as b; "
        "from pathlib import Path; "
        "print(json.dumps(b.pages(Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]), None)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "bench"), str(tree), lang, str(cache)],
        cwd=tree,
        env=os.environ | {"PYTHONPATH": str(tree / "src")},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(base: Path, lang: str, rounds: int, warm: bool) -> None:
    """This tree's web pages against ``base``'s, alternated."""
    trees = {"before": base, "after": ROOT}
    state = "font cache kept (warm)" if warm else "empty font cache (fresh out/)"
    print(f"web pages, every demo leaflet in {lang}, a new process each, {state} ({load()})")
    per_page: dict[str, list[float]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory() as scratch:
        for name, tree in trees.items():
            if warm:  # the first batch fills the cache, not counted
                (Path(scratch) / name).mkdir()
                one_process(tree, lang, Path(scratch) / name)
        for round_number in range(rounds):
            order = list(trees) if round_number % 2 == 0 else list(trees)[::-1]
            for name in order:
                cache = Path(scratch) / (name if warm else f"{name}-{round_number}")
                cache.mkdir(exist_ok=True)
                result = one_process(trees[name], lang, cache)
                total = result["first"] + sum(result["rest"])
                per_page[name].append(total / result["pages"])
                print(
                    f"    {name:6} first {result['first']:.3f} s, then median "
                    f"{statistics.median(result['rest']):.3f} s; "
                    f"{per_page[name][-1]:.3f} s a page over {result['pages']}, "
                    f"{result['bytes']:,} chars ({load()})"
                )
    for name, values in per_page.items():
        print(
            f"  {name}: CPU s a page, amortised: min {min(values):.3f}  "
            f"median {statistics.median(values):.3f}  max {max(values):.3f}"
        )
    ratios = [a / b for a, b in zip(per_page["after"], per_page["before"], strict=True)]
    print(f"  after / before per pair: median {statistics.median(ratios):.2f} ({load()})")


def main() -> None:
    """Run the measurement named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("compare", "profile"))
    parser.add_argument("--base", type=Path, help="the tree to compare with (git archive)")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warm", action="store_true", help="keep the font cache folder")
    parser.add_argument("--out", type=Path, default=Path("web.prof"), help="the profile")
    args = parser.parse_args()
    if args.what == "compare":
        compare(args.base, args.lang, args.rounds, args.warm)
        return
    with tempfile.TemporaryDirectory() as cache:
        if args.warm:
            one_process(ROOT, args.lang, Path(cache))
        result = pages(ROOT, args.lang, Path(cache), args.out)
    print(f"first page {result['first']:.3f} s, then {sum(result['rest']):.3f} s; {args.out}")


if __name__ == "__main__":
    main()
