"""What a cold ``leafletgen build ID`` costs: CPU seconds of a new interpreter.

Not a test: prints numbers. One leaflet in English, forced, ``-j 1``, each
run a new interpreter (its CPU read with ``getrusage(RUSAGE_CHILDREN)``),
for this tree and a base tree (``--base``, e.g. the commit before exported
with ``git archive``), alternated; then what ``import leafletgen.cli`` alone
costs in each. Both trees' modules are compiled to bytecode first (an
installation has them; a shell with ``PYTHONDONTWRITEBYTECODE`` set would
otherwise compile leafletgen's own modules from source at every start).

    .venv/bin/python bench/bench_start.py --base /tmp/base/src [--rounds 8]
"""

from __future__ import annotations

import argparse
import os
import resource
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


def summary(values: list[float]) -> str:
    """Minimum and median (and maximum) of a list of seconds."""
    return f"min {min(values):.3f}  median {statistics.median(values):.3f}  max {max(values):.3f}"


def cpu_of(command: list[str], src: Path) -> tuple[float, float]:
    """User + system CPU seconds of ``command`` run with ``src`` on the path, and
    its wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        command,
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(src)},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main() -> None:
    """Alternate the two trees, print the CPU of each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the base tree's src folder")
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    trees = {"before": args.base, "after": ROOT / "src"}
    for tree in trees.values():
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree)], check=True)
    with tempfile.TemporaryDirectory() as out:
        build = [sys.executable, "-m", "leafletgen", "build", "immunotherapy"]
        build += ["--lang", "en", "--force", "-j", "1", "--out", out]
        commands = {
            "build immunotherapy": build,
            "import leafletgen.cli": [sys.executable, "-c", "import leafletgen.cli"],
        }
        for name, command in commands.items():
            cpu: dict[str, list[float]] = {tree: [] for tree in trees}
            wall: dict[str, list[float]] = {tree: [] for tree in trees}
            print(f"{name}: cold, {args.rounds} rounds alternated ({load()})")
            for round_number in range(args.rounds):
                order = list(trees) if round_number % 2 == 0 else list(trees)[::-1]
                for tree in order:
                    used, took = cpu_of(command, trees[tree])
                    cpu[tree].append(used)
                    wall[tree].append(took)
            for tree in trees:
                print(f"  {tree:6} CPU s: {summary(cpu[tree])}   ({load()})")
                print(f"  {tree:6} wall s: {summary(wall[tree])}")


if __name__ == "__main__":
    main()
