"""A build reads the manifest several times (its damage check, its plan, its
compaction, its summary): it is parsed once and its paths are checked once
while the folders stay as they were, and a link planted or a folder changed
between two reads is still found."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from leafletgen.batch.build import build_leaflets
from leafletgen.project import Project
from leafletgen.publish import manifest
from leafletgen.publish.manifest import manifest_state, read_manifest

pytestmark = pytest.mark.slow  # (the demo build)


def _copy(demo, tmp_path: Path, *, settled: bool = True) -> Path:
    """A copy of the demo's output folder; ``settled``: its folders last changed
    over a second ago (a folder changed within the second is checked again)."""
    out = tmp_path / "out"
    shutil.copytree(demo.out, out, symlinks=True)
    manifest._LAST_READ.clear()  # (as at the start of a build: its first read)
    if settled:
        time.sleep(1.1)
    return out


def _spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    calls: list[int] = []
    real = getattr(manifest, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(manifest, name, counted)
    return calls


def test_a_noop_build_parses_the_manifest_once_and_checks_each_path_once(
    project: Project, demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    out = _copy(demo, tmp_path)
    parsed, checked = _spy(monkeypatch, "_parsed"), _spy(monkeypatch, "valid_path")
    results = build_leaflets(project, None, ["en", "es"], out, include_drugs=True)
    assert not any(r.entry or r.error for r in results)  # (a no-op)
    entries = read_manifest(out)  # (as the command's summary reads it)
    assert len(entries) == 16
    assert len(parsed) == 1
    assert len(checked) == sum(1 + (e.html is not None) for e in entries)


def test_a_link_planted_between_two_reads_leaves_its_entry_out(demo, tmp_path: Path):
    out = _copy(demo, tmp_path)
    first = manifest_state(out)
    assert first.problem is None
    victim = first.entries[0]
    outside = tmp_path / "outside.pdf"
    shutil.copyfile(out / victim.path, outside)
    (out / victim.path).unlink()
    (out / victim.path).symlink_to(outside)
    again = manifest_state(out)
    assert victim not in again.entries and len(again.entries) == len(first.entries) - 1
    assert again.problem == "has 1 damaged entries (left out)"


def test_a_folder_replaced_by_a_link_between_two_reads_leaves_its_entries_out(demo, tmp_path: Path):
    out = _copy(demo, tmp_path)
    first = manifest_state(out)
    spanish = [e for e in first.entries if e.path.startswith("es/")]
    assert spanish
    (out / "es").rename(tmp_path / "elsewhere")
    (out / "es").symlink_to(tmp_path / "elsewhere")
    again = manifest_state(out)
    assert again.entries == [e for e in first.entries if e not in spanish]


def test_a_folder_changed_within_the_second_is_checked_again(
    demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    out = _copy(demo, tmp_path, settled=False)
    manifest_state(out)
    checked = _spy(monkeypatch, "valid_path")
    assert manifest_state(out).problem is None
    assert checked  # (a change in the same second as the first look shows in no stat)
