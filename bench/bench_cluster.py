"""Where a Dask cluster's extra CPU goes: its processes idle, and a build.

Not a test: prints numbers. Starts ``dask scheduler`` and two ``dask worker``
processes on localhost (as ``bench/scale.py cluster`` does), then:

``idle``: the CPU seconds each of the cluster's processes (scheduler, the
two nannies, the two workers) uses over ``--seconds`` with nothing to do,
with Dask's default settings, with the profiler paused (what a batch did
before) and with every periodic callback a batch now pauses stopped (see
``leafletgen.batch.cluster``).

``build``: the demo's leaflets (``--all --lang en,es -j2 --force``) through
``--executor local`` and ``--executor dask://…``, alternated, ``--rounds``
times; CPU of the client and of every process it starts, plus the
cluster's processes, per process kind.

    .venv/bin/python bench/bench_cluster.py idle [--seconds 20]
    .venv/bin/python bench/bench_cluster.py build [--rounds 3] [--base DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

from scale import Cluster, children, process_cpu, run  # noqa: E402


def load() -> str:
    """The load average, printed beside every figure."""
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def processes(cluster: Cluster) -> dict[str, list[int]]:
    """The cluster's process ids by kind."""
    kinds: dict[str, list[int]] = {"scheduler": [cluster.scheduler.pid], "nanny": [], "worker": []}
    for nanny in cluster.workers:
        kinds["nanny"].append(nanny.pid)
        kinds["worker"] += children(nanny.pid)
    return kinds


def cpu_by_kind(cluster: Cluster) -> dict[str, float]:
    """CPU seconds used so far by each kind of the cluster's processes."""
    return {
        kind: sum(process_cpu(pid) or 0.0 for pid in pids)
        for kind, pids in processes(cluster).items()
    }


def spent(cluster: Cluster, seconds: float) -> dict[str, float]:
    """CPU seconds per kind over ``seconds`` of wall time."""
    before = cpu_by_kind(cluster)
    time.sleep(seconds)
    after = cpu_by_kind(cluster)
    return {kind: after[kind] - before[kind] for kind in before}


def show(label: str, used: dict[str, float], seconds: float) -> None:
    """One line: CPU per kind as a share of one core."""
    shares = "  ".join(f"{kind} {value / seconds:6.2%}" for kind, value in used.items())
    total = sum(used.values()) / seconds
    print(f"  {label:28} {shares}  all {total:6.2%} of a core ({load()})")


def idle(seconds: float, rounds: int) -> None:
    """The cluster's processes with nothing to do: Dask's defaults, the
    profiler paused (as a batch did before), and what a batch pauses now."""
    from distributed import Client

    from leafletgen.batch.cluster import PAUSED_CALLBACKS

    states = {
        "Dask's defaults": (),
        "profiler paused": ("profile", "profile-cycle"),
        "profiler and tick paused": PAUSED_CALLBACKS,
    }

    def pause(names: tuple[str, ...], dask_worker=None) -> None:  # runs on each worker
        for name, callback in dask_worker.periodic_callbacks.items():
            if name in PAUSED_CALLBACKS:
                (callback.stop if name in names else callback.start)()

    with tempfile.TemporaryDirectory() as scratch:
        cluster = Cluster(Path(scratch))
        try:
            print(f"idle: a scheduler and two workers, {seconds:.0f} s each ({load()})")
            with Client(cluster.address, timeout="30s", set_as_default=False) as client:
                time.sleep(5)  # settled after start
                for _ in range(rounds):
                    for label, names in states.items():
                        client.run(pause, names)
                        show(label, spent(cluster, seconds), seconds)
                client.run(pause, ())
        finally:
            cluster.close()


def build(rounds: int, base: Path | None) -> None:
    """The demo through the local pool and the cluster, alternated."""
    trees = {"this": None} | ({"base": base} if base else {})
    for name, tree in trees.items():
        with tempfile.TemporaryDirectory() as scratch:
            cluster = Cluster(Path(scratch), base=tree)
            cpu: dict[str, list[float]] = {"local": [], "dask": []}
            print(f"build ({name}): demo, en+es, -j2, {rounds} rounds ({load()})")
            try:
                for round_number in range(rounds):
                    order = ["local", "dask"] if round_number % 2 == 0 else ["dask", "local"]
                    for which in order:
                        out = Path(scratch) / f"out-{which}-{round_number}"
                        executor = "local" if which == "local" else f"dask://{cluster.address}"
                        args = ["-m", "leafletgen", "build", "--all", "--lang", "en,es",
                                "--project", str(ROOT), "--out", str(out), "-j2", "--force",
                                "--executor", executor]  # fmt: skip
                        before = cpu_by_kind(cluster)
                        took, used, _peak, _ = run(args, tree)
                        after = cpu_by_kind(cluster)
                        kinds = {k: after[k] - before[k] for k in before}
                        total = used + (sum(kinds.values()) if which == "dask" else 0.0)
                        cpu[which].append(total)
                        detail = "  ".join(f"{k} {v:.2f}" for k, v in kinds.items())
                        print(
                            f"    {which:5} wall {took:6.2f} s  CPU {total:6.2f} s "
                            f"(client and its children {used:.2f}; cluster: {detail}) ({load()})"
                        )
                        shutil.rmtree(out)
            finally:
                cluster.close()
            ratios = [d / a for d, a in zip(cpu["dask"], cpu["local"], strict=True)]
            print(
                f"  local CPU median {statistics.median(cpu['local']):.2f} s, dask "
                f"{statistics.median(cpu['dask']):.2f} s; dask / local per pair: "
                f"min {min(ratios):.2f} median {statistics.median(ratios):.2f} "
                f"max {max(ratios):.2f} ({load()})"
            )


def main() -> None:
    """Run the measurement named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("idle", "build"))
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--base", type=Path, help="the tree to compare with (git archive)")
    args = parser.parse_args()
    if args.what == "idle":
        idle(args.seconds, args.rounds)
    else:
        build(args.rounds, args.base)


if __name__ == "__main__":
    main()
