"""The manifest's compact records: a build reads the same entries with and
without them, and anything malformed, or kept for other bytes, is ignored."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from leafletgen.publish import manifest, manifest_cache
from leafletgen.publish.manifest import check_manifest, manifest_state, read_manifest

pytestmark = pytest.mark.slow  # (the demo build)


@pytest.fixture
def out(demo, tmp_path: Path) -> Path:
    """A copy of the demo's output folder without any kept records."""
    folder = tmp_path / "out"
    shutil.copytree(demo.out, folder)
    shutil.rmtree(folder / ".cache", ignore_errors=True)
    manifest._LAST_READ.clear()
    return folder


def _fresh(out: Path) -> list:
    manifest._LAST_READ.clear()  # (read the file again, not this process's last parse)
    return read_manifest(out)


def test_a_build_keeps_the_records_and_reads_the_same_entries_from_them(out, kept_records):
    kept = out / ".cache" / "manifest-records.json"
    plain = _fresh(out)
    assert not kept.exists()  # (reading alone writes nothing)
    manifest._LAST_READ.clear()  # (as at the start of a build: its first read)
    assert check_manifest(out) is False
    assert kept.is_file() and kept.stat().st_size < (out / "manifest.json").stat().st_size
    kept_records.clear()  # (the reads above: the first of them parsed the manifest)
    assert _fresh(out) == plain and len(plain) == 16
    assert kept_records == [True]  # from the kept records, not the manifest parsed again
    data = json.loads(kept.read_text())
    assert len(data["tables"]["distribution"]) < len(plain)


@pytest.mark.parametrize("damage", ["garbage", "other bytes", "bad reference", "shared key"])
def test_malformed_or_other_records_are_ignored(out, damage):
    plain = _fresh(out)
    manifest._LAST_READ.clear()
    check_manifest(out)
    kept = out / ".cache" / "manifest-records.json"
    data = json.loads(kept.read_text())
    if damage == "garbage":
        kept.write_bytes(b"{not json")
    else:
        if damage == "other bytes":
            data["sha256"] = hashlib.sha256(b"another manifest").hexdigest()
            data["records"][0]["title"] = "Not the manifest's title"
        elif damage == "bad reference":
            data["refs"]["distribution"][0] = 10_000
        else:
            data["records"][0]["sources"] = []
        kept.write_text(json.dumps(data))
    assert _fresh(out) == plain


def test_kept_records_are_checked_as_the_manifest_is(out):
    check_manifest(out)
    kept = out / ".cache" / "manifest-records.json"
    data = json.loads(kept.read_text())
    data["records"][0]["path"] = "../outside.pdf"  # (a forged copy with the right sha256)
    kept.write_text(json.dumps(data))
    manifest._LAST_READ.clear()
    state = manifest_state(out)
    assert len(state.entries) == 15 and "1 damaged entries" in (state.problem or "")
    assert all(not e.path.startswith("..") for e in state.entries)
    assert manifest_cache.load_records(out, data["sha256"]) is not None


def test_the_records_a_build_keeps_are_those_a_read_of_its_manifest_keeps(demo, tmp_path):
    # The build keeps the records it wrote the manifest from, without parsing it back:
    # the same file as the first read of the manifest would keep.
    built = (demo.out / ".cache" / "manifest-records.json").read_bytes()
    raw = (demo.out / "manifest.json").read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    manifest_cache.save_records(tmp_path, digest, json.loads(raw)["leaflets"])
    assert (tmp_path / ".cache" / "manifest-records.json").read_bytes() == built
