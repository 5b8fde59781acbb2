"""Write PDFs and ``manifest.json`` so that nothing half-written is ever seen.

Every file is written to a temporary name in its final folder and renamed
into place. A leaflet's files (PDF, FHIR resource, HTML twin) and its
manifest entry are published as one unit under a lock on the output folder:
all of them, or, if anything fails, none (the previous files are put back).
Concurrent builds into one folder keep every entry, and the manifest always
matches the files.

The manifest is leafletgen's own file: one that is not (another
application's ``manifest.json`` in the same folder) is never overwritten.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from pypdf import PdfReader

from . import __version__
from .errors import PublishError, brief
from .files import inside
from .model import Document

MANIFEST = "manifest.json"
GENERATOR = "leafletgen"
LOGGER = logging.getLogger("leafletgen")


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
    # {"status": "cleared" | "not-cleared", "reasons": [{"code", "message", ...}]}
    distribution: dict | None = None
    translators: tuple[dict, ...] = ()  # {"method", "by"} of the strings printed
    reviewers: tuple[dict, ...] = ()  # {"name", "qualification", "date"}

    @property
    def translation(self) -> str:
        """``source`` (English), ``complete``, or ``draft`` (English fall-backs marked)."""
        if self.draft:
            return "draft"
        return "source" if self.lang == "en" else "complete"


def count_pages(data: bytes) -> int:
    """Number of pages of a PDF held in memory."""
    return len(PdfReader(io.BytesIO(data)).pages)


def _temporary(path: Path) -> str:
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    return temporary


def _write_temporary(path: Path, data: bytes) -> str:
    """``data`` in a synced temporary file beside ``path``; its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return temporary


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never part."""
    temporary = _write_temporary(path, data)
    try:
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def output_file(out: Path, relative: str | Path) -> Path:
    """``out/relative``, refusing a path (or a link on the way) that leaves ``out``."""
    relative = Path(relative)
    target = out / relative
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise PublishError(f"output path {brief(str(relative))} is outside the output folder", out)
    if not inside(target, out):
        raise PublishError(
            f"{relative.as_posix()} would be written through a link leading outside the "
            "output folder",
            out,
        )
    if target.is_dir():
        raise PublishError(f"cannot write {target.name}: a folder is in its place", target)
    return target


def describe_pdf(
    data: bytes,
    *,
    leaflet_id: str,
    lang: str,
    title: str,
    documents: tuple[Document, ...],
    path: str | None = None,
    draft: bool = False,
    readability: dict[str, float | str | None] | None = None,
    input_hash: str | None = None,
    variant: str = "standard",
    created: str | None = None,
    distribution: dict | None = None,
    translators: tuple[dict, ...] = (),
    reviewers: tuple[dict, ...] = (),
) -> ManifestEntry:
    """The manifest entry of a PDF held in memory, to be published at
    ``<path>`` (by default ``<lang>/<id>.pdf``) under the output folder."""
    return ManifestEntry(
        id=leaflet_id,
        lang=lang,
        path=Path(path or f"{lang}/{leaflet_id}.pdf").as_posix(),
        title=title,
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        pages=count_pages(data),
        sources=tuple(SourceCredit.of(d) for d in documents),
        draft=draft,
        readability=readability,
        input_hash=input_hash,
        variant=variant,
        created=created,
        distribution=distribution,
        translators=translators,
        reviewers=reviewers,
    )


def publish_pdf(data: bytes, *, out: Path, **details) -> ManifestEntry:
    """Write one leaflet's PDF to the output folder (no manifest entry) and describe it."""
    entry = describe_pdf(data, **details)
    target = output_file(out, entry.path)
    try:
        write_atomic(target, data)
    except OSError as error:
        raise PublishError(f"cannot write PDF: {error.strerror}", target) from None
    return entry


def publish_unit(out: Path, files: dict[str, bytes], entry: ManifestEntry | None = None) -> None:
    """Put ``files`` (paths relative to ``out``) in place and ``entry`` in the
    manifest as one unit: afterwards either all of them are there, or, if
    anything failed (even an interrupt), the folder is as it was before.
    """
    targets = {relative: output_file(out, relative) for relative in files}
    temporaries: dict[str, str] = {}
    # Each file being put in place: [target, backup name or None, moved aside, new in place]
    steps: list[list] = []
    where = out
    try:
        for relative, data in files.items():
            where = targets[relative]
            temporaries[relative] = _write_temporary(targets[relative], data)
        with _locked(out):
            for relative, temporary in temporaries.items():
                target = where = targets[relative]
                step = [target, _temporary(target) if target.exists() else None, False, False]
                steps.append(step)
                if step[1] is not None:
                    os.replace(target, step[1])
                    step[2] = True
                os.replace(temporary, target)
                step[3] = True
            where = out / MANIFEST
            _merge_manifest(out, [entry] if entry else [])
    except BaseException as problem:
        for target, backup, aside, placed in reversed(steps):
            with contextlib.suppress(OSError):
                if aside:
                    os.replace(backup, target)
                elif placed:
                    os.unlink(target)
                elif backup is not None:
                    os.unlink(backup)
        for temporary in temporaries.values():
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        if isinstance(problem, OSError):
            what = "manifest" if where == out / MANIFEST else Path(where).name
            raise PublishError(f"cannot write {what}: {problem.strerror}", where) from None
        raise
    for _target, backup, _aside, _placed in steps:
        if backup is not None:
            with contextlib.suppress(OSError):
                os.unlink(backup)


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """An exclusive lock on the output folder itself (no lock file left behind)."""
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


# --- the manifest -----------------------------------------------------------------

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_LANG = re.compile(r"^[a-z]{2,3}([_-][A-Za-z0-9]{2,8})*$")
_ENTRY_TYPES = {"id": str, "lang": str, "path": str, "title": str, "sha256": str}


class ManifestState:
    """What ``out/manifest.json`` holds: leafletgen's entries, nothing (no file),
    a damaged file, or another application's file."""

    def __init__(self, entries: list[dict], problem: str | None = None, foreign: bool = False):
        self.entries, self.problem, self.foreign = entries, problem, foreign


def _valid_entry(entry: object, out: Path) -> bool:
    if not isinstance(entry, dict):
        return False
    if any(not isinstance(entry.get(k), t) for k, t in _ENTRY_TYPES.items()):
        return False
    if not _ID.match(entry["id"]) or not _LANG.match(entry["lang"]):
        return False
    if not isinstance(entry.get("created"), (str, type(None))):
        return False
    if not isinstance(entry.get("draft", False), bool):
        return False
    html = entry.get("html")
    for relative in (entry["path"], html) if html is not None else (entry["path"],):
        if not isinstance(relative, str):
            return False
        try:
            output_file(out, relative)
        except PublishError:
            return False
    return True


def manifest_state(out: Path) -> ManifestState:
    """Read ``out/manifest.json`` without changing anything."""
    path = out / MANIFEST
    try:
        with open(path, "rb") as handle:
            raw = handle.read(64 * 1024 * 1024 + 1)
    except FileNotFoundError:
        return ManifestState([])
    except OSError as error:
        return ManifestState([], f"cannot be read ({error.strerror})")
    try:
        document = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return ManifestState([], "is not valid JSON")
    generator = document.get("generator") if isinstance(document, dict) else None
    if not (isinstance(generator, str) and generator.split(" ")[0] == GENERATOR):
        return ManifestState([], foreign=True)
    entries = document.get("leaflets")
    if not isinstance(entries, list):
        return ManifestState([], "has no list of leaflets")
    valid = [e for e in entries if _valid_entry(e, out)]
    problem = None
    if len(valid) != len(entries):
        problem = f"has {len(entries) - len(valid)} damaged entries (left out)"
    return ManifestState(valid, problem)


def read_manifest(out: Path) -> list[dict]:
    """The valid entries of ``out/manifest.json``; none if it is missing,
    damaged or not leafletgen's."""
    return manifest_state(out).entries


def check_manifest(out: Path) -> bool:
    """Before a build writes into ``out``: refuse another application's
    ``manifest.json``; set a damaged one aside (``manifest.json.damaged``) with
    a warning, so nothing is lost. Whether the manifest was lost (the build
    must then list every PDF on disk afresh)."""
    path = out / MANIFEST
    state = manifest_state(out)
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
        kept = out / f"{MANIFEST}.damaged"
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


def _merge_manifest(out: Path, entries: list[ManifestEntry]) -> None:
    """Merge ``entries`` into the manifest (caller holds the lock)."""
    state = manifest_state(out)
    if state.foreign:
        raise PublishError(
            "this manifest.json was not written by leafletgen; it is left as it is",
            out / MANIFEST,
        )
    fresh = [asdict(entry) | {"translation": entry.translation} for entry in entries]
    replaced = {(e["id"], e["lang"], e["path"]) for e in fresh}
    merged = [
        e
        for e in state.entries
        if (e["id"], e["lang"], e["path"]) not in replaced and (out / e["path"]).is_file()
    ] + fresh
    merged.sort(key=lambda e: (e["id"], e["lang"], e["path"]))
    document = {"generator": f"{GENERATOR} {__version__}", "leaflets": merged}
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    write_atomic(out / MANIFEST, text.encode("utf-8"))


def update_manifest(out: Path, entries: list[ManifestEntry]) -> Path:
    """Merge ``entries`` into ``out/manifest.json`` (replacing same id + language + path).

    Entries whose file no longer exists are dropped, so the manifest lists
    exactly the PDFs that are there.
    """
    path = out / MANIFEST
    try:
        with _locked(out):
            _merge_manifest(out, entries)
    except OSError as error:
        raise PublishError(f"cannot write manifest: {error.strerror}", path) from None
    return path
