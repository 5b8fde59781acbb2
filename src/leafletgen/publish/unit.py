"""Write PDFs and ``manifest.json`` so that nothing half-written is ever seen.

Every file is written to a temporary name in its final folder and renamed
into place. A batch records each PDF in an append-only journal beside the
manifest as soon as the file is in place, and folds the journal into
``manifest.json`` once, at the end (or when interrupted): one manifest write
per batch, not one per PDF. Readers fold any journal left by a build that was
killed, so manifest and journals together always match the files, and the
next build compacts them. Compaction holds a lock on the output folder, so
concurrent builds into one folder keep every entry.

Every path written is inside the output folder (links included), and the
manifest is leafletgen's own file: one that is not (another application's
``manifest.json`` in the same folder) is never overwritten; a damaged one is
set aside, never silently replaced.
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
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from leafletgen import __version__
from leafletgen.errors import PublishError, brief
from leafletgen.files import inside
from leafletgen.model import Document

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


def count_pages(data: bytes) -> int:
    """Number of pages of a PDF held in memory (builds take the count from the
    renderer instead; this reads the PDF back)."""
    from pypdf import PdfReader  # only when reading a PDF back; builds never need it

    return len(PdfReader(io.BytesIO(data)).pages)


def manifest_record(entry: ManifestEntry) -> dict:
    """An entry as ``manifest.json`` lists it."""
    return asdict(entry) | {"translation": entry.translation}


# --- temporary files, and what a killed build leaves of them -------------------------

# ".<file>.<host>-<pid>.<random>.part" (new data) or ".old" (the file it
# replaces, moved aside): the writer's host and process are in the name, so
# that a later build can tell a killed build's leftovers from a running one's.
LEFTOVER = re.compile(
    r"^\.(?P<target>.+)\.(?P<host>[A-Za-z0-9-]+)-(?P<pid>[0-9]+)\.[A-Za-z0-9_]+\.(?P<kind>part|old)$"
)


def _host() -> str:
    return re.sub("[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"


def _temporary_prefix(path: Path) -> str:
    return f".{path.name}.{_host()}-{os.getpid()}."


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: running
        return True
    return True


def sweep_leftovers(out: Path) -> list[str]:
    """Undo what a build killed half-way through putting a leaflet's files in
    place (SIGKILL, power loss) left behind: its temporary files are removed,
    and a file it had moved aside is put back where nothing replaced it (the
    manifest still describes that file). Only files of processes of this host
    that no longer run are touched. What was done, one line each."""
    if not out.is_dir():
        return []
    folders = [out, *sorted(p for p in out.iterdir() if p.is_dir() and not p.is_symlink())]
    host = _host()
    done = []
    for folder in folders:
        for path in sorted(folder.iterdir()):
            found = LEFTOVER.match(path.name)
            if (
                found is None
                or found["host"] != host
                or _running(int(found["pid"]))
                or path.is_symlink()
                or not path.is_file()
            ):
                continue
            target = folder / found["target"]
            with contextlib.suppress(OSError):
                if found["kind"] == "old" and not target.exists():
                    os.replace(path, target)
                    done.append(f"put back {target}, moved aside by a build that was stopped")
                else:
                    path.unlink()
                    done.append(f"removed {path}, left by a build that was stopped")
    return done


def _write_temporary(path: Path, data: bytes) -> str:
    """``data`` in a synced temporary file beside ``path``; its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(
        prefix=_temporary_prefix(path), suffix=".part", dir=path.parent
    )
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


def describe_pdf(
    data: bytes,
    *,
    leaflet_id: str,
    lang: str,
    title: str,
    documents: tuple[Document, ...],
    path: str | None = None,
    pages: int | None = None,
    draft: bool = False,
    readability: dict[str, float | str | None] | None = None,
    input_hash: str | None = None,
    variant: str = "standard",
    created: str | None = None,
    distribution: dict | None = None,
    translators: tuple[dict, ...] = (),
    reviewers: tuple[dict, ...] = (),
) -> ManifestEntry:
    """The manifest entry of a PDF held in memory, to be written at ``path``
    (by default ``<lang>/<id>.pdf``). ``pages`` is the renderer's count; without
    it the PDF is read back."""
    return ManifestEntry(
        id=leaflet_id,
        lang=lang,
        path=Path(path or f"{lang}/{leaflet_id}.pdf").as_posix(),
        title=title,
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        pages=count_pages(data) if pages is None else pages,
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


def publish_unit(
    out: Path,
    files: dict[str, bytes],
    entry: ManifestEntry | None = None,
    journal: ManifestJournal | None = None,
) -> None:
    """Put ``files`` (paths relative to ``out``) in place and record ``entry``
    as one unit: afterwards either all of them are there and the entry is in
    the batch's ``journal`` (or, without one, in ``manifest.json``), or, if
    anything failed (even an interrupt), the folder is as it was before.
    """
    targets = [output_file(out, relative) for relative in files]
    temporaries: dict[Path, str] = {}
    # Each file being put in place: [target, backup name or None, moved aside, new in place]
    steps: list[list] = []
    where = out
    try:
        for target, data in zip(targets, files.values(), strict=True):
            where = target
            temporaries[target] = _write_temporary(target, data)
        for target, temporary in temporaries.items():
            where = target
            step = [target, _temporary_name(target) if target.exists() else None, False, False]
            steps.append(step)
            if step[1] is not None:
                os.replace(target, step[1])
                step[2] = True
            os.replace(temporary, target)
            step[3] = True
        where = out / MANIFEST
        if entry is not None and journal is not None:
            journal.add(entry)
        elif entry is not None:
            _compact(out, [manifest_record(entry)])
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
            what = "manifest" if where == out / MANIFEST else Path(where).suffix.lstrip(".")
            what = {"pdf": "PDF", "json": "FHIR resource", "html": "HTML"}.get(what, what)
            raise PublishError(f"cannot write {what}: {problem.strerror}", where) from None
        raise
    for _target, backup, _aside, _placed in steps:
        if backup is not None:
            with contextlib.suppress(OSError):
                os.unlink(backup)


def output_file(out: Path, relative: str | Path) -> Path:
    """``out/relative``, refusing a path (or a link on the way) that leaves ``out``,
    and a folder standing where the file should go."""
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


def _temporary_name(path: Path) -> str:
    fd, temporary = tempfile.mkstemp(prefix=_temporary_prefix(path), suffix=".old", dir=path.parent)
    os.close(fd)
    return temporary


def publish_pdf(data: bytes, *, out: Path, **description) -> ManifestEntry:
    """Write one leaflet's PDF to ``out/<path>`` and describe it (the
    arguments of :func:`describe_pdf`)."""
    entry = describe_pdf(data, **description)
    publish_unit(out, {entry.path: data})
    return entry


JOURNAL_GLOB = ".manifest.*.journal"


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Hold the output folder's lock (an advisory lock on the folder itself, so
    no lock file is left behind)."""
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _key(entry: dict) -> tuple[str, str, str]:
    return (entry["id"], entry["lang"], entry["path"])


_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_LANG = re.compile(r"^[a-z]{2,3}([_-][A-Za-z0-9]{2,8})*$")
_ENTRY_TYPES = {"id": str, "lang": str, "path": str, "title": str, "sha256": str}


def _valid_entry(entry: object, out: Path) -> bool:
    """An entry leafletgen could have written: the right types, and every path
    in it inside the output folder."""
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


def _valid(entries: object, out: Path) -> list[dict]:
    if not isinstance(entries, list):
        return []
    return [e for e in entries if _valid_entry(e, out)]


class ManifestState:
    """What ``out/manifest.json`` holds: leafletgen's entries, nothing (no file),
    a damaged file, or another application's file."""

    def __init__(self, entries: list[dict], problem: str | None = None, foreign: bool = False):
        self.entries, self.problem, self.foreign = entries, problem, foreign


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
    valid = _valid(entries, out)
    problem = None
    if len(valid) != len(entries):
        problem = f"has {len(entries) - len(valid)} damaged entries (left out)"
    return ManifestState(valid, problem)


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


def _read_listed(out: Path) -> list[dict]:
    return manifest_state(out).entries


def _read_journal(path: Path) -> list[dict]:
    """The entries of one journal; a line cut short by a crash is ignored."""
    try:
        lines = path.read_bytes().splitlines()
    except OSError:
        return []
    entries = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return _valid(entries, path.parent)


def _journals(out: Path) -> list[Path]:
    try:
        return sorted(out.glob(JOURNAL_GLOB), key=lambda p: (p.stat().st_mtime_ns, p.name))
    except OSError:
        return []


def _fold(listed: list[dict], *journals: list[dict]) -> dict[tuple[str, str, str], dict]:
    merged = {_key(e): e for e in listed}
    for entries in journals:
        merged |= {_key(e): e for e in entries}
    return merged


def read_manifest(out: Path) -> list[dict]:
    """The entries of ``out/manifest.json`` with those of any journal beside it
    (a batch under way, or one that was killed before it compacted); none if
    the manifest is missing or damaged (a damaged manifest is rebuilt by the
    next build)."""
    merged = _fold(_read_listed(out), *(_read_journal(p) for p in _journals(out)))
    return sorted(merged.values(), key=_key)


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _compact(out: Path, fresh: list[dict], own: Path | None = None) -> None:
    """Fold journals and ``fresh`` entries into ``manifest.json`` (under the
    folder's lock) and remove the journals no running build still holds."""
    with _locked(out):
        if manifest_state(out).foreign:
            raise PublishError(
                "this manifest.json was not written by leafletgen; it is left as it is",
                out / MANIFEST,
            )
        stale, live = [], []
        for journal in _journals(out):
            if journal == own:
                continue
            (live if _held(journal) else stale).append(journal)
        # A killed build's journal is trusted only where the file still has its bytes.
        from_stale = [
            e
            for journal in stale
            for e in _read_journal(journal)
            if _sha256(out / e["path"]) == e.get("sha256")
        ]
        merged = _fold(
            _read_listed(out),
            from_stale,
            *(_read_journal(p) for p in live),
            _read_journal(own) if own else [],
            fresh,
        )
        entries = sorted((e for e in merged.values() if (out / e["path"]).is_file()), key=_key)
        document = {"generator": f"leafletgen {__version__}", "leaflets": entries}
        data = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        path = out / MANIFEST
        try:
            unchanged = path.read_bytes() == data
        except OSError:
            unchanged = False
        if not unchanged:
            write_atomic(path, data)
        for journal in [*stale, *([own] if own else [])]:
            with contextlib.suppress(OSError):
                journal.unlink()


def _held(journal: Path) -> bool:
    """Whether a running build still writes ``journal`` (it holds a lock on it)."""
    try:
        fd = os.open(journal, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


class ManifestJournal:
    """The append-only record of the PDFs one batch has put in place.

    :meth:`add` appends an entry as soon as its files are in place (one short
    write, no manifest rewrite); :meth:`close` folds the journal into
    ``manifest.json`` and removes it. The journal is locked while the batch
    runs, so another build compacting the folder leaves it alone.
    """

    def __init__(self, out: Path):
        self.out = out
        self.path: Path | None = None
        self._handle = None

    def _open(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        # Locked before it takes a journal's name, so no compaction mistakes it
        # for the journal of a killed build.
        fd, name = tempfile.mkstemp(prefix=".manifest.", suffix=".journal.new", dir=self.out)
        fcntl.flock(fd, fcntl.LOCK_EX)
        self._handle = os.fdopen(fd, "ab")
        self.path = Path(name.removesuffix(".new"))
        os.rename(name, self.path)

    def add(self, entry: ManifestEntry) -> None:
        """Record a PDF that is in place."""
        line = json.dumps(manifest_record(entry), ensure_ascii=False) + "\n"
        try:
            if self._handle is None:
                self._open()
            self._handle.write(line.encode("utf-8"))
            self._handle.flush()
        except OSError as error:
            raise PublishError(
                f"cannot write manifest journal: {error.strerror}", self.path or self.out
            ) from None

    def close(self) -> Path:
        """Write ``manifest.json`` from the journal (pruning entries whose file
        is gone) and remove the journal."""
        path = self.out / MANIFEST
        try:
            if self._handle is not None:
                self._handle.close()
            _compact(self.out, [], self.path)
        except OSError as error:
            raise PublishError(f"cannot write manifest: {error.strerror}", path) from None
        finally:
            if self.path is not None:
                with contextlib.suppress(OSError):
                    self.path.unlink()
            self._handle = None
        return path


def update_manifest(out: Path, entries: list[ManifestEntry]) -> Path:
    """Merge ``entries`` into ``out/manifest.json`` now (replacing same id +
    language + path), with any journals beside it.

    Entries whose file no longer exists are dropped, so the manifest lists
    exactly the PDFs that are there.
    """
    path = out / MANIFEST
    try:
        _compact(out, [manifest_record(entry) for entry in entries])
    except OSError as error:
        raise PublishError(f"cannot write manifest: {error.strerror}", path) from None
    return path
