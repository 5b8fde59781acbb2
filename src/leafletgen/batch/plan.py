"""Planning a batch: the build's options, the hash of each leaflet's inputs,
and the one rule that says whether a published leaflet is current.

A leaflet in one language and variant needs building unless the manifest
lists it built from the same inputs and its files are intact and of the
shape the build asks for (:func:`is_current`); the batch and the desk both
ask that one rule.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from leafletgen import __version__, clearance
from leafletgen.batch.plancache import PlannedJob
from leafletgen.batch.worker import Job, Workspace
from leafletgen.errors import LeafletError, shown
from leafletgen.files import file_sha256
from leafletgen.model import Leaflet
from leafletgen.project import (
    BILINGUAL,
    WEB_TEMPLATES,
    OutputLayout,
    Project,
    companion_language,
)
from leafletgen.publish import fhir
from leafletgen.publish.manifest import ManifestEntry
from leafletgen.select.clinic import Clinic
from leafletgen.select.definitions import LeafletSpec
from leafletgen.select.selection import not_built_in, select_sections
from leafletgen.translate.catalogs import DOMAINS, SOURCE_LANGUAGE, language_code, po_path

if TYPE_CHECKING:
    from leafletgen.batch.executors import Backend


@dataclass(frozen=True)
class BuildOptions:
    """What to build, and how.

    ``ids``: the leaflets (all when empty); ``langs``: the languages;
    ``out``: the output folder. ``include_drugs`` adds one leaflet per drug of
    drugs.yaml. ``force`` rebuilds leaflets whose inputs are unchanged.
    ``jobs`` and ``executor`` say where they render (see
    :func:`~leafletgen.batch.executors.backend_for`). ``large_print`` (or
    ``large_print: true`` in clinic.yaml) also builds ``<id>.large.pdf``;
    ``bilingual`` (``en``) a bilingual edition of every translation. Every
    PDF gets a FHIR DocumentReference beside it (data inline with
    ``fhir_inline``); ``fhir_bundle`` (``collection`` or ``transaction``)
    also writes them all as one Bundle. ``html_twin`` also writes each
    leaflet as a web page. ``today``: the date review dates are judged
    against (default: the current date).
    """

    ids: tuple[str, ...] = ()
    langs: tuple[str, ...] = ("en",)
    out: Path = Path("out")
    draft: bool = False
    include_drugs: bool = False
    jobs: int = 1
    executor: str | Backend | None = None
    force: bool = False
    large_print: bool = False
    fhir_inline: bool = False
    fhir_bundle: str | None = None
    html_twin: bool = False
    bilingual: str | None = None
    today: dt.date | None = None

    def checked(self, project: Project) -> BuildOptions:
        """The options with language codes normalised, each id and language
        once; an unknown language, a missing catalog or a wrong option is one
        error before any work."""
        langs = tuple(dict.fromkeys(language_code(lang) for lang in self.langs))
        bilingual = language_code(self.bilingual) if self.bilingual is not None else None
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
        if self.fhir_bundle is not None and self.fhir_bundle not in fhir.BUNDLE_TYPES:
            raise LeafletError(f"FHIR bundle type must be one of {', '.join(fhir.BUNDLE_TYPES)}")
        return replace(
            self,
            ids=tuple(dict.fromkeys(self.ids)),  # each leaflet once, however often named
            langs=langs,
            out=Path(self.out),
            bilingual=bilingual,
            today=self.today or dt.date.today(),
        )


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
        """Whether it did not fail (built or skipped)."""
        return self.error is None


# --- inputs and their hash ------------------------------------------------------------


class InputDigests:
    """Digests of a build's input files: each file read and hashed once per
    build, each folder listed once, however many leaflets use them."""

    def __init__(self, root: Path):
        self.root = root
        self._files: dict[str, bytes] = {}
        self._listings: dict[tuple[Path, str], list[Path]] = {}
        self._languages: dict[str, list[Path]] = {}

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

    def read(self) -> list[Path]:
        """Every file digested so far."""
        return [Path(name) for name in self._files]

    def listing(
        self, folder: Path, pattern: str, keep: Callable[[Path], bool] | None = None
    ) -> list[Path]:
        """The files in ``folder`` matching the glob ``pattern`` (and ``keep``)."""
        key = (folder, pattern)
        if key not in self._listings:
            found = (p for p in folder.glob(pattern) if p.is_file() and (keep is None or keep(p)))
            self._listings[key] = sorted(found)
        return self._listings[key]

    def language_files(self, project: Project, language: str) -> list[Path]:
        """The catalogs, review record and glossary of ``language`` (found once)."""
        if language not in self._languages:
            self._languages[language] = [
                *(po_path(project.locales, language, domain) for domain in DOMAINS),
                project.locales / language / "reviews.yaml",
                project.locales / language / "glossary.yaml",
            ]
        return self._languages[language]

    def files(self, paths: Iterable[Path]) -> str:
        """One digest of the names and contents of ``paths``."""
        digest = hashlib.sha256()
        by_name = {str(path): path for path in paths}
        for name in sorted(by_name):
            digest.update(self.file(by_name[name]))
        return digest.hexdigest()


def _input_files(
    project: Project,
    spec: LeafletSpec,
    leaflet: Leaflet,
    clinic: Clinic,
    languages: set[str],
    digests: InputDigests,
) -> list[Path]:
    """Every file that goes into one leaflet printed in ``languages``."""
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
    for language in sorted(languages - {"en"}):
        files += digests.language_files(project, language)
    if languages - {"en"}:
        files.append(project.drugs_file)
    return files


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
    languages = {lang, companion_language(variant) or lang}
    files = _input_files(project, spec, leaflet, clinic, languages, digests)
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


def is_current(
    entry: ManifestEntry | None,
    out: Path,
    inputs: str | None,
    options: BuildOptions,
    *,
    digest: Callable[[Path], str] = file_sha256,
    inline: Callable[[Path], bool | None] | None = None,
) -> bool:
    """Whether the files listed by ``entry`` are there, intact, built from
    ``inputs`` and of the shape ``options`` asks for (a web page when it
    asks for one; FHIR data inline or not); anything damaged (a PDF changed
    on disk, a FHIR file that is not a DocumentReference) means "build it
    again". ``digest``: a file's sha256 (the desk remembers them);
    ``inline``: :func:`attachment_inline` of a FHIR file, remembered (see
    :mod:`leafletgen.batch.digests`)."""
    if not entry or inputs is None or entry.input_hash != inputs:
        return False
    if options.html_twin and not (entry.html and (out / entry.html).is_file()):
        return False
    try:
        if digest(out / entry.path) != entry.sha256:
            return False
        fhir_file = out / OutputLayout.fhir_path(entry.path)
        if not fhir_file.is_file():  # (a FIFO there would make the read wait for ever)
            return False
        shape = inline(fhir_file) if inline else attachment_inline(fhir_file.read_bytes())
        return shape == options.fhir_inline
    except OSError:
        return False


def attachment_inline(data: bytes) -> bool | None:
    """Whether the DocumentReference in ``data`` carries its PDF inline; ``None``
    when it is not one."""
    try:
        reference = json.loads(data.decode("utf-8"))
        attachment = reference["content"][0]["attachment"]
    except (ValueError, LookupError, TypeError, AttributeError):
        return None
    return ("data" in attachment) if isinstance(attachment, dict) else None


# --- the jobs of a batch ----------------------------------------------------------------


def _variants(workspace: Workspace, options: BuildOptions, lang: str) -> list[str]:
    """The variants of a leaflet built in ``lang``."""
    large = options.large_print or workspace.clinic.large_print
    bilingual = options.bilingual
    return (
        ["standard"]
        + (["large-print"] if large else [])
        + ([f"{BILINGUAL}{bilingual}"] if bilingual and bilingual != lang else [])
    )


def plan_jobs(
    workspace: Workspace,
    options: BuildOptions,
    specs: list[LeafletSpec],
    current: dict[tuple[str, str, str], ManifestEntry],
    digests: InputDigests,
    selected: list[Leaflet] | None = None,
    *,
    digest: Callable[[Path], str] = file_sha256,
) -> tuple[list[BuildResult], list[Job]]:
    """The jobs that need work, and the results known without any (skipped:
    not built by choice, or unchanged; failed: a broken source or selection).
    Each leaflet selected is also added to ``selected`` (when given);
    ``digest`` gives a PDF's sha256 (see :mod:`leafletgen.batch.digests`)."""
    planned = derive_plan(workspace, options, specs, digests, selected)
    return settle_plan(planned, workspace.key, current, options, digest=digest)


def derive_plan(
    workspace: Workspace,
    options: BuildOptions,
    specs: list[LeafletSpec],
    digests: InputDigests,
    selected: list[Leaflet] | None = None,
) -> list[BuildResult | PlannedJob]:
    """What the project's inputs say of each chosen leaflet in each language,
    in order: a job with its input hash, why it is not built, or its error.
    Each leaflet selected is also added to ``selected`` (when given). Nothing
    here looks at the output folder (see :mod:`leafletgen.batch.plancache`)."""
    planned: list[BuildResult | PlannedJob] = []
    for spec in specs:
        try:  # once per leaflet, whatever the languages
            leaflet: Leaflet | LeafletError | None = (
                select_sections(spec, workspace.documents) if not spec.skip_reason else None
            )
        except LeafletError as error:
            leaflet = error
        usable = isinstance(leaflet, Leaflet) and not workspace.inputs.broken_source(spec)
        if selected is not None and usable:
            selected.append(leaflet)
        for lang in options.langs:
            if spec.skip_reason:
                planned.append(PlannedJob(spec.id, lang, skipped=f"not built: {spec.skip_reason}"))
            elif broken := workspace.inputs.broken_source(spec):
                planned.append(BuildResult(spec.id, lang, error=broken))
            elif isinstance(leaflet, LeafletError):
                planned.append(BuildResult(spec.id, lang, error=leaflet))
            else:
                assert leaflet is not None  # (only a leaflet not built by choice has none)
                planned += _language_jobs(workspace, options, spec, leaflet, lang, digests)
    return planned


def _language_jobs(
    workspace: Workspace,
    options: BuildOptions,
    spec: LeafletSpec,
    leaflet: Leaflet,
    lang: str,
    digests: InputDigests,
) -> list[PlannedJob]:
    """The planned jobs of one selected leaflet in one language, every variant."""
    if unbuilt := not_built(workspace, leaflet, lang):
        return [PlannedJob(spec.id, lang, skipped=unbuilt)]
    planned = []
    for variant in _variants(workspace, options, lang):
        if unbuilt := not_built(workspace, leaflet, companion_language(variant)):
            planned.append(PlannedJob(spec.id, lang, skipped=f"{variant} {unbuilt}"))
            continue
        job = _job(workspace, options, spec, leaflet, lang, variant, digests)
        planned.append(PlannedJob(spec.id, lang, variant, job.inputs))
    return planned


def settle_plan(
    planned: Iterable[BuildResult | PlannedJob],
    key: str,
    current: dict[tuple[str, str, str], ManifestEntry],
    options: BuildOptions,
    *,
    digest: Callable[[Path], str] = file_sha256,
    inline: Callable[[Path], bool | None] | None = None,
) -> tuple[list[BuildResult], list[Job]]:
    """The jobs of ``planned`` that need work (for workspace ``key``), and the
    results known without any: each job whose published files are current
    (:func:`is_current`, asked of the output folder every time) is unchanged."""
    results: list[BuildResult] = []
    todo: list[Job] = []
    for item in planned:
        if isinstance(item, BuildResult):
            results.append(item)
        elif item.skipped is not None or item.variant is None or item.inputs is None:
            results.append(BuildResult(item.id, item.lang, skipped=item.skipped))
        else:
            path = OutputLayout.output_path(item.id, item.lang, item.variant, options.draft)
            entry = current.get((item.id, item.lang, path))
            if not options.force and is_current(
                entry, options.out, item.inputs, options, digest=digest, inline=inline
            ):
                results.append(BuildResult(item.id, item.lang, skipped="unchanged"))
            else:
                todo.append(Job(key, item.id, item.lang, item.variant, item.inputs))
    return results, todo


def built_in(leaflet: Leaflet, lang: str, variant: str) -> bool:
    """Whether the leaflet is built in ``lang`` and ``variant``: not by choice
    where it prints a source's own words in another language (the companion
    language of a bilingual edition counts too)."""
    editions = (lang, companion_language(variant))
    return not any(not_built_in(leaflet, edition) for edition in editions if edition)


def not_built(workspace: Workspace, leaflet: Leaflet, lang: str | None) -> str | None:
    """Why the leaflet is not built in ``lang`` (a bilingual edition's second
    language too) by choice: it prints a source's own words in another
    language. ``None`` when it can be."""
    reason = not_built_in(leaflet, lang) if lang else None
    return f"not built: {shown(reason, workspace.project.root)}" if reason else None


def _job(
    workspace: Workspace,
    options: BuildOptions,
    spec: LeafletSpec,
    leaflet: Leaflet,
    lang: str,
    variant: str,
    digests: InputDigests,
) -> Job:
    inputs = input_hash(
        workspace.project,
        spec,
        leaflet,
        workspace.clinic,
        lang,
        options.draft,
        variant,
        options.today,
        digests=digests,
    )
    return Job(workspace.key, spec.id, lang, variant, inputs)


def _variant_of(spec_id: str, lang: str, name: str, draft: bool) -> str | None:
    """The variant whose PDF is called ``name`` (relative to the output folder)."""
    variants = ("standard", "large-print", *(f"{BILINGUAL}{b}" for b in ("en",)))
    named = (v for v in variants if OutputLayout.output_path(spec_id, lang, v, draft) == name)
    return next(named, None)


def relist(
    workspace: Workspace, options: BuildOptions, todo: list[Job], digests: InputDigests
) -> list[Job]:
    """After the manifest was lost: a job for every PDF on disk this build would
    not otherwise write, so that the new manifest lists them all again."""
    out, draft = options.out, workspace.draft
    planned = {OutputLayout.output_path(job.id, job.lang, job.variant, draft) for job in todo}
    folders = sorted(p for p in out.iterdir() if p.is_dir()) if out.is_dir() else []
    jobs = []
    for spec in workspace.specs.values():
        if spec.skip_reason or workspace.inputs.broken_source(spec):
            continue
        for folder in folders:
            try:
                lang = language_code(folder.name)
            except LeafletError:
                continue
            for pdf in sorted(folder.glob(f"{spec.id}.*pdf")):
                variant = _variant_of(spec.id, lang, f"{lang}/{pdf.name}", draft)
                if variant is None or f"{lang}/{pdf.name}" in planned:
                    continue
                try:
                    leaflet = select_sections(spec, workspace.documents)
                except LeafletError:
                    continue
                if not built_in(leaflet, lang, variant):
                    continue  # (a copy left from before: not one this build makes)
                jobs.append(_job(workspace, options, spec, leaflet, lang, variant, digests))
    return jobs
