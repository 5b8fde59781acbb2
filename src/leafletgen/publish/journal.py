"""The manifest journal: one manifest write per batch, not one per PDF.

A batch records each PDF in an append-only journal beside the manifest as
soon as its files are in place, and folds the journal into ``manifest.json``
once, at the end (or when interrupted). Readers fold any journal left by a
build that was killed (see :func:`~leafletgen.publish.manifest.read_manifest`),
so manifest and journals together always match the files, and the next build
compacts them. Compaction holds a lock on the output folder, so concurrent
builds into one folder keep every entry.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from leafletgen.errors import PublishError
from leafletgen.files import file_sha256, write_atomic
from leafletgen.project import OutputLayout
from leafletgen.publish import manifest_cache
from leafletgen.publish.manifest import (
    ManifestEntry,
    ManifestState,
    fold,
    journal_line,
    manifest_document,
    manifest_state,
    read_journal,
)


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


def _sha256(path: Path) -> str | None:
    """A stopped build's file's digest, or None where it is gone or is not a
    regular file (a FIFO planted in its place must not stall the merge)."""
    try:
        return file_sha256(path)
    except OSError:
        return None


def compact(out: Path, fresh: list[ManifestEntry], own: Path | None = None) -> None:
    """Fold journals and ``fresh`` entries into ``manifest.json`` (under the
    folder's lock) and remove the journals no running build still holds."""
    layout = OutputLayout(out)
    with _locked(out):
        state = manifest_state(out)
        if state.foreign:
            raise PublishError(
                "this manifest.json was not written by leafletgen; it is left as it is",
                layout.manifest,
            )
        stale, live = [], []
        for journal in layout.journals():
            if journal == own:
                continue
            (live if _held(journal) else stale).append(journal)
        if not (fresh or own or stale or live) and _intact(layout, state):
            return  # a batch that built nothing: the manifest stands as it is
        # A killed build's journal is trusted only where the file still has its bytes.
        from_stale = [
            e
            for journal in stale
            for e in read_journal(journal)
            if _sha256(layout.file(e.path)) == e.sha256
        ]
        merged = fold(
            state.entries,
            from_stale,
            *(read_journal(p) for p in live),
            read_journal(own) if own else [],
            fresh,
        )
        records, data = manifest_document(
            e for e in merged.values() if layout.file(e.path).is_file()
        )
        try:
            unchanged = layout.manifest.read_bytes() == data
        except OSError:
            unchanged = False
        if not unchanged:
            write_atomic(layout.manifest, data)
            # Its records kept compact, as the next read would keep them: a
            # no-op after this build need not parse the whole manifest.
            manifest_cache.save_records(out, hashlib.sha256(data).hexdigest(), records)
        for journal in [*stale, *([own] if own else [])]:
            with contextlib.suppress(OSError):
                journal.unlink()


def manifest_stamp(out: Path) -> tuple:
    """What changes whenever the manifest or a journal beside it does: name,
    size, modification time and inode of each (empty when there is neither).
    A reader that keeps the parsed entries (the desk) parses them again when
    it changes, so a batch under way is seen PDF by PDF."""
    stamp = []
    for path in [OutputLayout(out).manifest, *OutputLayout(out).journals()]:
        try:
            info = path.stat()
        except OSError:
            continue
        stamp.append((path.name, info.st_size, info.st_mtime_ns, info.st_ino))
    return tuple(stamp)


def _intact(layout: OutputLayout, state: ManifestState) -> bool:
    """Whether the manifest was read whole and every file it lists is there
    (so compacting it would write the same bytes)."""
    if state.problem is not None or not layout.manifest.is_file():
        return False
    root = os.fspath(layout.root)  # (strings: no ``Path`` made for each of 10,000 files)
    return all(os.path.isfile(os.path.join(root, e.path)) for e in state.entries)


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
        self._handle: BinaryIO | None = None

    def _open(self) -> BinaryIO:
        self.out.mkdir(parents=True, exist_ok=True)
        # Locked before it takes a journal's name, so no compaction mistakes it
        # for the journal of a killed build.
        fd, name = tempfile.mkstemp(
            prefix=OutputLayout.JOURNAL_PREFIX,
            suffix=OutputLayout.JOURNAL_SUFFIX + ".new",
            dir=self.out,
        )
        fcntl.flock(fd, fcntl.LOCK_EX)
        handle = os.fdopen(fd, "ab")
        self.path = Path(name.removesuffix(".new"))
        os.rename(name, self.path)
        return handle

    def add(self, entry: ManifestEntry) -> None:
        """Record a PDF that is in place."""
        try:
            if self._handle is None:
                self._handle = self._open()
            self._handle.write(journal_line(entry))
            self._handle.flush()
        except OSError as error:
            raise PublishError(
                f"cannot write manifest journal: {error.strerror}", self.path or self.out
            ) from None

    def close(self) -> Path:
        """Write ``manifest.json`` from the journal (pruning entries whose file
        is gone) and remove the journal."""
        path = OutputLayout(self.out).manifest
        try:
            if self._handle is not None:
                self._handle.close()
            compact(self.out, [], self.path)
        except OSError as error:
            raise PublishError(f"cannot write manifest: {error.strerror}", path) from None
        finally:
            if self.path is not None:
                with contextlib.suppress(OSError):
                    self.path.unlink()
            self._handle = None
        return path
