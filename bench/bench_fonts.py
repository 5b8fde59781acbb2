"""What the web page's fonts cost: Brotli quality, and the font cache over a batch.

Not a test: prints numbers. Two measurements:

``quality``: the faces of one leaflet's web page (English and Chinese),
subset by HarfBuzz as the page embeds them, compressed to WOFF2 at several
Brotli qualities, alternated per round; time and bytes per page.

``batch``: cold command-line batches (a new interpreter and a fresh output
folder each time) of every demo leaflet in one language, with and without
``--html``, for this tree and for a base tree (``--base``, e.g. the commit
before, exported with ``git archive``: its code and its templates), all
four alternated; the extra time
of the web pages per leaflet, amortised over the batch.

    .venv/bin/python bench/bench_fonts.py quality [--rounds 5]
    .venv/bin/python bench/bench_fonts.py batch --base /tmp/base [--rounds 2]
        [--langs en] [--warm]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
QUALITIES = (5, 7, 8, 9, 10, 11)


def load() -> str:
    """The load average, printed beside every figure."""
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def summary(values: list[float]) -> str:
    """Minimum and median (and maximum) of a list of seconds."""
    return f"min {min(values):.3f}  median {statistics.median(values):.3f}  max {max(values):.3f}"


def page_subsets(lang: str) -> list[bytes]:
    """The uncompressed subsets the immunotherapy page in ``lang`` embeds."""
    import uharfbuzz as hb

    from leafletgen.batch import worker
    from leafletgen.project import Project
    from leafletgen.render import fonts, twin, webfonts
    from leafletgen.translate.catalogs import SOURCE_LANGUAGE, catalog_languages

    project = Project(ROOT)
    workspace = worker.load_workspace(project)
    spec = workspace.specs["immunotherapy"]
    prepared = worker.prepare_leaflet(workspace, spec, lang)
    languages = (SOURCE_LANGUAGE, *catalog_languages(project.locales))
    options = replace(prepared.options, standalone=True, languages=languages)
    page = worker._fill(workspace, prepared.leaflet, prepared.translator, options, None)
    names = [(code, twin.language_name(code)) for code in languages]
    wanted: dict[str, set[int]] = {}
    for text_lang, chunk in [*fonts.printed_text(page).texts, *names]:
        for family in fonts.families_for(text_lang or "en"):
            wanted.setdefault(family, {ord("•")}).update(map(ord, chunk))
    subsets = []
    templates = project.templates.resolve()
    for face in (face for face in fonts.FACES if face.family in wanted):
        source = hb.Face(hb.Blob(face.path(templates).read_bytes()), face.index)
        request = hb.SubsetInput()
        request.unicode_set.update(wanted[face.family])
        request.name_id_set.update(webfonts.WEB_FONT_NAMES)
        subsets.append(bytes(hb.subset(source, request).blob.data))
    return subsets


def quality(rounds: int) -> None:
    """Time and bytes of one page's faces at each Brotli quality."""
    from leafletgen.render import webfonts

    for lang in ("en", "zh_Hans"):
        subsets = page_subsets(lang)
        times: dict[int, list[float]] = {q: [] for q in QUALITIES}
        sizes: dict[int, int] = {}
        print(f"quality: immunotherapy {lang}, {len(subsets)} faces, {rounds} rounds ({load()})")
        chosen = (webfonts.BROTLI_QUALITY, webfonts.TRANSFORM_TABLES)
        webfonts.TRANSFORM_TABLES = None  # fontTools' default: glyf and loca transformed
        for round_number in range(rounds):
            order = QUALITIES if round_number % 2 == 0 else QUALITIES[::-1]
            for q in order:
                webfonts.BROTLI_QUALITY = q
                start = time.process_time()
                sizes[q] = sum(len(webfonts.compress_woff2(s)) for s in subsets)
                times[q].append(time.process_time() - start)
        for q in QUALITIES:
            print(
                f"  quality {q:2}: CPU s per page {summary(times[q])}   "
                f"{sizes[q]:,} bytes ({sizes[q] / sizes[11] - 1:+.1%} against 11)"
            )
        webfonts.BROTLI_QUALITY, transforms = chosen
        for label, tables in (("glyf transformed", None), ("no transforms", transforms)):
            webfonts.TRANSFORM_TABLES = tables
            spent = []
            for _ in range(rounds):
                start = time.process_time()
                size = sum(len(webfonts.compress_woff2(s)) for s in subsets)
                spent.append(time.process_time() - start)
            print(f"  quality {chosen[0]}, {label}: CPU s per page {summary(spent)}  {size:,} B")
        webfonts.TRANSFORM_TABLES = transforms
        print(f"  ({load()})")


def cli_run(tree: Path, lang: str, html: bool, out: Path) -> float:
    """A cold batch of every demo leaflet in ``lang``, with the code and the
    project files of ``tree``: its CPU seconds (children)."""
    args = ["--all", "--lang", lang, "--force", "-j", "1", "--out", str(out)]
    environment = os.environ | {"PYTHONPATH": str(tree / "src")}
    before = os.times()
    subprocess.run(
        [sys.executable, "-m", "leafletgen", "build", *args, *(["--html"] if html else [])],
        cwd=tree,
        env=environment,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    after = os.times()
    return (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )


def batch(base: Path, rounds: int, langs: tuple[str, ...], warm: bool) -> None:
    """Web pages' extra CPU per leaflet over a cold batch, this tree against
    ``base``; with ``warm``, into an output folder kept from a first batch (its
    font cache filled), not a fresh one."""
    trees = {"before": base, "after": ROOT}
    variants = [(tree, html) for tree in trees for html in (False, True)]
    state = "an output folder kept (font cache warm)" if warm else "a fresh output folder"
    with tempfile.TemporaryDirectory() as scratch:
        for lang in langs:
            cpu: dict[tuple[str, bool], list[float]] = {v: [] for v in variants}
            print(f"batch: every demo leaflet in {lang}, cold process, {state}, -j1 ({load()})")
            if warm:  # the first batch into each folder, not counted
                for tree, html in variants:
                    cli_run(trees[tree], lang, html, Path(scratch) / f"out-{tree}-{html}")
            for round_number in range(rounds):
                order = variants if round_number % 2 == 0 else variants[::-1]
                for tree, html in order:
                    out = Path(scratch) / f"out-{tree}-{html}"
                    cpu[tree, html].append(cli_run(trees[tree], lang, html, out))
                    jobs = len(list(out.glob("*/*.pdf")))
                    if not warm:
                        shutil.rmtree(out)
                    print(f"    {tree:6} html={html!s:5} {cpu[tree, html][-1]:.2f} s ({load()})")
            for tree in trees:
                extra = [
                    (b - a) / jobs for a, b in zip(cpu[tree, False], cpu[tree, True], strict=True)
                ]
                print(f"  {tree}: web page extra CPU s per leaflet ({jobs}): {summary(extra)}")
            print(f"  ({load()})")


def main() -> None:
    """Run the measurement named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("quality", "batch"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--base", type=Path, help="the tree to compare with (git archive)")
    parser.add_argument("--langs", nargs="+", default=["en", "zh_Hans"])
    parser.add_argument("--warm", action="store_true", help="keep each output folder")
    args = parser.parse_args()
    if args.what == "quality":
        quality(args.rounds)
    else:
        batch(args.base, args.rounds, tuple(args.langs), args.warm)


if __name__ == "__main__":
    main()
