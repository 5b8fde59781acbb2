"""The manifest's records in a compact form, kept beside it for the next read.

A manifest of 10,000 leaflets that are not cleared is about 100 MB: each
entry carries its distribution status with every reason in full (the 67
unreviewed strings of a translation are about 9 KB), and its source
credits, though a whole batch has a few dozen distinct ones. Parsing it was
over a second of every no-op build. ``manifest.json`` itself keeps its
shape (the desk, FHIR, ``check``, ``status`` and other programs read it);
``.cache/manifest-records.json`` (see :class:`~leafletgen.project.OutputLayout`)
holds the same records with each distinct status and list of credits once,
under the sha256 of the manifest's bytes. Only :mod:`leafletgen.publish.manifest`
uses it, and it checks every record it gets from here exactly as it checks
one parsed from the manifest.

The file is read as untrusted: bounded in size, its shape checked, and
anything malformed or kept for other bytes is ignored (the manifest is then
parsed). Whoever can write it can write the manifest beside it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from leafletgen.errors import LeafletError
from leafletgen.files import read_regular, write_atomic
from leafletgen.project import OutputLayout

FORMAT = 1
SHARED = ("distribution", "sources")  # the values a batch repeats from entry to entry
MAX_BYTES = 256 * 1024 * 1024


def load_records(out: Path, sha256: str) -> list[Any] | None:
    """The manifest records kept for the manifest whose bytes have ``sha256``;
    ``None`` when there are none, or anything in the file is malformed."""
    path = OutputLayout(Path(out)).manifest_records
    try:
        kept = json.loads(read_regular(path, limit=MAX_BYTES, what="manifest cache"))
        if not isinstance(kept, dict) or kept.get("format") != FORMAT:
            return None
        if kept.get("sha256") != sha256:
            return None
        return _expanded(kept)
    except (LeafletError, ValueError, TypeError, LookupError, RecursionError):
        return None  # (only a shortcut: the manifest is parsed)


def _expanded(kept: dict) -> list[Any]:
    """The records, each shared value put back; ValueError when malformed."""
    records, tables, refs = kept["records"], kept["tables"], kept["refs"]
    if not (isinstance(records, list) and isinstance(tables, dict) and isinstance(refs, dict)):
        raise ValueError("malformed")
    columns = []
    for key in SHARED:
        table, column = tables[key], refs[key]
        if not (isinstance(table, list) and isinstance(column, list)):
            raise ValueError("malformed")
        if len(column) != len(records):
            raise ValueError("malformed")
        if not all(type(i) is int and -1 <= i < len(table) for i in column):
            raise ValueError("malformed")
        columns.append((key, table, column))
    expanded = []
    for n, record in enumerate(records):
        if not isinstance(record, dict) or any(key in record for key in SHARED):
            raise ValueError("malformed")
        shared = {key: table[column[n]] for key, table, column in columns if column[n] >= 0}
        expanded.append(record | shared)
    return expanded


def save_records(out: Path, sha256: str, records: list[Any]) -> None:
    """Keep ``records`` (the manifest's, as parsed) for the manifest whose bytes
    have ``sha256``. A cache that cannot be written is left out."""
    tables: dict[str, list] = {key: [] for key in SHARED}
    refs: dict[str, list[int]] = {key: [] for key in SHARED}
    seen: dict[str, dict[str, int]] = {key: {} for key in SHARED}
    compact = []
    for record in records:
        if not isinstance(record, dict):
            return  # (a damaged manifest: not worth keeping)
        for key in SHARED:
            if key not in record:
                refs[key].append(-1)
                continue
            text = json.dumps(record[key], sort_keys=True)
            if text not in seen[key]:
                seen[key][text] = len(tables[key])
                tables[key].append(record[key])
            refs[key].append(seen[key][text])
        compact.append({k: v for k, v in record.items() if k not in SHARED})
    kept = {"format": FORMAT, "sha256": sha256, "tables": tables, "refs": refs, "records": compact}
    path = OutputLayout(Path(out)).manifest_records
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(kept, ensure_ascii=False).encode("utf-8"))
    except OSError:
        return
