"""The pipeline from definitions to published PDFs, as one short function.

``build_leaflets`` reads the sources a build needs, selects, translates,
renders and publishes each leaflet in each language. One failing leaflet is
recorded and the others still get built.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import DefinitionError, LeafletError, raise_all
from .i18n import Translator, check_translations, load_translator, parse_locale
from .leaflets import Clinic, Leaflet, LeafletSpec, load_clinic, load_definitions, select_sections
from .model import Document
from .publish import ManifestEntry, publish_pdf, update_manifest
from .readability import readability
from .render import RenderOptions, render_html, render_pdf
from .sources import read_corpus


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
    """What happened to one leaflet in one language."""

    id: str
    lang: str
    entry: ManifestEntry | None = None
    error: LeafletError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


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
    project: Project, ids: Iterable[str] | None = None
) -> list[tuple[LeafletSpec, Leaflet]]:
    """Every chosen definition with its sections selected (all errors reported together)."""
    specs = choose_specs(load_definitions(project.leaflets), ids)
    documents = read_corpus(project.sources)
    chosen, errors = [], []
    for spec in specs:
        try:
            chosen.append((spec, select_sections(spec, documents)))
        except LeafletError as error:
            errors.append(error)
    raise_all(errors)
    return chosen


def build_one(
    project: Project,
    spec: LeafletSpec,
    lang: str,
    *,
    documents: dict[str, Document],
    clinic: Clinic,
    out: Path,
    draft: bool = False,
) -> ManifestEntry:
    """Select, translate, render and publish one leaflet in one language."""
    leaflet = select_sections(spec, documents)
    translator = load_translator(project.locales, lang, draft=draft)
    check_translations(leaflet, spec, translator, project.templates, project.root)
    options = RenderOptions(paper=clinic.paper, large_print=clinic.large_print, draft=draft)
    html = render_html(leaflet, clinic, translator, templates=project.templates, options=options)
    assets = (clinic.logo.parent,) if clinic.logo else ()
    pdf = render_pdf(html, base_url=project.templates, assets=assets)
    return publish_pdf(
        pdf,
        out=out,
        leaflet_id=spec.id,
        lang=lang,
        title=translator.gettext(spec.title),
        documents=leaflet.documents,
        suffix=".draft.pdf" if draft else ".pdf",
        draft=draft,
        readability=readability(leaflet_text(leaflet, translator), lang),
    )


def leaflet_text(leaflet: Leaflet, translator: Translator) -> str:
    """The source text a leaflet prints, in the translator's language."""
    return "\n".join(
        translator.content(text)[0]
        for section in leaflet.sections
        for passage in section.passages
        for block in passage.blocks
        for text, _line in block.units
    )


def build_leaflets(
    project: Project,
    ids: Iterable[str] | None = None,
    langs: Iterable[str] = ("en",),
    out: str | Path = "out",
    *,
    draft: bool = False,
) -> list[BuildResult]:
    """Build the chosen leaflets in every language; a failure stops only its leaflet."""
    out = Path(out)
    langs = list(dict.fromkeys(langs))
    for lang in langs:
        parse_locale(lang)  # an unknown language is one error, before any work
    clinic = load_clinic(project.clinic_file)
    failed: dict[str, LeafletError] = {}
    specs = choose_specs(load_definitions(project.leaflets, failed), ids, failed)
    documents = read_corpus(project.sources)
    results = [
        BuildResult(name, lang, error=error)
        for name, error in failed.items()
        if not ids or name in ids
        for lang in langs
    ]
    try:
        for spec in specs:
            for lang in langs:
                try:
                    entry = build_one(
                        project,
                        spec,
                        lang,
                        documents=documents,
                        clinic=clinic,
                        out=out,
                        draft=draft,
                    )
                except LeafletError as error:
                    results.append(BuildResult(spec.id, lang, error=error))
                else:
                    results.append(BuildResult(spec.id, lang, entry=entry))
    finally:
        # Also when interrupted: the manifest lists exactly the PDFs written.
        update_manifest(out, [r.entry for r in results if r.entry])
    return results
