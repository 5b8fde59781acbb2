"""What clearing a leaflet needs besides its translation, recorded in a
throwaway copy of the project as a clinic would record it: a permission for
each licence that needs one, the clinic's check of each source against its
publisher's page, and a desk editor's source review of each source.

Shared by the distribution tests and the desk's review tests; every name,
permission and date it writes is fictional test data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from leafletgen import accounts
from leafletgen.cli import main


def record_clearing_inputs(
    root: Path,
    *,
    permission: str,
    checked_by: str,
    editor: str,
    role: str,
) -> list[str]:
    """Write the permissions and source checks into ``sources/sources.yaml``,
    record them as the audit trail's baseline, add ``editor`` as a desk editor
    and have them review every source. Returns the source ids reviewed."""
    sources = root / "sources" / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    text = text.replace(
        "      needs_permission: true\n",
        f"      needs_permission: true\n      permission: {permission}\n",
    )
    text = re.sub(
        r"(\n    file: [^\n]+\n)",
        rf'\1    checked: {{date: 2026-11-02, by: "{checked_by}"}}\n',
        text,
    )
    # A drug's FDA label is checked as the version its file holds (its label:
    # values, copied), or a leaflet printing it is not cleared.
    for entry in yaml.safe_load(text)["sources"]:
        if "label" in entry:
            held = {k: v for k, v in entry["label"].items() if k in ("set_id", "revised")}
            checked = (
                f'    file: {entry["file"]}\n    checked: {{date: 2026-11-02, by: "{checked_by}"'
            )
            text = text.replace(checked, f"{checked}, label: {json.dumps(held)}")
    sources.write_text(text, encoding="utf-8")
    # The permissions just written, recorded in the audit trail as its baseline.
    assert main(["audit", "start", "--project", str(root)]) == 0
    accounts.add_user(
        root, editor, full_name=editor.replace("-", " ").title(), roles=["editor"],
        password="not-a-real-password", qualification=None,
    )  # fmt: skip
    reviewed = re.findall(r"\n  - id: ([a-z0-9-]+)\n", text)
    for source_id in reviewed:
        args = ["sources", "review", source_id, "--reviewer", editor, "--role", role]
        assert main([*args, "--project", str(root)]) == 0, source_id
    return reviewed
