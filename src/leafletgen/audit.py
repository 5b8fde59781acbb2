"""The audit trail: every change of state, appended to ``desk/audit.jsonl``.

One JSON object a line: its number (``seq``, the line it stands on), the
server's UTC time, who did it and through what (``via``: ``cli`` when ``who``
is the operating-system user of a command, ``desk`` for a desk user,
``token`` for a portal client), the action, what it was about (ids,
languages, project-relative file names), the sha256 of the files involved as
they stand after the change, and ``prev``, the sha256 of the line before it
(of 64 zeros for the first). Each record names the one before, as git's
commits and Certificate Transparency's logs do, so an edited, removed,
inserted or reordered line breaks the chain where it happened.

The last record has no successor to name it, so ``desk/audit.head`` holds its
number and sha256 (rewritten after each append, as git moves a branch): a
removed or edited last record no longer matches it.

Records are only ever appended: the file is opened with ``O_APPEND``, locked
(``flock``) so that two processes never interleave, each record written in one
``write`` and synced before the lock is released. Nothing here rewrites it.
The chain notices accidents and hand edits; someone who recomputes every hash
can rewrite history, which is why ``leafletgen audit verify`` prints the head
for the clinic to note somewhere else.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leafletgen.errors import LeafletError
from leafletgen.files import (
    NotRegularFile,
    contained,
    inside,
    read_regular,
    write_atomic,
)
from leafletgen.files import (
    file_sha256 as regular_file_sha256,
)
from leafletgen.project import OutputLayout

if TYPE_CHECKING:
    from leafletgen.batch.plan import BuildResult

TRAIL = "desk/audit.jsonl"
HEAD = "desk/audit.head"
GENESIS = "0" * 64  # what the first record names as the one before it
VIAS = ("cli", "desk", "token")
MAX_RECORD_BYTES = 1024 * 1024  # a full build's record is a few kB
KEYS = ("seq", "time", "who", "via", "action", "what", "files", "prev")
# A record is evidence anyone with the project may read: a secret must never
# reach it, so a key that sounds like one is refused (a bug in the caller).
SECRET_WORDS = ("password", "passwd", "secret", "token", "cookie", "session", "credential")


class AuditError(LeafletError):
    """The audit trail is damaged, or cannot be written."""


@dataclass(frozen=True)
class Record:
    """One line of the trail as read back."""

    line: int
    seq: int
    time: str
    who: str
    via: str
    action: str
    what: dict[str, Any]
    files: dict[str, str | None]
    prev: str
    digest: str  # sha256 of the line, as the next record names it

    @property
    def day(self) -> dt.date | None:
        """The UTC date it was written on."""
        try:
            return dt.date.fromisoformat(self.time[:10])
        except ValueError:
            return None


def trail_path(root: Path) -> Path:
    """Where the project's audit trail lives."""
    return Path(root) / TRAIL


def head_path(root: Path) -> Path:
    """Where the number and hash of the trail's last record live."""
    return Path(root) / HEAD


def file_sha256(path: Path) -> str | None:
    """The sha256 of a regular file, or ``None`` when there is none (removed)."""
    try:
        return regular_file_sha256(path)
    except FileNotFoundError:
        return None
    except NotRegularFile:
        raise AuditError("not a regular file (a device, FIFO or folder)", path) from None
    except OSError as problem:
        raise AuditError(f"cannot read file to record: {problem.strerror}", path) from None


def name_of(path: Path, root: Path) -> str:
    """``path`` as a record names it: relative to the project when inside it,
    else as the caller gave it (an output folder named on the command line)."""
    path = Path(path)
    absolute = path if path.is_absolute() else Path.cwd() / path
    if inside(absolute, root):
        return absolute.resolve().relative_to(Path(root).resolve()).as_posix()
    return path.as_posix()


def command_line_user() -> str:
    """The operating-system user running a command (``via="cli"`` marks it as such)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry
        return f"uid {os.getuid()}"


def _secret_keys(value: object, where: str = "what") -> list[str]:
    if isinstance(value, dict):
        found = [
            f"{where}.{key}"
            for key in value
            if any(word in str(key).lower() for word in SECRET_WORDS)
        ]
        return found + [k for key, v in value.items() for k in _secret_keys(v, f"{where}.{key}")]
    if isinstance(value, (list, tuple)):
        return [k for item in value for k in _secret_keys(item, where)]
    return []


def _plain(value: object) -> object:
    """Dates and paths as text, so that a record is plain JSON."""
    if isinstance(value, (dt.date, Path)):
        return value.isoformat() if isinstance(value, dt.date) else value.as_posix()
    raise TypeError(f"{type(value).__name__} cannot be recorded")


def _encode(record: dict[str, object]) -> bytes:
    text = json.dumps(
        record, sort_keys=False, separators=(",", ":"), ensure_ascii=False, default=_plain
    )
    return text.encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """The sha256 of ``data`` in hex."""
    return hashlib.sha256(data).hexdigest()


def append(
    root: Path,
    *,
    who: str,
    via: str,
    action: str,
    what: dict[str, object],
    files: Sequence[Path] = (),
) -> None:
    """Append one record to the project's trail (``files`` are hashed here, as
    they stand now), under a lock, in one synced write."""
    root = Path(root)
    if via not in VIAS:
        raise ValueError(f"via must be one of {VIAS}, not {via!r}")
    if not who.strip() or not action.strip():
        raise ValueError("an audit record needs who and an action")
    if secrets := _secret_keys(what):
        raise ValueError(f"an audit record never holds secrets: {', '.join(secrets)}")
    hashes = dict(sorted({name_of(path, root): file_sha256(path) for path in files}.items()))
    path = contained(root, TRAIL, what="audit trail", error=AuditError)
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as problem:
        raise AuditError(f"cannot open the audit trail: {problem.strerror}", TRAIL) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise AuditError("the audit trail is not a regular file", TRAIL)
        fcntl.flock(fd, fcntl.LOCK_EX)  # released when fd closes
        seq, prev, ends_line = _tail(fd)
        record = {
            "seq": seq,
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "who": who.strip(),
            "via": via,
            "action": action.strip(),
            "what": what,
            "files": hashes,
            "prev": prev,
        }
        line = _encode(record)
        if len(line) > MAX_RECORD_BYTES:
            raise ValueError(f"an audit record of {len(line):,} bytes is too large")
        # A cut-short last line stays as it is (it is evidence): the record
        # starts on a line of its own.
        data = (b"" if ends_line else b"\n") + line + b"\n"
        if os.write(fd, data) != len(data):
            raise AuditError("the audit record was not written whole (disk full?)", TRAIL)
        os.fsync(fd)
        write_atomic(head_path(root), f"{seq} {sha256_hex(line)}\n".encode())
    except OSError as problem:
        raise AuditError(f"cannot write the audit trail: {problem.strerror}", TRAIL) from None
    finally:
        os.close(fd)


def _tail(fd: int) -> tuple[int, str, bool]:
    """The next record's number, the hash it names, and whether the file ends a line."""
    size = os.fstat(fd).st_size
    if size == 0:
        return 1, GENESIS, True
    ends_line = os.pread(fd, 1, size - 1) == b"\n"
    end = size - 1 if ends_line else size
    start, chunk = end, b""
    while start > 0 and b"\n" not in chunk:
        step = min(start, 1 << 16)
        start -= step
        chunk = os.pread(fd, end - start, start)
    last = chunk[chunk.rfind(b"\n") + 1 :]
    try:
        seq = int(json.loads(last)["seq"]) + 1
    except (ValueError, KeyError, TypeError):
        # A damaged last line: number by position, so the lines stay countable.
        seq = _count_lines(fd, size) + (1 if ends_line else 2)
    return seq, sha256_hex(last), ends_line


def _count_lines(fd: int, size: int) -> int:
    count, offset = 0, 0
    while offset < size:
        chunk = os.pread(fd, 1 << 20, offset)
        if not chunk:
            break
        count += chunk.count(b"\n")
        offset += len(chunk)
    return count


# --- reading back and verifying -------------------------------------------------------


def _lines(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """Each line of the trail: its number, bytes (no end of line), and whether it ended."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise AuditError("the audit trail is not a regular file", TRAIL)
        number = 0
        while raw := handle.readline(MAX_RECORD_BYTES + 2):
            number += 1
            ended = raw.endswith(b"\n")
            yield number, raw.rstrip(b"\n"), ended


def _parse(number: int, raw: bytes) -> Record | str:
    """The record on a line, or what is wrong with it."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return "not a JSON record"
    if not isinstance(data, dict) or sorted(data) != sorted(KEYS):
        return f"not an audit record (it needs exactly {', '.join(KEYS)})"
    types = {"seq": int, "time": str, "who": str, "via": str, "action": str}
    types |= {"what": dict, "files": dict, "prev": str}
    wrong = [key for key, kind in types.items() if not isinstance(data[key], kind)]
    if wrong or isinstance(data["seq"], bool):
        return f"not an audit record (wrong type of {', '.join(wrong) or 'seq'})"
    return Record(number, digest=sha256_hex(raw), **data)


def read_trail(root: Path) -> tuple[list[Record], list[AuditError]]:
    """Every readable record of the trail, and every problem with it (in line order)."""
    path = trail_path(root)
    records: list[Record] = []
    problems: list[AuditError] = []
    if not path.exists() and not path.is_symlink():
        return records, _head_problems(root, None)
    expected_seq, prev, last = 1, GENESIS, None
    try:
        for number, raw, ended in _lines(path):
            last = (number, sha256_hex(raw))
            parsed = _parse(number, raw)
            if not ended:
                problems.append(_problem(number, "the last line is cut short (no end of line)"))
            elif isinstance(parsed, str):
                problems.append(_problem(number, parsed))
            if isinstance(parsed, Record):
                problems += _link_problems(parsed, expected_seq, prev)
                records.append(parsed)
                expected_seq = parsed.seq + 1
            prev = sha256_hex(raw)
    except OSError as problem:  # a link in its place (O_NOFOLLOW), unreadable
        return records, [_problem(None, f"cannot read the audit trail: {problem.strerror}")]
    problems.sort(key=lambda problem: problem.line or 0)  # in the order of the file
    return records, problems + _head_problems(root, last)


def _problem(line: int | None, message: str, where: str = TRAIL) -> AuditError:
    return AuditError(message, where, line)


def _link_problems(record: Record, expected_seq: int, prev: str) -> list[AuditError]:
    """Whether ``record`` follows the line before it: its number and the hash it names."""
    found = []
    if record.seq != expected_seq:
        found.append(
            _problem(
                record.line,
                f"record number {record.seq} where {expected_seq} was expected: "
                "records were removed, inserted or reordered here",
            )
        )
    if record.prev != prev and record.line == 1:
        found.append(_problem(1, "the first record names a record before it: records were removed"))
    elif record.prev != prev:
        # Named at the line before: an edited record is that one.
        found.append(
            _problem(
                record.line - 1,
                f"the chain is broken: line {record.line} names {record.prev[:12]}… as the "
                f"record before it, but this line hashes to {prev[:12]}…: this record was "
                f"edited, or records were removed, inserted or reordered after it",
            )
        )
    return found


def _head_problems(root: Path, last: tuple[int, str] | None) -> list[AuditError]:
    """Whether the trail still ends with the record ``desk/audit.head`` names."""
    path = head_path(root)
    if not path.exists():
        if last is None:
            return []
        return [_problem(None, f"{HEAD} is missing: the trail's end cannot be checked")]
    try:
        text = read_regular(path, limit=200, what="audit head", error=AuditError).decode("ascii")
        seq_text, digest = text.split()
        seq = int(seq_text)
    except AuditError as problem:
        return [_problem(None, problem.message, HEAD)]
    except ValueError:
        return [_problem(1, "not '<number> <sha256>'", HEAD)]
    if last is None:
        return [_problem(None, f"missing, while {HEAD} names its record {seq}: it was removed")]
    line, last_digest = last
    if seq > line:
        message = f"the trail ends here, but {HEAD} names record {seq}: records were removed"
    elif seq < line:
        message = (
            f"{HEAD} names record {seq} as the last: the lines after it were added by "
            "hand, or an append was interrupted before it named them"
        )
    elif digest != last_digest:
        message = f"the last record is not the one {HEAD} recorded: it was edited"
    else:
        return []
    return [_problem(line, message)]


def verify(root: Path) -> list[AuditError]:
    """Every problem of the trail, each naming its line: an edited, removed,
    inserted or reordered record, a cut-short last line, a broken chain, a
    trail whose end is not the one last written."""
    return read_trail(root)[1]


def head(root: Path) -> str | None:
    """``<number> <sha256>`` of the last record, to note outside the project."""
    path = head_path(root)
    return path.read_text(encoding="ascii", errors="replace").strip() if path.is_file() else None


def append_cli(
    root: Path, action: str, what: dict[str, object], files: Sequence[Path] = ()
) -> None:
    """:func:`append` for a command of the command line: by the OS user, via ``cli``."""
    append(root, who=command_line_user(), via="cli", action=action, what=what, files=files)


def record_build(
    root: Path, results: Iterable[BuildResult], out: Path, *, who: str, via: str
) -> None:
    """One record for a whole build (not one per PDF): the leaflets, languages
    and variants it wrote, and the sha256 of each file written. A build that
    wrote nothing (every leaflet up to date, or every one failed) changed
    nothing and records nothing."""
    results = list(results)
    built = [r.entry for r in results if r.entry is not None]
    if not built:
        return
    named = [out / name for e in built for name in OutputLayout.companions(e.path)]
    named += [out / OutputLayout.MANIFEST, out / OutputLayout.FHIR_BUNDLE]
    files = [path for path in named if path.is_file()]  # a companion not built is not named
    what: dict[str, object] = {
        "ids": sorted({e.id for e in built}),
        "languages": sorted({e.lang for e in built}),
        "variants": sorted({e.variant for e in built}),
        "out": name_of(out, root),
        "built": len(built),
        "failed": sorted(f"{r.id} [{r.lang}]" for r in results if r.error is not None),
    }
    append(root, who=who, via=via, action="build", what=what, files=files)
