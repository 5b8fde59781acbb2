"""Batch executors and the manifest journal: the same bytes whichever executor
renders, a worker that dies mid-batch, interrupted and killed batches."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from conftest import child_env
from leafletgen import yamlfile
from leafletgen.batch.build import build_leaflets
from leafletgen.batch.cluster import Snapshot
from leafletgen.batch.executors import DaskCluster, LocalPool, backend_for
from leafletgen.errors import LeafletError
from leafletgen.project import OutputLayout
from leafletgen.publish.manifest import read_manifest

LANGS = ["en", "es"]


def pdfs_on_disk(out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*.pdf"))
    }


def assert_manifest_true(out: Path, entries: list[dict]) -> None:
    """Every listed PDF is there with the listed bytes, and every PDF is listed."""
    on_disk = pdfs_on_disk(out)
    assert {e["path"]: e["sha256"] for e in entries} == on_disk
    for path in on_disk:
        assert len(PdfReader(out / path).pages) >= 1  # complete, parseable
    assert not list(out.rglob("*.part")) and not list(out.rglob("*.old"))


@pytest.fixture(scope="module")
def local_batch(demo):
    """Every leaflet in LANGS by the local pool: the session's shared build."""
    return demo.out, demo.results


@pytest.fixture(scope="module")
def dask_cluster():
    backend = DaskCluster(None, workers=2)
    yield backend
    backend.close()


@pytest.mark.slow
def test_dask_cluster_gives_the_same_pdfs_and_manifest_as_the_local_pool(
    project, local_batch, dask_cluster, tmp_path
):
    local_out, _ = local_batch
    results = build_leaflets(
        project, None, LANGS, tmp_path, include_drugs=True, jobs=2, executor=dask_cluster
    )
    assert [r.error for r in results if not r.ok] == []
    assert sum(1 for r in results if r.entry) == 16
    # Rendered by the cluster's own processes, not this one.
    assert {r.worker for r in results if r.entry} - {f"{os.uname().nodename}:{os.getpid()}"}
    assert pdfs_on_disk(tmp_path) == pdfs_on_disk(local_out)
    assert (tmp_path / "manifest.json").read_bytes() == (local_out / "manifest.json").read_bytes()
    for path in pdfs_on_disk(tmp_path):
        fhir_file = path.removesuffix(".pdf") + ".fhir.json"
        assert (tmp_path / fhir_file).read_bytes() == (local_out / fhir_file).read_bytes()


def test_pages_come_from_the_layout_and_match_the_pdf(local_batch):
    out, _ = local_batch
    manifest = json.loads((out / "manifest.json").read_text())
    for entry in manifest["leaflets"]:
        assert entry["pages"] == len(PdfReader(out / entry["path"]).pages)


@pytest.mark.slow
def test_a_local_worker_killed_mid_batch_and_every_pdf_is_still_built(
    project, local_batch, tmp_path
):
    local_out, _ = local_batch
    killed = []

    def kill_a_worker(result, done, total):
        if result.entry and not killed:
            pid = int(result.worker.rsplit(":", 1)[1])
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    results = build_leaflets(
        project, None, LANGS, tmp_path, include_drugs=True, jobs=2, on_result=kill_a_worker
    )
    assert killed
    assert [r.error for r in results if not r.ok] == []
    assert sum(1 for r in results if r.entry) == 16
    assert pdfs_on_disk(tmp_path) == pdfs_on_disk(local_out)
    assert_manifest_true(tmp_path, [e.to_json() for e in read_manifest(tmp_path)])


@pytest.mark.slow
def test_a_dask_worker_killed_mid_batch_and_every_pdf_is_still_built(
    project, local_batch, dask_cluster, tmp_path
):
    local_out, _ = local_batch
    pids = set(dask_cluster.client.run(os.getpid).values())
    killed = []

    def kill_a_worker(result, done, total):
        if result.entry and not killed:
            pid = int(result.worker.rsplit(":", 1)[1])
            assert pid in pids
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    results = build_leaflets(
        project,
        None,
        LANGS,
        tmp_path,
        include_drugs=True,
        executor=dask_cluster,
        on_result=kill_a_worker,
    )
    assert killed
    assert [r.error for r in results if not r.ok] == []
    assert sum(1 for r in results if r.entry) == 16
    assert pdfs_on_disk(tmp_path) == pdfs_on_disk(local_out)


@pytest.mark.slow
def test_interrupted_batch_leaves_complete_files_and_a_true_manifest(project, tmp_path):
    def interrupt_after_three(result, done, total):
        if sum(1 for _ in tmp_path.rglob("*.pdf")) >= 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_leaflets(
            project, None, LANGS, tmp_path, include_drugs=True, jobs=2,
            on_result=interrupt_after_three,
        )  # fmt: skip
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert 3 <= len(manifest["leaflets"]) < 16
    assert_manifest_true(tmp_path, manifest["leaflets"])
    assert not list(tmp_path.glob(OutputLayout.JOURNAL_GLOB))


@pytest.mark.slow
def test_killed_batch_leaves_a_journal_true_to_the_files_and_the_next_build_compacts_it(
    project, local_batch, tmp_path
):
    local_out, _ = local_batch
    command = [sys.executable, "-m", "leafletgen.cli", "build", "--all", "-j", "2"]
    command += ["--project", str(project.root), "--out", str(tmp_path), "--lang", "en"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=child_env(),
    )
    built = 0
    for line in process.stdout:
        built += line.startswith("built")
        if built == 2:
            break
    os.killpg(process.pid, signal.SIGKILL)  # no chance to write the manifest
    process.communicate(timeout=60)
    assert list(tmp_path.glob(OutputLayout.JOURNAL_GLOB))
    listed = [e.to_json() for e in read_manifest(tmp_path)]  # manifest + journal
    assert len(listed) >= 2
    assert_manifest_true(tmp_path, listed)

    results = build_leaflets(project, None, ["en"], tmp_path, include_drugs=True, jobs=2)
    unchanged = sum(1 for r in results if r.skipped == "unchanged")
    assert unchanged == len(listed)  # what the killed batch finished is not built again
    assert not list(tmp_path.glob(OutputLayout.JOURNAL_GLOB))
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert_manifest_true(tmp_path, manifest["leaflets"])
    expected = {k: v for k, v in pdfs_on_disk(local_out).items() if k.startswith("en/")}
    assert pdfs_on_disk(tmp_path) == expected


@pytest.mark.slow
def test_the_manifest_is_written_once_per_batch(project, tmp_path, monkeypatch):
    writes = []
    real_replace = os.replace

    def counting(src, dst):
        writes.append(Path(dst).name)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", counting)
    chosen = ["immunotherapy", "rituximab", "bevacizumab"]
    build_leaflets(project, chosen, LANGS, tmp_path, include_drugs=True)
    assert writes.count("manifest.json") == 1
    assert writes.count("rituximab.pdf") == 2  # en and es
    writes.clear()
    again = build_leaflets(project, chosen, LANGS, tmp_path, include_drugs=True)
    assert not any(r.entry for r in again)
    # nothing changed, nothing written (but the PDFs' digests, remembered once)
    assert [name for name in writes if name != "digests.json"] == []
    assert not list(tmp_path.glob(OutputLayout.JOURNAL_GLOB))


def test_yaml_is_parsed_by_libyaml_where_available():
    if not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("PyYAML without libyaml")
    assert issubclass(yamlfile._Loader, yaml.CSafeLoader)
    data = yamlfile.parse_yaml("a:\n  - 1\n  - x\nb: {c: d}\n", "t.yaml")
    assert data == {"a": [1, "x"], "b": {"c": "d"}}
    assert data.line_of("b") == 4 and data["a"].item_lines == [2, 3]
    with pytest.raises(LeafletError, match=r"t.yaml:2: invalid YAML"):
        yamlfile.parse_yaml("a: [1\nb: 2\n", "t.yaml")


@pytest.mark.slow
def test_executor_names(project):
    assert isinstance(backend_for("local", jobs=2, batch=10), LocalPool)
    with pytest.raises(LeafletError, match="unknown executor 'ray'"):
        backend_for("ray", jobs=2, batch=10)
    with pytest.raises(LeafletError, match=r"cannot reach the Dask scheduler at 127\.0\.0\.1:9"):
        backend_for("dask://127.0.0.1:9", jobs=2, batch=10)


@pytest.mark.slow
def test_a_long_batch_at_j1_renders_outside_the_client(project, demo, tmp_path, monkeypatch):
    """Past RECYCLE_AFTER jobs, -j1 renders in one recycled worker process, so
    the client's memory does not grow with the batch; the bytes are the same."""
    from leafletgen.batch import executors

    monkeypatch.setattr(executors, "RECYCLE_AFTER", 2)
    ids = ["immunotherapy", "monoclonal-antibodies"]
    results = build_leaflets(project, ids, LANGS, tmp_path, jobs=1)
    assert [r.error for r in results if not r.ok] == []
    workers = {r.worker for r in results if r.entry}
    assert len(results) == 4 and workers
    assert f"{os.uname().nodename}:{os.getpid()}" not in workers
    expected = {p: d for p, d in pdfs_on_disk(demo.out).items() if p.split("/")[1] in
                {f"{i}.pdf" for i in ids}}  # fmt: skip
    assert pdfs_on_disk(tmp_path) == expected
    assert isinstance(backend_for("local", jobs=1, batch=2), executors.InProcess)


def test_snapshot_holds_the_project_inputs_and_refuses_paths_outside(project, tmp_path):
    snapshot = Snapshot.of(project.root)
    names = dict(snapshot.files)
    assert "leaflets/clinic.yaml" in names and "templates/leaflet.css" in names
    assert "locales/es/LC_MESSAGES/content.po" in names
    assert not any(n.startswith(("tests/", "src/", "out/")) for n in names)
    assert Snapshot.of(project.root).digest == snapshot.digest
    unpacked = snapshot.unpack(tmp_path / "copy")
    assert (unpacked / "sources" / "sources.yaml").read_bytes() == (
        project.sources / "sources.yaml"
    ).read_bytes()
    hostile = Snapshot((("../escape.txt", b"x"),), "0" * 64)
    with pytest.raises(LeafletError, match="outside the project"):
        hostile.unpack(tmp_path / "hostile")
    assert not (tmp_path / "escape.txt").exists()
