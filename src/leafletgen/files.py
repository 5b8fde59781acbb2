"""Reading the project's files and placing output: the one containment rule,
and the one way a file is written.

Every path built from data or from the command line (a manifest entry, a
language code, the logo, a template, a catalog, the output folder) is
resolved and must stay inside the folder it belongs to, links included; only
regular files are read (a FIFO or a device would be read forever), and never
more than a stated number of bytes. Every file leafletgen writes (a PDF, a
catalog, a review record) is written to a temporary name beside it and
renamed into place (:func:`write_atomic`), so no reader sees half of it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import socket
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from leafletgen.errors import LeafletError

# Configuration files (clinic.yaml, definitions, sources.yaml, catalogs) are
# small; anything larger is not what it claims to be.
MAX_CONFIG_BYTES = 2 * 1024 * 1024


def inside(path: str | Path, folder: str | Path) -> bool:
    """Whether ``path``, with every link followed, stays inside ``folder``."""
    return Path(path).resolve().is_relative_to(Path(folder).resolve())


def contained(
    folder: str | Path,
    relative: str | Path,
    *,
    what: str,
    error: type[LeafletError] = LeafletError,
    where: str | Path | None = None,
    line: int | None = None,
) -> Path:
    """``folder / relative`` if it stays inside ``folder`` (links followed), else
    a clear error naming ``what`` (e.g. "catalog", "logo")."""
    folder = Path(folder)
    relative = Path(relative)
    target = folder / relative
    if relative.is_absolute() or ".." in relative.parts:
        raise error(
            f"{what} {relative.as_posix()!r} is outside the {folder.name or folder} folder",
            where or target,
            line,
        )
    if not inside(target, folder):
        raise error(
            f"{what} {relative.as_posix()!r} is a link leading outside the "
            f"{folder.name or folder} folder",
            where or target,
            line,
        )
    return target


def read_regular(
    path: str | Path,
    *,
    limit: int = MAX_CONFIG_BYTES,
    what: str = "file",
    error: type[LeafletError] = LeafletError,
    hint: str = "",
) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or a clear error
    (``hint`` says, in brackets, what such a file normally weighs).

    The file is opened without blocking (a FIFO has no writer to wait for) and
    checked on the open descriptor, so a device, a FIFO or a folder in its
    place is refused before anything is read.
    """
    path = Path(path)
    hint = f" ({hint})" if hint else ""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as problem:
        raise error(f"cannot read {what}: {problem.strerror}", path) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{what} is not a regular file (a device, FIFO or folder)", path)
        if info.st_size > limit:
            raise error(
                f"{what} is {info.st_size:,} bytes, more than the {limit:,} allowed{hint}", path
            )
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # grew while being read
                raise error(f"{what} is more than the {limit:,} bytes allowed{hint}", path)
        return b"".join(chunks)
    except OSError as problem:
        raise error(f"cannot read {what}: {problem.strerror}", path) from None
    finally:
        os.close(fd)


# --- writing: temporary files, renamed into place ------------------------------------

# ".<file>.<host>-<pid>.<random>.part" (new data) or ".old" (the file it
# replaces, moved aside): the writer's host and process are in the name, so
# that a later build can tell a killed build's leftovers from a running one's.
LEFTOVER = re.compile(
    r"^\.(?P<target>.+)\.(?P<host>[A-Za-z0-9-]+)-(?P<pid>[0-9]+)\.[A-Za-z0-9_]+\.(?P<kind>part|old)$"
)


def host_name() -> str:
    """This machine's name as temporary file names carry it."""
    return re.sub("[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"


def _temporary_prefix(path: Path) -> str:
    return f".{path.name}.{host_name()}-{os.getpid()}."


def write_temporary(path: Path, data: bytes) -> str:
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


def aside_name(path: Path) -> str:
    """A fresh name beside ``path`` to move the file there aside to (``.old``)."""
    fd, temporary = tempfile.mkstemp(prefix=_temporary_prefix(path), suffix=".old", dir=path.parent)
    os.close(fd)
    return temporary


class NotRegularFile(OSError):
    """A device, FIFO or folder where a regular file was expected."""


def file_sha256(path: Path) -> str:
    """The sha256 of a regular file's bytes, read in chunks. Anything else (a
    FIFO, a device, a folder in the file's place) is :class:`NotRegularFile`,
    never a wait."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with open(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(f"not a regular file: {path}")
        return hashlib.file_digest(handle, "sha256").hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never part."""
    temporary = write_temporary(path, data)
    try:
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


# --- what a killed build leaves behind ---------------------------------------------------

# A temporary file of another host's build cannot be checked against its
# process: it is taken as left by a stopped build once unchanged for a day (a
# build writes a leaflet's files in seconds).
LEFTOVER_AGE = 24 * 3600


def process_running(pid: int) -> bool:
    """Whether process ``pid`` of this host is running."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # no such process (or no such pid)
        return False
    except OSError:  # another user's process: running
        return True
    return True


@dataclass(frozen=True)
class Leftover:
    """A temporary file of a build (``.part``) or a file it moved aside (``.old``)."""

    path: Path
    target: Path  # the file it was written for
    host: str
    pid: int
    kind: str  # "part" or "old"
    age: float  # seconds since its last change

    @property
    def owner(self) -> str:
        return f"{self.host}:{self.pid}"

    @property
    def here(self) -> bool:
        return self.host == host_name()

    def stopped(self) -> bool:
        """Whether its build no longer runs: on this host, its process has
        ended; on another, it has not changed for :data:`LEFTOVER_AGE`."""
        return not process_running(self.pid) if self.here else self.age >= LEFTOVER_AGE

    def note(self) -> str | None:
        """What ``check`` says about it (nothing for a build of this host that
        is still running: it is not left over)."""
        action = (
            f"the next build puts it back as {self.target.name}"
            if self.kind == "old" and not self.target.exists()
            else "the next build removes it"
        )
        if self.here:
            if self.stopped():
                return f"{self.path}: temporary file of a stopped build ({self.owner}); {action}"
            return None
        where = f"{self.path}: temporary file of a build on another host ({self.owner})"
        if self.stopped():
            return f"{where}, unchanged for more than a day; {action}"
        return (
            f"{where}, changed less than a day ago; kept until a day after its last change, "
            "as that build may still be running"
        )


def find_leftovers(out: Path) -> list[Leftover]:
    """The temporary files of builds, of any host, in ``out`` and its folders."""
    if not out.is_dir():
        return []
    now = time.time()
    found = []
    with contextlib.suppress(OSError):
        folders = [out, *sorted(p for p in out.iterdir() if p.is_dir() and not p.is_symlink())]
        for folder in folders:
            # (names first: an output folder of 10,000 leaflets holds 40,000 files)
            with os.scandir(folder) as entries:
                names = sorted(entry.name for entry in entries if LEFTOVER.match(entry.name))
            for name in names:
                path, named = folder / name, LEFTOVER.match(name)
                if named is None or path.is_symlink() or not path.is_file():
                    continue
                age = now - path.lstat().st_mtime
                target = folder / named["target"]
                found.append(
                    Leftover(path, target, named["host"], int(named["pid"]), named["kind"], age)
                )
    return found
