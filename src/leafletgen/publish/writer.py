"""The one writer of the output folder: a leaflet's PDF, FHIR DocumentReference,
Provenance and web page, and its manifest entry, put in place as one unit.

Every file is written to a temporary name in its final folder and renamed
into place, so nothing half-written is ever seen; a unit interrupted half
way puts the previous files back. Every path written is inside the output
folder (links included). After a batch, the same writer brings the files
beside the PDFs up to date: FHIR resources related to a rebuilt original,
web pages linked to their other languages, the FHIR bundle.
"""

from __future__ import annotations

import contextlib
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from leafletgen.errors import LeafletError, PublishError
from leafletgen.files import (
    aside_name,
    find_leftovers,
    read_regular,
    write_atomic,
    write_temporary,
)
from leafletgen.project import OutputLayout
from leafletgen.publish import fhir
from leafletgen.publish.journal import ManifestJournal, compact
from leafletgen.publish.manifest import ManifestEntry, output_file
from leafletgen.render.twin import (
    MAX_TWIN_BYTES,
    LanguageLink,
    link_order,
    relative_href,
    with_language_links,
)

# --- what a killed build leaves behind --------------------------------------------------


def sweep_leftovers(out: Path) -> list[str]:
    """Undo what a build killed half-way through putting a leaflet's files in
    place (SIGKILL, power loss) left behind: its temporary files are removed,
    and a file it had moved aside is put back where nothing replaced it (the
    manifest still describes that file). Only files of builds that no longer
    run are touched: on this host, a process that has ended; on another
    host (a shared output folder), files unchanged for a day
    (:data:`~leafletgen.files.LEFTOVER_AGE`). What was done, one line each."""
    done = []
    for left in find_leftovers(out):
        if not left.stopped():
            continue
        whose = (
            "a build that was stopped"
            if left.here
            else f"a build on another host ({left.owner}) unchanged for more than a day"
        )
        with contextlib.suppress(OSError):
            if left.kind == "old" and not left.target.exists():
                os.replace(left.path, left.target)
                done.append(f"put back {left.target}, moved aside by {whose}")
            else:
                left.path.unlink()
                done.append(f"removed {left.path}, left by {whose}")
    return done


# --- one unit ---------------------------------------------------------------------------


def _undo(steps: list[list], temporaries: Iterable[str]) -> None:
    """Put back what a failed unit moved, and remove its temporary files."""
    for target, backup, aside, placed in reversed(steps):
        with contextlib.suppress(OSError):
            if aside:
                os.replace(backup, target)
            elif placed:
                os.unlink(target)
            elif backup is not None:
                os.unlink(backup)
    for temporary in temporaries:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _write_error(problem: OSError, where: Path, out: Path) -> PublishError:
    manifest = OutputLayout(out).manifest
    what = "manifest" if where == manifest else Path(where).suffix.lstrip(".")
    what = {"pdf": "PDF", "json": "FHIR resource", "html": "HTML"}.get(what, what)
    return PublishError(f"cannot write {what}: {problem.strerror}", where)


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
            temporaries[target] = write_temporary(target, data)
        for target, temporary in temporaries.items():
            where = target
            step = [target, aside_name(target) if target.exists() else None, False, False]
            steps.append(step)
            if step[1] is not None:
                os.replace(target, step[1])
                step[2] = True
            os.replace(temporary, target)
            step[3] = True
        where = OutputLayout(out).manifest
        if entry is not None and journal is not None:
            journal.add(entry)
        elif entry is not None:
            compact(out, [entry])
    except BaseException as problem:
        _undo(steps, temporaries.values())
        if isinstance(problem, OSError):
            raise _write_error(problem, where, out) from None
        raise
    for _target, backup, _aside, _placed in steps:
        if backup is not None:
            with contextlib.suppress(OSError):
                os.unlink(backup)


def remove_stale_draft(out: Path, leaflet_id: str, lang: str, variant: str) -> list[Path]:
    """Delete the draft a final build of the same leaflet replaces: its PDF and
    the files beside it (FHIR, Provenance, HTML twin). The removed paths."""
    removed = []
    for relative in OutputLayout.draft_files(leaflet_id, lang, variant):
        path = out / relative
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed


def publish_leaflet(
    out: Path,
    entry: ManifestEntry,
    pdf: bytes,
    html: str | None,
    *,
    fhir_inline: bool,
    recorded: str,
    journal: ManifestJournal | None = None,
    originals: dict[str, ManifestEntry] | None = None,
    written: Callable[[str, bytes], None] | None = None,
) -> ManifestEntry:
    """Write a rendered leaflet's PDF, its FHIR DocumentReference and Provenance
    and its web page (``html``), and record its entry, as one unit.
    ``originals``: the English originals by leaflet id (a translation's
    resources relate to its original), updated when this entry is one.
    ``written`` is told each file written (its path in ``out``, its bytes)."""
    originals = {} if originals is None else originals
    files = {entry.path: pdf}
    if html is not None and entry.html:
        files[entry.html] = html.encode("utf-8")
    reference, provenance = fhir.resources_of(
        entry,
        out,
        original=fhir.original_of(entry, originals),
        inline=fhir_inline,
        recorded=recorded,
        content=pdf,
    )
    files |= fhir.resource_files(entry.path, reference, provenance)
    if not entry.draft:  # the final replaces its draft: files and manifest entry
        remove_stale_draft(out, entry.id, entry.lang, entry.variant)
    publish_unit(out, files, entry, journal)
    for name, data in files.items() if written else ():
        written(name, data)
    if not entry.html:
        # Rebuilt without its web page: the one from before no longer says what
        # the PDF says. Removed, so that no portal goes on serving it.
        page = out / OutputLayout.page_path(entry.path)
        with contextlib.suppress(OSError):
            if page.is_file() and not page.is_symlink():
                page.unlink()
    if fhir.is_original(entry):
        originals[entry.id] = entry
    return entry


# --- after a batch: the files beside the PDFs ----------------------------------------------


def write_json(data: dict[str, Any], path: Path) -> None:
    """Write a resource as JSON, atomically."""
    try:
        write_atomic(path, fhir.json_bytes(data))
    except OSError as error:
        raise PublishError(f"cannot write FHIR resource: {error.strerror}", path) from None


def _write_changed(path: Path, data: bytes) -> None:
    """Write ``data`` unless the file already holds it."""
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    try:
        write_atomic(path, data)
    except OSError as error:
        raise PublishError(f"cannot write FHIR resource: {error.strerror}", path) from None


def publish_resources(
    entries: list[ManifestEntry],
    out: Path,
    *,
    inline: bool = False,
    recorded: str,
    only: set[str] | None = None,
    failed: list[tuple[ManifestEntry, LeafletError]] | None = None,
) -> list[dict[str, Any]]:
    """Write every entry's DocumentReference and Provenance beside its PDF,
    related to the English original where there is one; returns them all,
    for a Bundle. With ``only`` (leaflet ids), just the resources of those
    leaflets are made. A file whose content is already right is not written
    again. With ``failed``, an entry whose resources cannot be written is
    recorded there and left out, and the others are still written."""
    index = fhir.originals(entries)
    resources = []
    for entry in entries:
        if only is not None and entry.id not in only:
            continue
        try:
            original = fhir.original_of(entry, index)
            reference, record = fhir.resources_of(
                entry, out, original=original, inline=inline, recorded=recorded
            )
            for name, data in fhir.resource_files(entry.path, reference, record).items():
                _write_changed(output_file(out, name), data)
        except LeafletError as error:
            if failed is None:
                raise
            failed.append((entry, error))
            continue
        resources += [reference, record]
    return resources


def write_bundle(out: Path, resources: list[dict[str, Any]], kind: str) -> None:
    """Write every resource as one FHIR Bundle, ``fhir-bundle.json``."""
    write_json(fhir.bundle(resources, kind), OutputLayout(out).fhir_bundle)


def _relink(out: Path, path: str, links: list[LanguageLink]) -> None:
    """Rewrite one web page's language links (if they changed)."""
    file = output_file(out, path)
    html = read_regular(file, limit=MAX_TWIN_BYTES, what="web page").decode("utf-8")
    linked = with_language_links(html, links)
    if linked != html:
        write_atomic(file, linked.encode("utf-8"))


def relink_twins(
    out: Path, entries: Sequence[ManifestEntry], ids: Iterable[str]
) -> list[tuple[ManifestEntry, LeafletError]]:
    """Rewrite the language links of every twin of the leaflets ``ids`` so that
    each links to the same leaflet, variant and draft state in every other
    language the manifest (``entries``) lists a twin for. Files already right
    are left alone. Returns each entry whose twin could not be rewritten, with
    the reason."""
    wanted = set(ids)
    groups: dict[tuple, dict[str, ManifestEntry]] = defaultdict(dict)
    for entry in entries:
        if entry.html and entry.id in wanted:
            groups[(entry.id, entry.variant, bool(entry.draft))][entry.lang] = entry
    failed = []
    for twins in groups.values():
        for lang, entry in twins.items():
            path = entry.html or ""
            links = [
                LanguageLink(other, relative_href(path, twins[other].html or ""))
                for other in link_order(twins)
                if other != lang
            ]
            try:
                _relink(out, path, links)
            except LeafletError as error:
                failed.append((entry, error))
            except (OSError, UnicodeDecodeError) as error:
                message = f"cannot update its links to other languages: {error}"
                failed.append((entry, LeafletError(message, out / path)))
    return failed
