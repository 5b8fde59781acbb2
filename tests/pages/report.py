"""Per publisher: how the reader does on the real-page corpus.

    python tests/pages/report.py [--pages] [--holdout | --holdout2 | FOLDER]

Scores the pages under dev/, under holdout/ with --holdout, under holdout2/
with --holdout2, or under any folder of <publisher>/<page> files given as
an argument.

Headings found / real (a real heading is found when the outline has it),
kinds right (found with the expected kind), titles right, list sizes right,
chrome printed (strings of the page that must never be printed, plus printed
lines that look like web furniture), content lost (the page's sentences
that must be printed and are not) and content flagged (printed, but on a
line flagged as furniture, so a person must keep it) and warnings raised.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import yaml

from leafletgen.read.sources import read_source

PAGES = Path(__file__).resolve().parent


def printed(document) -> str:
    parts = []
    for section in document.sections:
        parts.append(section.heading or "")
        for block in section.blocks:
            parts.extend(text for text, _ in block.units)
    return "\n".join(parts)


def page_numbers(page: Path) -> dict[str, int]:
    expected = yaml.safe_load(page.with_suffix(".yaml").read_text(encoding="utf-8"))
    document = read_source(page)
    found = {s.heading: s for s in document.sections if s.heading}
    real = [(h, kind, lists) for h, kind, lists in expected["sections"] if h]
    text = printed(document)
    furniture = getattr(document, "furniture", ())
    return {
        "pages": 1,
        "titles right": int(document.title == expected["title"]),
        "headings real": len(real),
        "headings found": sum(h in found for h, _, _ in real),
        "kinds right": sum(h in found and found[h].kind == kind for h, kind, _ in real),
        "lists right": sum(
            h in found and [len(b.items) for b in found[h].blocks if b.type == "list"] == lists
            for h, _, lists in real
        ),
        "extra headings": sum(h not in {e[0] for e in real} for h in found),
        # chrome of the page printed: without any warning (silent), and
        # printed lines flagged as web furniture (build and check report them)
        "chrome silent": sum(
            c in text and not any(c in f.text for f in furniture)
            for c in expected.get("never_printed", [])
        ),
        "chrome flagged": len(furniture),
        "content lost": sum(c not in text for c in expected.get("printed") or []),
        "content flagged": sum(
            c in text and any(c in f.text or f.text in c for f in furniture)
            for c in expected.get("printed") or []
        ),
        "warnings": len(document.warnings) + len(furniture),
    }


def corpus_folder(arguments: list[str]) -> Path:
    """The folder to score: a named set of tests/pages, or a path given."""
    paths = [a for a in arguments if not a.startswith("--")]
    if paths:
        return Path(paths[0]).resolve()
    for name in ("holdout2", "holdout"):
        if f"--{name}" in arguments:
            return PAGES / name
    return PAGES / "dev"


def main() -> None:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    folder = corpus_folder(sys.argv[1:])
    for page in sorted(p for p in folder.glob("*/*") if p.suffix in (".txt", ".md")):
        numbers = page_numbers(page)
        if "--pages" in sys.argv:
            print(f"{page.parent.name}/{page.name}: {dict(numbers)}")
        for key, value in numbers.items():
            totals[page.parent.name][key] += value
            totals["all"][key] += value
    columns = [
        "pages",
        "titles right",
        "headings found",
        "headings real",
        "kinds right",
        "lists right",
        "extra headings",
        "chrome silent",
        "chrome flagged",
        "content lost",
        "content flagged",
        "warnings",
    ]
    print(f"{'publisher':<18}" + "".join(f"{c:>16}" for c in columns))
    for name in sorted(totals, key=lambda n: (n == "all", n)):
        print(f"{name:<18}" + "".join(f"{totals[name][c]:>16}" for c in columns))


if __name__ == "__main__":
    main()
