"""Where a batch's leaflets are rendered.

Every backend is a ``concurrent.futures`` executor and :func:`run_jobs` is
the one loop that feeds it: this process (:class:`InProcess`), a local
process pool (:class:`LocalPool`), or a Dask cluster (:class:`DaskCluster`,
whose ``Client.get_executor()`` is such an executor). A worker receives a
:class:`~leafletgen.batch.worker.Job` naming a workspace it already holds and
returns the PDF bytes and manifest entry; only the calling process writes
files. A job whose worker died is given to a new worker (up to
:data:`ATTEMPTS` times), so one crash does not lose the batch.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool, ProcessPoolExecutor
from typing import Any

from leafletgen.batch.worker import (
    ExecutorError,
    Job,
    Rendered,
    Workspace,
    install_workspace,
    remove_workspace,
    run_job,
    unexpected,
)
from leafletgen.errors import LeafletError
from leafletgen.render.html import STYLESHEET
from leafletgen.render.pdf import warm_renderer

ATTEMPTS = 3  # a job whose worker dies this many times fails
RECYCLE_AFTER = 100  # jobs per local worker process before it is replaced (memory stays flat)
DASK_SCHEME = "dask://"
LOGGER = logging.getLogger("leafletgen")


class Backend:
    """Where jobs run: a ``concurrent.futures`` executor for a workspace.

    ``window`` jobs are in flight at once (results are published while the
    rest render, and a lost worker costs at most that many re-runs);
    ``jobs_per_executor`` (if set) replaces the executor, and so its worker
    processes, after that many jobs; ``lost`` are the exceptions that mean
    "the worker died, run the job again elsewhere".
    """

    window: int = 1
    jobs_per_executor: int | None = None
    lost: tuple[type[BaseException], ...] = ()

    def executor(self, workspace: Workspace) -> contextlib.AbstractContextManager[Executor]:
        """An executor whose workers hold ``workspace``, for the duration."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the backend started (a cluster it created)."""


class _InlineExecutor(Executor):
    """Runs each job in this process as it is submitted."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn`` now; its result (or exception) in a finished future."""
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:
            future.set_exception(error)
        return future


class InProcess(Backend):
    """Render in this process, one job after another (the workspace already
    loaded here is used as it is)."""

    @contextlib.contextmanager
    def executor(self, workspace: Workspace) -> Iterator[Executor]:
        install_workspace(workspace)
        try:
            yield _InlineExecutor()
        finally:
            remove_workspace(workspace.key)


def _init_local_worker(parent: int, workspace: Workspace) -> None:
    """Set up a pool worker: watch the parent, install the workspace, and
    parse the stylesheet and its fonts before the first job."""
    # Ctrl-C reaches the whole process group; the batch's own process decides
    # what stops (and ends its workers), so a worker never dies mid-job of it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
    install_workspace(workspace)
    warm_renderer(workspace.project.templates / STYLESHEET)


def _die_with_parent(parent: int) -> None:
    """End this worker when the batch that started it is gone (a killed batch
    must not leave workers behind)."""

    def watch() -> None:
        while True:
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass
            time.sleep(0.5)

    threading.Thread(target=watch, name="leafletgen-parent-watch", daemon=True).start()


# Imported by the fork server before it forks any worker: every worker starts
# with WeasyPrint loaded instead of importing it (about 0.7 s) itself.
_PRELOAD = ["leafletgen.batch.worker", "leafletgen.render.pdf", "leafletgen.render.preload"]


class LocalPool(Backend):
    """A pool of ``workers`` processes on this machine.

    Workers are forked from a server process that has imported WeasyPrint
    once (the ``forkserver`` start method: nothing of this process's state or
    threads is inherited), get the parsed workspace once when they start, and
    are replaced after ``recycle_after`` jobs each so memory stays flat.
    """

    lost = (BrokenProcessPool,)

    def __init__(self, workers: int, *, recycle_after: int = RECYCLE_AFTER):
        self.workers = max(1, workers)
        self.window = 2 * self.workers
        self.jobs_per_executor = recycle_after * self.workers
        methods = multiprocessing.get_all_start_methods()
        self.context = multiprocessing.get_context(
            "forkserver" if "forkserver" in methods else None
        )
        if "forkserver" in methods:
            self.context.set_forkserver_preload(_PRELOAD)

    def start(self) -> None:
        """Start the fork server now, so it imports WeasyPrint while this
        process is still planning."""
        if self.context.get_start_method() == "forkserver":
            from multiprocessing import forkserver

            forkserver.ensure_running()

    @contextlib.contextmanager
    def executor(self, workspace: Workspace) -> Iterator[Executor]:
        pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=self.context,
            initializer=_init_local_worker,
            initargs=(os.getpid(), workspace),
        )
        try:
            yield pool
        except BaseException:
            # Interrupted: running jobs are abandoned (workers write nothing).
            pool.shutdown(wait=False, cancel_futures=True)
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                with contextlib.suppress(Exception):
                    process.terminate()
            raise
        pool.shutdown(wait=True, cancel_futures=True)


class DaskCluster(Backend):
    """A Dask distributed cluster: a new one on this machine (``address``
    None, ``workers`` single-threaded worker processes), or the scheduler at
    ``address`` (``HOST:PORT``).

    Workers need no shared disk: the project's input files travel once per
    worker as a content-addressed snapshot (see :mod:`leafletgen.batch.cluster`).
    Dask gives the jobs of a worker that dies to the others; the nanny starts
    a replacement, which receives the snapshot when it joins.
    """

    def __init__(self, address: str | None = None, *, workers: int = 2):
        # Dask (about a second to import) only when a cluster is asked for.
        from leafletgen.batch import cluster

        self.workers = max(1, workers)
        self.client, self._cluster = cluster.connect(address, workers=self.workers)
        threads = sum(self.client.nthreads().values()) or self.workers
        self.window = 2 * threads
        self.lost = cluster.lost_worker_errors()

    @contextlib.contextmanager
    def executor(self, workspace: Workspace) -> Iterator[Executor]:
        from leafletgen.batch import cluster  # (imported already by __init__)

        with cluster.workspace_on_workers(self.client, workspace):
            yield self.client.get_executor(pure=False)

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def backend_for(executor: str | Backend | None, *, jobs: int, batch: int) -> Backend:
    """The backend an ``--executor`` value names: ``local`` (default),
    ``dask`` or ``dask://HOST:PORT``; a Backend is used as it is."""
    if isinstance(executor, Backend):
        return executor
    name = executor or "local"
    if name == "local":
        # A long batch at -j1 renders in one recycled worker: rendering in this
        # process would keep WeasyPrint's caches here, growing with the batch.
        if batch <= 1 or (jobs <= 1 and batch <= RECYCLE_AFTER):
            return InProcess()
        pool = LocalPool(max(1, min(jobs, batch)))
        pool.start()
        return pool
    if name == "dask":
        return DaskCluster(None, workers=max(jobs, 1))
    if name.startswith(DASK_SCHEME) and len(name) > len(DASK_SCHEME):
        return DaskCluster(name.removeprefix(DASK_SCHEME), workers=max(jobs, 1))
    raise ExecutorError(f"unknown executor {name!r}; use local, dask or dask://HOST:PORT")


def run_jobs(
    backend: Backend,
    workspace: Workspace,
    jobs: list[Job],
    publish: Callable[[Rendered], None],
) -> None:
    """Render every job on ``backend`` and hand each result to ``publish`` as it
    arrives (in this process). Jobs whose worker died run again, up to
    :data:`ATTEMPTS` times; after that they come back as failed."""
    with _interrupt_between_results() as interrupted:
        _feed(backend, workspace, jobs, publish, interrupted)


@contextlib.contextmanager
def _interrupt_between_results() -> Iterator[threading.Event]:
    """Hold Ctrl-C back until the loop is between two results.

    A KeyboardInterrupt raised at an arbitrary point can land inside
    ``concurrent.futures``' own locking (``wait`` holds every future's lock),
    and the pool's manager thread then waits on that lock for ever: the
    interrupted batch never exits. Here SIGINT only sets a flag; the loop
    raises KeyboardInterrupt itself once no lock is held and no result is
    half-published. Only the main thread can handle signals; elsewhere (the
    web app's build thread) nothing changes.
    """
    interrupted = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield interrupted
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: interrupted.set())
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted.is_set():
        raise KeyboardInterrupt


def _feed(
    backend: Backend,
    workspace: Workspace,
    jobs: list[Job],
    publish: Callable[[Rendered], None],
    interrupted: threading.Event,
) -> None:
    queue = deque(jobs)
    attempts: Counter[Job] = Counter()
    while queue:
        budget = backend.jobs_per_executor or len(queue)
        with backend.executor(workspace) as pool:
            running: dict[Future, Job] = {}
            broken = False
            while running or (queue and budget and not broken):
                while queue and budget and not broken and len(running) < backend.window:
                    job = queue.popleft()
                    try:
                        running[pool.submit(run_job, job)] = job
                    except backend.lost:
                        queue.appendleft(job)
                        broken = True
                        break
                    budget -= 1
                if not running:
                    break
                done, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
                if interrupted.is_set():
                    raise KeyboardInterrupt
                for future in done:
                    job = running.pop(future)
                    rendered = _outcome(future, job, backend, attempts)
                    broken = broken or _pool_broken(future)
                    if rendered is None:  # its worker died: run it again
                        queue.append(job)
                        continue
                    publish(rendered)


def _pool_broken(future: Future) -> bool:
    """Whether a job's pool broke under it (no more jobs can go to that pool)."""
    return not future.cancelled() and isinstance(future.exception(), BrokenProcessPool)


def _outcome(future: Future, job: Job, backend: Backend, attempts: Counter[Job]) -> Rendered | None:
    """What a finished job gave: its result; None when its worker died and it
    should run again; a failure after :data:`ATTEMPTS` deaths, or for an
    unexpected exception around the job (logged with its traceback)."""
    try:
        return future.result()
    except backend.lost:
        attempts[job] += 1
        if attempts[job] < ATTEMPTS:
            return None
        return Rendered(
            job,
            error=LeafletError(f"its worker process died {ATTEMPTS} times while rendering it"),
        )
    except Exception as error:  # a bug outside the job's own code: this leaflet fails
        LOGGER.error("%s [%s]: unexpected error", job.id, job.lang, exc_info=error)
        return Rendered(job, error=unexpected(error))
