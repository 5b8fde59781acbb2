"""Reading the project's files and placing output: the one containment rule.

Every path built from data or from the command line (a manifest entry, a
language code, the logo, a template, a catalog, the output folder) is
resolved and must stay inside the folder it belongs to, links included; only
regular files are read (a FIFO or a device would be read forever), and never
more than a stated number of bytes.
"""

from __future__ import annotations

import os
import stat
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
) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or a clear error.

    The file is opened without blocking (a FIFO has no writer to wait for) and
    checked on the open descriptor, so a device, a FIFO or a folder in its
    place is refused before anything is read.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as problem:
        raise error(f"cannot read {what}: {problem.strerror}", path) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{what} is not a regular file (a device, FIFO or folder)", path)
        if info.st_size > limit:
            raise error(f"{what} is {info.st_size:,} bytes, more than the {limit:,} allowed", path)
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # grew while being read
                raise error(f"{what} is more than the {limit:,} bytes allowed", path)
        return b"".join(chunks)
    except OSError as problem:
        raise error(f"cannot read {what}: {problem.strerror}", path) from None
    finally:
        os.close(fd)
