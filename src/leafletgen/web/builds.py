"""Leaflets built on request, in the server's own process.

A request names a leaflet, a language and a variant. Requests wait in one
queue and one worker thread builds them in turn, through the same
:func:`~leafletgen.batch.build.build` the command line calls, asked for the
copy the request names and every copy the leaflet already has (languages,
large-print and bilingual editions, web pages: see
:mod:`leafletgen.web.rebuild`), so a desk build never takes away what a
batch published. One build at a time (a 2-core clinic server stays
responsive, and a leaflet is never built twice at once), and a request for
a leaflet already waiting or being built joins that build instead of
starting another. A failing build reports
its errors as the command line prints them (``file:line: message``) and,
because PDFs are only ever renamed into place once complete, leaves the
previous good PDF where it was.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from leafletgen import audit
from leafletgen.batch.build import BuildOptions, BuildResult, OnResult, build
from leafletgen.errors import LeafletError, error_lines
from leafletgen.project import Project
from leafletgen.publish.manifest import read_manifest
from leafletgen.web.paths import hide_paths
from leafletgen.web.rebuild import leaflet_shape, rebuild_options

LOGGER = logging.getLogger(__name__)
KEEP_FINISHED = 200  # finished builds remembered for their status pages
INTERNAL_ERROR = "internal error: the build stopped unexpectedly; the server's log has the details"


@dataclass
class BuildJob:
    """One requested build and how far it got."""

    id: str
    leaflet_id: str
    lang: str
    variant: str
    state: str = "queued"  # queued, running, done, failed
    done: int = 0
    total: int = 0
    outcomes: list[str] = field(default_factory=list)  # "built en/x.pdf (3 pages)", ...
    errors: list[str] = field(default_factory=list)  # as the command line prints them
    requests: int = 1  # how many requests share this build
    who: str = "desk (not signed in)"  # who asked for it, as the audit trail names them
    queued_at: float = field(default_factory=time.monotonic)
    started_at: float | None = None
    finished_at: float | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """The copy it builds: leaflet id, language, variant."""
        return (self.leaflet_id, self.lang, self.variant)

    @property
    def finished(self) -> bool:
        """Whether it is done or failed."""
        return self.state in ("done", "failed")

    def elapsed(self) -> float:
        """Seconds since it started (or was queued), until it finished, to a tenth."""
        start = self.started_at or self.queued_at
        return round((self.finished_at or time.monotonic()) - start, 1)


Builder = Callable[[Project, BuildOptions, OnResult | None], list[BuildResult]]


class BuildDesk:
    """The queue of requested builds and the one thread that runs them."""

    def __init__(self, project: Project, out: Path, builder: Builder = build) -> None:
        self.project = project
        self.out = Path(out)
        self.builder = builder
        self._jobs: OrderedDict[str, BuildJob] = OrderedDict()
        self._waiting: queue.Queue[BuildJob | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def request(
        self, leaflet_id: str, lang: str, variant: str, who: str = BuildJob.who
    ) -> BuildJob:
        """Queue a build, or join the one already waiting or running for the same
        copy; ``who`` asked for it (the audit trail names them)."""
        with self._lock:
            for job in self._jobs.values():
                if job.key == (leaflet_id, lang, variant) and not job.finished:
                    job.requests += 1
                    return job
            job = BuildJob(uuid.uuid4().hex, leaflet_id, lang, variant, who=who)
            self._jobs[job.id] = job
            self._forget_old()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="leafletgen-builds", daemon=True
                )
                self._thread.start()
        self._waiting.put(job)
        return job

    def job(self, job_id: str) -> BuildJob | None:
        """The build ``job_id``, while the desk remembers it."""
        with self._lock:
            return self._jobs.get(job_id)

    def position(self, job: BuildJob) -> int:
        """How many builds will run before this one (0 when it is running or done)."""
        with self._lock:
            if job.state != "queued":
                return 0
            ahead = [j for j in self._jobs.values() if j.state in ("queued", "running")]
            return ahead.index(job) if job in ahead else 0

    def wait(self, job: BuildJob, timeout: float = 60.0) -> bool:
        """Block until ``job`` has finished (for tests and the JSON API's ``wait``)."""
        deadline = time.monotonic() + timeout
        while not job.finished and time.monotonic() < deadline:
            time.sleep(0.05)
        return job.finished

    def close(self) -> None:
        """Let the worker finish its current build and stop."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._waiting.put(None)
            thread.join(timeout=120)

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.finished]
        for job in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[job.id]

    def _work(self) -> None:
        while True:
            job = self._waiting.get()
            if job is None:
                return
            self._run(job)

    def _run(self, job: BuildJob) -> None:
        with self._lock:
            job.state, job.started_at = "running", time.monotonic()

        try:
            results = self._build(job)
            # One record per desk build, as for a build command, naming who asked.
            audit.record_build(self.project.root, results, self.out, who=job.who, via="desk")
        except LeafletError as error:
            outcomes, errors = [], error_lines(error, self.project.root)
        except Exception:  # a bug: its traceback goes to the log, never to the page
            LOGGER.exception("build of %s [%s] failed", job.leaflet_id, job.lang)
            outcomes, errors = [], [INTERNAL_ERROR]
        else:
            outcomes, errors = [], []
            for result in results:
                if result.entry is not None:
                    entry = result.entry
                    outcomes.append(f"built {entry.path} ({entry.pages} pages)")
                elif result.skipped:
                    outcomes.append(f"{result.id} [{result.lang}]: {result.skipped}")
                if result.error is not None:
                    errors += error_lines(result.error, self.project.root)
        # the page and the API show project-relative paths, never the server's own
        errors = [hide_paths(line, self.project.root, self.out) for line in errors]
        with self._lock:
            job.outcomes, job.errors = outcomes, errors
            job.state = "failed" if errors else "done"
            job.finished_at = time.monotonic()

    def _build(self, job: BuildJob) -> list[BuildResult]:
        """Build the copy ``job`` asks for and every copy its leaflet has, one
        batch per set of languages that share their variants."""
        shape = leaflet_shape(self.out, read_manifest(self.out), job.leaflet_id)
        plans = rebuild_options(self.out, shape, job.leaflet_id, job.lang, job.variant)
        results: list[BuildResult] = []
        counted = 0  # results of the batches before this one

        def progress(result: BuildResult, done: int, total: int) -> None:
            """Record how many of the build's copies are done."""
            with self._lock:
                job.done, job.total = counted + done, max(job.total, counted + total)

        for options in plans:
            results += self.builder(self.project, options, progress)
            counted = len(results)
        return results
