"""Lists in columns on paper: CSS columns (balanced by WeasyPrint) against the
explicit grid (render/columns.py). Not a test: prints numbers.

Every demo leaflet (topics and drugs) in en, es, ar, zh_Hans and vi, on
Letter and A4, standard and large print, filled twice: once with the lists'
old ``columns: <width>em 3`` style, once as the build fills it now. Each
pair is rendered by the real renderer (stylesheet, pinned fonts, PDF/UA),
alternated, its WeasyPrint CPU time taken; then the page counts compared
(no leaflet may gain a page) and, in the new PDF's text (pypdf), every list
in columns read item by item, in order. ``--pictures FOLDER`` writes both
versions of the leaflets with lists in columns as PNG sheets to look at.

    .venv/bin/python bench/bench_columns.py [--rounds 2] [--pictures /tmp/columns]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from leafletgen.batch import worker  # noqa: E402
from leafletgen.project import Project  # noqa: E402
from leafletgen.render import columns, context  # noqa: E402

LANGS = ("en", "es", "ar", "zh_Hans", "vi")
VARIANTS = ("standard", "large-print")
PAPERS = ("letter", "A4")
LIST = re.compile(r'<ul class="columns"[^>]*>(.*?)</ul>', re.DOTALL)
ITEM = re.compile(r"<li[^>]*>(.*?)</li>", re.DOTALL)


def load() -> str:
    """The load average, printed beside every figure."""
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def summary(values: list[float]) -> str:
    """Minimum and median (and maximum)."""
    return f"min {min(values):.3f}  median {statistics.median(values):.3f}  max {max(values):.3f}"


def filled(workspace: worker.Workspace, spec, lang: str, variant: str, paper: str) -> str:
    """The leaflet's HTML on ``paper``."""
    prepared = worker.prepare_leaflet(workspace, spec, lang, variant=variant)
    options = replace(prepared.options, paper=paper)
    return worker._fill(
        workspace, prepared.leaflet, prepared.translator, options, prepared.companion
    )


def old_style(
    block: context.ListBlock, paper: str, large_print: bool, boxed: bool
) -> columns.PrintColumns | None:
    """Lists in columns on paper as they were before: CSS columns (the items
    get an empty style attribute, which changes nothing)."""
    if block.columns is None:
        return None
    return columns.PrintColumns(f"columns: {block.columns}", ("",) * len(block.items))


def cases(workspace: worker.Workspace) -> list[tuple[str, str, str]]:
    """(label, old HTML, new HTML) for every leaflet x language x variant x paper."""
    found = []
    new_style = context.ListBlock.on_paper
    for spec in workspace.specs.values():
        if spec.skip_reason:
            continue
        for lang in LANGS:
            for variant in VARIANTS:
                for paper in PAPERS:
                    context.ListBlock.on_paper = old_style  # type: ignore[method-assign]
                    old = filled(workspace, spec, lang, variant, paper)
                    context.ListBlock.on_paper = new_style  # type: ignore[method-assign]
                    new = filled(workspace, spec, lang, variant, paper)
                    found.append((f"{spec.id} {lang} {variant} {paper}", old, new))
    return found


def in_order(pdf: bytes, html: str) -> list[str]:
    """The lists in columns whose items the PDF's text does not give one after
    the other, in order (white space aside)."""
    from html import unescape

    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    text = re.sub(r"\s+", "", text)
    wrong = []
    for items in LIST.findall(html):
        words = [
            re.sub(r"\s+", "", unescape(re.sub("<[^>]+>", "", item)))
            for item in ITEM.findall(items)
        ]
        if "".join(words) not in text:
            wrong.append(" / ".join(words))
    return wrong


def main() -> None:
    """Render every pair alternated; print times, page counts, reading order."""
    from leafletgen.render.pdf import render_document

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pictures", type=Path)
    args = parser.parse_args()
    project = Project(ROOT)
    workspace = worker.load_workspace(project, include_drugs=True)
    worker.install_workspace(workspace)
    pairs = cases(workspace)

    def render(html: str) -> tuple[float, int, bytes]:
        start = time.process_time()
        rendered = render_document(
            html,
            base_url=project.templates,
            stylesheet=project.templates / "leaflet.css",
            pdf_variant=worker.PDF_VARIANT,
        )
        return time.process_time() - start, rendered.pages, rendered.data

    print(f"columns: {len(pairs)} PDFs, {args.rounds} rounds alternated ({load()})")
    totals: dict[str, list[float]] = {"columns": [], "grid": []}
    with_lists: dict[str, list[float]] = {"columns": [], "grid": []}
    problems = []
    for round_number in range(args.rounds):
        spent = {"columns": 0.0, "grid": 0.0}
        listed = {"columns": 0.0, "grid": 0.0}
        for label, old, new in pairs:
            order = [("columns", old), ("grid", new)]
            results = {}
            for name, html in order if round_number % 2 == 0 else order[::-1]:
                results[name] = render(html)
                spent[name] += results[name][0]
                if LIST.search(html):
                    listed[name] += results[name][0]
            if round_number == 0:
                pages_old, pages_new = results["columns"][1], results["grid"][1]
                if pages_new > pages_old:
                    problems.append(f"{label}: {pages_old} -> {pages_new} pages")
                for name, html in order:
                    wrong = in_order(results[name][2], html)
                    problems += [f"{label}: {name}: out of order: {w}" for w in wrong]
                if args.pictures and LIST.search(new) and "standard letter" in label:
                    pictures(args.pictures, label, results["columns"][2], results["grid"][2])
        for name in spent:
            totals[name].append(spent[name])
            with_lists[name].append(listed[name])
        print(
            f"  round {round_number + 1}: CSS columns {spent['columns']:.2f} s, grid"
            f" {spent['grid']:.2f} s, ratio {spent['grid'] / spent['columns']:.3f}; PDFs with"
            f" lists in columns: ratio {listed['grid'] / listed['columns']:.3f} ({load()})"
        )
    ratios = [g / c for c, g in zip(totals["columns"], totals["grid"], strict=True)]
    print(f"  render CPU ratio grid / columns, all PDFs: {summary(ratios)}")
    print(f"  problems: {len(problems)}")
    for problem in problems:
        print(f"    {problem}")


def pictures(folder: Path, label: str, old: bytes, new: bytes) -> None:
    """Both versions' pages side by side, one PNG each, at 60 dpi."""
    import pypdfium2
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for name, data in (("columns", old), ("grid", new)):
        document = pypdfium2.PdfDocument(data)
        pages = [document[i].render(scale=60 / 72).to_pil() for i in range(len(document))]
        sheet = Image.new("RGB", (sum(p.width for p in pages), pages[0].height), "white")
        x = 0
        for page in pages:
            sheet.paste(page, (x, 0))
            x += page.width
        sheet.save(folder / f"{label.replace(' ', '-')}-{name}.png")


if __name__ == "__main__":
    main()
