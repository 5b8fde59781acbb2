"""The PDF digest cache: a published file whose stat is unchanged is not read again.

A no-op build confirms that every PDF the manifest lists is intact by its
sha256, which means reading every PDF. Like git's index, the cache
(``.cache/digests.json`` in the output folder, see
:class:`~leafletgen.project.OutputLayout`) remembers each file's size,
mtime, inode and ctime beside the sha256 it had; a file whose stat matches
all four is taken as intact without reading it, and any difference hashes
it again.

Racy files, as in git: a file whose mtime is not before the second the cache
was written could have changed again within that second without its stat
showing it, so it is always hashed again; and a file is only remembered when
its mtime is before the second its hashing started.

The cache is a file in the output folder, so it is read as untrusted: its
size is bounded and anything malformed makes the whole cache be ignored
(every file is then hashed, as without a cache). It is written atomically,
once, at the end of a batch.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from leafletgen.errors import LeafletError
from leafletgen.files import file_sha256, read_regular, write_atomic
from leafletgen.project import OutputLayout

FORMAT = 1
SECOND = 1_000_000_000
# About 150 bytes per PDF: 64 MB is far beyond any output folder's cache.
MAX_CACHE_BYTES = 64 * 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")

# (size, mtime_ns, inode, ctime_ns)
Fingerprint = tuple[int, int, int, int]


def _fingerprint(info: os.stat_result) -> Fingerprint:
    return (info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns)


def _facts(value: object) -> dict[str, bool]:
    """The facts kept by content (sha256 -> bool); ValueError when malformed."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("malformed facts")
    if not all(_SHA256.fullmatch(k) and type(v) is bool for k, v in value.items()):
        raise ValueError("malformed fact")
    return value


def _parse(data: bytes) -> tuple[int, dict[str, tuple[Fingerprint, str]]]:
    """The cache's written time and entries; ValueError when anything is malformed."""
    parsed = json.loads(data)
    if not isinstance(parsed, dict) or parsed.get("format") != FORMAT:
        raise ValueError("not a digest cache of this format")
    written, files = parsed.get("written_ns"), parsed.get("files")
    if type(written) is not int or not isinstance(files, dict):
        raise ValueError("no written time or files")
    entries: dict[str, tuple[Fingerprint, str]] = {}
    for name, value in files.items():
        if not (isinstance(value, list) and len(value) == 5):
            raise ValueError(f"malformed entry for {name!r}")
        *stats, sha256 = value
        if not all(type(n) is int and n >= 0 for n in stats):
            raise ValueError(f"malformed stat for {name!r}")
        if not (isinstance(sha256, str) and _SHA256.fullmatch(sha256)):
            raise ValueError(f"malformed sha256 for {name!r}")
        entries[name] = ((stats[0], stats[1], stats[2], stats[3]), sha256)
    return written, entries


class DigestCache:
    """The digests of an output folder's files, checked against their stat."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.path = OutputLayout(self.out).digest_cache
        self._written = 0
        self._known: dict[str, tuple[Fingerprint, str]] = {}
        self._seen: dict[str, tuple[Fingerprint, str] | None] = {}
        self._learned = False  # a file hashed and remembered: the cache is to be written
        self._facts: dict[str, bool] = {}  # what a file's content says, by its sha256
        self.hashed = 0  # files read and hashed during this build (for tests and benchmarks)

    @classmethod
    def load(cls, out: Path) -> DigestCache:
        """The cache of ``out``: empty when there is none or it is malformed."""
        cache = cls(out)
        try:
            data = read_regular(cache.path, limit=MAX_CACHE_BYTES, what="digest cache")
            cache._written, cache._known = _parse(data)
            cache._facts = _facts(json.loads(data).get("facts"))
        except (LeafletError, ValueError, RecursionError):
            pass  # (a cache is only a shortcut: without it every file is hashed)
        return cache

    def _key(self, path: Path) -> str:
        text, prefix = str(path), f"{self.out}/"
        if text.startswith(prefix):  # (what relative_to gives, without its cost per file)
            return text[len(prefix) :]
        try:
            return Path(path).relative_to(self.out).as_posix()
        except ValueError:
            return str(path)

    def digest(self, path: Path) -> str:
        """The sha256 of ``path``: from the cache when its stat is unchanged and
        not racy, read and hashed otherwise. An OSError when it cannot be read."""
        key = self._key(path)
        before = os.stat(path)
        known = self._known.get(key)
        racy = before.st_mtime_ns // SECOND >= self._written // SECOND
        if known is not None and known[0] == _fingerprint(before) and not racy:
            self._seen[key] = known
            return known[1]
        started = time.time_ns()
        sha256 = file_sha256(path)
        self.hashed += 1
        after = _fingerprint(os.stat(path))
        stable = after == _fingerprint(before) and before.st_mtime_ns // SECOND < started // SECOND
        self._seen[key] = (after, sha256) if stable else None
        self._learned |= stable
        return sha256

    def wrote(self, path: Path, sha256: str, fact: bool | None = None) -> None:
        """Remember ``sha256`` for a file this build has just written with those
        bytes, beside its stat now, and ``fact`` (what :meth:`fact`'s
        ``derive`` says of those bytes), so the next build need not read it: a
        file changed since then has another stat and is hashed again, and one
        whose mtime is not before the second the cache is written is racy, as
        any. (Whoever can write the output folder can write this cache too.)"""
        try:
            info = os.stat(path)
        except OSError:
            return
        self._seen[self._key(path)] = (_fingerprint(info), sha256)
        if fact is not None:
            self._facts[sha256] = fact
        self._learned = True

    def fact(self, path: Path, derive: Callable[[bytes], bool | None]) -> bool | None:
        """``derive`` of the content of ``path``, remembered by the content's
        sha256 (so a file whose stat is unchanged is not read again); ``None``
        (what ``derive`` says of a damaged file) is never remembered. An
        OSError when it cannot be read."""
        sha256 = self.digest(path)
        if sha256 in self._facts:
            return self._facts[sha256]
        data = Path(path).read_bytes()
        value = derive(data)
        if value is not None and hashlib.sha256(data).hexdigest() == sha256:
            self._facts[sha256] = value  # (not if it changed since it was hashed)
            self._learned = True
        return value

    def save(self, keep: set[str]) -> None:
        """Write the cache: the files seen in this build, and those of ``keep``
        (paths relative to the output folder) remembered from before.
        Nothing is written when nothing changed (a no-op build writes no file);
        a cache that cannot be written is left out: it is only a shortcut."""
        entries = {k: v for k, v in self._known.items() if k in keep and k not in self._seen}
        entries.update({k: v for k, v in self._seen.items() if v is not None})
        if entries == self._known and not self._learned:
            return
        files = {k: [*entries[k][0], entries[k][1]] for k in sorted(entries)}
        digests = {sha256 for _, sha256 in entries.values()}
        facts = {k: v for k, v in sorted(self._facts.items()) if k in digests}
        written = time.time_ns()
        data = json.dumps({"format": FORMAT, "written_ns": written, "files": files, "facts": facts})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, data.encode())
        except OSError:
            return
