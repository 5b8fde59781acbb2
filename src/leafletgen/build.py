"""The pipeline from definitions to published PDFs.

``build_leaflets`` loads the project once, decides which leaflet x language
jobs need work (inputs changed, or ``force``), and runs those in worker
processes: select, translate, render, publish. A failing job is recorded
and the others go on; each PDF enters the manifest as soon as it is in place,
so an interrupted batch leaves a manifest that matches the files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import __version__, distribution, fhir
from .errors import DefinitionError, LeafletError, raise_all
from .i18n import (
    DOMAINS,
    SOURCE_LANGUAGE,
    Translator,
    check_translations,
    language_code,
    load_translator,
    po_path,
)
from .leaflets import (
    Clinic,
    Leaflet,
    LeafletSpec,
    load_clinic,
    load_definitions,
    load_drugs,
    select_sections,
)
from .model import Document
from .publish import (
    ManifestEntry,
    check_manifest,
    describe_pdf,
    publish_unit,
    read_manifest,
    update_manifest,
)
from .readability import readability
from .render import STYLESHEET, RenderOptions, render_html, render_pdf
from .sources import read_corpus

# Tagged, accessible PDF: structure tree, /Lang, /MarkInfo, title shown in the
# title bar, alternative text for images.
PDF_VARIANT = "pdf/ua-1"
LOGGER = logging.getLogger("leafletgen")
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


def _digest_files(paths: Iterable[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(set(paths)):
        name = os.path.relpath(path.resolve(), root.resolve())
        digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
        try:
            digest.update(path.read_bytes() if path.is_file() else b"<missing>")
        except OSError:
            digest.update(b"<unreadable>")
        digest.update(b"\0")
    return digest.hexdigest()


VARIANTS = {"standard": "", "large-print": ".large"}
BILINGUAL = "bilingual-"  # + the companion language: "bilingual-en"


def companion_language(variant: str) -> str | None:
    """The second language of a bilingual variant (``bilingual-en`` -> ``en``)."""
    return variant.removeprefix(BILINGUAL) if variant.startswith(BILINGUAL) else None


def output_path(leaflet_id: str, lang: str, variant: str, draft: bool) -> str:
    """``<lang>/<id>[.large|.bilingual-<lang>][.draft].pdf``, relative to the output folder."""
    suffix = VARIANTS.get(variant, f".{variant}")
    return f"{lang}/{leaflet_id}{suffix}{'.draft' if draft else ''}.pdf"


def input_hash(
    project: Project,
    spec: LeafletSpec,
    leaflet: Leaflet,
    clinic: Clinic,
    lang: str,
    draft: bool,
    variant: str = "standard",
    today: dt.date | None = None,
) -> str:
    """A hash of everything that goes into one leaflet in one language.

    Sources used, their catalogue, the definition (and for a drug, the class
    leaflet it borrows from), catalogs, templates and fonts, clinic.yaml and
    logo, leafletgen's version and the build options; the review record and
    glossary of the language, and the sources' review state as of ``today``
    (so a review date passing, or a review recorded, rebuilds the leaflet).
    """
    files = [Path(d.path) for d in leaflet.documents]
    files += [project.sources / "sources.yaml", spec.path, project.clinic_file]
    files += [p for p in project.templates.rglob("*") if p.is_file() and _prints(project, p)]
    if spec.drug:  # its sections come from its class's topic definition
        files += [p for p in project.leaflets.glob("*.yaml") if p.name != "clinic.yaml"]
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
            "sources": distribution.source_codes(leaflet, today or dt.date.today()),
        },
        sort_keys=True,
    )
    digest = hashlib.sha256(options.encode())
    digest.update(_digest_files(files, project.root).encode())
    return digest.hexdigest()


def _prints(project: Project, template: Path) -> bool:
    """Whether a file under templates/ can change a leaflet: everything but the
    web app's own pages (``templates/web/``)."""
    return template.relative_to(project.templates).parts[0] != WEB_TEMPLATES


def creation_date(leaflet: Leaflet) -> dt.datetime | None:
    """The PDF's creation date: ``SOURCE_DATE_EPOCH`` if set, else the newest review
    date of the sources it prints, so the same inputs give the same bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    dates = [d.last_reviewed for d in leaflet.documents if d.last_reviewed]
    if not dates:
        return None
    return dt.datetime.combine(max(dates), dt.time(0, 0), dt.UTC)


# --- building ---------------------------------------------------------------------


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
    """Select, translate, render and publish one leaflet in one language.

    The PDF, its FHIR DocumentReference (``<id>.fhir.json``, the data inline
    with ``fhir_inline``) and, with ``html_twin``, the same leaflet as a
    standalone HTML page are published with the manifest entry as one unit:
    a failure leaves the previous files and entry as they were.

    A ``bilingual-<lang>`` variant prints each part in the companion
    language too, after the leaflet's own; both must be fully translated.
    """
    leaflet = select_sections(spec, documents)
    translator = load_translator(project.locales, lang, draft=draft)
    check_translations(leaflet, spec, translator, project.templates, project.root)
    companion = None
    if second := companion_language(variant):
        companion = load_translator(project.locales, second, draft=draft)
        check_translations(leaflet, spec, companion, project.templates, project.root)
    status = distribution.assess(
        leaflet, spec, translator, root=project.root, today=today or dt.date.today(), draft=draft
    )
    created = creation_date(leaflet)
    options = RenderOptions(
        paper=clinic.paper,
        large_print=variant == "large-print",
        draft=draft,
        created=created,
        distribution=distribution.printed_reasons(status),
        translation_credit=distribution.credit(status),
    )
    html = render_html(
        leaflet,
        clinic,
        translator,
        templates=project.templates,
        options=options,
        companion=companion,
    )
    assets = (clinic.logo.parent,) if clinic.logo else ()
    pdf = render_pdf(
        html,
        base_url=project.templates,
        stylesheet=project.templates / STYLESHEET,
        assets=assets,
        pdf_variant=PDF_VARIANT,
    )
    entry = describe_pdf(
        pdf,
        leaflet_id=spec.id,
        lang=lang,
        title=translator.gettext(spec.title) if not spec.drug else spec.title,
        documents=leaflet.documents,
        path=output_path(spec.id, lang, variant, draft),
        draft=draft,
        readability=readability(leaflet_text(leaflet, translator), lang),
        input_hash=inputs,
        variant=variant,
        created=created.isoformat() if created else None,
        distribution=status.as_json(),
        translators=distribution.translator_json(status),
        reviewers=distribution.reviewer_json(status),
    )
    files = {entry.path: pdf}
    if html_twin:
        twin = render_html(
            leaflet,
            clinic,
            translator,
            templates=project.templates,
            options=replace(options, standalone=True),
            companion=companion,
        )
        entry = replace(entry, html=entry.path.removesuffix(".pdf") + ".html")
        files[entry.html] = twin.encode("utf-8")
    reference = fhir.document_reference(entry, out, inline=fhir_inline, content=pdf)
    files[fhir_path(entry.path)] = fhir.json_bytes(reference)
    publish_unit(out, files, entry)
    return entry


@dataclass
class _State:
    """What a worker process loads once and reuses for every job it runs."""

    project: Project
    clinic: Clinic
    specs: dict[str, LeafletSpec]
    documents: dict[str, Document]
    out: Path
    draft: bool
    fhir_inline: bool = False
    html_twin: bool = False
    today: dt.date | None = None
    broken: dict[str, LeafletError] = field(default_factory=dict)  # sources that cannot be read


_STATE: _State | None = None


def _load_state(
    project: Project,
    out: Path,
    draft: bool,
    include_drugs: bool,
    fhir_inline: bool = False,
    html_twin: bool = False,
    failed: dict[str, LeafletError] | None = None,
    today: dt.date | None = None,
) -> _State:
    """Everything a build reads once; definitions that fail to load go to
    ``failed``, sources that cannot be read to the state's ``broken`` (only the
    leaflets using them fail)."""
    broken: dict[str, LeafletError] = {}
    return _State(
        project=project,
        clinic=load_clinic(project.clinic_file),
        specs=load_specs(
            project, include_drugs=include_drugs, failed={} if failed is None else failed
        ),
        documents=read_corpus(project.sources, failed=broken),
        out=out,
        draft=draft,
        fhir_inline=fhir_inline,
        html_twin=html_twin,
        today=today,
        broken=broken,
    )


def _die_with_parent(parent: int) -> None:
    """End this worker as soon as the process that started it is gone (a killed
    batch must not leave workers behind)."""
    try:  # Linux: the kernel signals us when the parent exits
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    started_by = os.getppid()  # the batch itself, or a fork server it runs

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True

    def watch() -> None:
        while os.getppid() == started_by and alive(parent):
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="leafletgen-parent-watch", daemon=True).start()


def _init_worker(parent: int, *args) -> None:
    global _STATE
    _die_with_parent(parent)
    _STATE = _load_state(*args)


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


def _run_job(spec_id: str, lang: str, variant: str, inputs: str) -> BuildResult:
    state = _STATE
    assert state is not None, "worker not initialised"
    try:
        # Listed as soon as it is in place, so an interrupted batch (even one
        # whose parent never hears back) leaves a manifest that matches the files.
        entry = build_one(
            state.project,
            state.specs[spec_id],
            lang,
            documents=state.documents,
            clinic=state.clinic,
            out=state.out,
            draft=state.draft,
            inputs=inputs,
            variant=variant,
            html_twin=state.html_twin,
            fhir_inline=state.fhir_inline,
            today=state.today,
        )
    except LeafletError as error:
        return BuildResult(spec_id, lang, error=error)
    except (Exception, RecursionError) as error:  # a bug: this leaflet fails, the batch goes on
        LOGGER.debug("unexpected error building %s [%s]", spec_id, lang, exc_info=True)
        return BuildResult(spec_id, lang, error=unexpected(error, state.specs[spec_id].path))
    return BuildResult(spec_id, lang, entry=entry)


def unexpected(error: BaseException, path: Path | None = None) -> LeafletError:
    """A failure that is not a :class:`LeafletError` (a bug), as one failed leaflet."""
    return LeafletError(
        f"internal error ({type(error).__name__}: {str(error)[:200]}); please report it", path
    )


def fhir_path(pdf_path: str) -> str:
    """Where a PDF's DocumentReference is written: beside it, ``.fhir.json``."""
    return pdf_path.removesuffix(".pdf") + ".fhir.json"


def _relist(
    out: Path,
    state: _State,
    variants: list[str],
    draft: bool,
    todo: list[tuple[str, str, str, str]],
    project: Project,
) -> list[tuple[str, str, str, str]]:
    """After the manifest was lost: a job for every PDF on disk this build would
    not otherwise write, so that the new manifest lists them all again."""
    planned = {output_path(spec_id, lang, variant, draft) for spec_id, lang, variant, _ in todo}
    jobs = []
    for spec in state.specs.values():
        if spec.skip_reason or uses_broken_source(spec, state.broken):
            continue
        for folder in sorted(p for p in out.iterdir() if p.is_dir()) if out.is_dir() else ():
            try:
                lang = language_code(folder.name)
            except LeafletError:
                continue
            for variant in variants:
                path = output_path(spec.id, lang, variant, draft)
                if path in planned or not (out / path).is_file():
                    continue
                try:
                    leaflet = select_sections(spec, state.documents)
                except LeafletError:
                    continue
                inputs = input_hash(
                    project, spec, leaflet, state.clinic, lang, draft, variant, state.today
                )
                jobs.append((spec.id, lang, variant, inputs))
    return jobs


def check_output_folder(project: Project, out: Path) -> None:
    """The output folder may be anywhere but inside the project's inputs."""
    for inputs in (project.sources, project.leaflets, project.templates, project.locales):
        if out.resolve().is_relative_to(inputs.resolve()):
            raise LeafletError(
                "the output folder must not be inside the project's sources, leaflets, "
                "templates or locales folder",
                out,
            )


def _current_entries(out: Path) -> dict[tuple[str, str, str], dict]:
    return {(e["id"], e["lang"], e["path"]): e for e in read_manifest(out)}


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


def build_leaflets(
    project: Project,
    ids: Iterable[str] | None = None,
    langs: Iterable[str] = ("en",),
    out: str | Path = "out",
    *,
    draft: bool = False,
    include_drugs: bool = False,
    jobs: int = 1,
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
    skipped unless ``force``. ``jobs`` > 1 renders in that many worker
    processes. A failure stops only its own leaflet. ``on_result`` is called
    after each leaflet with the result and the done / total counts.

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
    state = _load_state(project, out, draft, include_drugs, fhir_inline, html_twin, failed, today)
    lost = check_manifest(out)
    variants = ["standard"] + (["large-print"] if large_print or state.clinic.large_print else [])
    specs = choose_specs(state.specs, ids, failed)
    results = [
        BuildResult(name, lang, error=error)
        for name, error in failed.items()
        if not ids or name in ids
        for lang in langs
    ]
    current = _current_entries(out)
    todo: list[tuple[str, str, str, str]] = []
    for spec in specs:
        for lang in langs:
            if spec.skip_reason:
                results.append(BuildResult(spec.id, lang, skipped=f"not built: {spec.skip_reason}"))
                continue
            if broken := uses_broken_source(spec, state.broken):
                results.append(BuildResult(spec.id, lang, error=broken))
                continue
            try:
                leaflet = select_sections(spec, state.documents)
            except LeafletError as error:
                results.append(BuildResult(spec.id, lang, error=error))
                continue
            extra = [f"{BILINGUAL}{bilingual}"] if bilingual and bilingual != lang else []
            for variant in variants + extra:
                inputs = input_hash(
                    project, spec, leaflet, state.clinic, lang, draft, variant, today
                )
                path = output_path(spec.id, lang, variant, draft)
                entry = current.get((spec.id, lang, path))
                if not force and _up_to_date(entry, out, inputs, fhir_inline, html_twin):
                    results.append(BuildResult(spec.id, lang, skipped="unchanged"))
                    continue
                todo.append((spec.id, lang, variant, inputs))

    if lost:
        todo += _relist(out, state, variants, draft, todo, project)

    total = len(results) + len(todo)
    if on_result:
        for done, result in enumerate(results, start=1):
            on_result(result, done, total)
    if jobs <= 1 or len(todo) <= 1:
        global _STATE
        _STATE = state
        for job in todo:
            results.append(_run_job(*job))
            if on_result:
                on_result(results[-1], len(results), total)
    else:
        with ProcessPoolExecutor(
            max_workers=min(jobs, len(todo)),
            initializer=_init_worker,
            initargs=(
                os.getpid(),
                project,
                out,
                draft,
                include_drugs,
                fhir_inline,
                html_twin,
                None,
                today,
            ),
        ) as pool:
            futures = {pool.submit(_run_job, *job): job for job in todo}
            for future in as_completed(futures):
                try:
                    results.append(future.result())
                except Exception as error:  # a worker died or could not start
                    spec_id, lang = futures[future][:2]
                    path = state.specs[spec_id].path
                    results.append(BuildResult(spec_id, lang, error=unexpected(error, path)))
                if on_result:
                    on_result(results[-1], len(results), total)
    if not any(r.entry for r in results):
        update_manifest(out, [])  # still prune entries whose file is gone
    # Every PDF's DocumentReference (related to its English original, whose id
    # changes with its bytes) and Provenance, written again from the manifest.
    listed = list(_current_entries(out).values())
    recorded = dt.datetime.combine(today, dt.time(0, 0), dt.UTC).isoformat()
    unwritten: list[tuple[dict, LeafletError]] = []
    resources = fhir.publish_resources(
        listed, out, inline=fhir_inline, recorded=recorded, failed=unwritten
    )
    for entry, error in unwritten:  # that leaflet failed; the batch still ends with its summary
        same = [r for r in results if (r.id, r.lang) == (entry["id"], entry["lang"])]
        if not any(r.error for r in same):
            results = [r for r in results if r not in same]
            results.append(BuildResult(entry["id"], entry["lang"], error=error))
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
