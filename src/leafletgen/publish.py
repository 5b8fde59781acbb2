"""Write PDFs and ``manifest.json`` so that nothing half-written is ever seen.

Every file is written to a temporary name in its final folder and renamed
into place; the manifest is updated under a lock, so concurrent builds into
one folder keep every entry and the manifest always matches the files.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from pypdf import PdfReader

from . import __version__
from .errors import PublishError
from .model import Document

MANIFEST = "manifest.json"


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
    """Number of pages of a PDF held in memory."""
    return len(PdfReader(io.BytesIO(data)).pages)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def publish_pdf(
    data: bytes,
    *,
    out: Path,
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
    """Write one leaflet's PDF to ``out/<path>`` (by default ``<lang>/<id>.pdf``)
    and describe it."""
    relative = Path(path or f"{lang}/{leaflet_id}.pdf")
    try:
        write_atomic(out / relative, data)
    except OSError as error:
        raise PublishError(f"cannot write PDF: {error.strerror}", out / relative) from None
    return ManifestEntry(
        id=leaflet_id,
        lang=lang,
        path=relative.as_posix(),
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


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".manifest.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read_manifest(out: Path) -> list[dict]:
    """The entries of ``out/manifest.json``; none if it is missing or damaged
    (a damaged manifest is rebuilt by the next build)."""
    try:
        entries = json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("leaflets", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [e for e in entries if isinstance(e, dict) and {"id", "lang", "path"} <= e.keys()]


def update_manifest(out: Path, entries: list[ManifestEntry]) -> Path:
    """Merge ``entries`` into ``out/manifest.json`` (replacing same id + language + path).

    Entries whose file no longer exists are dropped, so the manifest lists
    exactly the PDFs that are there.
    """
    path = out / MANIFEST
    try:
        with _locked(out):
            current = read_manifest(out)
            fresh = [asdict(entry) | {"translation": entry.translation} for entry in entries]
            replaced = {(e["id"], e["lang"], e["path"]) for e in fresh}
            merged = [
                e
                for e in current
                if (e["id"], e["lang"], e["path"]) not in replaced
                and (out / str(e["path"])).is_file()
            ] + fresh
            merged.sort(key=lambda e: (e["id"], e["lang"], e["path"]))
            document = {"generator": f"leafletgen {__version__}", "leaflets": merged}
            text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
            write_atomic(path, text.encode("utf-8"))
    except OSError as error:
        raise PublishError(f"cannot write manifest: {error.strerror}", path) from None
    return path
