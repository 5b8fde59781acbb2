"""What the leaflet desk knows: every leaflet the project defines, in every
language and variant, with the copy the manifest lists and whether it is
still current.

The project's inputs are loaded once and kept until a file under
``sources/``, ``leaflets/``, ``templates/`` or ``locales/`` changes; the
manifest is read on every call (a build may have just written it). Only
files the manifest lists are ever handed out, and only when they lie inside
the output folder and still have the bytes the manifest recorded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from leafletgen.batch.plan import InputDigests, built_in, input_hash, is_current
from leafletgen.errors import LeafletError, error_lines
from leafletgen.files import file_sha256
from leafletgen.project import BILINGUAL, VARIANTS, Inputs, OutputLayout, Project, load_inputs
from leafletgen.publish.journal import manifest_stamp
from leafletgen.publish.manifest import ManifestEntry, SourceCredit, read_manifest
from leafletgen.select.definitions import LeafletSpec
from leafletgen.select.selection import select_sections
from leafletgen.translate.catalogs import catalog_languages
from leafletgen.translate.translator import Translator, load_translator
from leafletgen.web.rebuild import LeafletShape, copy_options, leaflet_shape

SOURCE_LANGUAGE = "en"


@dataclass(frozen=True)
class Copy:
    """One leaflet in one language and variant: the PDF the manifest lists, if any.

    ``state`` is ``current`` (built from today's inputs), ``stale`` (inputs
    changed since, or the file no longer matches the manifest), ``missing``
    (never built) or ``unknown`` (the project's inputs cannot be read).
    """

    leaflet_id: str
    lang: str
    variant: str
    state: str
    entry: ManifestEntry | None = None

    @property
    def built(self) -> bool:
        """Whether the manifest lists a PDF of it."""
        return self.entry is not None

    @property
    def title(self) -> str | None:
        """The title it was built with."""
        return (self.entry.title or None) if self.entry else None

    @property
    def issued(self) -> str | None:
        """Its own "Issued" date (ISO 8601), as printed."""
        return (self.entry.issued or None) if self.entry else None

    @property
    def review_by(self) -> str | None:
        """Its own "Review by" date (ISO 8601), as printed."""
        return (self.entry.review_by or None) if self.entry else None

    @property
    def pages(self) -> int | None:
        """Its number of pages, if the manifest records a sensible one."""
        return self.entry.pages if self.entry and self.entry.pages > 0 else None

    @property
    def bytes(self) -> int | None:
        """The PDF's size, if the manifest records a sensible one."""
        return self.entry.bytes if self.entry and self.entry.bytes >= 0 else None

    @property
    def distribution(self) -> str:
        """``cleared``, ``not-cleared``, or ``not-assessed`` when the build recorded none."""
        status = self.entry.status if self.entry else None
        return status if status in ("cleared", "not-cleared") else "not-assessed"

    @property
    def reasons(self) -> list[dict[str, str]]:
        """Why the copy is not cleared for distribution, as the build recorded it:
        ``code``, ``message`` (for the clinic) and ``subject`` (a publisher)."""
        reasons = self.entry.reasons if self.entry else []
        return [
            {key: str(r.get(key) or "") for key in ("code", "message", "subject")}
            for r in reasons
            if r.get("code")
        ]

    @property
    def sources(self) -> list[SourceCredit]:
        """The sources it credits."""
        return list(self.entry.sources) if self.entry else []


@dataclass(frozen=True)
class LeafletInfo:
    """A leaflet the project defines (or the manifest still lists), with its copies."""

    id: str
    title: str
    description: str | None = None
    drug: str | None = None
    class_title: str | None = None  # a drug leaflet's class ("Monoclonal antibodies")
    skip_reason: str | None = None  # listed but deliberately not built
    problems: tuple[str, ...] = ()  # why it cannot be built from today's inputs
    titles: dict[str, str] = field(default_factory=dict)  # per language
    class_titles: dict[str, str] = field(default_factory=dict)  # its class, per language
    descriptions: dict[str, str] = field(default_factory=dict)  # per language
    copies: tuple[Copy, ...] = ()
    brands: tuple[str, ...] = ()  # a drug's brand names (drugs.yaml)
    rxcui: str | None = None  # a drug's RxNorm concept id (drugs.yaml)

    def copy(self, lang: str, variant: str = "standard") -> Copy | None:
        """Its copy in ``lang`` and ``variant``, if it can be had in them."""
        return next((c for c in self.copies if c.lang == lang and c.variant == variant), None)

    @property
    def languages(self) -> list[str]:
        """Every language it can be had in (a catalog exists), built or not."""
        return list(dict.fromkeys(c.lang for c in self.copies))

    @property
    def built_languages(self) -> list[str]:
        """The languages it has a PDF in."""
        return list(dict.fromkeys(c.lang for c in self.copies if c.built))

    def title_in(self, lang: str) -> str:
        """Its title in ``lang`` (the English one if untranslated)."""
        return self.titles.get(lang) or self.title

    def description_in(self, lang: str) -> str | None:
        """Its description in ``lang`` (the English one if untranslated)."""
        return self.descriptions.get(lang) or self.description

    def class_title_in(self, lang: str) -> str | None:
        """Its class's title in ``lang`` (the English one if untranslated)."""
        return self.class_titles.get(lang) or self.class_title

    @property
    def search_text(self) -> str:
        """Everything a search matches against, folded."""
        words = [self.id, self.title, self.description or "", self.drug or ""]
        words += [self.class_title or "", *self.titles.values()]
        words += [*self.class_titles.values(), *self.brands, self.rxcui or ""]
        return fold(" ".join(words))


def variants_for(lang: str) -> list[str]:
    """The variants a leaflet can be built in, in one language: standard, large
    print, and for a translation a bilingual edition beside the English original."""
    variants = list(VARIANTS)
    if lang != SOURCE_LANGUAGE:
        variants.append(f"{BILINGUAL}{SOURCE_LANGUAGE}")
    return variants


def fold(text: str) -> str:
    """Text for matching: lower case, accents and trade-mark signs removed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch) and ch not in "®™©")
    return " ".join(kept.replace("-", " ").split())


def search(leaflets: Iterable[LeafletInfo], query: str) -> list[LeafletInfo]:
    """Leaflets whose names, drug, brand, RxCUI, class or titles contain every word of ``query``.

    An exact drug or title match comes first, then titles starting with the
    query, then the rest in their listed order.
    """
    words = fold(query).split()
    if not words:
        return list(leaflets)
    found = [info for info in leaflets if all(word in info.search_text for word in words)]
    wanted = " ".join(words)

    def rank(info: LeafletInfo) -> int:
        names = [fold(info.drug or ""), fold(info.title), *map(fold, info.titles.values())]
        names += [*map(fold, info.brands), info.rxcui or ""]
        if wanted in names or wanted == fold(info.id):
            return 0
        if any(name.startswith(wanted) for name in names):
            return 1
        return 2

    return sorted(found, key=rank)


# --- the project's inputs, loaded once per change --------------------------------


@dataclass(frozen=True)
class _Inputs:
    """The leaflets the project defines and the input hash of every copy."""

    leaflets: tuple[LeafletInfo, ...]  # copies left empty: the manifest fills them
    languages: tuple[str, ...]
    hashes: dict[tuple[str, str, str], str]
    problems: tuple[str, ...] = ()  # the project as a whole cannot be read
    clinic_name: str | None = None
    contact: str | None = None  # whom staff ask about a not-cleared copy


def _fingerprint(project: Project) -> tuple:
    """Name, size and modification time of every input file, and today's date
    (a source's review date passing makes its leaflets out of date)."""
    stats: list[tuple] = [("today", dt.date.today().isoformat())]
    for folder in (project.sources, project.leaflets, project.templates, project.locales):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            try:
                info = path.stat()
            except OSError:
                continue
            stats.append((str(path), info.st_size, info.st_mtime_ns))
    return tuple(stats)


def _load_inputs(project: Project) -> _Inputs:
    languages = (SOURCE_LANGUAGE, *(x for x in catalog_languages(project.locales) if x != "en"))
    try:
        inputs = load_inputs(project, include_drugs=True)
        clinic = inputs.clinic
        inputs.check_sources()  # the desk lists every leaflet: any broken source is the project's
    except LeafletError as error:
        return _Inputs((), languages, {}, tuple(error_lines(error, project.root)))
    translators = {}
    for lang in languages:
        try:
            translators[lang] = load_translator(project.locales, lang, draft=True)
        except LeafletError:
            continue  # a broken catalog is reported when that language is built
    leaflets, hashes = [], {}
    digests = InputDigests(project.root)  # each input file read once for all hashes
    for spec in inputs.specs.values():
        problems = _hash_copies(inputs, spec, languages, digests, hashes)
        leaflets.append(_leaflet_info(spec, inputs, translators, problems))
    for name, error in inputs.failed.items():
        leaflets.append(
            LeafletInfo(id=name, title=name, problems=tuple(error_lines(error, project.root)))
        )
    return _Inputs(
        _with_drug_ids(leaflets, inputs.specs),
        languages,
        hashes,
        clinic_name=clinic.name,
        contact=clinic.leaflet_contact or f"{clinic.name}, {clinic.phone}",
    )


def _with_drug_ids(
    leaflets: list[LeafletInfo], specs: dict[str, LeafletSpec]
) -> tuple[LeafletInfo, ...]:
    """Each drug leaflet with its brand names and RxCUI (drugs.yaml), to be found by them."""
    return tuple(
        replace(info, brands=specs[info.id].brands, rxcui=specs[info.id].rxcui)
        if info.id in specs
        else info
        for info in leaflets
    )


def _hash_copies(
    inputs: Inputs,
    spec: LeafletSpec,
    languages: tuple[str, ...],
    digests: InputDigests,
    hashes: dict[tuple[str, str, str], str],
) -> tuple[str, ...]:
    """Hash each copy of ``spec`` it is built in into ``hashes``; what keeps it from being built."""
    if spec.skip_reason:
        return ()
    project = inputs.project
    try:
        leaflet = select_sections(spec, inputs.documents)
    except LeafletError as error:
        return tuple(error_lines(error, project.root))
    for lang in languages:
        for variant in (v for v in variants_for(lang) if built_in(leaflet, lang, v)):
            hashes[(spec.id, lang, variant)] = input_hash(
                project, spec, leaflet, inputs.clinic, lang, False, variant, digests=digests
            )
    return ()


def _leaflet_info(
    spec: LeafletSpec,
    inputs: Inputs,
    translators: dict[str, Translator],
    problems: tuple[str, ...],
) -> LeafletInfo:
    """A defined leaflet as the desk lists it, its titles in every language."""
    class_title = _class_title(spec, inputs.specs.values())
    return LeafletInfo(
        id=spec.id,
        title=spec.title,
        description=spec.description,
        drug=spec.drug,
        class_title=class_title,
        skip_reason=spec.skip_reason,
        problems=problems,
        titles={
            lang: spec.title if spec.drug else translator.gettext(spec.title)
            for lang, translator in translators.items()
        },
        descriptions={
            lang: t.gettext(spec.description) for lang, t in translators.items() if spec.description
        },
        class_titles={
            lang: t.gettext(class_title) for lang, t in translators.items() if class_title
        },
    )


class Library:
    """The leaflets of one project and output folder, as the desk shows them."""

    def __init__(self, project: Project, out: Path):
        self.project = project
        self.out = Path(out).resolve()
        self._lock = threading.Lock()
        self._inputs: tuple[tuple, _Inputs] | None = None
        self._digests: dict[tuple[str, int, int], str] = {}
        self._parsed: tuple[tuple, list[ManifestEntry]] | None = None

    # inputs ----------------------------------------------------------------------

    def inputs(self) -> _Inputs:
        """The project's inputs, loaded again only when a file under them changed."""
        fingerprint = _fingerprint(self.project)
        with self._lock:
            if self._inputs is None or self._inputs[0] != fingerprint:
                self._inputs = (fingerprint, _load_inputs(self.project))
            return self._inputs[1]

    @property
    def languages(self) -> tuple[str, ...]:
        """English and every language with a catalog."""
        return self.inputs().languages

    @property
    def problems(self) -> tuple[str, ...]:
        """Why the project's inputs cannot be read, if they cannot."""
        return self.inputs().problems

    @property
    def clinic_name(self) -> str | None:
        """The clinic's name, from clinic.yaml."""
        return self.inputs().clinic_name

    # the manifest ----------------------------------------------------------------

    def entries(self) -> list[ManifestEntry]:
        """The manifest's entries whose file is a PDF inside the output folder."""
        return [e for e in self._manifest() if self.file_of(e) is not None]

    def _manifest(self) -> list[ManifestEntry]:
        """The manifest's and any batch journal's entries, parsed again on a change."""
        stamp = manifest_stamp(self.out)
        if not stamp:
            return []
        with self._lock:
            if self._parsed is not None and self._parsed[0] == stamp:
                return self._parsed[1]
        entries = read_manifest(self.out)
        with self._lock:
            self._parsed = (stamp, entries)
        return entries

    def file_of(self, entry: ManifestEntry, suffix: str = ".pdf") -> Path | None:
        """The file an entry lists (``path``, or ``html`` for the twin), resolved and
        kept inside the output folder; None for anything else."""
        name = entry.path if suffix == ".pdf" else entry.html
        if not isinstance(name, str) or not name.endswith(suffix):
            return None
        path = (self.out / name).resolve()
        if not path.is_relative_to(self.out) or not path.is_file():
            return None
        return path

    def fhir_file_of(self, entry: ManifestEntry) -> Path | None:
        """The DocumentReference the build wrote beside an entry's PDF."""
        path = (self.out / OutputLayout.fhir_path(entry.path)).resolve()
        return path if path.is_relative_to(self.out) and path.is_file() else None

    def digest(self, path: Path) -> str:
        """SHA-256 of a file, remembered until its size or modification time changes."""
        info = path.stat()
        key = (str(path), info.st_size, info.st_mtime_ns)
        with self._lock:
            known = self._digests.get(key)
        if known is None:
            known = file_sha256(path)
            with self._lock:
                self._digests[key] = known
        return known

    def intact(self, entry: ManifestEntry) -> bool:
        """Whether the entry's PDF still has the bytes the manifest recorded."""
        path = self.file_of(entry)
        return path is not None and self.digest(path) == entry.sha256

    def read(self, entry: ManifestEntry) -> bytes | None:
        """The bytes of an entry's PDF, if the file still matches the manifest."""
        path = self.file_of(entry)
        if path is None:
            return None
        data = path.read_bytes()
        return data if hashlib.sha256(data).hexdigest() == entry.sha256 else None

    # leaflets --------------------------------------------------------------------

    def leaflets(self) -> list[LeafletInfo]:
        """Every leaflet, its copies in every language and variant filled from the manifest."""
        inputs = self.inputs()
        final: dict[tuple[str, str, str], ManifestEntry] = {}
        entries = self.entries()
        for entry in entries:
            if entry.draft:
                continue  # drafts are for translators, never handed to a patient
            final[(entry.id, entry.lang, entry.variant)] = entry
        result = []
        known = {info.id for info in inputs.leaflets}
        for info in inputs.leaflets:
            copies = []
            if not info.skip_reason:
                shape = leaflet_shape(self.out, entries, info.id)
                for lang in inputs.languages:
                    wanted = variants_for(lang) if info.problems else []  # (unselected: no hashes)
                    seen = [k[2] for k in [*inputs.hashes, *final] if k[:2] == (info.id, lang)]
                    for variant in dict.fromkeys([*wanted, *seen]):
                        copies.append(self._copy(info.id, lang, variant, final, inputs, shape))
            titles = dict(info.titles)
            for copy in copies:
                if copy.title:
                    titles[copy.lang] = copy.title
            result.append(replace(info, copies=tuple(copies), titles=titles))
        # Built earlier but no longer defined: listed (the files are still served)
        # so nobody is left wondering where a leaflet went.
        orphans: dict[str, list[Copy]] = {}
        for (leaflet_id, lang, variant), entry in final.items():
            if leaflet_id not in known:
                orphans.setdefault(leaflet_id, []).append(
                    Copy(leaflet_id, lang, variant, "stale", entry)
                )
        for leaflet_id, copies in sorted(orphans.items()):
            title = copies[0].title or leaflet_id
            result.append(
                LeafletInfo(
                    id=leaflet_id,
                    title=title,
                    problems=(f"leaflet {leaflet_id!r} is no longer defined in leaflets/",),
                    titles={c.lang: c.title or title for c in copies},
                    copies=tuple(copies),
                )
            )
        return result

    def _copy(
        self,
        leaflet_id: str,
        lang: str,
        variant: str,
        final: dict[tuple[str, str, str], ManifestEntry],
        inputs: _Inputs,
        shape: LeafletShape,
    ) -> Copy:
        entry = final.get((leaflet_id, lang, variant))
        if entry is None:
            return Copy(leaflet_id, lang, variant, "missing")
        expected = inputs.hashes.get((leaflet_id, lang, variant))
        if expected is None:
            state = "unknown"
        elif is_current(entry, self.out, expected, copy_options(shape), digest=self.digest):
            state = "current"
        else:
            state = "stale"
        return Copy(leaflet_id, lang, variant, state, entry)

    def leaflet(self, leaflet_id: str) -> LeafletInfo | None:
        """One leaflet with its copies, if the project defines or the manifest lists it."""
        return next((info for info in self.leaflets() if info.id == leaflet_id), None)


def _class_title(spec: LeafletSpec, specs: Iterable[LeafletSpec]) -> str | None:
    """The title of the topic leaflet a drug leaflet takes its shared sections from."""
    if not spec.drug:
        return None
    return next((o.title for o in specs if not o.drug and o.id == spec.class_leaflet), None)
