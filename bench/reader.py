"""Reader speed: reading the project's sources (and the real-page corpus) with
the working tree's reader against an earlier commit's, paired and alternated.

    .venv/bin/python bench/reader.py [--base REV] [--rounds N]

Each round reads with both readers in fresh processes (order alternating),
each process timing 20 reads after one warm-up. Prints median, min and max
per reader; the spread says how noisy the machine was.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = r"""
import sys, time
from pathlib import Path
from leafletgen.read.sources import read_corpus, read_source
sources = Path(sys.argv[1])
pages = sorted(p for p in Path(sys.argv[2]).glob("*/*") if p.suffix in (".txt", ".md"))
def once():
    read_corpus(sources)
    for page in pages:
        read_source(page)
once()
start = time.perf_counter()
for _ in range(20):
    once()
print((time.perf_counter() - start) / 20)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="0b836b8", help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(base), args.base],
            check=True,
        )
        try:
            trees = {"base": base / "src", "work": ROOT / "src"}
            times: dict[str, list[float]] = {name: [] for name in trees}
            for round_ in range(args.rounds):
                order = list(trees) if round_ % 2 == 0 else list(reversed(trees))
                for name in order:
                    folders = [str(ROOT / "sources"), str(ROOT / "tests" / "pages")]
                    out = subprocess.run(
                        [sys.executable, "-c", CODE, *folders],
                        capture_output=True,
                        text=True,
                        check=True,
                        env={"PYTHONPATH": str(trees[name]), "PATH": "/usr/bin:/bin"},
                    )
                    times[name].append(float(out.stdout))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)])
    for name, values in times.items():
        print(
            f"{name:<5} {args.base if name == 'base' else 'working tree':<13} "
            f"median {1000 * statistics.median(values):6.1f} ms  "
            f"min {1000 * min(values):6.1f}  max {1000 * max(values):6.1f}  "
            f"({len(values)} runs, 5 sources + 25 corpus pages a run)"
        )


if __name__ == "__main__":
    main()
