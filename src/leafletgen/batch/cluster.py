"""Dask distributed workers for batch builds: connection, and the project
sent to every worker once.

A Dask worker may run on another machine with no access to this one's
disk. Before a batch, the project's input files (sources, definitions,
templates and fonts, catalogs) are packed into a :class:`Snapshot`, named by
the sha256 of its content, and installed on every worker by a worker plugin
— on the workers there now and on any that join later (a replacement for one
that died). Each worker unpacks it into a private temporary folder, parses
it once, and renders jobs from it; the PDF bytes travel back to the client,
which alone writes files. The plugin is removed (and the folder deleted)
when the batch ends. The client sends the files rather than a job carrying
what it needs: the project is a few megabytes parsed in about a second, a
job a few names and a hash, so each worker pays for the project once per
batch and each task carries only its :class:`~leafletgen.batch.worker.Job`.
For the batch, each worker also pauses Dask's statistical profiler and its
event loop's health check (:data:`PAUSED_CALLBACKS`).

Started with ``dask worker --preload leafletgen.batch.cluster``, a worker
pays WeasyPrint's and leafletgen's imports when it starts
(:func:`dask_setup`) instead of in its first batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from distributed import Client, KilledWorker, LocalCluster, Worker, WorkerPlugin

from leafletgen import __version__
from leafletgen.batch.worker import (
    ExecutorError,
    Workspace,
    install_workspace,
    load_workspace,
    remove_workspace,
)
from leafletgen.project import Project
from leafletgen.render.html import STYLESHEET
from leafletgen.render.pdf import warm_renderer

FOLDERS = ("sources", "leaflets", "templates", "locales")
CONNECT_TIMEOUT = "5s"
# The worker's periodic callbacks a batch pauses (and resumes after): the
# statistical profiler, which walks the rendering thread's stack every 10 ms
# (WeasyPrint's layout stacks are deep), and the event loop's health check,
# which wakes the worker every 20 ms only to log when a tick came late
# (measured: bench/bench_cluster.py idle, see bench/RESULTS.md). Heartbeats,
# the memory monitor and the system monitor keep running: the scheduler and
# the worker's memory limits depend on them.
PAUSED_CALLBACKS = ("profile", "profile-cycle", "tick", "ticks")


@dataclass(frozen=True)
class Snapshot:
    """A project's input files, by project-relative path, and the digest of all of them."""

    files: tuple[tuple[str, bytes], ...]
    digest: str

    @classmethod
    def of(cls, root: Path, extra: tuple[Path, ...] = ()) -> Snapshot:
        """Every regular file under the project's input folders, plus ``extra``
        files (which must be inside the project)."""
        root = root.resolve()
        paths = {p for folder in FOLDERS for p in (root / folder).rglob("*") if p.is_file()}
        for path in extra:
            resolved = path.resolve()
            if not resolved.is_relative_to(root):
                raise ExecutorError(
                    f"{path} is outside the project; a cluster build sends only the project's "
                    "own files to its workers",
                    root / "leaflets" / "clinic.yaml",
                )
            paths.add(resolved)
        files = tuple(
            sorted((p.resolve().relative_to(root).as_posix(), p.read_bytes()) for p in paths)
        )
        digest = hashlib.sha256()
        for name, data in files:
            digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        return cls(files, digest.hexdigest())

    def unpack(self, folder: Path) -> Path:
        """Write the files under ``folder`` (created, private); returns it."""
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for name, data in self.files:
            relative = PurePosixPath(name)
            if relative.is_absolute() or ".." in relative.parts:
                raise ExecutorError(f"snapshot file {name!r} is outside the project")
            target = folder.joinpath(*relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return folder


class WorkspacePlugin(WorkerPlugin):
    """Installs a build's workspace on each worker from a snapshot."""

    def __init__(self, snapshot: Snapshot, key: str, options: dict, version: str = __version__):
        self.snapshot, self.key, self.options, self.version = snapshot, key, options, version
        self.folder: Path | None = None
        self.paused: list = []  # the worker's callbacks stopped for the batch

    async def setup(self, worker: Worker) -> None:
        """Install the workspace on a worker as it starts (or joins), and pause
        its diagnostic callbacks (:data:`PAUSED_CALLBACKS`) for the batch."""
        # Parsing and WeasyPrint's start-up take a while: off the worker's event loop.
        await asyncio.get_running_loop().run_in_executor(None, self._install)
        # Callbacks that cost every worker CPU time all through the batch and
        # serve only diagnostics (see PAUSED_CALLBACKS and bench/RESULTS.md).
        self.paused = [
            callback
            for name, callback in worker.periodic_callbacks.items()
            if name in PAUSED_CALLBACKS and callback.is_running()
        ]
        for callback in self.paused:
            callback.stop()

    def _install(self) -> None:
        if self.version != __version__:
            raise ExecutorError(
                f"this worker runs leafletgen {__version__}, the batch needs {self.version}: "
                "install the same version on every worker"
            )
        folder = (
            Path(tempfile.gettempdir()) / f"leafletgen-{self.snapshot.digest[:16]}-{os.getpid()}"
        )
        self.folder = self.snapshot.unpack(folder)
        project = Project(self.folder)
        install_workspace(load_workspace(project, key=self.key, **self.options))
        warm_renderer(project.templates / STYLESHEET)

    def teardown(self, worker: Worker) -> None:
        """Forget the workspace, delete its files and resume the profiler."""
        for callback in self.paused:
            callback.start()
        self.paused = []
        remove_workspace(self.key)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


# Imported by a job the first time it needs them, and kept by a long-lived
# worker: translate-toolkit's checks, which a translated leaflet's QA runs.
PRELOADED = ("translate.filters.checks", "translate.storage.po")


def dask_setup(worker: Worker) -> None:
    """Dask's preload hook (``dask worker --preload leafletgen.batch.cluster``):
    import the renderer and what a translated leaflet's checks use when the
    worker starts, not in its first batch. The project's stylesheet and fonts
    are still parsed per batch, since they come with its snapshot."""
    warm_renderer()
    for name in PRELOADED:
        importlib.import_module(name)


def connect(address: str | None, *, workers: int) -> tuple[Client, LocalCluster | None]:
    """A client of a new cluster on this machine, or of the scheduler at ``address``."""
    if address is None:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        return Client(cluster, set_as_default=False), cluster
    try:
        return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False), None
    except (OSError, TimeoutError) as error:
        raise ExecutorError(f"cannot reach the Dask scheduler at {address}: {error}") from None


def lost_worker_errors() -> tuple[type[BaseException], ...]:
    """Errors meaning a job's workers kept dying (Dask has already retried it)."""
    return (KilledWorker,)


@contextlib.contextmanager
def workspace_on_workers(client: Client, workspace: Workspace) -> Iterator[None]:
    """Install ``workspace`` on every worker (now and joining) for the duration."""
    clinic = workspace.clinic
    snapshot = Snapshot.of(workspace.project.root, (clinic.logo,) if clinic.logo else ())
    options = {
        "draft": workspace.draft,
        "today": workspace.today,
        "include_drugs": workspace.include_drugs,
        "html_twin": workspace.html_twin,
        "font_cache": workspace.font_cache,
    }
    name = f"leafletgen-{workspace.key}"
    responses = client.register_plugin(WorkspacePlugin(snapshot, workspace.key, options), name)
    problems = [
        str(r.get("exception") or r)
        for r in (responses or {}).values()
        if isinstance(r, dict) and r.get("status") == "error"
    ]
    if problems:
        with contextlib.suppress(Exception):
            client.unregister_worker_plugin(name)
        raise ExecutorError(f"Dask workers could not set up the project: {problems[0]}")
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            client.unregister_worker_plugin(name)
