"""Whether the paths a manifest lists stay inside the output folder.

Every path of every entry read back from ``manifest.json`` (or a journal) is
checked against the folders as they are: a link planted on the way leaves
the entry out. A manifest of 10,000 entries names a handful of folders, so
each folder is resolved once per read, and a later read of the same
manifest (a build reads it for its damage check, its plan, its compaction
and its summary) asks :meth:`Folders.unchanged` instead of checking 10,000
paths again: whether each folder still resolves to the same place and its
stat (inode, mtime, ctime) is the one it had. Adding, removing or renaming a
name in a folder (planting a link) changes its mtime; a folder changed
within the second before it was first looked at is "racy", as in git's
index, and never counts as unchanged; nor does a folder in which a link was
followed (where the link leads can change without the folder changing).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from leafletgen.errors import PublishError, brief
from leafletgen.files import inside

SECOND = 1_000_000_000

# (resolved path, device, inode, mtime_ns, ctime_ns) of a folder as first looked at
Stamp = tuple[str, int, int, int, int]


def _stamp(resolved: str) -> Stamp | None:
    """What identifies the folder ``resolved`` and its names now."""
    try:
        info = os.stat(resolved)
    except OSError:
        return None
    return (resolved, info.st_dev, info.st_ino, info.st_mtime_ns, info.st_ctime_ns)


class Folders:
    """The folders of one read's paths, each resolved (every link on the way
    followed) once, with their stamps for a later read to compare."""

    def __init__(self, out: Path | str):
        self.given = os.fspath(out)
        self.out = os.path.realpath(out)
        self.started = time.time_ns()
        self._resolved: dict[str, str] = {}
        self._stamps: dict[str, Stamp | None] = {}
        self._followed: set[str] = set()  # folders in which a link was followed

    def inside(self, target: str) -> bool:
        """Whether ``target``, every link followed, stays inside the folder."""
        folder, name = os.path.split(target)
        parent = self._resolved.get(folder)
        if parent is None:
            parent = self._resolved[folder] = os.path.realpath(folder)
            self._stamps[folder] = _stamp(parent)  # (before any of its names)
        resolved = os.path.join(parent, name)
        if os.path.islink(resolved):  # (only the name itself is left to follow)
            self._followed.add(folder)
            resolved = os.path.realpath(resolved)
        return resolved == self.out or resolved.startswith(self.out.rstrip("/") + "/")

    def unchanged(self) -> bool:
        """Whether every path checked here would be found the same now: the
        output folder and each folder resolve as before, with the same stat,
        none racy, none holding a followed link."""
        if self._followed or os.path.realpath(self.given) != self.out:
            return False
        racy = self.started - SECOND
        for folder, stamp in self._stamps.items():
            if stamp is None or stamp[3] >= racy or stamp[4] >= racy:
                return False
            if _stamp(os.path.realpath(folder)) != stamp:
                return False
        return True


def valid_path(relative: str, out: Path, folders: Folders) -> bool:
    """Whether ``out/relative`` is a path leafletgen could have written: the
    rule of :func:`output_path` with ``folders`` resolved once. (On the
    string: not absolute, no ``..``, a name; as ``Path`` reads it, empty and
    ``.`` parts left out, but without making 10,000 ``Path`` values.)"""
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    if relative.startswith("/") or ".." in parts or not parts:
        return False
    return folders.inside(os.path.join(out, *parts))


def output_path(out: Path, relative: str | Path) -> Path:
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
    return target


def output_file(out: Path, relative: str | Path) -> Path:
    """``out/relative`` (see :func:`output_path`), refusing also a folder
    standing where the file should go."""
    target = output_path(out, relative)
    if target.is_dir():
        raise PublishError(f"cannot write {target.name}: a folder is in its place", target)
    return target
