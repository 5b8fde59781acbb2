"""A Dask cluster of its own processes: ``dask scheduler`` and two ``dask
worker`` processes on localhost, as a cluster runs on other machines, and
``leafletgen build --executor dask://HOST:PORT`` from the command line.

The workers run in their own empty folders and, where this process may
(root), in a mount namespace of their own in which the tests' output folders
are mounted read-only: a worker cannot write there, so every file of a
build that succeeded was written by the client. They receive the project's
input files from the client (a snapshot, once per worker), not from a
shared disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import child_env
from leafletgen.project import Project
from leafletgen.publish.manifest import read_manifest

BIN = Path(sys.executable).parent
LANGS = "en,es"


def pdfs(out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*.pdf"))
    }


def _read_only(folder: Path) -> list[str]:
    """A command prefix that runs a command in a mount namespace of its own
    where ``folder`` is read-only; none where this process may not make one."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return []
    mount = 'mount --bind -o ro "$0" "$0" && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount, str(folder)]


@dataclass
class Cluster:
    """A running scheduler and its workers (each a nanny and its worker process)."""

    address: str
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen]
    outs: Path  # where the tests' output folders go
    read_only: bool  # whether the workers see ``outs`` read-only

    def worker_pids(self) -> set[int]:
        """The worker processes' ids, as the scheduler knows them."""
        from distributed import Client

        with Client(self.address, timeout="30s", set_as_default=False) as client:
            return set(client.run(os.getpid).values())

    def wait_for_workers(self, count: int, timeout: float = 120) -> None:
        """Until ``count`` workers have joined the scheduler."""
        from distributed import Client

        with Client(self.address, timeout="30s", set_as_default=False) as client:
            client.wait_for_workers(count, timeout=timeout)


def _start(command: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@contextlib.contextmanager
def _processes() -> Iterator[list[subprocess.Popen]]:
    """The processes started into the list, stopped (the last first) at the end."""
    started: list[subprocess.Popen] = []
    try:
        yield started
    finally:
        for process in reversed(started):
            os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(started):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def _scheduler(folder: Path, started: list[subprocess.Popen]) -> Path:
    """Start ``dask scheduler`` on localhost; the file it writes its address to."""
    file = folder / "scheduler.json"
    command = [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
               "--no-dashboard", "--scheduler-file", str(file)]  # fmt: skip
    started.append(_start(command, folder))
    deadline = time.monotonic() + 60
    while not file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return file


def _worker(file: Path) -> list[str]:
    """``dask worker`` of the scheduler in ``file``: one process, one thread, preloaded."""
    return [str(BIN / "dask"), "worker", "--scheduler-file", str(file), "--nworkers", "1",
            "--nthreads", "1", "--no-dashboard",
            "--preload", "leafletgen.batch.cluster"]  # fmt: skip


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A scheduler and two single-threaded workers, each its own process."""
    folder = tmp_path_factory.mktemp("cluster")
    outs = tmp_path_factory.mktemp("outs")
    prefix = _read_only(outs)
    with _processes() as started:
        file = _scheduler(folder, started)
        address = json.loads(file.read_text())["address"].removeprefix("tcp://")
        for n in range(2):
            home = folder / f"worker-{n}"
            home.mkdir()
            started.append(_start([*prefix, *_worker(file)], home))
        running = Cluster(address, started[0], started[1:], outs, bool(prefix))
        running.wait_for_workers(2)
        yield running


def build(project: Project, out: Path, executor: str, *extra: str) -> subprocess.Popen:
    command = [str(BIN / "leafletgen"), "build", "--all", "--lang", LANGS, "-j", "2",
               "--out", str(out), "--executor", executor, "--project", str(project.root),
               *extra]  # fmt: skip
    return subprocess.Popen(
        command, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def assert_workers_cannot_write(out: Path, cluster: Cluster) -> None:
    """Each worker process sees ``out`` read-only (so a build that succeeded
    was written by the client alone)."""
    if not cluster.read_only:
        pytest.skip("no mount namespace here (needs root): who wrote the files is not checked")
    from distributed import Client

    def try_to_write(folder: str) -> str:
        try:
            with open(os.path.join(folder, "written-by-a-worker"), "wb"):
                return "written"
        except OSError as error:
            return error.strerror or "refused"

    with Client(cluster.address, timeout="30s", set_as_default=False) as client:
        answers = client.run(try_to_write, str(out))
    assert len(answers) == 2
    assert set(answers.values()) == {"Read-only file system"}
    assert not (out / "written-by-a-worker").exists()


@pytest.mark.slow
def test_a_separate_cluster_gives_the_local_pools_bytes_and_only_the_client_writes(
    demo, cluster, project
):
    out = cluster.outs / "same-bytes"
    done = build(project, out, f"dask://{cluster.address}")
    _, stderr = done.communicate(timeout=600)
    assert done.returncode == 0, stderr
    assert pdfs(out) == pdfs(demo.out)
    assert len(pdfs(out)) == 16
    assert (out / "manifest.json").read_bytes() == (demo.out / "manifest.json").read_bytes()
    for path in pdfs(out):
        fhir = path.removesuffix(".pdf") + ".fhir.json"
        assert (out / fhir).read_bytes() == (demo.out / fhir).read_bytes()
    assert_workers_cannot_write(out, cluster)


@pytest.mark.slow
def test_a_cluster_worker_killed_mid_batch_and_its_jobs_finish_elsewhere(demo, cluster, project):
    out = cluster.outs / "killed-worker"
    before = cluster.worker_pids()
    assert len(before) == 2
    done = build(project, out, f"dask://{cluster.address}", "--force")
    # Kill one worker (not its nanny) once the batch has published its first PDF.
    deadline = time.monotonic() + 300
    while not list(out.rglob("*.pdf")) and time.monotonic() < deadline and done.poll() is None:
        time.sleep(0.05)
    assert done.poll() is None, "the batch ended before a worker could be killed"
    published = len(list(out.rglob("*.pdf")))
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    _, stderr = done.communicate(timeout=600)
    assert done.returncode == 0, stderr
    assert published < 16  # killed mid-batch; every PDF came all the same
    assert pdfs(out) == pdfs(demo.out)
    entries = read_manifest(out)
    assert {e.path: e.sha256 for e in entries} == pdfs(out)
    assert_workers_cannot_write(out, cluster)
    # The nanny started a new worker process, which joined.
    cluster.wait_for_workers(2)
    assert victim not in cluster.worker_pids()


@pytest.mark.slow
def test_workers_pause_their_profiler_and_tick_for_a_batch_and_resume_them(
    project, cluster, tmp_path
):
    from leafletgen.batch.build import build_leaflets
    from leafletgen.batch.executors import DaskCluster

    def _profiling(dask_worker) -> bool:  # (nested: sent by value, not imported by the worker)
        # The profiler and the event loop's health check, each running or not, alike.
        names = ("profile", "profile-cycle", "tick", "ticks")
        (running,) = {dask_worker.periodic_callbacks[name].is_running() for name in names}
        return running

    backend = DaskCluster(cluster.address, workers=2)
    during: list[bool] = []

    def look(result, done, total):
        during.extend(backend.client.run(_profiling).values())

    try:
        assert set(backend.client.run(_profiling).values()) == {True}
        results = build_leaflets(
            project, ["immunotherapy"], ["en", "es"], tmp_path, executor=backend, on_result=look
        )
        assert [r.error for r in results if not r.ok] == []
        assert during and set(during) == {False}
        assert set(backend.client.run(_profiling).values()) == {True}
    finally:
        backend.close()


@pytest.mark.slow
def test_a_worker_started_with_the_preload_has_the_renderer_before_its_first_batch(tmp_path):
    from distributed import Client

    def _imported(names: tuple[str, ...]) -> list[str]:  # (nested: sent by value)
        return [name for name in names if name in sys.modules]

    with _processes() as started:
        file = _scheduler(tmp_path, started)
        started.append(_start(_worker(file), tmp_path))
        with Client(scheduler_file=str(file), timeout="30s", set_as_default=False) as client:
            client.wait_for_workers(1, timeout=120)
            wanted = ("weasyprint", "weasyprint.text.ffi", "leafletgen.batch.worker",
                      "translate.filters.checks")  # fmt: skip
            (imported,) = client.run(_imported, wanted).values()
        assert imported == list(wanted)
