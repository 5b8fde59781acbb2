"""The manifest: one :class:`ManifestEntry` per published PDF, written to
``manifest.json`` and read back as the same typed value.

A manifest already in the output folder is untrusted input: every entry is
checked (types, and every path in it inside the output folder) and anything
damaged is left out; another application's ``manifest.json`` is recognised
and never taken for leafletgen's.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from leafletgen import __version__
from leafletgen.errors import PublishError
from leafletgen.model import Document
from leafletgen.project import OutputLayout
from leafletgen.publish import manifest_cache
from leafletgen.publish.entry_paths import Folders, valid_path
from leafletgen.publish.entry_paths import output_file as output_file  # (where writers look)
from leafletgen.publish.entry_paths import output_path as output_path

MANIFEST = OutputLayout.MANIFEST
GENERATOR = "leafletgen"
LOGGER = logging.getLogger("leafletgen")
# A batch's own manifest must read back: an entry of a leaflet not yet cleared
# lists every reason (about 11 KB for a translation whose 67 strings are not
# reviewed), so 10,000 leaflets make about 110 MB.
MAX_MANIFEST_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class SourceCredit:
    """A source as the manifest lists it."""

    id: str
    publisher: str | None
    title: str | None
    url: str | None
    last_reviewed: str | None
    next_review: str | None
    licence: str | None

    @classmethod
    def of(cls, document: Document) -> SourceCredit:
        """The credit of a source document."""
        licence = document.source.licence
        return cls(
            id=document.id,
            publisher=document.publisher,
            title=document.title,
            url=document.url,
            last_reviewed=document.last_reviewed.isoformat() if document.last_reviewed else None,
            next_review=document.next_review.isoformat() if document.next_review else None,
            licence=licence.name if licence else None,
        )


@dataclass(frozen=True)
class TranslatorCredit:
    """Who (or what) translated the strings a leaflet prints."""

    method: str  # "translator", "machine" or "publisher"
    by: str


@dataclass(frozen=True)
class ReviewerCredit:
    """A qualified reviewer who approved the printed translation."""

    name: str
    qualification: str
    date: str  # ISO 8601


@dataclass(frozen=True)
class ManifestEntry:
    """One published PDF, with what a portal needs to file it."""

    id: str
    lang: str
    path: str  # relative to the output folder
    title: str
    sha256: str
    bytes: int
    pages: int
    sources: tuple[SourceCredit, ...]
    draft: bool = False
    readability: dict[str, float | str | None] | None = None
    input_hash: str | None = None
    variant: str = "standard"  # or "large-print"
    created: str | None = None  # the PDF's creation date (ISO 8601)
    html: str | None = None  # the accessible HTML twin, if built
    html_sha256: str | None = None  # the twin's digest without its language links
    # {"status": "cleared" | "not-cleared", "reasons": [{"code", "message", ...}]}
    distribution: dict[str, Any] | None = None
    translators: tuple[TranslatorCredit, ...] = ()
    reviewers: tuple[ReviewerCredit, ...] = ()
    issued: str | None = None  # the leaflet's own dates (ISO 8601), printed on it
    review_by: str | None = None
    pages_allowed: int | None = None  # the page budget (2, large print 4)
    overflow: float = 0.0  # pages beyond the budget; 0 when it fits

    @property
    def translation(self) -> str:
        """``source`` (English), ``complete``, or ``draft`` (English fall-backs marked)."""
        if self.draft:
            return "draft"
        return "source" if self.lang == "en" else "complete"

    @property
    def key(self) -> tuple[str, str, str]:
        """What names an entry in the manifest: id, language and path."""
        return (self.id, self.lang, self.path)

    @property
    def status(self) -> str | None:
        """The recorded distribution status (``cleared``, ``not-cleared``), if any."""
        status = (self.distribution or {}).get("status")
        return status if isinstance(status, str) else None

    @property
    def reasons(self) -> list[dict[str, Any]]:
        """The recorded reasons it is not cleared (each a dict with a ``code``)."""
        reasons = (self.distribution or {}).get("reasons")
        return [r for r in reasons if isinstance(r, dict)] if isinstance(reasons, list) else []

    def to_json(self) -> dict[str, Any]:
        """The entry as ``manifest.json`` lists it."""
        return asdict(self) | {"translation": self.translation}


def count_pages(data: bytes) -> int:
    """Number of pages of a PDF held in memory (builds take the count from the
    renderer instead; this reads the PDF back)."""
    from pypdf import PdfReader  # only when reading a PDF back; builds never need it

    return len(PdfReader(io.BytesIO(data)).pages)


def describe_pdf(
    data: bytes,
    *,
    leaflet_id: str,
    lang: str,
    title: str,
    documents: tuple[Document, ...],
    path: str | None = None,
    pages: int | None = None,
    **fields: Any,
) -> ManifestEntry:
    """The manifest entry of a PDF held in memory, to be written at ``path``
    (by default the standard print's name). ``pages`` is the renderer's count;
    without it the PDF is read back. ``fields``: the entry's other fields."""
    return ManifestEntry(
        id=leaflet_id,
        lang=lang,
        path=Path(path or OutputLayout.output_path(leaflet_id, lang, "standard", False)).as_posix(),
        title=title,
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        pages=count_pages(data) if pages is None else pages,
        sources=tuple(SourceCredit.of(d) for d in documents),
        **fields,
    )


# --- reading an entry back ------------------------------------------------------------

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_LANG = re.compile(r"^[a-z]{2,3}([_-][A-Za-z0-9]{2,8})*$")
_ENTRY_TYPES = ("id", "lang", "path", "title", "sha256")  # (strings, all of them)


def _valid_entry(entry: object, out: Path, folders: Folders | None = None) -> bool:
    """An entry leafletgen could have written: the right types, and every path
    in it inside the output folder. (A folder standing where one of its files
    should go is a problem of writing that file, not of the entry: the
    leaflet's build says so, and its entry is kept.)"""
    if not isinstance(entry, dict):
        return False
    for key in _ENTRY_TYPES:  # (a loop, not a generator: this runs for 10,000 entries)
        if not isinstance(entry.get(key), str):
            return False
    if not _ID.match(entry["id"]) or not _LANG.match(entry["lang"]):
        return False
    if not isinstance(entry.get("created"), (str, type(None))):
        return False
    if not isinstance(entry.get("draft", False), bool):
        return False
    html = entry.get("html")
    folders = folders or Folders(out)
    for relative in (entry["path"], html) if html is not None else (entry["path"],):
        if not isinstance(relative, str) or not valid_path(relative, out, folders):
            return False
    return True


def _of(value: object, kind: type | tuple[type, ...], default: Any = None) -> Any:
    """``value`` if it is of ``kind`` (a bool never counts as a number), else ``default``."""
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        return default
    return value if isinstance(value, kind) else default


def _records(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text(record: Mapping[str, Any], key: str) -> str | None:
    value = record.get(key)
    return value if isinstance(value, str) else None  # (what ``_of(value, str)`` says)


def _source(record: Mapping[str, Any]) -> SourceCredit:
    fields = ("publisher", "title", "url", "last_reviewed", "next_review", "licence")
    return SourceCredit(str(record.get("id") or ""), *(_text(record, k) for k in fields))


def _sources(value: object, memo: dict[int, tuple[SourceCredit, ...]] | None) -> tuple:
    """The credits of a record's ``sources``; ``memo`` (by the list's identity,
    its lists alive as long as it is) makes each list once: the manifest's
    kept records share one list per distinct set of credits."""
    if memo is None:
        return tuple(_source(s) for s in _records(value))
    credits = memo.get(id(value))
    if credits is None:
        credits = memo[id(value)] = tuple(_source(s) for s in _records(value))
    return credits


def entry_from_json(
    data: Mapping[str, Any], memo: dict[int, tuple[SourceCredit, ...]] | None = None
) -> ManifestEntry:
    """A checked manifest record (see :func:`valid_entries`) as a typed entry;
    a value of the wrong type is read as absent. ``memo``: see :func:`_sources`."""
    return ManifestEntry(
        id=data["id"],
        lang=data["lang"],
        path=data["path"],
        title=data["title"],
        sha256=data["sha256"],
        bytes=_of(data.get("bytes"), int, 0),
        pages=_of(data.get("pages"), int, 0),
        sources=_sources(data.get("sources"), memo),
        draft=data.get("draft", False),
        readability=_of(data.get("readability"), dict),
        input_hash=_text(data, "input_hash"),
        variant=_of(data.get("variant"), str, "standard"),
        created=data.get("created"),
        html=data.get("html"),
        html_sha256=_text(data, "html_sha256"),
        distribution=_of(data.get("distribution"), dict),
        translators=tuple(
            TranslatorCredit(str(t.get("method") or ""), str(t.get("by") or ""))
            for t in _records(data.get("translators"))
        ),
        reviewers=tuple(
            ReviewerCredit(*(str(r.get(k) or "") for k in ("name", "qualification", "date")))
            for r in _records(data.get("reviewers"))
        ),
        issued=_text(data, "issued"),
        review_by=_text(data, "review_by"),
        pages_allowed=_of(data.get("pages_allowed"), int),
        overflow=_of(data.get("overflow"), (int, float), 0.0),
    )


def valid_entries(
    records: object, out: Path, folders: Folders | None = None
) -> list[ManifestEntry]:
    """The records leafletgen could have written, as entries; the rest left out.
    ``folders``: how the paths were found (see :class:`.entry_paths.Folders`)."""
    if not isinstance(records, list):
        return []
    folders = folders or Folders(out)
    memo: dict[int, tuple[SourceCredit, ...]] = {}  # (``records`` keeps its lists alive)
    return [entry_from_json(r, memo) for r in records if _valid_entry(r, out, folders)]


# --- manifest.json and the journals beside it -----------------------------------------


@dataclass(frozen=True)
class ManifestState:
    """What ``out/manifest.json`` holds: leafletgen's entries, nothing (no file),
    a damaged file, or another application's file."""

    entries: list[ManifestEntry]
    problem: str | None = None
    foreign: bool = False


@dataclass
class _Read:
    """The last manifest parsed (``parsed``, from ``records`` records), by its
    file's ``identity``, and its entries as its paths were last ``checked``
    (with how the folders were found then)."""

    identity: tuple
    parsed: ManifestState
    records: int
    checked: tuple[Folders, ManifestState]  # (one value: replaced at once, as threads read it)


# A build reads the manifest several times (the damage check, planning,
# compaction, its summary), and parsing one of 10,000 entries takes a second.
# Any write replaces the file (a new inode) or changes its size or times. The
# paths are checked against the folders as they are at every read: again in
# full unless every folder is found unchanged (see :class:`.entry_paths.Folders`).
_LAST_READ: list[_Read] = []


def manifest_state(out: Path, *, keep: bool = False) -> ManifestState:
    """Read ``out/manifest.json`` without changing it (``keep``: a build's read
    keeps its records compact for the next, see :mod:`.manifest_cache`)."""
    path = OutputLayout(out).manifest
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            identity = (str(Path(out).resolve()), info.st_dev, info.st_ino, info.st_size,
                        info.st_mtime_ns, info.st_ctime_ns)  # fmt: skip
            if _LAST_READ and _LAST_READ[0].identity == identity:
                return _checked_again(out, _LAST_READ[0])
            raw = handle.read(MAX_MANIFEST_BYTES + 1)
    except FileNotFoundError:
        return ManifestState([])
    except OSError as error:
        return ManifestState([], f"cannot be read ({error.strerror})")
    folders = Folders(out)
    state, records = _parsed(raw, out, folders, keep)
    _LAST_READ[:] = [_Read(identity, state, records, (folders, state))]
    return ManifestState(list(state.entries), state.problem, state.foreign)


def _checked_again(out: Path, read: _Read) -> ManifestState:
    """A manifest parsed before, its paths checked against the folders as they
    are now (unless they are found unchanged since the last check)."""
    folders, checked = read.checked
    if not folders.unchanged():
        folders, state, records = Folders(out), read.parsed, read.records
        valid = [
            e
            for e in state.entries
            if all(valid_path(p, out, folders) for p in (e.path, e.html) if p is not None)
        ]
        problem = state.problem
        if len(valid) != records and not state.foreign:
            problem = f"has {records - len(valid)} damaged entries (left out)"
        checked = ManifestState(valid, problem, state.foreign)
        read.checked = (folders, checked)
    return ManifestState(list(checked.entries), checked.problem, checked.foreign)


def _parsed(
    raw: bytes, out: Path, folders: Folders, keep: bool = False
) -> tuple[ManifestState, int]:
    """The manifest's state and how many records it lists (its paths found
    through ``folders``)."""
    if len(raw) > MAX_MANIFEST_BYTES:
        return ManifestState([], f"is larger than {MAX_MANIFEST_BYTES // 2**20} MB"), 0
    digest = hashlib.sha256(raw).hexdigest()
    kept = manifest_cache.load_records(out, digest)  # (kept only for one of ours)
    if kept is not None:
        return _listed(kept, out, folders), len(kept)
    try:
        document = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return ManifestState([], "is not valid JSON"), 0
    generator = document.get("generator") if isinstance(document, dict) else None
    if not (isinstance(generator, str) and generator.split(" ")[0] == GENERATOR):
        return ManifestState([], foreign=True), 0
    records = document.get("leaflets")
    if not isinstance(records, list):
        return ManifestState([], "has no list of leaflets"), 0
    if keep:
        manifest_cache.save_records(out, digest, records)
    return _listed(records, out, folders), len(records)


def _listed(records: list, out: Path, folders: Folders) -> ManifestState:
    """Leafletgen's manifest listing ``records``: the valid ones, and how many were not."""
    valid = valid_entries(records, out, folders)
    problem = None
    if len(valid) != len(records):
        problem = f"has {len(records) - len(valid)} damaged entries (left out)"
    return ManifestState(valid, problem)


def check_manifest(out: Path) -> bool:
    """Before a build writes into ``out``: refuse another application's
    ``manifest.json``; set a damaged one aside (``manifest.json.damaged``) with
    a warning, so nothing is lost. Whether the manifest was lost (the build
    must then list every PDF on disk afresh)."""
    layout = OutputLayout(out)
    path = layout.manifest
    state = manifest_state(out, keep=True)
    if state.foreign:
        raise PublishError(
            "this manifest.json was not written by leafletgen; it is left as it is: "
            "build into another folder (--out) or move it away",
            path,
        )
    if state.problem is None:
        return False
    if state.entries:
        LOGGER.warning("%s %s; they will be built again", path, state.problem)
        return False
    if path.exists() and not path.is_dir():
        kept = layout.damaged_manifest
        with contextlib.suppress(OSError):
            os.replace(path, kept)
        LOGGER.warning(
            "%s %s: kept as %s; the manifest is written afresh and every PDF on disk is "
            "built again to be listed",
            path,
            state.problem,
            kept.name,
        )
    return True


def read_journal(path: Path) -> list[ManifestEntry]:
    """The entries of one journal; a line cut short by a crash is ignored."""
    try:
        lines = path.read_bytes().splitlines()
    except OSError:
        return []
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return valid_entries(records, path.parent)


def fold(listed: Iterable[ManifestEntry], *journals: Iterable[ManifestEntry]) -> dict:
    """Entries by key, later ones (journals, in order) replacing earlier ones."""
    merged = {e.key: e for e in listed}
    for entries in journals:
        merged |= {e.key: e for e in entries}
    return merged


def read_manifest(out: Path) -> list[ManifestEntry]:
    """The entries of ``out/manifest.json`` with those of any journal beside it
    (a batch under way, or one that was killed before it compacted); none if
    the manifest is missing or damaged (a damaged manifest is rebuilt by the
    next build)."""
    journals = (read_journal(p) for p in OutputLayout(out).journals())
    merged = fold(manifest_state(out).entries, *journals)
    return sorted(merged.values(), key=lambda e: e.key)


def manifest_bytes(entries: Iterable[ManifestEntry]) -> bytes:
    """``manifest.json`` listing ``entries`` (sorted by id, language and path)."""
    return manifest_document(entries)[1]


def manifest_document(entries: Iterable[ManifestEntry]) -> tuple[list[dict[str, Any]], bytes]:
    """The records of ``manifest.json`` listing ``entries`` (each as it is
    written: the JSON of a record parsed back is the same), and its bytes."""
    records = [e.to_json() for e in sorted(entries, key=lambda e: e.key)]
    document = {"generator": f"leafletgen {__version__}", "leaflets": records}
    return records, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def journal_line(entry: ManifestEntry) -> bytes:
    """One entry as a line of a manifest journal."""
    return (json.dumps(entry.to_json(), ensure_ascii=False) + "\n").encode("utf-8")


def page_budget_warning(entry: ManifestEntry) -> str | None:
    """``leaflet X [es]: 3 pages, 2 allowed, overflow 0.4 page`` for a leaflet
    (a manifest entry, as built or as read back) longer than its budget."""
    allowed, pages = entry.pages_allowed, entry.pages
    if not isinstance(allowed, int) or not isinstance(pages, int) or pages <= allowed:
        return None
    variant = "" if entry.variant == "standard" else f", {entry.variant}"
    return (
        f"leaflet {entry.id} [{entry.lang}{variant}]: {pages} pages, "
        f"{allowed} allowed, overflow {float(entry.overflow or 0):.1f} page"
    )
