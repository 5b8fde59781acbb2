"""Benchmarks of large batches: planning, no-op rebuilds and the client's
memory up to 10,000 jobs, and a Dask cluster of separate processes against
the local pool. Not tests: they print numbers.

    .venv/bin/python bench/scale.py noop [--sizes 200,2000] [--rounds 3] [--base DIR] [--first]
    .venv/bin/python bench/scale.py memory  [--size 10000]
    .venv/bin/python bench/scale.py cluster [--size 200] [--rounds 2] [--base DIR] [--preload]
    .venv/bin/python bench/scale.py perpdf [--sizes 200,10000] [--window 200]

A project of N jobs is a temporary copy of this one with extra topic
definitions (copies of ``immunotherapy.yaml`` and
``monoclonal-antibodies.yaml``), built in five languages (en, es, ar,
zh_Hans, vi). Its output folder is filled by a real build in this process
whose renderer is replaced by a memo: the first leaflet of each definition
text, language and variant is rendered for real, and every copy gets those
bytes with its own manifest entry (id, path, input hash). Everything else
(planning, input hashes, the writer, FHIR files, journal and manifest) is
the real code, so the output folder is what a real build of N jobs leaves,
in a fraction of the time.

``noop``: cold ``leafletgen build --all`` with nothing to do (a new
interpreter each time), and the client's peak memory (VmHWM); with
``--first``, then the first no-op after a build (what only a no-op leaves
in ``.cache/`` removed before each run). ``--base
DIR`` alternates each run (each version in its own copy of the filled
folder) with the same command run from the package
source in DIR (``git archive <commit> src | tar -x -C DIR``): the figures
of that commit in the same run.

``memory``: one real build of N jobs in this process (the memo renderer,
in process) sampling this process's resident memory (VmRSS) every 1/20 of
the batch: what the client keeps per job.

``cluster``: ``dask scheduler`` and two ``dask worker`` processes (each
one process, one thread) started as their own processes, against the local
pool at -j2: the same forced batch from the command line, cold, alternated.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LANGS = ("en", "es", "ar", "zh_Hans", "vi")
TOPICS = ("immunotherapy", "monoclonal-antibodies")
DEMO_LEAFLETS = 8  # 2 topic + 6 drug leaflets


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def summary(values: list[float]) -> str:
    return f"min {min(values):.3f}  median {statistics.median(values):.3f}  max {max(values):.3f}"


def project_copy(jobs: int, parent: Path, langs: tuple[str, ...] = LANGS) -> Path:
    """A copy of the project's inputs with enough topic definitions for
    ``jobs`` leaflet x language jobs in ``langs``."""
    folder = parent / f"project-{jobs}"
    for name in ("sources", "leaflets", "templates", "locales"):
        shutil.copytree(ROOT / name, folder / name)
    for n in range(max(0, jobs // len(langs) - DEMO_LEAFLETS)):
        topic = TOPICS[n % len(TOPICS)]
        shutil.copy(
            folder / "leaflets" / f"{topic}.yaml", folder / "leaflets" / f"{topic}-{n:05d}.yaml"
        )
    return folder


def memo_renderer() -> None:
    """Replace the worker's renderer (in this process) by one that renders
    each definition text, language and variant once and gives its copies the
    same bytes under their own id, path and input hash."""
    from leafletgen.batch import worker
    from leafletgen.project import OutputLayout

    real = worker.render_leaflet
    seen: dict[tuple[bytes, str, str], tuple] = {}

    def render(workspace, spec, lang, *, variant, inputs):
        # (a drug's leaflets all come from drugs.yaml: each is its own)
        own = (spec.id if spec.drug else "").encode()
        key = (Path(spec.path).read_bytes() + own, lang, variant)
        if key not in seen:
            seen[key] = real(workspace, spec, lang, variant=variant, inputs=inputs)
        entry, pdf, html = seen[key]
        path = OutputLayout.output_path(spec.id, lang, variant, workspace.draft)
        page = OutputLayout.page_path(path) if entry.html else None
        return replace(entry, id=spec.id, path=path, html=page, input_hash=inputs), pdf, html

    worker.render_leaflet = render


def fill(project: Path, out: Path, on_result=None) -> float:
    """Build every leaflet of ``project`` into ``out`` in this process with
    the memo renderer; the time it took."""
    from leafletgen.batch.build import build
    from leafletgen.batch.executors import InProcess
    from leafletgen.batch.plan import BuildOptions
    from leafletgen.project import Project

    memo_renderer()
    start = time.perf_counter()
    options = BuildOptions(langs=LANGS, out=out, include_drugs=True, executor=InProcess())
    results = build(Project(project), options, on_result)
    failed = [r for r in results if r.error]
    if failed:
        raise SystemExit(f"fill failed: {failed[0].id} {failed[0].lang}: {failed[0].error}")
    return time.perf_counter() - start


def run(command: list[str], base: Path | None = None) -> tuple[float, float, int, str]:
    """Wall time, CPU time (user + system, of the process and every process
    it started: pool workers are the fork server's children, so they are
    sampled from /proc every 0.1 s), the process's peak resident memory
    (kB, its VmHWM read every 0.05 s) and its output, for ``python command...``."""
    env = dict(os.environ)
    if base is not None:
        env["PYTHONPATH"] = str(base / "src")
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, *command], stdout=stdout, stderr=stderr, env=env)
        seen: dict[int, float] = {}
        stop = threading.Event()
        sampler = threading.Thread(target=sample_cpu, args=(child.pid, seen, stop))
        sampler.start()
        # (wait4's ru_maxrss counts what the child had at fork: this process's
        # memory, when it filled a big folder itself; the child's own VmHWM
        # is read from /proc until it exits)
        peak = 0
        while os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            peak = max(peak, memory_kb("VmHWM", child.pid))
            time.sleep(0.05)
        _pid, status, usage = os.wait4(child.pid, 0)
        took = time.perf_counter() - start
        stop.set()
        sampler.join()
        child.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"failed: {' '.join(command)}\n{stderr.read()[-3000:].decode()}")
        seen.pop(child.pid, None)
        cpu = usage.ru_utime + usage.ru_stime + sum(seen.values())
        return took, cpu, peak, stdout.read().decode()


def memory_kb(field: str, pid: int | str = "self") -> int:
    """A memory figure of a process from /proc (``VmRSS``: resident now;
    ``VmHWM``: its peak so far), kB; 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def sample_cpu(pid: int, seen: dict[int, float], stop: threading.Event) -> None:
    """Record the CPU seconds of every descendant of ``pid`` until ``stop``."""
    while not stop.wait(0.1):
        for child in children(pid):
            used = process_cpu(child)
            if used is not None:
                seen[child] = max(used, seen.get(child, 0.0))


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of one process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def leafletgen(project: Path, out: Path, *args: str) -> list[str]:
    return [
        "-m", "leafletgen", "build", "--all", "--lang", ",".join(LANGS),
        "--project", str(project), "--out", str(out), *args,
    ]  # fmt: skip


# The caches a no-op build keeps that a build of the base did not write: without
# them, a no-op is the first after the base's build (the plan, kept by the
# build, stays). This tree's build writes them itself; its first no-op gets
# them back as its build left them.
FIRST_NOOP_REMOVES = (".cache/digests.json", ".cache/manifest-records.json")


def noop(sizes: list[int], rounds: int, base: Path | None, first: bool = False) -> None:
    """No-op rebuilds of each size, alternated with ``base``; with ``first``,
    then as many rounds of the first no-op after a build."""
    with tempfile.TemporaryDirectory() as scratch:
        scratch_path = Path(scratch)
        for size in sizes:
            project = project_copy(size, scratch_path)
            out = scratch_path / f"out-{size}"
            took = fill(project, out)
            print(f"no-op, {size} jobs: output filled in {took:.1f} s ({load()})")
            left = {
                name: (out / name).read_bytes() if (out / name).exists() else None
                for name in FIRST_NOOP_REMOVES
            }
            versions = {"this": None} | ({"base": base} if base else {})
            # Each version its own copy of the folder: the plan a build keeps is
            # keyed by the code, so two versions alternating in one folder would
            # each find the other's plan and plan afresh every run.
            # This tree's copy is the folder filled (a copy's files would have other
            # inodes and ctimes than the digests its build kept say).
            outs = {name: scratch_path / f"out-{size}-{name}" for name in versions}
            outs["this"] = out
            for copy in outs.values():
                if copy != out:
                    shutil.copytree(out, copy, symlinks=True)
            for after_build in (False, True) if first else (False,):
                if after_build:
                    print(f"first no-op after a build, {size} jobs ({load()})")
                noop_rounds(project, outs, size, versions, rounds, after_build, left)
            shutil.rmtree(project)
            for folder in outs.values():
                shutil.rmtree(folder)


def noop_rounds(
    project: Path,
    outs: dict[str, Path],
    size: int,
    versions: dict[str, Path | None],
    rounds: int,
    after_build: bool,
    left: dict[str, bytes | None],
) -> None:
    """``rounds`` no-op builds of each version (each in its own copy of the
    output folder, ``outs``), alternated (A B, B A, ...)."""
    times: dict[str, list[float]] = {name: [] for name in versions}
    cpus: dict[str, list[float]] = {name: [] for name in versions}
    peaks: dict[str, list[int]] = {name: [] for name in versions}
    for round_number in range(rounds):
        names = list(versions) if round_number % 2 == 0 else list(versions)[::-1]
        for name in names:
            for cache in FIRST_NOOP_REMOVES if after_build else ():
                kept = left[cache] if name == "this" else None
                if kept is None:
                    (outs[name] / cache).unlink(missing_ok=True)
                else:
                    (outs[name] / cache).write_bytes(kept)
            took, cpu, peak, stdout = run(leafletgen(project, outs[name], "-j2"), versions[name])
            if "up to date" not in stdout and "unchanged" not in stdout:
                print(stdout[-500:])
            times[name].append(took)
            cpus[name].append(cpu)
            peaks[name].append(peak)
            print(
                f"  {name}: wall {took:.2f} s, CPU {cpu:.2f} s = "
                f"{cpu / size * 1000:.3f} ms per job, peak {peak / 1024:.0f} MB ({load()})"
            )
    for name in versions:
        print(f"  {name} wall s: {summary(times[name])}")
        print(f"  {name} CPU s: {summary(cpus[name])}; peak MB {max(peaks[name]) / 1024:.0f}")


def memory(size: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        project = project_copy(size, Path(scratch))
        samples: list[tuple[int, int]] = []
        step = max(1, size // 20)

        def sample(result, done: int, total: int) -> None:
            if done % step == 0 or done == total:
                samples.append((done, memory_kb("VmRSS")))

        print(f"memory: one build of {size} jobs in this process ({load()})")
        took = fill(project, Path(scratch) / "out", sample)
        for done, kb in samples:
            print(f"  after {done:>6} jobs: {kb / 1024:7.1f} MB")
        (first_done, first), (last_done, last) = samples[1], samples[-1]
        per_job = (last - first) / max(1, last_done - first_done)
        print(f"  {took:.1f} s; growth from job {first_done}: {per_job:.2f} kB per job ({load()})")


# --- perpdf: real renders, cost per PDF over a long batch --------------------------------


def perpdf(sizes: list[int], window: int) -> None:
    """Real builds (every PDF rendered, -j2, the local pool) of each size, in
    this process: the CPU of this process and of every process it started
    (pool workers sampled from /proc every 0.1 s) per PDF, over the whole
    batch and per window of ``window`` finished jobs, and this process's
    resident memory at each window."""
    for size in sizes:
        with tempfile.TemporaryDirectory() as scratch:
            perpdf_one(size, window, Path(scratch))


def perpdf_one(size: int, window: int, scratch: Path) -> None:
    from leafletgen.batch.build import build
    from leafletgen.batch.plan import BuildOptions
    from leafletgen.project import Project

    project = project_copy(size, scratch)
    seen: dict[int, float] = {}
    stop = threading.Event()
    sampler = threading.Thread(target=sample_cpu, args=(os.getpid(), seen, stop))
    sampler.start()

    def cpu_now() -> float:
        mine = os.times()
        return mine.user + mine.system + sum(seen.values())

    def client_now() -> float:
        mine = os.times()
        return mine.user + mine.system

    marks: list[tuple[int, float, float, float, int]] = []
    start_cpu, start_client, start = cpu_now(), client_now(), time.perf_counter()

    def mark(result, done: int, total: int) -> None:
        if result.error:
            raise SystemExit(f"failed: {result.id} {result.lang}: {result.error}")
        if done % window == 0 or done == total:
            marks.append((done, cpu_now(), client_now(), time.perf_counter(), memory_kb("VmRSS")))

    print(f"perpdf: {size} jobs, real renders, -j2 ({load()})", flush=True)
    options = BuildOptions(langs=LANGS, out=scratch / "out", include_drugs=True, jobs=2)
    results = build(Project(project), options, mark)
    took, used = time.perf_counter() - start, cpu_now() - start_cpu
    stop.set()
    sampler.join()
    rendered = sum(1 for r in results if not r.error)
    print(f"  {rendered} PDFs: wall {took:.1f} s, CPU {used:.1f} s, "
          f"{used / rendered * 1000:.1f} ms CPU per PDF ({load()})")  # fmt: skip
    per_window = []
    previous = (0, start_cpu, start_client, start)
    for done, cpu, client, at, kb in marks:
        jobs = done - previous[0]
        if jobs:
            per = (cpu - previous[1]) / jobs * 1000
            mine = (client - previous[2]) / jobs * 1000
            wall = (at - previous[3]) / jobs * 1000
            per_window.append(per)
            print(f"  jobs {previous[0] + 1:>6}-{done:<6} {per:7.1f} ms CPU per PDF "
                  f"(client {mine:5.1f}), {wall:7.1f} ms wall, client {kb / 1024:6.1f} MB",
                  flush=True)  # fmt: skip
        previous = (done, cpu, client, at)
    if len(per_window) > 2:
        inner = per_window[1:-1]
        print(f"  per-window ms CPU per PDF (first and last left out): {summary(inner)}; "
              f"first window {per_window[0]:.1f}, last {per_window[-1]:.1f}")  # fmt: skip


# --- cluster: a scheduler and workers of their own --------------------------------------


class Cluster:
    """``dask scheduler`` and ``workers`` ``dask worker`` processes on
    localhost, each worker in its own empty folder."""

    def __init__(
        self, folder: Path, workers: int = 2, base: Path | None = None, preload: bool = False
    ):
        self.folder = folder
        env = dict(os.environ)
        if base is not None:
            env["PYTHONPATH"] = str(base / "src")
        file = folder / "scheduler.json"
        common = dict(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.scheduler = subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", str(file)],
            cwd=folder, **common,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        import json

        self.address = json.loads(file.read_text())["address"].removeprefix("tcp://")
        self.workers = []
        for n in range(workers):
            home = folder / f"worker-{n}"
            home.mkdir()
            command = [str(BIN / "dask"), "worker", "--scheduler-file", str(file),
                       "--nworkers", "1", "--nthreads", "1", "--no-dashboard"]  # fmt: skip
            if preload:
                command += ["--preload", "leafletgen.batch.cluster"]
            self.workers.append(subprocess.Popen(command, cwd=home, **common))
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            client.wait_for_workers(workers, timeout=120)

    def close(self) -> None:
        for process in [*self.workers, self.scheduler]:
            process.terminate()
        for process in [*self.workers, self.scheduler]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def cluster(size: int, rounds: int, base: Path | None, preload: bool = False) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        scratch_path = Path(scratch)
        project = project_copy(size, scratch_path, ("en", "es"))
        versions = {"this": None} | ({"base": base} if base else {})
        for name, tree in versions.items():
            folder = scratch_path / f"cluster-{name}"
            folder.mkdir()
            dask_cluster = Cluster(folder, base=tree, preload=preload)
            times: dict[str, list[float]] = {"local": [], "dask": []}
            cpu: dict[str, list[float]] = {"local": [], "dask": []}
            started = " (workers started with --preload)" if preload else ""
            print(f"cluster ({name}){started}: {size} jobs, -j2, {rounds} rounds ({load()})")
            try:
                for round_number in range(rounds):
                    order = ["local", "dask"] if round_number % 2 == 0 else ["dask", "local"]
                    for which in order:
                        out = scratch_path / f"out-{name}-{which}-{round_number}"
                        executor = "local" if which == "local" else f"dask://{dask_cluster.address}"
                        args = ["-m", "leafletgen", "build", "--all", "--lang", "en,es",
                                "--project", str(project), "--out", str(out), "-j2", "--force",
                                "--executor", executor]  # fmt: skip
                        before = cpu_seconds(dask_cluster) if which == "dask" else 0.0
                        took, used, _peak, _ = run(args, tree)
                        if which == "dask":
                            used += cpu_seconds(dask_cluster) - before
                        times[which].append(took)
                        cpu[which].append(used)
                        print(f"  {which}: wall {took:.2f} s, CPU {used:.2f} s ({load()})")
                        shutil.rmtree(out)
            finally:
                dask_cluster.close()
            for which in ("local", "dask"):
                print(f"  {which} wall s: {summary(times[which])}")
                print(f"  {which} CPU s: {summary(cpu[which])}")
            ratios = [d / local for d, local in zip(times["dask"], times["local"], strict=True)]
            print(f"  dask / local wall per pair: {summary(ratios)}")
            cpu_ratios = [d / local for d, local in zip(cpu["dask"], cpu["local"], strict=True)]
            print(f"  dask / local CPU per pair: {summary(cpu_ratios)}")


def cpu_seconds(dask_cluster: Cluster) -> float:
    """User + system CPU seconds used so far by the cluster's processes."""
    pids = []
    for process in [dask_cluster.scheduler, *dask_cluster.workers]:
        pids += [process.pid, *children(process.pid)]
    return sum(process_cpu(pid) or 0.0 for pid in pids)


def children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (a worker's nanny starts the worker from
    another thread, so every thread's children are read)."""
    found = []
    try:
        threads = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for thread in threads:
        try:
            direct = (thread / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, direct):
            found += [child, *children(child)]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("noop", "memory", "cluster", "perpdf"))
    parser.add_argument("--window", type=int, default=200)
    parser.add_argument("--sizes", default="200,2000,10000")
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--base", type=Path, default=None)
    parser.add_argument("--first", action="store_true", help="also the first no-op after a build")
    parser.add_argument("--preload", action="store_true", help="dask worker --preload leafletgen")
    args = parser.parse_args()
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")
    if args.what == "noop":
        noop([int(s) for s in args.sizes.split(",")], args.rounds, args.base, args.first)
    elif args.what == "memory":
        memory(args.size or 10000)
    elif args.what == "perpdf":
        perpdf([int(s) for s in args.sizes.split(",")], args.window)
    else:
        cluster(args.size or 200, args.rounds, args.base, args.preload)


if __name__ == "__main__":
    main()
