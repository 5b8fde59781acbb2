"""An FDA label's identity as ``sources.yaml`` records it: ``label:`` on a
source (the version its file holds) and on the clinic's check of it (the
version that was checked).

``{set_id, version, effective, revised, complete}``, each optional, at
least one given: the SPL set id, version number and effective date where
the stored text states them, the revision date the text prints ("Revised:
12/2021"), and ``complete: false`` where the file is only an excerpt of the
label's patient text. Nothing here is looked up or guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from leafletgen.errors import LeafletError, SourceError, brief
from leafletgen.model import LabelIdentity
from leafletgen.yamlfile import LineDict, require_keys

LABEL_KEYS = {
    "set_id": str,
    "version": (str, int),
    "effective": (dt.date, str),
    "revised": str,
    # false: the file holds only part of the label's patient text (an excerpt)
    "complete": bool,
}
SET_ID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
VERSION = re.compile(r"^[0-9]{1,9}$")
REVISED = re.compile(r"^(?:0?[1-9]|1[0-2])/[0-9]{4}$")


def read_label(value: object, path: Path) -> tuple[LabelIdentity | None, list[LeafletError]]:
    """A ``label:`` mapping as a :class:`LabelIdentity`, or every problem with it."""
    if value is None:
        return None, []
    problems = require_keys(value, LABEL_KEYS, set(), path, SourceError, what="label")
    if problems:
        return None, problems
    assert isinstance(value, LineDict)
    if not value:
        return None, [SourceError("'label' states nothing", path, value.line)]
    checks = (
        ("set_id", SET_ID, "an SPL set id (a UUID)"),
        ("version", VERSION, "an SPL version number"),
        ("revised", REVISED, "a revision date as printed, MM/YYYY"),
    )
    for key, pattern, what in checks:
        if key in value and (isinstance(value[key], bool) or not pattern.match(str(value[key]))):
            problems.append(
                SourceError(f"{key} {brief(value[key])} must be {what}", path, value.line_of(key))
            )
    effective = value.get("effective")
    if isinstance(effective, str):
        try:
            effective = dt.date.fromisoformat(effective)
        except ValueError:
            problems.append(
                SourceError(
                    f"effective {brief(effective)} must be YYYY-MM-DD",
                    path,
                    value.line_of("effective"),
                )
            )
    if problems:
        return None, problems
    version = value.get("version")
    return LabelIdentity(
        set_id=value.get("set_id"),
        version=str(version) if version is not None else None,
        effective=effective,
        revised=value.get("revised"),
        complete=value.get("complete"),
    ), []
