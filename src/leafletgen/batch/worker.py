"""What a batch worker holds and does: the workspace it loads once, the jobs it
is sent, and the rendering of one leaflet in one language and variant.

A worker (this process, a local pool process or a Dask worker) installs a
:class:`Workspace` under its key, then runs :func:`run_job` for each
:class:`Job` naming it: select, translate, check and render, and send back
a :class:`Rendered` value with the PDF bytes, the web page and the manifest
entry. Workers never write files. An input error comes back as that
leaflet's error; a bug comes back the same way, with its traceback, so the
client logs it and the batch goes on.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import socket
import tempfile
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from leafletgen import clearance
from leafletgen.dates import source_date_epoch
from leafletgen.errors import LeafletError
from leafletgen.model import Document, Leaflet
from leafletgen.project import Inputs, OutputLayout, Project, companion_language, load_inputs
from leafletgen.publish.manifest import (
    ManifestEntry,
    ReviewerCredit,
    TranslatorCredit,
    describe_pdf,
)
from leafletgen.render.context import RenderOptions
from leafletgen.render.html import STYLESHEET, render_html
from leafletgen.render.pdf import RenderedPdf, render_document
from leafletgen.render.twin import page_digest
from leafletgen.select.clinic import Clinic
from leafletgen.select.definitions import LeafletSpec
from leafletgen.select.readability import readability
from leafletgen.select.selection import not_built_in, select_sections, translated_into
from leafletgen.translate import editions
from leafletgen.translate.catalogs import SOURCE_LANGUAGE, catalog_languages
from leafletgen.translate.translator import Translator, check_translations, load_translator

# Tagged, accessible PDF: structure tree, /Lang, /MarkInfo, title shown in the
# title bar, alternative text for images.
PDF_VARIANT = "pdf/ua-1"
# A clinic handout is one sheet printed on both sides; large print gets two,
# and so does a bilingual edition (every part printed twice).
PAGES_ALLOWED = {"standard": 2, "large-print": 4, "bilingual": 4}


class ExecutorError(LeafletError):
    """The executor asked for cannot be used."""


# --- the workspace ------------------------------------------------------------------------


@dataclass
class Workspace:
    """A project's parsed inputs and a build's options: what a worker loads
    once and reuses for every leaflet it renders.

    ``key`` names it in the workers that hold it (a job says which workspace
    it needs). Catalogs are read once per language.
    """

    key: str
    inputs: Inputs
    draft: bool = False
    html_twin: bool = False
    include_drugs: bool = False
    today: dt.date | None = None  # source review dates are judged as of this day
    font_cache: Path | None = None  # the web pages' font subsets (see render.webfonts)
    _translators: dict[str, Translator] = field(default_factory=dict, repr=False)

    @property
    def project(self) -> Project:
        """The project the inputs were read from."""
        return self.inputs.project

    @property
    def clinic(self) -> Clinic:
        """The clinic's configuration."""
        return self.inputs.clinic

    @property
    def specs(self) -> Mapping[str, LeafletSpec]:
        """The leaflet definitions, by id."""
        return self.inputs.specs

    @property
    def documents(self) -> Mapping[str, Document]:
        """The source documents, by id."""
        return self.inputs.documents

    def translator(self, lang: str) -> Translator:
        """The catalog of ``lang``, read once."""
        if lang not in self._translators:
            self._translators[lang] = load_translator(self.project.locales, lang, draft=self.draft)
        return self._translators[lang]

    def __getstate__(self) -> dict:
        # Sent to worker processes without the catalogs read so far.
        return {k: v for k, v in self.__dict__.items() if k != "_translators"} | {
            "_translators": {}
        }


def load_workspace(
    project: Project,
    *,
    draft: bool = False,
    include_drugs: bool = False,
    html_twin: bool = False,
    key: str | None = None,
    today: dt.date | None = None,
    font_cache: Path | None = None,
    ids: tuple[str, ...] = (),
) -> Workspace:
    """The project's inputs (see :func:`~leafletgen.project.load_inputs`: a
    definition or a source that cannot be read is carried in them) with a
    build's options, under ``key`` (a new one by default). ``ids``: only the
    sources these leaflets name are read (all leaflets' when empty)."""
    inputs = load_inputs(project, include_drugs=include_drugs, ids=ids or None)
    if isinstance(inputs.clinic_yaml, LeafletError):  # a batch needs it, before any work
        raise inputs.clinic_yaml
    return Workspace(
        key=key or uuid.uuid4().hex,
        inputs=inputs,
        draft=draft,
        html_twin=html_twin,
        include_drugs=include_drugs,
        today=today,
        font_cache=font_cache,
    )


_WORKSPACES: dict[str, Workspace] = {}


def install_workspace(workspace: Workspace) -> None:
    """Make ``workspace`` available to the jobs this process runs."""
    _WORKSPACES[workspace.key] = workspace


def remove_workspace(key: str) -> None:
    """Forget the workspace ``key`` (its batch is over)."""
    _WORKSPACES.pop(key, None)


# --- jobs and what comes back -------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One leaflet in one language and variant, as sent to a worker."""

    workspace: str
    id: str
    lang: str
    variant: str
    inputs: str  # the input hash, recorded in the manifest


@dataclass(frozen=True)
class Rendered:
    """What a worker sends back: the files to publish and the manifest entry,
    or the error (and for a bug, its traceback); which worker it was and its
    memory after the job."""

    job: Job
    entry: ManifestEntry | None = None
    pdf: bytes = b""
    html: str | None = None
    error: LeafletError | None = None
    root: str = ""  # the project folder as the worker saw it
    worker: str = ""  # host:pid
    rss: int | None = None  # bytes resident in the worker after the job
    traceback: str | None = None  # of an unexpected exception (a bug)


def unexpected(error: BaseException, path: Path | None = None) -> LeafletError:
    """A failure that is not a :class:`LeafletError` (a bug), as one failed leaflet."""
    return LeafletError(
        f"internal error ({type(error).__name__}: {str(error)[:200]}); please report it", path
    )


# Writes that fail because of the machine (a full disk, a quota, the process's
# file-size limit, a read-only file system), not because of the leaflet.
MACHINE_FAULTS = {
    errno.ENOSPC: "no space left on the disk",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file is larger than this process may write (its file-size limit, ulimit -f)",
    errno.EROFS: "the file system is read-only",
}


def machine_fault(error: OSError) -> LeafletError | None:
    """A write that the machine refused, as one clear error naming where it was
    writing (a temporary folder when the file has no name: WeasyPrint copies the
    fonts it is given to one), or None for any other ``OSError``."""
    reason = MACHINE_FAULTS.get(error.errno or 0)
    if reason is None:
        return None
    where = error.filename or f"a temporary file in {tempfile.gettempdir()}"
    return LeafletError(f"could not write {where}: {reason}; nothing of this leaflet was written")


def _resident_bytes() -> int | None:
    """This process's current resident memory (not its all-time peak)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def run_job(job: Job) -> Rendered:
    """Render one job in this process (a worker). Input errors and bugs come
    back as values; only a lost worker raises."""
    workspace = _WORKSPACES.get(job.workspace)
    if workspace is None:
        raise RuntimeError(f"worker has no workspace {job.workspace!r}")
    where = dict(root=str(workspace.project.root), worker=f"{socket.gethostname()}:{os.getpid()}")
    try:
        entry, pdf, html = render_leaflet(
            workspace,
            workspace.specs[job.id],
            job.lang,
            variant=job.variant,
            inputs=job.inputs,
        )
    except LeafletError as error:
        return Rendered(job, error=error, rss=_resident_bytes(), **where)
    except (Exception, RecursionError) as error:  # a bug: this leaflet fails, the batch goes on
        if isinstance(error, OSError) and (fault := machine_fault(error)):
            return Rendered(job, error=fault, rss=_resident_bytes(), **where)  # not a bug
        path = workspace.specs[job.id].path if job.id in workspace.specs else None
        return Rendered(
            job,
            error=unexpected(error, path),
            rss=_resident_bytes(),
            traceback=traceback.format_exc(),
            **where,
        )
    return Rendered(job, entry, pdf, html, rss=_resident_bytes(), **where)


# --- dates and the page budget ----------------------------------------------------------


def creation_date(leaflet: Leaflet) -> dt.datetime | None:
    """The PDF's creation date: ``SOURCE_DATE_EPOCH`` if set, else the newest review
    date of the sources it prints, so the same inputs give the same bytes."""
    if (epoch := source_date_epoch()) is not None:
        return epoch
    dates = [d.last_reviewed for d in leaflet.documents if d.last_reviewed]
    if not dates:
        return None
    return dt.datetime.combine(max(dates), dt.time(0, 0), dt.UTC)


def leaflet_dates(leaflet: Leaflet) -> tuple[dt.date | None, dt.date | None]:
    """The leaflet's own "Issued" and "Review by" dates.

    Issued: the PDF's creation date (``SOURCE_DATE_EPOCH``, else the newest
    review date of its sources), never the wall clock. Review by: the
    earliest next-review date of its sources, or a year after issue for a
    source that gives none, whichever comes first.
    """
    created = creation_date(leaflet)
    issued = created.date() if created else None
    # Each source's next review as the distribution status counts it (the
    # publisher's date or cycle, or the clinic's own check of the page).
    nexts = [clearance.source_review(d).next for d in leaflet.documents]
    candidates = [n for n in nexts if n]
    if issued and None in nexts:
        candidates.append(_one_year_after(issued))
    return issued, min(candidates) if candidates else None


def _one_year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def pages_allowed(variant: str) -> int:
    """The page budget of a variant (``bilingual-<lang>`` counts as bilingual)."""
    return PAGES_ALLOWED["bilingual" if variant.startswith("bilingual") else variant]


# --- one leaflet ----------------------------------------------------------------------------


def leaflet_text(leaflet: Leaflet, translator: Translator) -> str:
    """The source text a leaflet prints, in the translator's language."""
    return "\n".join(
        translator.content(text, passage.language)[0]
        for section in leaflet.sections
        for passage in section.passages
        for block in passage.blocks
        for text, _line in block.units
    )


@dataclass(frozen=True)
class PreparedLeaflet:
    """A leaflet selected, translated and checked, as HTML ready to render."""

    leaflet: Leaflet
    translator: Translator
    companion: Translator | None  # the second language of a bilingual edition
    status: clearance.Status
    options: RenderOptions
    html: str


def prepare_leaflet(
    workspace: Workspace, spec: LeafletSpec, lang: str, *, variant: str = "standard"
) -> PreparedLeaflet:
    """Select, translate and check one leaflet, and fill its template.

    A ``bilingual-<lang>`` variant prints each part in the companion
    language too, after the leaflet's own; both must be fully translated.
    """
    project, clinic, draft = workspace.project, workspace.clinic, workspace.draft
    leaflet = select_sections(spec, workspace.documents)
    for edition in (lang, companion_language(variant)):
        # (a batch plans no such job; never print a publisher's words as another language)
        if edition and (unbuilt := not_built_in(leaflet, edition)):
            raise unbuilt
    translator = workspace.translator(lang)
    # (a drug's own label only in a language it is translated into, or in a draft)
    leaflet = editions.edition(
        leaflet, spec, translator, project.templates, project.root, draft=draft
    )
    check_translations(leaflet, spec, translator, project.templates, project.root)
    companion = None
    if second := companion_language(variant):
        companion = workspace.translator(second)
        leaflet = editions.edition(
            leaflet, spec, companion, project.templates, project.root, draft=draft
        )
        check_translations(leaflet, spec, companion, project.templates, project.root)
    status = _assess(workspace, leaflet, spec, translator)
    issued, review_by = leaflet_dates(leaflet)
    options = RenderOptions(
        paper=clinic.paper,
        large_print=variant == "large-print",
        draft=draft,
        created=creation_date(leaflet),
        issued=issued,
        review_by=review_by,
        distribution=clearance.printed_reasons(status),
        translation_credit=clearance.credit(status) if translated_into(leaflet, lang) else None,
    )
    html = _fill(workspace, leaflet, translator, options, companion)
    return PreparedLeaflet(leaflet, translator, companion, status, options, html)


def _fill(
    workspace: Workspace,
    leaflet: Leaflet,
    translator: Translator,
    options: RenderOptions,
    companion: Translator | None,
) -> str:
    """The leaflet's template filled with ``options``."""
    return render_html(
        leaflet,
        workspace.clinic,
        translator,
        templates=workspace.project.templates,
        options=options,
        companion=companion,
    )


def _assess(
    workspace: Workspace,
    leaflet: Leaflet,
    spec: LeafletSpec,
    translator: Translator,
    extra: tuple[clearance.Reason, ...] = (),
) -> clearance.Status:
    """The distribution status of a leaflet built in ``workspace``."""
    return clearance.assess(
        leaflet,
        spec,
        translator,
        root=workspace.project.root,
        today=workspace.today or dt.date.today(),
        draft=workspace.draft,
        extra=extra,
    )


def _render_pdf(workspace: Workspace, html: str) -> RenderedPdf:
    project, clinic = workspace.project, workspace.clinic
    return render_document(
        html,
        base_url=project.templates,
        stylesheet=project.templates / STYLESHEET,
        assets=(clinic.logo.parent,) if clinic.logo else (),
        pdf_variant=PDF_VARIANT,
    )


def _render_in_budget(
    workspace: Workspace, spec: LeafletSpec, prepared: PreparedLeaflet, allowed: int
) -> tuple[PreparedLeaflet, RenderedPdf]:
    """The leaflet as a PDF. One longer than its budget is built and kept, never
    cut; but being longer than one sheet (large print: two) is a reason not to
    clear it, printed on it like the others (so it is rendered again)."""
    rendered = _render_pdf(workspace, prepared.html)
    if rendered.pages <= allowed:
        return prepared, rendered
    overrun = (
        f"{rendered.pages} pages, {allowed} allowed, overflow {rendered.overflow(allowed):.1f} page"
    )
    reason = clearance.Reason("page-budget", overrun)
    status = _assess(workspace, prepared.leaflet, spec, prepared.translator, (reason,))
    options = replace(prepared.options, distribution=clearance.printed_reasons(status))
    html = _fill(workspace, prepared.leaflet, prepared.translator, options, prepared.companion)
    prepared = replace(prepared, status=status, options=options, html=html)
    return prepared, _render_pdf(workspace, prepared.html)


def _describe(
    workspace: Workspace,
    spec: LeafletSpec,
    job: tuple[str, str, str | None],
    prepared: PreparedLeaflet,
    rendered: RenderedPdf,
) -> ManifestEntry:
    """The manifest entry of a rendered leaflet (``job``: language, variant, input hash)."""
    lang, variant, inputs = job
    leaflet, translator, status, options = (
        prepared.leaflet,
        prepared.translator,
        prepared.status,
        prepared.options,
    )
    allowed = pages_allowed(variant)
    return describe_pdf(
        rendered.data,
        leaflet_id=spec.id,
        lang=lang,
        title=translator.gettext(spec.title) if not spec.drug else spec.title,
        documents=leaflet.documents,
        path=OutputLayout.output_path(spec.id, lang, variant, workspace.draft),
        pages=rendered.pages,
        draft=workspace.draft,
        readability=readability(leaflet_text(leaflet, translator), lang),
        input_hash=inputs,
        variant=variant,
        created=options.created.isoformat() if options.created else None,
        distribution=status.as_json(),
        translators=tuple(TranslatorCredit(**t) for t in clearance.translator_json(status)),
        reviewers=tuple(ReviewerCredit(**r) for r in clearance.reviewer_json(status)),
        pages_allowed=allowed,
        overflow=rendered.overflow(allowed),
        issued=options.issued.isoformat() if options.issued else None,
        review_by=options.review_by.isoformat() if options.review_by else None,
    )


def _web_page(workspace: Workspace, prepared: PreparedLeaflet) -> str:
    """The leaflet as a standalone web page, with links to its other languages."""
    languages = (SOURCE_LANGUAGE, *catalog_languages(workspace.project.locales))
    options = replace(
        prepared.options, standalone=True, languages=languages, font_cache=workspace.font_cache
    )
    return _fill(workspace, prepared.leaflet, prepared.translator, options, prepared.companion)


def render_leaflet(
    workspace: Workspace, spec: LeafletSpec, lang: str, *, variant: str, inputs: str | None
) -> tuple[ManifestEntry, bytes, str | None]:
    """Select, translate and render one leaflet: its manifest entry, the PDF
    bytes and (when the workspace asks for it) the HTML twin. Writes nothing."""
    prepared = prepare_leaflet(workspace, spec, lang, variant=variant)
    prepared, rendered = _render_in_budget(workspace, spec, prepared, pages_allowed(variant))
    entry = _describe(workspace, spec, (lang, variant, inputs), prepared, rendered)
    if not workspace.html_twin:
        return entry, rendered.data, None
    page = _web_page(workspace, prepared)
    described = replace(
        entry, html=OutputLayout.page_path(entry.path), html_sha256=page_digest(page)
    )
    return described, rendered.data, page
