"""A leafletgen project: where its inputs are, how its outputs are named, and
its inputs loaded once for whoever needs them (the command line, the batch,
the desk).

:class:`OutputLayout` is the only place an output file is named: the PDF of
a leaflet in a language and variant, the files beside it (FHIR
DocumentReference, Provenance, web page), the manifest, its journals and the
FHIR bundle. :func:`load_inputs` reads clinic.yaml, the definitions and the
corpus; a definition or a source that cannot be read is carried in the
:class:`Inputs` value, so each caller decides what it means for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from leafletgen.errors import DefinitionError, LeafletError, raise_all
from leafletgen.model import Document, Leaflet
from leafletgen.read.sources import read_corpus
from leafletgen.select.clinic import Clinic, load_clinic
from leafletgen.select.definitions import LeafletSpec, load_definitions
from leafletgen.select.drugs import load_drugs
from leafletgen.select.selection import select_sections

# The web app's templates live beside the leaflet's but never print.
WEB_TEMPLATES = "web"


@dataclass(frozen=True)
class Project:
    """Where a leafletgen project keeps its inputs."""

    root: Path

    @property
    def sources(self) -> Path:
        """The source documents and their catalogue, ``sources.yaml``."""
        return self.root / "sources"

    @property
    def leaflets(self) -> Path:
        """The leaflet definitions, ``clinic.yaml`` and ``drugs.yaml``."""
        return self.root / "leaflets"

    @property
    def templates(self) -> Path:
        """The leaflet's and the desk's templates, fonts and logo."""
        return self.root / "templates"

    @property
    def locales(self) -> Path:
        """The translation catalogs, reviews and glossaries, per language."""
        return self.root / "locales"

    @property
    def clinic_file(self) -> Path:
        """The clinic's configuration."""
        return self.leaflets / "clinic.yaml"

    @property
    def drugs_file(self) -> Path:
        """The drugs, one leaflet each."""
        return self.leaflets / "drugs.yaml"

    @classmethod
    def find(cls, start: str | Path = ".") -> Project:
        """The project holding ``start``: the nearest folder with ``leaflets/`` and ``sources/``."""
        here = Path(start).resolve()
        for folder in (here, *here.parents):
            if (folder / "leaflets").is_dir() and (folder / "sources").is_dir():
                return cls(folder)
        raise LeafletError("no leafletgen project here (no leaflets/ and sources/ folders)", here)


# --- output names ---------------------------------------------------------------------

VARIANTS = {"standard": "", "large-print": ".large"}
BILINGUAL = "bilingual-"  # + the companion language: "bilingual-en"


def companion_language(variant: str) -> str | None:
    """The second language of a bilingual variant (``bilingual-en`` -> ``en``)."""
    return variant.removeprefix(BILINGUAL) if variant.startswith(BILINGUAL) else None


@dataclass(frozen=True)
class OutputLayout:
    """The names of everything a build writes into its output folder ``root``.

    Names relative to the output folder are static (a worker names a PDF
    without knowing where it will be written); :meth:`file` and the
    properties give paths inside ``root``.
    """

    root: Path

    MANIFEST: ClassVar[str] = "manifest.json"
    DAMAGED_MANIFEST: ClassVar[str] = "manifest.json.damaged"
    FHIR_BUNDLE: ClassVar[str] = "fhir-bundle.json"
    JOURNAL_PREFIX: ClassVar[str] = ".manifest."
    JOURNAL_SUFFIX: ClassVar[str] = ".journal"
    JOURNAL_GLOB: ClassVar[str] = ".manifest.*.journal"
    WEB_FONT_CACHE: ClassVar[str] = ".cache/web-fonts"
    DIGEST_CACHE: ClassVar[str] = ".cache/digests.json"
    PLAN_CACHE: ClassVar[str] = ".cache/plan.json"
    MANIFEST_RECORDS: ClassVar[str] = ".cache/manifest-records.json"

    @staticmethod
    def output_path(leaflet_id: str, lang: str, variant: str, draft: bool) -> str:
        """``<lang>/<id>[.large|.bilingual-<lang>][.draft].pdf``, relative to the output folder."""
        suffix = VARIANTS.get(variant, f".{variant}")
        return f"{lang}/{leaflet_id}{suffix}{'.draft' if draft else ''}.pdf"

    @staticmethod
    def fhir_path(pdf_path: str) -> str:
        """Where a PDF's DocumentReference is written: beside it, ``.fhir.json``."""
        return str(pdf_path).removesuffix(".pdf") + ".fhir.json"

    @staticmethod
    def provenance_path(pdf_path: str) -> str:
        """Where a PDF's Provenance is written: beside it, ``.provenance.json``."""
        return str(pdf_path).removesuffix(".pdf") + ".provenance.json"

    @staticmethod
    def page_path(pdf_path: str) -> str:
        """Where a PDF's web page stands, relative to the output folder:
        ``es/rituximab.pdf`` -> ``es/rituximab.html``."""
        return str(pdf_path).removesuffix(".pdf") + ".html"

    @classmethod
    def companions(cls, pdf_path: str) -> list[str]:
        """A PDF and every file that may stand beside it (FHIR, Provenance, web page)."""
        return [
            pdf_path,
            cls.fhir_path(pdf_path),
            cls.provenance_path(pdf_path),
            cls.page_path(pdf_path),
        ]

    @classmethod
    def draft_files(cls, leaflet_id: str, lang: str, variant: str) -> list[str]:
        """The files of the draft that a final build of the same leaflet replaces."""
        return cls.companions(cls.output_path(leaflet_id, lang, variant, True))

    def file(self, relative: str | Path) -> Path:
        """``root / relative`` (the caller keeps it inside; see publish's ``output_file``)."""
        return self.root / relative

    @property
    def manifest(self) -> Path:
        """``manifest.json``."""
        return self.root / self.MANIFEST

    @property
    def damaged_manifest(self) -> Path:
        """Where a damaged ``manifest.json`` is set aside."""
        return self.root / self.DAMAGED_MANIFEST

    @property
    def fhir_bundle(self) -> Path:
        """``fhir-bundle.json``, every resource as one Bundle."""
        return self.root / self.FHIR_BUNDLE

    @property
    def web_font_cache(self) -> Path:
        """``.cache/web-fonts``: the web pages' font subsets, shared by a build's workers."""
        return self.root / self.WEB_FONT_CACHE

    @property
    def digest_cache(self) -> Path:
        """``.cache/digests.json``: each PDF's sha256 beside its stat (see batch.digests)."""
        return self.root / self.DIGEST_CACHE

    @property
    def plan_cache(self) -> Path:
        """``.cache/plan.json``: what planning derived, by its inputs' key (see batch.plancache)."""
        return self.root / self.PLAN_CACHE

    @property
    def manifest_records(self) -> Path:
        """``.cache/manifest-records.json``: the manifest's records, compact (see
        publish.manifest_cache)."""
        return self.root / self.MANIFEST_RECORDS

    def journals(self) -> list[Path]:
        """The manifest journals in the output folder, oldest first."""
        try:
            return sorted(
                self.root.glob(self.JOURNAL_GLOB), key=lambda p: (p.stat().st_mtime_ns, p.name)
            )
        except OSError:
            return []


# --- the project's inputs ---------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    """A project's parsed inputs, with the problems of each file (a frozen value:
    nobody changes the mappings once loaded; plain dicts, so it pickles).

    ``clinic_yaml``: clinic.yaml as read, or why it could not be (raised by
    :attr:`clinic`, for whoever needs it); ``failed``: definitions that could
    not be loaded, by file stem (``drugs`` for drugs.yaml); ``broken``:
    sources that could not be read, by source id (only the leaflets using
    them fail); ``partial``: only the chosen leaflets' sources were read (see
    :func:`load_inputs`).
    """

    project: Project
    clinic_yaml: Clinic | LeafletError
    specs: Mapping[str, LeafletSpec]
    documents: Mapping[str, Document]
    failed: Mapping[str, LeafletError] = field(default_factory=dict)
    broken: Mapping[str, LeafletError] = field(default_factory=dict)
    partial: bool = False  # only the sources of the chosen leaflets were read

    @property
    def clinic(self) -> Clinic:
        """The clinic's configuration; its error if clinic.yaml cannot be read."""
        if isinstance(self.clinic_yaml, LeafletError):
            raise self.clinic_yaml
        return self.clinic_yaml

    def check_definitions(self) -> None:
        """Raise the definitions' errors as loading them strictly would: the
        topic definitions' together, else drugs.yaml's."""
        raise_all([e for name, e in self.failed.items() if name != "drugs"])
        if "drugs" in self.failed:
            raise self.failed["drugs"]

    def check_sources(self) -> None:
        """Raise the errors of the sources that could not be read (all together)."""
        raise_all(list(self.broken.values()))

    def choose(self, ids: Iterable[str] | None) -> list[LeafletSpec]:
        """The definitions to build: all, or the named ones (unknown ids are an
        error; ids whose definition failed to load are left to ``failed``)."""
        if not ids:
            return list(self.specs.values())
        unknown = [i for i in ids if i not in self.specs and i not in self.failed]
        if unknown and "drugs" in self.failed:  # (a drug's name, in a drugs.yaml not read)
            raise self.failed["drugs"]
        if unknown:
            known = ", ".join([*self.specs, *(n for n in self.failed if n != "drugs")])
            raise DefinitionError(
                f"no leaflet named {', '.join(map(repr, unknown))}; known: {known}"
            )
        return [self.specs[i] for i in ids if i in self.specs]

    def select(self, ids: Iterable[str] | None = None) -> list[tuple[LeafletSpec, Leaflet]]:
        """Every chosen definition with its sections selected (all errors
        reported together). Any definition or source that cannot be read is an
        error; drugs deliberately not built (``build: false``) are left out."""
        self.check_definitions()
        specs = self.choose(ids)
        self.check_sources()
        chosen, errors = [], []
        for spec in specs:
            if spec.skip_reason:
                continue
            try:
                chosen.append((spec, select_sections(spec, self.documents)))
            except LeafletError as error:
                errors.append(error)
        raise_all(errors)
        return chosen

    def broken_source(self, spec: LeafletSpec) -> LeafletError | None:
        """The error of a source ``spec`` needs that could not be read, if any (a
        drug leaflet searches every source)."""
        if not self.broken:
            return None
        if spec.drug:
            return next(iter(self.broken.values()))
        for section in spec.sections:
            for selector in section.selectors:
                if selector.source in self.broken:
                    return self.broken[selector.source]
        return None


def load_inputs(
    project: Project, *, include_drugs: bool = False, ids: Iterable[str] | None = None
) -> Inputs:
    """Read clinic.yaml, the definitions (topic leaflets, and with
    ``include_drugs`` one per drug of drugs.yaml) and the corpus.

    With ``ids`` (the leaflets a build chose), only the sources their
    definitions name are read and outlined (``partial``): a one-leaflet
    build does not read the whole corpus. A drug leaflet searches every
    source, and a name that is not a source needs them all for its error, so
    either reads them all.

    A definition that fails to load goes to ``failed``, a source that cannot
    be read to ``broken``, a broken clinic.yaml is raised by ``clinic``; a
    broken sources.yaml is an error.
    """
    clinic: Clinic | LeafletError
    try:
        clinic = load_clinic(project.clinic_file)
    except LeafletError as error:
        clinic = error
    failed: dict[str, LeafletError] = {}
    specs = load_definitions(project.leaflets, failed)
    if include_drugs and project.drugs_file.exists():
        try:
            specs |= load_drugs(project.drugs_file, specs)
        except LeafletError as error:
            failed["drugs"] = error
    broken: dict[str, LeafletError] = {}
    needed = _sources_named(specs, ids) if ids else None
    documents = read_corpus(project.sources, needed, failed=broken)
    if needed is not None and not needed <= {*documents, *broken}:
        documents = read_corpus(project.sources, failed=broken)  # (an unknown name)
        needed = None
    return Inputs(project, clinic, specs, documents, failed, broken, partial=needed is not None)


def _sources_named(specs: Mapping[str, LeafletSpec], ids: Iterable[str]) -> set[str] | None:
    """The sources the definitions of ``ids`` name; ``None`` when they need the
    whole corpus (a drug leaflet, or an id that is not a loaded definition)."""
    needed: set[str] = set()
    for leaflet_id in ids:
        spec = specs.get(leaflet_id)
        if spec is None or spec.drug:
            return None
        needed |= {s.source for section in spec.sections for s in section.selectors}
    return needed


def select_leaflets(
    project: Project, ids: Iterable[str] | None = None, *, include_drugs: bool = False
) -> list[tuple[LeafletSpec, Leaflet]]:
    """Every chosen definition with its sections selected (see :meth:`Inputs.select`)."""
    return load_inputs(project, include_drugs=include_drugs).select(ids)
