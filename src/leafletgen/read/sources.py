"""The document corpus: ``sources/sources.yaml`` and the files it describes."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from leafletgen.dates import record_date_problem
from leafletgen.errors import LeafletError, SourceError, brief, raise_all
from leafletgen.model import Checked, Document, Licence, SourceInfo
from leafletgen.read.document import FORMATS, read_document
from leafletgen.read.labels import read_label
from leafletgen.read.text import WEB_URL
from leafletgen.review.sources import apply_book
from leafletgen.yamlfile import LineDict, LineList, load_yaml, require_keys

SOURCE_KEYS = {
    "id": str,
    "file": str,
    "format": str,
    "publisher": str,
    "profile": str,
    "title": str,
    "url": str,
    "language": str,
    "licence": dict,
    "checked": dict,
    "label": dict,  # an FDA label: the version the file holds (read/labels.py)
}
SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LENGTHS = {"url": 2000, "title": 300, "permission": 1000, "file": 255}
LICENCE_KEYS = {"name": str, "needs_permission": bool, "permission": str}
CHECKED_KEYS = {"date": (dt.date, str), "by": str, "label": dict}


def _checked(entry: LineDict, path: Path) -> tuple[Checked | None, list[LeafletError]]:
    """``checked: {date: YYYY-MM-DD, by: TEXT}``: the clinic compared the source
    with the publisher's current page on that date."""
    checked = entry.get("checked")
    if checked is None:
        return None, []
    errors = require_keys(checked, CHECKED_KEYS, {"date", "by"}, path, SourceError, what="check")
    if errors:
        return None, errors
    date = checked["date"]
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date)
        except ValueError:
            return None, [
                SourceError(f"date must be YYYY-MM-DD, not {date!r}", path, checked.line_of("date"))
            ]
    if isinstance(date, dt.datetime):
        date = date.date()
    if problem := record_date_problem(date, "check"):
        return None, [SourceError(problem, path, checked.line_of("date"))]
    if not checked["by"].strip():
        return None, [SourceError("'by' must name who checked", path, checked.line_of("by"))]
    label, problems = read_label(checked.get("label"), path)
    if problems:
        return None, problems
    return Checked(date, checked["by"].strip(), label), []


def load_sources(directory: str | Path) -> dict[str, SourceInfo]:
    """Every entry of ``<directory>/sources.yaml``, by id, checked as a whole."""
    path = Path(directory) / "sources.yaml"
    root = load_yaml(path, SourceError)
    errors: list[LeafletError] = []
    entries = root.get("sources")
    if not isinstance(entries, list):
        raise SourceError("expected a 'sources:' list", path, root.line)
    found: dict[str, SourceInfo] = {}
    for number, entry in enumerate(entries):
        if not isinstance(entry, dict):
            line = entries.item_lines[number] if isinstance(entries, LineList) else root.line
            errors.append(SourceError("each entry must be a mapping of keys to values", path, line))
            continue
        checked, problems = _entry_problems(entry, path)
        if problems:
            errors += problems
            continue
        if problem := _placement_problem(entry, path, found):
            errors.append(problem)
            continue
        found[entry["id"]] = _source_info(entry, checked, path)
    raise_all(errors)
    return found


def _entry_problems(entry: LineDict, path: Path) -> tuple[Checked | None, list[LeafletError]]:
    """An entry's own keys, licence, URL and check, with every problem found."""
    problems = require_keys(
        entry, SOURCE_KEYS, {"id", "file", "format"}, path, SourceError, max_length=LENGTHS
    )
    licence = entry.get("licence") if isinstance(entry, dict) else None
    if isinstance(licence, dict):
        problems += require_keys(
            licence, LICENCE_KEYS, {"name"}, path, SourceError, max_length=LENGTHS
        )
    url = entry.get("url") if not problems else None
    if isinstance(url, str) and not WEB_URL.match(url):
        problems.append(
            SourceError(
                f"url {brief(url)} must be an http:// or https:// address",
                path,
                entry.line_of("url"),
            )
        )
    checked, more = _checked(entry, path) if isinstance(entry, LineDict) else (None, [])
    if isinstance(entry, LineDict):
        more += read_label(entry.get("label"), path)[1]
    return checked, problems + more


def _placement_problem(entry: dict, path: Path, found: dict[str, SourceInfo]) -> SourceError | None:
    """The first thing wrong with an entry among the others and on disk: its
    id, a file outside the folder or missing, a duplicate, an unknown format."""
    source_id = entry["id"]
    if not SOURCE_ID.match(source_id):
        return SourceError(
            f"source id {source_id!r} must be lower-case letters, digits and '-'",
            path,
            entry.line_of("id"),
        )
    file = (path.parent / entry["file"]).resolve()
    if not file.is_relative_to(path.parent.resolve()):
        return SourceError(
            f"file {entry['file']!r} is outside the sources folder", path, entry.line_of("file")
        )
    if source_id in found:
        return SourceError(f"duplicate source id {source_id!r}", path, entry.line)
    if entry["format"] not in FORMATS:
        return SourceError(
            f"unknown format {entry['format']!r}; known: {', '.join(FORMATS)}",
            path,
            entry.line_of("format"),
        )
    if not file.exists():  # (one that is not a regular file fails when it is read)
        return SourceError(f"no such file {entry['file']!r}", path, entry.line_of("file"))
    return None


def _source_info(entry: LineDict, checked: Checked | None, path: Path) -> SourceInfo:
    """A checked entry as the value the readers and the credits use."""
    licence = entry.get("licence")
    return SourceInfo(
        id=entry["id"],
        file=entry["file"],
        format=entry["format"],
        publisher=entry.get("publisher"),
        profile=entry.get("profile"),
        title=entry.get("title"),
        url=entry.get("url"),
        language=entry.get("language"),
        licence=Licence(**licence) if isinstance(licence, dict) else None,
        line=entry.line,
        checked=checked,
        label=read_label(entry.get("label"), path)[0],
    )


def read_source(path: str | Path, info: SourceInfo | None = None) -> Document:
    """Read one source file; see :func:`leafletgen.read.document.read_document`."""
    return read_document(path, info)


def read_corpus(
    directory: str | Path,
    ids: set[str] | None = None,
    failed: dict[str, LeafletError] | None = None,
) -> dict[str, Document]:
    """Read the sources listed in ``sources.yaml`` (all, or just ``ids``).

    Without ``failed``, a source that cannot be read is an error (all of them
    together). With it, each such source's error is recorded there by id and
    the others are returned, so a broken source only fails the leaflets that
    use it. The clinic's source review record (``reviews.yaml``) is applied:
    see :func:`leafletgen.review.sources.apply_book`.
    """
    directory = Path(directory)
    infos = load_sources(directory)
    documents: dict[str, Document] = {}
    errors: list[LeafletError] = []
    for source_id, info in infos.items():
        if ids is not None and source_id not in ids:
            continue
        try:
            documents[source_id] = read_document(directory / info.file, info)
        except LeafletError as error:
            if failed is None:
                errors.append(error)
            else:
                failed[source_id] = error
    raise_all(errors)
    return apply_book(documents, directory)
