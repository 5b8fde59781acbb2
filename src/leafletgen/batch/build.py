"""The pipeline from definitions to published PDFs.

``build_leaflets`` loads the project once, decides which leaflet x language
jobs need work (inputs changed, or ``force``), and hands those to an
executor (this process, a local process pool, or a Dask cluster: see
:mod:`leafletgen.batch.executors`). Workers select, translate and render, and send
back the PDF bytes with their manifest entry; this process alone writes
files. A failing job is recorded and the others go on; each PDF is recorded
in the batch's manifest journal as soon as it is in place and the manifest
is written once, at the end, so an interrupted batch leaves a manifest that
matches the files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from leafletgen import __version__, clearance
from leafletgen.batch import executors
from leafletgen.dates import source_date_epoch
from leafletgen.errors import DefinitionError, ErrorGroup, LeafletError, raise_all
from leafletgen.model import Document
from leafletgen.publish import fhir
from leafletgen.publish.unit import (
    ManifestEntry,
    ManifestJournal,
    check_manifest,
    describe_pdf,
    manifest_record,
    publish_unit,
    read_manifest,
    sweep_leftovers,
)
from leafletgen.read.sources import read_corpus
from leafletgen.render import twin
from leafletgen.render.pdf import (
    STYLESHEET,
    RenderedPdf,
    RenderOptions,
    render_document,
    render_html,
)
from leafletgen.select.leaflets import (
    Clinic,
    Leaflet,
    LeafletSpec,
    load_clinic,
    load_definitions,
    load_drugs,
    select_sections,
)
from leafletgen.select.readability import readability
from leafletgen.translate.catalogs import (
    DOMAINS,
    SOURCE_LANGUAGE,
    Translator,
    catalog_languages,
    check_translations,
    language_code,
    load_translator,
    po_path,
)

LOGGER = logging.getLogger("leafletgen")

if TYPE_CHECKING:
    from leafletgen.batch.executors import Backend

# Tagged, accessible PDF: structure tree, /Lang, /MarkInfo, title shown in the
# title bar, alternative text for images.
PDF_VARIANT = "pdf/ua-1"
# The web app's templates live beside the leaflet's but never print.
WEB_TEMPLATES = "web"


@dataclass(frozen=True)
class Project:
    """Where a leafletgen project keeps its inputs."""

    root: Path

    @property
    def sources(self) -> Path:
        return self.root / "sources"

    @property
    def leaflets(self) -> Path:
        return self.root / "leaflets"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def locales(self) -> Path:
        return self.root / "locales"

    @property
    def clinic_file(self) -> Path:
        return self.leaflets / "clinic.yaml"

    @property
    def drugs_file(self) -> Path:
        return self.leaflets / "drugs.yaml"

    @classmethod
    def find(cls, start: str | Path = ".") -> Project:
        """The project holding ``start``: the nearest folder with ``leaflets/`` and ``sources/``."""
        here = Path(start).resolve()
        for folder in (here, *here.parents):
            if (folder / "leaflets").is_dir() and (folder / "sources").is_dir():
                return cls(folder)
        raise LeafletError("no leafletgen project here (no leaflets/ and sources/ folders)", here)


@dataclass(frozen=True)
class BuildResult:
    """What happened to one leaflet in one language: built, skipped or failed."""

    id: str
    lang: str
    entry: ManifestEntry | None = None
    error: LeafletError | None = None
    skipped: str | None = None  # why nothing was done
    worker: str | None = None  # host:pid of the process that rendered it
    rss: int | None = None  # that worker's resident memory after rendering it (bytes)

    @property
    def ok(self) -> bool:
        return self.error is None


def load_specs(
    project: Project,
    *,
    include_drugs: bool = False,
    failed: dict[str, LeafletError] | None = None,
) -> dict[str, LeafletSpec]:
    """Topic leaflet definitions, and with ``include_drugs`` one per drug of ``drugs.yaml``."""
    specs = load_definitions(project.leaflets, failed)
    if include_drugs and project.drugs_file.exists():
        try:
            specs |= load_drugs(project.drugs_file, specs)
        except LeafletError as error:
            if failed is None:
                raise
            failed["drugs"] = error
    return specs


def choose_specs(
    specs: dict[str, LeafletSpec],
    ids: Iterable[str] | None,
    failed: dict[str, LeafletError] | None = None,
) -> list[LeafletSpec]:
    """The definitions to build: all, or the named ones (unknown ids are an error;
    ids whose definition failed to load are left to the caller's ``failed``)."""
    if not ids:
        return list(specs.values())
    failed = failed or {}
    unknown = [i for i in ids if i not in specs and i not in failed]
    if unknown:
        known = ", ".join([*specs, *failed])
        raise DefinitionError(f"no leaflet named {', '.join(map(repr, unknown))}; known: {known}")
    return [specs[i] for i in ids if i in specs]


def select_leaflets(
    project: Project, ids: Iterable[str] | None = None, *, include_drugs: bool = False
) -> list[tuple[LeafletSpec, Leaflet]]:
    """Every chosen definition with its sections selected (all errors reported together).

    Drugs deliberately not built (``build: false``) are left out.
    """
    specs = choose_specs(load_specs(project, include_drugs=include_drugs), ids)
    documents = read_corpus(project.sources)
    chosen, errors = [], []
    for spec in specs:
        if spec.skip_reason:
            continue
        try:
            chosen.append((spec, select_sections(spec, documents)))
        except LeafletError as error:
            errors.append(error)
    raise_all(errors)
    return chosen


def leaflet_text(leaflet: Leaflet, translator: Translator) -> str:
    """The source text a leaflet prints, in the translator's language."""
    return "\n".join(
        translator.content(text)[0]
        for section in leaflet.sections
        for passage in section.passages
        for block in passage.blocks
        for text, _line in block.units
    )


# --- inputs and their hash ------------------------------------------------------


VARIANTS = {"standard": "", "large-print": ".large"}
BILINGUAL = "bilingual-"  # + the companion language: "bilingual-en"


def companion_language(variant: str) -> str | None:
    """The second language of a bilingual variant (``bilingual-en`` -> ``en``)."""
    return variant.removeprefix(BILINGUAL) if variant.startswith(BILINGUAL) else None


def output_path(leaflet_id: str, lang: str, variant: str, draft: bool) -> str:
    """``<lang>/<id>[.large|.bilingual-<lang>][.draft].pdf``, relative to the output folder."""
    suffix = VARIANTS.get(variant, f".{variant}")
    return f"{lang}/{leaflet_id}{suffix}{'.draft' if draft else ''}.pdf"


class InputDigests:
    """Digests of a build's input files: each file read and hashed once per
    build, each folder listed once, however many leaflets use them."""

    def __init__(self, root: Path):
        self.root = root
        self._files: dict[str, bytes] = {}
        self._listings: dict[tuple[Path, str], list[Path]] = {}

    def file(self, path: Path) -> bytes:
        """``name \\0 sha256(content)`` for one file (``<missing>`` if it is not there)."""
        known = self._files.get(str(path))
        if known is None:
            # (a link leading out of the project is refused where the file is
            # read; here it only needs a name, and a FIFO must not be read)
            name = os.path.relpath(path.resolve(), self.root.resolve())
            try:
                content = (
                    hashlib.sha256(path.read_bytes()).digest() if path.is_file() else b"<missing>"
                )
            except OSError:
                content = b"<missing>"
            known = self._files[str(path)] = (
                name.encode("utf-8", "surrogateescape") + b"\0" + content
            )
        return known

    def listing(
        self, folder: Path, pattern: str, keep: Callable[[Path], bool] | None = None
    ) -> list[Path]:
        """The files in ``folder`` matching the glob ``pattern`` (and ``keep``)."""
        key = (folder, pattern)
        if key not in self._listings:
            found = (p for p in folder.glob(pattern) if p.is_file() and (keep is None or keep(p)))
            self._listings[key] = sorted(found)
        return self._listings[key]

    def files(self, paths: Iterable[Path]) -> str:
        digest = hashlib.sha256()
        by_name = {str(path): path for path in paths}
        for name in sorted(by_name):
            digest.update(self.file(by_name[name]))
        return digest.hexdigest()


def input_hash(
    project: Project,
    spec: LeafletSpec,
    leaflet: Leaflet,
    clinic: Clinic,
    lang: str,
    draft: bool,
    variant: str = "standard",
    today: dt.date | None = None,
    *,
    digests: InputDigests | None = None,
) -> str:
    """A hash of everything that goes into one leaflet in one language.

    Sources used, their catalogue, the definition (and for a drug, the class
    leaflet it borrows from), catalogs, templates and fonts, clinic.yaml and
    logo, leafletgen's version and the build options; the review record and
    glossary of the language, and the sources' review state as of ``today``
    (so a review date passing, or a review recorded, rebuilds the leaflet).
    ``digests`` shares the files' digests between the leaflets of one build.
    """
    digests = digests or InputDigests(project.root)
    files = [Path(d.path) for d in leaflet.documents]
    files += [project.sources / "sources.yaml", spec.path, project.clinic_file]
    files += digests.listing(project.templates, "**/*", lambda p: _prints(project, p))
    if spec.drug:  # its sections come from its class's topic definition
        files += [
            p
            for p in digests.listing(project.leaflets, "*.yaml")
            if p.parent == project.leaflets and p.name != "clinic.yaml"
        ]
    if clinic.logo:
        files.append(clinic.logo)
    for language in sorted({lang, companion_language(variant) or lang} - {"en"}):
        files += [po_path(project.locales, language, domain) for domain in DOMAINS]
        files += [
            project.locales / language / "reviews.yaml",
            project.locales / language / "glossary.yaml",
        ]
    if {lang, companion_language(variant) or lang} - {"en"}:
        files.append(project.drugs_file)
    options = json.dumps(
        {
            "version": __version__,
            "lang": lang,
            "draft": draft,
            "id": spec.id,
            "variant": variant,
            "epoch": os.environ.get("SOURCE_DATE_EPOCH"),
            "sources": clearance.source_codes(leaflet, today or dt.date.today()),
        },
        sort_keys=True,
    )
    digest = hashlib.sha256(options.encode())
    digest.update(digests.files(files).encode())
    return digest.hexdigest()


def _prints(project: Project, template: Path) -> bool:
    """Whether a file under templates/ can change a leaflet: everything but the
    web app's own pages (``templates/web/``)."""
    return template.relative_to(project.templates).parts[0] != WEB_TEMPLATES


def _midnight(day: dt.date) -> str:
    return dt.datetime.combine(day, dt.time(0, 0), dt.UTC).isoformat()


def creation_date(leaflet: Leaflet) -> dt.datetime | None:
    """The PDF's creation date: ``SOURCE_DATE_EPOCH`` if set, else the newest review
    date of the sources it prints, so the same inputs give the same bytes."""
    if (epoch := source_date_epoch()) is not None:
        return epoch
    dates = [d.last_reviewed for d in leaflet.documents if d.last_reviewed]
    if not dates:
        return None
    return dt.datetime.combine(max(dates), dt.time(0, 0), dt.UTC)


# --- the project as a worker holds it ----------------------------------------------


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


# A clinic handout is one sheet printed on both sides; large print gets two,
# and so does a bilingual edition (every part printed twice).
PAGES_ALLOWED = {"standard": 2, "large-print": 4, "bilingual": 4}


def pages_allowed(variant: str) -> int:
    """The page budget of a variant (``bilingual-<lang>`` counts as bilingual)."""
    return PAGES_ALLOWED["bilingual" if variant.startswith("bilingual") else variant]


def page_budget_warning(entry: ManifestEntry | dict) -> str | None:
    """``leaflet X [es]: 3 pages, 2 allowed, overflow 0.4 page`` for a leaflet
    (a manifest entry, as built or as read back) longer than its budget."""
    data = entry if isinstance(entry, dict) else asdict(entry)
    allowed, pages = data.get("pages_allowed"), data.get("pages")
    if not isinstance(allowed, int) or not isinstance(pages, int) or pages <= allowed:
        return None
    variant = data.get("variant", "standard")
    variant = "" if variant == "standard" else f", {variant}"
    return (
        f"leaflet {data['id']} [{data['lang']}{variant}]: {pages} pages, "
        f"{allowed} allowed, overflow {float(data.get('overflow') or 0):.1f} page"
    )


def remove_stale_draft(out: Path, leaflet_id: str, lang: str, variant: str) -> list[Path]:
    """Delete the draft a final build of the same leaflet replaces: its PDF and
    the files beside it (FHIR, Provenance, HTML twin). The removed paths."""
    stem = output_path(leaflet_id, lang, variant, True).removesuffix(".pdf")
    removed = []
    for suffix in (".pdf", ".fhir.json", ".provenance.json", ".html"):
        path = out / f"{stem}{suffix}"
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed


@dataclass
class Workspace:
    """A project's parsed inputs and a build's options: what a worker loads
    once and reuses for every leaflet it renders.

    ``key`` names it in the workers that hold it (a job says which workspace
    it needs). Catalogs are read once per language.
    """

    key: str
    project: Project
    clinic: Clinic
    specs: dict[str, LeafletSpec]
    documents: dict[str, Document]
    draft: bool = False
    html_twin: bool = False
    include_drugs: bool = False
    today: dt.date | None = None  # source review dates are judged as of this day
    broken: dict[str, LeafletError] = field(default_factory=dict)  # sources that cannot be read
    _translators: dict[str, Translator] = field(default_factory=dict, repr=False)

    def translator(self, lang: str) -> Translator:
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
    failed: dict[str, LeafletError] | None = None,
    key: str | None = None,
    today: dt.date | None = None,
) -> Workspace:
    """Read clinic.yaml, the definitions and the corpus; definitions that fail
    to load go to ``failed``, sources that cannot be read to the workspace's
    ``broken`` (only the leaflets using them fail)."""
    broken: dict[str, LeafletError] = {}
    return Workspace(
        key=key or uuid.uuid4().hex,
        project=project,
        clinic=load_clinic(project.clinic_file),
        specs=load_specs(
            project, include_drugs=include_drugs, failed={} if failed is None else failed
        ),
        documents=read_corpus(project.sources, failed=broken),
        draft=draft,
        html_twin=html_twin,
        include_drugs=include_drugs,
        today=today,
        broken=broken,
    )


def uses_broken_source(spec: LeafletSpec, broken: dict[str, LeafletError]) -> LeafletError | None:
    """The error of a source ``spec`` needs that could not be read, if any (a
    drug leaflet searches every source)."""
    if not broken:
        return None
    if spec.drug:
        return next(iter(broken.values()))
    for section in spec.sections:
        for selector in section.selectors:
            if selector.source in broken:
                return broken[selector.source]
    return None


def check_output_folder(project: Project, out: Path) -> None:
    """The output folder may be anywhere but inside the project's inputs."""
    for inputs in (project.sources, project.leaflets, project.templates, project.locales):
        if out.resolve().is_relative_to(inputs.resolve()):
            raise LeafletError(
                "the output folder must not be inside the project's sources, leaflets, "
                "templates or locales folder",
                out,
            )


def unexpected(error: BaseException, path: Path | None = None) -> LeafletError:
    """A failure that is not a :class:`LeafletError` (a bug), as one failed leaflet."""
    return LeafletError(
        f"internal error ({type(error).__name__}: {str(error)[:200]}); please report it", path
    )


_WORKSPACES: dict[str, Workspace] = {}


def install_workspace(workspace: Workspace) -> None:
    """Make ``workspace`` available to the jobs this process runs."""
    _WORKSPACES[workspace.key] = workspace


def remove_workspace(key: str) -> None:
    _WORKSPACES.pop(key, None)


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
    or the error; which worker it was and its memory after the job."""

    job: Job
    entry: ManifestEntry | None = None
    pdf: bytes = b""
    html: str | None = None
    error: LeafletError | None = None
    root: str = ""  # the project folder as the worker saw it
    worker: str = ""  # host:pid
    rss: int | None = None  # bytes resident in the worker after the job


def _resident_bytes() -> int | None:
    """This process's current resident memory (not its all-time peak)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


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
    translator = workspace.translator(lang)
    check_translations(leaflet, spec, translator, project.templates, project.root)
    companion = None
    if second := companion_language(variant):
        companion = workspace.translator(second)
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
        translation_credit=clearance.credit(status),
    )
    html = render_html(
        leaflet,
        clinic,
        translator,
        templates=project.templates,
        options=options,
        companion=companion,
    )
    return PreparedLeaflet(leaflet, translator, companion, status, options, html)


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


def render_leaflet(
    workspace: Workspace, spec: LeafletSpec, lang: str, *, variant: str, inputs: str | None
) -> tuple[ManifestEntry, bytes, str | None]:
    """Select, translate and render one leaflet: its manifest entry, the PDF
    bytes and (when the workspace asks for it) the HTML twin. Writes nothing."""
    project, clinic, draft = workspace.project, workspace.clinic, workspace.draft
    prepared = prepare_leaflet(workspace, spec, lang, variant=variant)
    leaflet, translator, status = prepared.leaflet, prepared.translator, prepared.status
    created = prepared.options.created

    def render(html: str) -> RenderedPdf:
        return render_document(
            html,
            base_url=project.templates,
            stylesheet=project.templates / STYLESHEET,
            assets=(clinic.logo.parent,) if clinic.logo else (),
            pdf_variant=PDF_VARIANT,
        )

    rendered = render(prepared.html)
    allowed = pages_allowed(variant)
    if rendered.pages > allowed:
        # Built and kept, never cut; but longer than one sheet (large print:
        # two) is a reason not to clear it, printed on it like the others.
        overrun = (
            f"{rendered.pages} pages, {allowed} allowed, "
            f"overflow {rendered.overflow(allowed):.1f} page"
        )
        status = _assess(
            workspace, leaflet, spec, translator, (clearance.Reason("page-budget", overrun),)
        )
        options = replace(prepared.options, distribution=clearance.printed_reasons(status))
        prepared = replace(
            prepared,
            status=status,
            options=options,
            html=render_html(
                leaflet,
                clinic,
                translator,
                templates=project.templates,
                options=options,
                companion=prepared.companion,
            ),
        )
        rendered = render(prepared.html)
    entry = describe_pdf(
        rendered.data,
        leaflet_id=spec.id,
        lang=lang,
        title=translator.gettext(spec.title) if not spec.drug else spec.title,
        documents=leaflet.documents,
        path=output_path(spec.id, lang, variant, draft),
        pages=rendered.pages,
        draft=draft,
        readability=readability(leaflet_text(leaflet, translator), lang),
        input_hash=inputs,
        variant=variant,
        created=created.isoformat() if created else None,
        distribution=status.as_json(),
        translators=clearance.translator_json(status),
        reviewers=clearance.reviewer_json(status),
    )
    entry = replace(
        entry,
        pages_allowed=allowed,
        overflow=rendered.overflow(allowed),
        issued=prepared.options.issued.isoformat() if prepared.options.issued else None,
        review_by=prepared.options.review_by.isoformat() if prepared.options.review_by else None,
    )
    if not workspace.html_twin:
        return entry, rendered.data, None
    page = render_html(
        leaflet,
        clinic,
        translator,
        templates=project.templates,
        options=replace(
            prepared.options,
            standalone=True,
            languages=(SOURCE_LANGUAGE, *catalog_languages(project.locales)),
        ),
        companion=prepared.companion,
    )
    entry = replace(entry, html=twin.page_path(entry.path))
    return entry, rendered.data, page


def run_job(job: Job) -> Rendered:
    """Render one job in this process (a worker). Input errors come back as
    values; only a lost worker or a bug raises."""
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
        path = workspace.specs[job.id].path if job.id in workspace.specs else None
        return Rendered(job, error=unexpected(error, path), rss=_resident_bytes(), **where)
    return Rendered(job, entry, pdf, html, rss=_resident_bytes(), **where)


def fhir_path(pdf_path: str) -> str:
    """Where a PDF's DocumentReference is written: beside it, ``.fhir.json``."""
    return pdf_path.removesuffix(".pdf") + ".fhir.json"


def publish_rendered(
    rendered: Rendered,
    out: Path,
    *,
    fhir_inline: bool,
    journal: ManifestJournal | None = None,
    originals: dict[str, dict] | None = None,
    recorded: str | None = None,
) -> ManifestEntry:
    """Write a rendered leaflet's PDF, its FHIR DocumentReference and Provenance
    and its HTML twin, and record its entry, as one unit. ``originals``: the
    English originals by leaflet id (a translation's resources relate to its
    original), updated when this entry is one."""
    entry = rendered.entry
    assert entry is not None
    record = manifest_record(entry)
    originals = {} if originals is None else originals
    files = {entry.path: rendered.pdf}
    if rendered.html is not None and entry.html:
        files[entry.html] = rendered.html.encode("utf-8")
    reference, provenance = fhir.resources_of(
        record,
        out,
        original=fhir.original_of(record, originals),
        inline=fhir_inline,
        recorded=recorded or _midnight(dt.date.today()),
        content=rendered.pdf,
    )
    files |= fhir.resource_files(entry.path, reference, provenance)
    if not entry.draft:  # the final replaces its draft: files and manifest entry
        remove_stale_draft(out, entry.id, entry.lang, entry.variant)
    publish_unit(out, files, entry, journal)
    if not entry.html:
        # Rebuilt without its web page: the one from before no longer says what
        # the PDF says. Removed, so that no portal goes on serving it.
        twin_file = out / twin.page_path(entry.path)
        with contextlib.suppress(OSError):
            if twin_file.is_file() and not twin_file.is_symlink():
                twin_file.unlink()
    if fhir.is_original(record):
        originals[entry.id] = record
    return entry


def build_one(
    project: Project,
    spec: LeafletSpec,
    lang: str,
    *,
    documents: dict[str, Document],
    clinic: Clinic,
    out: Path,
    draft: bool = False,
    inputs: str | None = None,
    variant: str = "standard",
    html_twin: bool = False,
    fhir_inline: bool = False,
    today: dt.date | None = None,
) -> ManifestEntry:
    """Select, translate, render and publish one leaflet in one language, in
    this process (and, with ``html_twin``, the same leaflet as a standalone
    HTML page); the manifest is updated at once. A ``bilingual-<lang>``
    variant prints each part in the companion language too."""
    workspace = Workspace(
        "", project, clinic, {spec.id: spec}, documents, draft, html_twin, today=today
    )
    entry, pdf, html = render_leaflet(workspace, spec, lang, variant=variant, inputs=inputs)
    rendered = Rendered(Job("", spec.id, lang, variant, inputs or ""), entry, pdf, html)
    return publish_rendered(
        rendered,
        out,
        fhir_inline=fhir_inline,
        originals=fhir.originals(read_manifest(out)),
        recorded=_midnight(today or dt.date.today()),
    )


def _rebased(error: LeafletError, worker_root: str, root: Path) -> LeafletError:
    """An error from a worker that held the project elsewhere, pointing at the
    same file in this process's project."""
    if isinstance(error, ErrorGroup):
        return ErrorGroup([_rebased(e, worker_root, root) for e in error.errors])
    if error.path and Path(error.path).is_relative_to(worker_root):
        path = root / Path(error.path).relative_to(worker_root)
        return type(error)(error.message, path, error.line)
    return error


# --- the batch --------------------------------------------------------------------


def _failed(results: list[BuildResult], entry: dict, error: LeafletError) -> list[BuildResult]:
    """``results`` with the leaflet of manifest ``entry`` reported as failed with
    ``error``, after the batch (one that failed already keeps its first error)."""
    same = [r for r in results if (r.id, r.lang) == (entry["id"], entry["lang"])]
    if any(r.error for r in same):
        return results
    others = [r for r in results if r not in same]
    return [*others, BuildResult(entry["id"], entry["lang"], error=error)]


def _up_to_date(
    entry: dict | None, out: Path, inputs: str, fhir_inline: bool, html_twin: bool
) -> bool:
    """Whether the files listed by ``entry`` are there, intact and built from
    ``inputs``; anything damaged (a PDF changed on disk, a FHIR file that is
    not a DocumentReference) means "build it again"."""
    if not entry or entry.get("input_hash") != inputs:
        return False
    if html_twin and not (entry.get("html") and (out / entry["html"]).is_file()):
        return False
    path = out / entry["path"]
    try:
        if hashlib.sha256(path.read_bytes()).hexdigest() != entry.get("sha256"):
            return False
        reference = json.loads((out / fhir_path(entry["path"])).read_text(encoding="utf-8"))
        attachment = reference["content"][0]["attachment"]
        return isinstance(attachment, dict) and ("data" in attachment) == fhir_inline
    except (OSError, ValueError, LookupError, TypeError, AttributeError):
        return False


def _relist(out: Path, workspace: Workspace, todo: list[Job], digests: InputDigests) -> list[Job]:
    """After the manifest was lost: a job for every PDF on disk this build would
    not otherwise write, so that the new manifest lists them all again."""
    draft = workspace.draft
    planned = {output_path(job.id, job.lang, job.variant, draft) for job in todo}
    folders = sorted(p for p in out.iterdir() if p.is_dir()) if out.is_dir() else []
    jobs = []
    for spec in workspace.specs.values():
        if spec.skip_reason or uses_broken_source(spec, workspace.broken):
            continue
        for folder in folders:
            try:
                lang = language_code(folder.name)
            except LeafletError:
                continue
            for pdf in sorted(folder.glob(f"{spec.id}.*pdf")):
                variant = next(
                    (
                        v
                        for v in ("standard", "large-print", *(f"{BILINGUAL}{b}" for b in ("en",)))
                        if output_path(spec.id, lang, v, draft) == f"{lang}/{pdf.name}"
                    ),
                    None,
                )
                path = f"{lang}/{pdf.name}"
                if variant is None or path in planned:
                    continue
                try:
                    leaflet = select_sections(spec, workspace.documents)
                except LeafletError:
                    continue
                inputs = input_hash(
                    workspace.project,
                    spec,
                    leaflet,
                    workspace.clinic,
                    lang,
                    draft,
                    variant,
                    workspace.today,
                    digests=digests,
                )
                jobs.append(Job(workspace.key, spec.id, lang, variant, inputs))
    return jobs


def build_leaflets(
    project: Project,
    ids: Iterable[str] | None = None,
    langs: Iterable[str] = ("en",),
    out: str | Path = "out",
    *,
    draft: bool = False,
    include_drugs: bool = False,
    jobs: int = 1,
    executor: str | Backend | None = None,
    force: bool = False,
    large_print: bool = False,
    fhir_inline: bool = False,
    fhir_bundle: str | None = None,
    html_twin: bool = False,
    bilingual: str | None = None,
    on_result: Callable[[BuildResult, int, int], None] | None = None,
    today: dt.date | None = None,
) -> list[BuildResult]:
    """Build the chosen leaflets in every language.

    Leaflets whose inputs are unchanged since their PDF was written are
    skipped unless ``force``. ``executor`` says where they render:
    ``"local"`` (the default: this process for one job or ``jobs`` <= 1, else
    a pool of ``jobs`` processes), ``"dask"`` (a Dask cluster of ``jobs``
    workers on this machine), ``"dask://HOST:PORT"`` (an existing Dask
    scheduler), or a :class:`~leafletgen.batch.executors.Backend`. Whichever it
    is, the same inputs give the same bytes, and only this process writes
    files. A failure stops only its own leaflet; a job whose worker died is
    given to another. ``on_result`` is called after each leaflet with the
    result and the done / total counts.

    ``large_print`` (or ``large_print: true`` in clinic.yaml) also builds a
    large-print variant of each leaflet (``<id>.large.pdf``). Every PDF gets
    a FHIR DocumentReference beside it (data inline with ``fhir_inline``);
    ``fhir_bundle`` (``collection`` or ``transaction``) also writes every
    PDF of the output folder as one Bundle, ``fhir-bundle.json``.
    ``html_twin`` also writes each leaflet as a standalone HTML page.
    ``bilingual`` (a language, usually ``en``) also builds, in every other
    language, a bilingual edition with that language beside each part
    (``<id>.bilingual-en.pdf``).
    ``today`` is the date source review dates are judged against (default:
    the current date); every entry gets its distribution status.
    """
    out = Path(out)
    check_output_folder(project, out)
    source_date_epoch()  # a value no leaflet can carry is one error before any work
    # An unknown language, or a catalog that is not where it should be, is one
    # error before any work.
    langs = list(dict.fromkeys(language_code(lang) for lang in langs))
    bilingual = language_code(bilingual) if bilingual is not None else None
    for lang in [*langs, *([bilingual] if bilingual else [])]:
        if lang != SOURCE_LANGUAGE:
            for domain in DOMAINS:
                po_path(project.locales, lang, domain)
    if bilingual and bilingual != SOURCE_LANGUAGE:
        # The companion is printed without its own review gate: only the
        # English original can stand beside a translation.
        raise LeafletError(
            f"a bilingual edition pairs a translation with the English original "
            f"(--bilingual {SOURCE_LANGUAGE}), not {bilingual!r}"
        )
    ids = list(dict.fromkeys(ids or []))  # each leaflet once, however often it is named
    failed: dict[str, LeafletError] = {}
    if fhir_bundle is not None and fhir_bundle not in fhir.BUNDLE_TYPES:
        raise LeafletError(f"FHIR bundle type must be one of {', '.join(fhir.BUNDLE_TYPES)}")
    today = today or dt.date.today()
    recorded = _midnight(today)
    workspace = load_workspace(
        project,
        draft=draft,
        include_drugs=include_drugs,
        html_twin=html_twin,
        failed=failed,
        today=today,
    )
    lost = check_manifest(out)
    for line in sweep_leftovers(out):
        LOGGER.warning("%s", line)
    variants = ["standard"] + (
        ["large-print"] if large_print or workspace.clinic.large_print else []
    )
    specs = choose_specs(workspace.specs, ids, failed)
    results = [
        BuildResult(name, lang, error=error)
        for name, error in failed.items()
        if not ids or name in ids
        for lang in langs
    ]
    current = {(e["id"], e["lang"], e["path"]): e for e in read_manifest(out)}
    digests = InputDigests(project.root)
    todo: list[Job] = []
    for spec in specs:
        try:  # once per leaflet, whatever the languages
            leaflet: Leaflet | LeafletError = (
                select_sections(spec, workspace.documents) if not spec.skip_reason else None
            )
        except LeafletError as error:
            leaflet = error
        for lang in langs:
            if spec.skip_reason:
                results.append(BuildResult(spec.id, lang, skipped=f"not built: {spec.skip_reason}"))
                continue
            if broken := uses_broken_source(spec, workspace.broken):
                results.append(BuildResult(spec.id, lang, error=broken))
                continue
            if isinstance(leaflet, LeafletError):
                results.append(BuildResult(spec.id, lang, error=leaflet))
                continue
            extra = [f"{BILINGUAL}{bilingual}"] if bilingual and bilingual != lang else []
            for variant in variants + extra:
                inputs = input_hash(
                    project,
                    spec,
                    leaflet,
                    workspace.clinic,
                    lang,
                    draft,
                    variant,
                    today,
                    digests=digests,
                )
                path = output_path(spec.id, lang, variant, draft)
                entry = current.get((spec.id, lang, path))
                if not force and _up_to_date(entry, out, inputs, fhir_inline, html_twin):
                    results.append(BuildResult(spec.id, lang, skipped="unchanged"))
                    continue
                todo.append(Job(workspace.key, spec.id, lang, variant, inputs))

    if lost:  # list every PDF still on disk again, by building it again
        todo += _relist(out, workspace, todo, digests)

    total = len(results) + len(todo)
    if on_result:
        for done, result in enumerate(results, start=1):
            on_result(result, done, total)

    index = fhir.originals(list(current.values()))  # English originals, as they land
    related: set[str] = set()  # leaflets with a translation or variant published
    stale: set[str] = set()  # ... before their English original was rebuilt

    def publish(rendered: Rendered) -> None:
        job = rendered.job
        error = rendered.error
        if error is None:
            try:
                before = index.get(job.id)
                entry = publish_rendered(
                    rendered,
                    out,
                    fhir_inline=fhir_inline,
                    journal=journal,
                    originals=index,
                    recorded=recorded,
                )
                if index.get(job.id) is before:
                    related.add(job.id)
                elif job.id in related:
                    stale.add(job.id)
            except LeafletError as problem:
                error = problem
        elif rendered.root and rendered.root != str(project.root):
            error = _rebased(error, rendered.root, project.root)
        result = (
            BuildResult(job.id, job.lang, entry=entry, worker=rendered.worker, rss=rendered.rss)
            if error is None
            else BuildResult(job.id, job.lang, error=error, worker=rendered.worker)
        )
        results.append(result)
        if on_result:
            on_result(result, len(results), total)

    journal = ManifestJournal(out)
    try:
        if todo:
            backend = executors.backend_for(executor, jobs=jobs, batch=len(todo))
            try:
                executors.run_jobs(backend, workspace, todo, publish)
            finally:
                if backend is not executor:  # one the caller passed in stays theirs
                    backend.close()
    finally:
        journal.close()  # the manifest, written once, true to the files in place
    # A translation published before its English original was rebuilt relates
    # to the original's old id: those leaflets' resources are brought up to date
    # (files already right are left alone).
    built = {r.id for r in results if r.entry is not None}
    listed = read_manifest(out) if stale or fhir_bundle or built else []
    if stale or fhir_bundle:
        unwritten: list[tuple[dict, LeafletError]] = []
        resources = fhir.publish_resources(
            listed,
            out,
            inline=fhir_inline,
            recorded=recorded,
            only=None if fhir_bundle else stale,
            failed=unwritten,
        )
        for entry, error in unwritten:  # that leaflet failed; the batch ends with its summary
            results = _failed(results, entry, error)
    # Each web page links to the same leaflet in the other languages it now has
    # (and no longer to a page this batch replaced or removed).
    if built:
        for entry, error in twin.relink_twins(out, listed, built):
            results = _failed(results, entry, error)
    if fhir_bundle:
        try:
            fhir.write_json(fhir.bundle(resources, fhir_bundle), out / "fhir-bundle.json")
        except LeafletError as error:
            results.append(BuildResult("fhir-bundle", "-", error=error))
    order = {
        (spec.id, lang): n
        for n, (spec, lang) in enumerate((s, lang) for s in specs for lang in langs)
    }
    return sorted(results, key=lambda r: order.get((r.id, r.lang), -1))
