"""The PDF digest cache: a no-op build reads no PDF whose stat is unchanged,
and still catches every edited one."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from leafletgen.batch import digests
from leafletgen.batch.build import build_leaflets
from leafletgen.batch.digests import DigestCache
from leafletgen.publish.manifest import manifest_bytes, read_manifest

HOUR_NS = 3600 * 1_000_000_000


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the cache reads and hashes."""
    read: list[str] = []
    real = digests.file_sha256

    def counted(path: Path) -> str:
        read.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(digests, "file_sha256", counted)
    return read


def _aged_copy(demo, tmp_path: Path) -> Path:
    """A copy of the demo output whose PDFs were last changed an hour ago (not racy)."""
    out = tmp_path / "out"
    shutil.copytree(demo.out, out)
    (out / ".cache" / "digests.json").unlink(missing_ok=True)
    for pdf in [*out.glob("*/*.pdf"), *out.glob("*/*.fhir.json")]:
        then = pdf.stat().st_mtime_ns - HOUR_NS
        os.utime(pdf, ns=(then, then))
    return out


def _noop(project, out: Path) -> list:
    results = build_leaflets(project, None, ["en", "es"], out, include_drugs=True, jobs=2)
    assert not any(r.error for r in results)
    return results


@pytest.mark.slow
def test_a_warm_cache_reads_no_pdf_and_an_edit_of_the_same_size_is_caught(
    project, demo, tmp_path, spy
):
    out = _aged_copy(demo, tmp_path)
    results = _noop(project, out)
    assert sum(1 for r in results if r.skipped == "unchanged") == 16
    assert len(spy) == 32  # no cache yet: every PDF and its FHIR file read once
    cached = json.loads((out / ".cache" / "digests.json").read_text())
    assert len(cached["files"]) == 32
    assert len(cached["facts"]) == 16 and not any(cached["facts"].values())  # (not inline)
    spy.clear()
    results = _noop(project, out)
    assert sum(1 for r in results if r.skipped == "unchanged") == 16
    assert spy == []  # warm: not one PDF or FHIR file read
    # Same size, mtime put back: the ctime still changed, so it is read and caught.
    pdf = out / "en" / "immunotherapy.pdf"
    info, data = pdf.stat(), bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0xFF
    pdf.write_bytes(bytes(data))
    os.utime(pdf, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert pdf.stat().st_size == info.st_size
    results = _noop(project, out)
    assert spy == ["immunotherapy.pdf"]
    assert [(r.id, r.lang) for r in results if r.entry] == [("immunotherapy", "en")]
    assert manifest_bytes(read_manifest(out)) == (demo.out / "manifest.json").read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize(
    "cache",
    [
        b"{not json",
        b"[]",
        b'{"format": 1, "written_ns": "x", "files": {}}',
        b'{"format": 1, "written_ns": 1, "files": {"en/immunotherapy.pdf": [1, 2, 3]}}',
        b'{"format": 1, "written_ns": 1, "files": {"a": [1, 2, 3, 4, "no hex"]}}',
        b"\xff\xfe binary",
    ],
)
def test_a_malformed_cache_is_ignored_and_written_again(project, demo, tmp_path, spy, cache):
    out = _aged_copy(demo, tmp_path)
    (out / ".cache").mkdir(exist_ok=True)
    (out / ".cache" / "digests.json").write_bytes(cache)
    results = _noop(project, out)
    assert sum(1 for r in results if r.skipped == "unchanged") == 16
    assert len(spy) == 32
    assert len(json.loads((out / ".cache" / "digests.json").read_text())["files"]) == 32


def _cache_for(out: Path, pdf: Path, written_ns: int, sha256: str) -> None:
    info = pdf.stat()
    stats = [info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns]
    files = {pdf.relative_to(out).as_posix(): [*stats, sha256]}
    cache = {"format": 1, "written_ns": written_ns, "files": files}
    (out / ".cache").mkdir(exist_ok=True)
    (out / ".cache" / "digests.json").write_text(json.dumps(cache))


def test_a_file_changed_in_the_second_the_cache_was_written_is_read_again(tmp_path, spy):
    out = tmp_path / "out"
    (out / "en").mkdir(parents=True)
    pdf = out / "en" / "x.pdf"
    pdf.write_bytes(b"%PDF-1.7 the file as it is now")
    real = hashlib.sha256(pdf.read_bytes()).hexdigest()
    recorded = "0" * 64  # what the cache says: only a stat match lets it through
    mtime = pdf.stat().st_mtime_ns
    _cache_for(out, pdf, mtime + 2_000_000_000, recorded)
    assert DigestCache.load(out).digest(pdf) == recorded and spy == []
    _cache_for(out, pdf, mtime, recorded)  # racy: same second as the cache
    assert DigestCache.load(out).digest(pdf) == real and spy == ["x.pdf"]


def test_a_file_is_remembered_only_when_older_than_its_hashing(tmp_path):
    out = tmp_path / "out"
    (out / "en").mkdir(parents=True)
    old, new = out / "en" / "old.pdf", out / "en" / "new.pdf"
    old.write_bytes(b"old")
    new.write_bytes(b"new")
    then = time.time_ns() - HOUR_NS
    os.utime(old, ns=(then, then))
    cache = DigestCache.load(out)
    cache.digest(old), cache.digest(new)
    cache.save(set())
    files = json.loads((out / ".cache" / "digests.json").read_text())["files"]
    assert list(files) == ["en/old.pdf"]


@pytest.mark.slow
def test_a_fhir_file_of_the_wrong_shape_is_caught_with_a_warm_cache(project, demo, tmp_path, spy):
    out = _aged_copy(demo, tmp_path)
    _noop(project, out)
    _noop(project, out)
    spy.clear()
    # Inline data where the build asks for none: same file name, new content.
    fhir = out / "es" / "immunotherapy.fhir.json"
    reference = json.loads(fhir.read_text())
    reference["content"][0]["attachment"]["data"] = "JVBERi0="
    fhir.write_text(json.dumps(reference))
    results = _noop(project, out)
    assert "immunotherapy.fhir.json" in spy
    assert [(r.id, r.lang) for r in results if r.entry] == [("immunotherapy", "es")]
    assert "data" not in json.loads(fhir.read_text())["content"][0]["attachment"]


@pytest.mark.slow
def test_the_noop_after_a_build_reads_no_pdf_it_wrote_and_no_whole_manifest(
    project, tmp_path, spy, kept_records
):
    from leafletgen.publish import manifest

    out = tmp_path / "out"
    built = build_leaflets(project, ["immunotherapy"], ["en", "es"], out, force=True)
    assert [r.lang for r in built if r.entry] == ["en", "es"] and spy == []
    # As if the cache had been written two seconds after the last PDF (a real
    # batch's last second is racy, and read again as always).
    cache = json.loads((out / ".cache" / "digests.json").read_text())
    kinds = ("fhir.json", "pdf")
    files = [f"{lang}/immunotherapy.{kind}" for lang in ("en", "es") for kind in kinds]
    assert sorted(cache["files"]) == files
    assert sorted(cache["facts"].values()) == [False, False]  # (not inline)
    for name, (*_, sha256) in cache["files"].items():
        assert sha256 == hashlib.sha256((out / name).read_bytes()).hexdigest()
    cache["written_ns"] += 2_000_000_000
    (out / ".cache" / "digests.json").write_text(json.dumps(cache))
    manifest._LAST_READ.clear()  # (as in a new process)
    results = build_leaflets(project, ["immunotherapy"], ["en", "es"], out)
    assert [r.skipped for r in results] == ["unchanged", "unchanged"]
    assert spy == []  # not one PDF or FHIR file read back
    assert kept_records[:1] == [True]  # the manifest's records as the build kept them
