"""The batch: from definitions to published PDFs.

:func:`build` loads the project once, plans which leaflet x language jobs
need work (inputs changed, or ``force``: see :mod:`leafletgen.batch.plan`),
and hands those to an executor (this process, a local process pool, or a
Dask cluster: see :mod:`leafletgen.batch.executors`). Workers select,
translate and render, and send back the PDF bytes with their manifest entry;
this process alone writes files (:mod:`leafletgen.publish.writer`). A
failing job is recorded and the others go on; each PDF is recorded in the
batch's manifest journal as soon as it is in place and the manifest is
written once, at the end, so an interrupted batch leaves a manifest that
matches the files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import product
from pathlib import Path
from typing import Any

from leafletgen.batch import executors, plancache
from leafletgen.batch.digests import DigestCache
from leafletgen.batch.plan import (
    BuildOptions,
    BuildResult,
    InputDigests,
    attachment_inline,
    derive_plan,
    relist,
    settle_plan,
)
from leafletgen.batch.plancache import PlannedJob
from leafletgen.batch.worker import Job, Rendered, Workspace, load_workspace
from leafletgen.dates import source_date_epoch
from leafletgen.errors import ErrorGroup, LeafletError
from leafletgen.model import Leaflet
from leafletgen.project import OutputLayout, Project
from leafletgen.publish import fhir
from leafletgen.publish.journal import ManifestJournal
from leafletgen.publish.manifest import ManifestEntry, check_manifest, read_manifest
from leafletgen.publish.writer import (
    publish_leaflet,
    publish_resources,
    relink_twins,
    sweep_leftovers,
    write_bundle,
)
from leafletgen.select import furniture
from leafletgen.select.furniture import Finding
from leafletgen.translate.editions import edition_findings

LOGGER = logging.getLogger("leafletgen")

OnResult = Callable[[BuildResult, int, int], None]


def build(
    project: Project,
    options: BuildOptions,
    on_result: OnResult | None = None,
    *,
    findings: list[Finding] | None = None,
) -> list[BuildResult]:
    """Build the chosen leaflets in every language (see :class:`BuildOptions`).

    Leaflets whose inputs are unchanged since their PDF was written are
    skipped unless ``force``. Whichever executor renders them, the same
    inputs give the same bytes, and only this process writes files. A
    failure stops only its own leaflet; a job whose worker died is given to
    another. ``on_result`` is called after each leaflet with the result and
    the done / total counts. Every entry gets its distribution status.
    ``findings`` (when given) receives what the chosen leaflets print that a
    person must look at (see :func:`leafletgen.report.printed_findings`),
    from the selections planning made (a large batch is not selected twice).
    """
    check_output_folder(project, Path(options.out))
    source_date_epoch()  # a value no leaflet can carry is one error before any work
    options = options.checked(project)
    key = uuid.uuid4().hex  # the workspace's, whenever it is loaded
    plan_key = None if options.force else plancache.plan_key(project, _planned_on(options))
    plan = _cached_plan(options, plan_key, project, findings is not None)
    workspace = None if plan else _workspace(project, options, key)
    lost = check_manifest(options.out)
    for line in sweep_leftovers(options.out):
        LOGGER.warning("%s", line)
    current = {e.key: e for e in read_manifest(options.out)}
    if workspace is not None:
        plan = _derive(workspace, options, plan_key, with_findings=findings is not None)
    assert plan is not None
    if findings is not None:
        findings += plan.findings or ()
    pdfs = DigestCache.load(options.out)
    inline = partial(pdfs.fact, derive=attachment_inline)  # (FHIR files' shape, remembered)
    known, todo = settle_plan(plan.jobs, key, current, options, digest=pdfs.digest, inline=inline)
    if lost and (workspace is None or workspace.inputs.partial):
        workspace = _workspace(project, options, key, whole=True)
    elif todo and workspace is None:  # (a no-op planned from the cache parses no input)
        workspace = _workspace(project, options, key)
    if lost and workspace:  # list every PDF still on disk again, by building it again
        todo += relist(workspace, options, todo, InputDigests(project.root))
    batch = _Batch(workspace, options, on_result, fhir.originals(list(current.values())), pdfs)
    failed = _failed_definitions(workspace, options) if workspace else []
    batch.report([*failed, *known], total=len(todo))
    batch.run(todo)
    results = _after_batch(options, batch)
    pdfs.save({entry.path for entry in current.values()})
    order = {(s, lang): n for n, (s, lang) in enumerate(product(plan.specs, options.langs))}
    return sorted(results, key=lambda r: order.get((r.id, r.lang), -1))


@dataclass(frozen=True)
class _Planned:
    """A batch's plan: chosen leaflet ids in order, jobs and results in
    order, and (when asked for) the printed findings."""

    specs: tuple[str, ...]
    jobs: list[BuildResult | PlannedJob]
    findings: tuple[Finding, ...] | None


def _planned_on(options: BuildOptions) -> dict[str, object]:
    """The options a plan depends on (see :func:`plancache.plan_key`)."""
    return {
        "ids": list(options.ids),
        "langs": list(options.langs),
        "draft": options.draft,
        "include_drugs": options.include_drugs,
        "large_print": options.large_print,
        "bilingual": options.bilingual,
        "today": options.today.isoformat() if options.today else None,
    }


def _workspace(
    project: Project, options: BuildOptions, key: str, *, whole: bool = False
) -> Workspace:
    """The project's inputs for this build: the chosen leaflets' sources only,
    unless ``whole`` (every leaflet's, to list again every PDF on disk)."""
    return load_workspace(
        project,
        draft=options.draft,
        include_drugs=options.include_drugs,
        html_twin=options.html_twin,
        today=options.today,
        font_cache=_font_cache(options),
        key=key,
        ids=() if whole else options.ids,
    )


def _cached_plan(
    options: BuildOptions, plan_key: str | None, project: Project, with_findings: bool
) -> _Planned | None:
    """The plan kept for ``plan_key`` (with its findings, when asked for), if any."""
    kept = plancache.load_plan(options.out, plan_key, project) if plan_key else None
    if kept is None or (with_findings and kept.findings is None):
        return None
    return _Planned(kept.specs, list(kept.jobs), kept.findings)


def _derive(
    workspace: Workspace, options: BuildOptions, plan_key: str | None, *, with_findings: bool
) -> _Planned:
    """Plan the batch from the parsed inputs, and keep the plan for ``plan_key``
    (when given) if nothing in it failed."""
    specs = workspace.inputs.choose(options.ids)
    digests = InputDigests(workspace.project.root)
    selected: list[Leaflet] = []
    jobs = derive_plan(workspace, options, specs, digests, selected)
    found = None
    if with_findings:
        found = [*furniture.printed_findings(selected, workspace.clinic)]
        if not options.draft:  # (a draft prints the label, its English marked)
            project = workspace.project
            found += edition_findings(
                selected,
                workspace.inputs.specs,
                workspace.translator,
                options.langs,
                project.templates,
                project.root,
            )
        found = tuple(found)
    plan = _Planned(tuple(s.id for s in specs), jobs, found)
    clean = not workspace.inputs.failed and not workspace.inputs.broken
    if plan_key and clean and all(isinstance(j, PlannedJob) for j in jobs):
        # (an input changed while it was planned: this plan is of neither version)
        if plancache.plan_key(workspace.project, _planned_on(options)) != plan_key:
            return plan
        planned = tuple(j for j in jobs if isinstance(j, PlannedJob))
        kept = plancache.Plan(plan.specs, planned, found)
        read = [*digests.read(), *(spec.path for spec in workspace.specs.values())]
        plancache.save_plan(options.out, plan_key, workspace.project, kept, read)
    return plan


def build_leaflets(
    project: Project,
    ids: Iterable[str] | None = None,
    langs: Iterable[str] = ("en",),
    out: str | Path = "out",
    *,
    on_result: OnResult | None = None,
    **options: Any,
) -> list[BuildResult]:
    """:func:`build` with the other :class:`BuildOptions` as keyword arguments
    (the desk's builder and the tests call it so)."""
    chosen = BuildOptions(ids=tuple(ids or ()), langs=tuple(langs), out=Path(out), **options)
    return build(project, chosen, on_result)


def _font_cache(options: BuildOptions) -> Path | None:
    """The web pages' font cache in the output folder, made here: workers only
    use it where it exists (not on another machine's Dask worker)."""
    if not options.html_twin:
        return None
    folder = OutputLayout(Path(options.out)).web_font_cache
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # no cache: each page makes its own subsets
    return folder


def check_output_folder(project: Project, out: Path) -> None:
    """The output folder may be anywhere but inside the project's inputs."""
    for inputs in (project.sources, project.leaflets, project.templates, project.locales):
        if out.resolve().is_relative_to(inputs.resolve()):
            raise LeafletError(
                "the output folder must not be inside the project's sources, leaflets, "
                "templates or locales folder",
                out,
            )


def _failed_definitions(workspace: Workspace, options: BuildOptions) -> list[BuildResult]:
    """A failed result per language for each chosen definition that failed to load."""
    return [
        BuildResult(name, lang, error=error)
        for name, error in workspace.inputs.failed.items()
        if not options.ids or name in options.ids
        for lang in options.langs
    ]


def _midnight(day: dt.date) -> str:
    return dt.datetime.combine(day, dt.time(0, 0), dt.UTC).isoformat()


def _rebased(error: LeafletError, worker_root: str, root: Path) -> LeafletError:
    """An error from a worker that held the project elsewhere, pointing at the
    same file in this process's project."""
    if isinstance(error, ErrorGroup):
        return ErrorGroup([_rebased(e, worker_root, root) for e in error.errors])
    if error.path and Path(error.path).is_relative_to(worker_root):
        path = root / Path(error.path).relative_to(worker_root)
        return type(error)(error.message, path, error.line)
    return error


@dataclass
class _Batch:
    """The client side of a running batch: publishes each rendered leaflet as
    it arrives and keeps the results."""

    workspace: Workspace | None  # (loaded only when a job is to run)
    options: BuildOptions
    on_result: OnResult | None
    originals: dict[str, ManifestEntry]  # English originals by id, as they land
    digests: DigestCache | None = None  # told the sha256 of each PDF written
    results: list[BuildResult] = field(default_factory=list)
    shared: dict[Any, Any] = field(default_factory=dict)  # see _sharing
    related: set[str] = field(default_factory=set)  # with a translation or variant published
    stale: set[str] = field(default_factory=set)  # ... before their original was rebuilt
    total: int = 0
    journal: ManifestJournal | None = None

    def report(self, results: list[BuildResult], *, total: int) -> None:
        """Record results known before any job ran; ``total`` jobs are to come."""
        self.total = len(results) + total
        for result in results:
            self._add(result)

    def _add(self, result: BuildResult) -> None:
        self.results.append(result)
        if self.on_result:
            self.on_result(result, len(self.results), self.total)

    def run(self, todo: list[Job]) -> None:
        """Render ``todo`` on the options' executor, publishing as results arrive."""
        self.journal = ManifestJournal(self.options.out)
        try:
            if todo:
                executor = self.options.executor
                backend = executors.backend_for(executor, jobs=self.options.jobs, batch=len(todo))
                try:
                    assert self.workspace is not None  # (loaded whenever there is a job)
                    executors.run_jobs(backend, self.workspace, todo, self.publish)
                finally:
                    if backend is not executor:  # one the caller passed in stays theirs
                        backend.close()
        finally:
            self.journal.close()  # the manifest, written once, true to the files in place

    def publish(self, rendered: Rendered) -> None:
        """Write one rendered leaflet's files, or record its failure."""
        job, error, entry = rendered.job, rendered.error, None
        if error is None and rendered.entry is not None:
            try:
                entry = self._write(rendered, rendered.entry)
            except LeafletError as problem:
                error = problem
        elif error is not None:
            if rendered.traceback:  # a bug in the job: its traceback goes to the log
                LOGGER.error("%s [%s]: %s\n%s", job.id, job.lang, error, rendered.traceback)
            root = self.options.out if self.workspace is None else self.workspace.project.root
            if rendered.root and rendered.root != str(root):
                error = _rebased(error, rendered.root, root)
        self._add(
            BuildResult(job.id, job.lang, entry=entry, worker=rendered.worker, rss=rendered.rss)
            if error is None
            else BuildResult(job.id, job.lang, error=error, worker=rendered.worker)
        )

    def _write(self, rendered: Rendered, entry: ManifestEntry) -> ManifestEntry:
        job = rendered.job
        before = self.originals.get(job.id)
        entry = publish_leaflet(
            self.options.out,
            entry,
            rendered.pdf,
            rendered.html,
            fhir_inline=self.options.fhir_inline,
            recorded=_midnight(self.options.today or dt.date.today()),
            journal=self.journal,
            originals=self.originals,
            written=partial(self._written, entry.path),
        )
        shared = self._sharing(entry)
        if self.originals.get(job.id) is entry:
            self.originals[job.id] = shared
        entry = shared
        if self.originals.get(job.id) is before:
            self.related.add(job.id)
        elif job.id in self.related:
            self.stale.add(job.id)
        return entry

    def _sharing(self, entry: ManifestEntry) -> ManifestEntry:
        """``entry`` holding the same reasons of its distribution status and the
        same source credits as earlier entries of the batch where they are
        equal. The batch keeps every result, and a status's reasons in full
        are about 10 KB (a language's unreviewed strings, the same for every
        leaflet in it): unshared, the client grew by about 20 KB per job."""
        distribution = entry.distribution
        if distribution is not None and isinstance(distribution.get("reasons"), list):
            reasons = [self._shared_reason(r) for r in distribution["reasons"]]
            distribution = distribution | {"reasons": reasons}
        sources = tuple(self.shared.setdefault(credit, credit) for credit in entry.sources)
        return replace(entry, distribution=distribution, sources=sources)

    def _shared_reason(self, reason: Any) -> Any:
        """The first reason of the batch equal to ``reason``; else ``reason``
        with each of its details (one per string, per file line) the batch's
        first equal one."""
        key = json.dumps(reason, sort_keys=True, ensure_ascii=False)
        if key in self.shared:
            return self.shared[key]
        details = reason.get("details") if isinstance(reason, dict) else None
        if isinstance(details, list):
            shared = [self.shared.setdefault(d, d) if isinstance(d, str) else d for d in details]
            reason = reason | {"details": shared}
        return self.shared.setdefault(key, reason)

    def _written(self, pdf_path: str, name: str, data: bytes) -> None:
        """Tell the digest cache the bytes written as the PDF at ``pdf_path``
        or as its DocumentReference (with the reference's shape), so the next
        no-op need not read them back."""
        if self.digests is None:
            return
        if name == pdf_path:
            fact = None
        elif name == OutputLayout.fhir_path(pdf_path):
            fact = attachment_inline(data)
        else:
            return
        self.digests.wrote(self.options.out / name, hashlib.sha256(data).hexdigest(), fact)


def _failed(results: list[BuildResult], entry: ManifestEntry, error: LeafletError) -> list:
    """``results`` with the leaflet of manifest ``entry`` reported as failed with
    ``error``, after the batch (one that failed already keeps its first error)."""
    same = [r for r in results if (r.id, r.lang) == (entry.id, entry.lang)]
    if any(r.error for r in same):
        return results
    others = [r for r in results if r not in same]
    return [*others, BuildResult(entry.id, entry.lang, error=error)]


def _after_batch(options: BuildOptions, batch: _Batch) -> list[BuildResult]:
    """Bring the files beside the PDFs up to date: a translation published before
    its English original was rebuilt relates to the original's old id (its
    resources are written again), each web page links to the same leaflet in
    the other languages it now has, and the FHIR bundle lists them all."""
    out, results = options.out, batch.results
    built = {r.id for r in results if r.entry is not None}
    listed = read_manifest(out) if batch.stale or options.fhir_bundle or built else []
    resources: list[dict] = []
    if batch.stale or options.fhir_bundle:
        unwritten: list[tuple[ManifestEntry, LeafletError]] = []
        resources = publish_resources(
            listed,
            out,
            inline=options.fhir_inline,
            recorded=_midnight(options.today or dt.date.today()),
            only=None if options.fhir_bundle else batch.stale,
            failed=unwritten,
        )
        for entry, error in unwritten:  # that leaflet failed; the batch ends with its summary
            results = _failed(results, entry, error)
    if built:
        for entry, error in relink_twins(out, listed, built):
            results = _failed(results, entry, error)
    if options.fhir_bundle:
        try:
            write_bundle(out, resources, options.fhir_bundle)
        except LeafletError as error:
            results.append(BuildResult("fhir-bundle", "-", error=error))
    return results
