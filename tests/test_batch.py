"""Per-drug leaflets in batch: passages found by the tool, incremental and
reproducible builds, parallel workers, interruption."""

from __future__ import annotations

import hashlib
import json
import logging
import operator
import os
import signal
import subprocess
import sys
from dataclasses import replace

import pytest
from pypdf import PdfReader

from conftest import child_env, squash
from leafletgen.batch import worker
from leafletgen.batch.build import build_leaflets
from leafletgen.batch.plan import BuildOptions, is_current
from leafletgen.files import host_name
from leafletgen.project import load_inputs, select_leaflets
from leafletgen.publish.manifest import ManifestEntry, manifest_bytes, read_manifest
from leafletgen.select.passages import find_drug_passages
from test_build import pdf_text

DRUG_PASSAGES = {
    "rituximab": [("nci-monoclonal-antibodies", [43]), ("cruk-monoclonal-antibodies", [23])],
    "blinatumomab": [("nci-monoclonal-antibodies", [45]), ("cruk-monoclonal-antibodies", [28, 29])],
    "teclistamab": [("cruk-monoclonal-antibodies", [28, 29])],
    "pertuzumab": [("cruk-monoclonal-antibodies", [11, 12, 13, 14])],
    # "The mAb finds ..." (17) points back to line 16, which introduces them.
    "trastuzumab emtansine": [("cruk-monoclonal-antibodies", [16, 17, 18])],
    # Line 21 uses "VEGF", which line 20 defines.
    "bevacizumab": [("cruk-monoclonal-antibodies", [20, 21])],
    "trastuzumab": [],  # named only in NCI's video teaser, which is not printed
    "pembrolizumab": [],
}


@pytest.fixture(scope="module")
def drug_batch(demo):
    """Every leaflet with the drugs, by two workers (the shared build; its English results)."""
    return demo.out, [r for r in demo.results if r.lang == "en"]


def test_drugs_file_lists_every_drug_the_sources_name(project):
    specs = load_inputs(project, include_drugs=True).specs
    drugs = {spec.drug for spec in specs.values() if spec.drug}
    assert drugs == set(DRUG_PASSAGES)
    assert specs["blinatumomab"].title == "Blinatumomab (Blincyto®)"
    assert specs["trastuzumab"].skip_reason and specs["pembrolizumab"].skip_reason


@pytest.mark.parametrize("drug", sorted(DRUG_PASSAGES))
def test_passages_naming_each_drug(corpus, drug, project):
    names = tuple(DRUG_PASSAGES)
    found = find_drug_passages(drug, names, corpus)
    assert [(p.source, [b.line for b in p.blocks]) for p in found] == DRUG_PASSAGES[drug]


def test_every_buildable_drug_gets_a_leaflet_with_its_passage(drug_batch, corpus, project):
    out, results = drug_batch
    assert [r.error for r in results if not r.ok] == []
    specs = load_inputs(project, include_drugs=True).specs
    for drug, passages in DRUG_PASSAGES.items():
        leaflet_id = drug.replace(" ", "-")
        if not passages:
            (result,) = [r for r in results if r.id == leaflet_id]
            assert result.skipped.startswith("not built: ")
            assert not (out / "en" / f"{leaflet_id}.pdf").exists()
            continue
        text = squash(pdf_text(out / "en" / f"{leaflet_id}.pdf"))
        how_it_works = text.index(squash("How it works"))
        what_to_expect = text.index(squash("What to expect"))
        # (a drug printing its label may leave a passage out to stay on one
        # sheet, as drugs.yaml's leave_out says: tests/test_drug_leaflets.py)
        left_out = [phrase for phrase, _ in specs[leaflet_id].leave_out]
        for source, lines in passages:
            document = corpus[source]
            printed = False
            for block in (b for s in document.sections for b in s.blocks if b.line in lines):
                if any(phrase in block.text for phrase in left_out):
                    assert squash(block.text) not in text
                    continue
                at = text.index(squash(block.text))
                assert how_it_works < at < what_to_expect
                printed = True
            assert not printed or squash(document.url) in text
        assert squash("Side effects") in text and squash("When to call your care team") in text


def test_drug_title_and_class_sections(drug_batch):
    out, _ = drug_batch
    reader = PdfReader(out / "en" / "blinatumomab.pdf")
    assert reader.metadata.title == "Blinatumomab (Blincyto®)"
    text = squash(pdf_text(out / "en" / "bevacizumab.pdf"))
    assert squash("Monoclonal antibodies can cause mild to severe allergic reactions") in text


@pytest.mark.slow
def test_second_build_skips_everything_and_touching_a_source_rebuilds_its_users(
    project_copy, tmp_path
):
    first = build_leaflets(project_copy, None, ["en"], tmp_path, include_drugs=True)
    assert sum(1 for r in first if r.entry) == 8
    again = build_leaflets(project_copy, None, ["en"], tmp_path, include_drugs=True)
    assert {r.skipped for r in again if r.skipped and not r.skipped.startswith("not built")} == {
        "unchanged"
    }
    assert not any(r.entry for r in again)

    source = project_copy.sources / "nci-immunotherapy.txt"
    source.write_bytes(source.read_bytes() + b"\n")
    third = build_leaflets(project_copy, None, ["en"], tmp_path, include_drugs=True)
    assert [r.id for r in third if r.entry] == ["immunotherapy"]

    forced = build_leaflets(
        project_copy, ["bevacizumab"], ["en"], tmp_path, include_drugs=True, force=True
    )
    assert forced[0].entry is not None


@pytest.mark.slow
def test_same_inputs_same_bytes_across_folders_and_workers(project, drug_batch, tmp_path):
    _out, results = drug_batch
    serial = build_leaflets(project, None, ["en"], tmp_path, include_drugs=True, jobs=1)
    parallel = {r.id: r.entry.sha256 for r in results if r.entry}
    assert {r.id: r.entry.sha256 for r in serial if r.entry} == parallel


def test_manifest_records_inputs_translation_and_readability(drug_batch):
    out, _ = drug_batch
    manifest = json.loads((out / "manifest.json").read_text())
    for entry in [e for e in manifest["leaflets"] if e["lang"] == "en"]:  # the shared build has es
        assert len(entry["input_hash"]) == 64
        assert entry["translation"] == "source"
        assert entry["readability"]["metric"] == "flesch_kincaid_grade"


@pytest.mark.slow
def test_sigint_leaves_no_partial_pdf(project, tmp_path):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "leafletgen.cli",
            "build",
            "--all",
            "-j",
            "2",
            "--project",
            str(project.root),
            "--out",
            str(tmp_path),
            "--lang",
            "en",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=child_env(),
    )
    # Wait for the first leaflet to be written (drugs not built by choice are
    # reported before any work starts).
    line = process.stdout.readline()
    while line.startswith("skipped"):
        line = process.stdout.readline()
    assert line.startswith("built"), line
    os.killpg(process.pid, signal.SIGINT)
    process.communicate(timeout=60)
    assert process.returncode != 0
    pdfs = sorted(tmp_path.rglob("*.pdf"))
    assert pdfs and len(pdfs) < 8
    assert not list(tmp_path.rglob("*.part"))
    for pdf in pdfs:
        assert len(PdfReader(pdf).pages) >= 1
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    listed = sorted(e["path"] for e in manifest["leaflets"])
    assert listed == sorted(p.relative_to(tmp_path).as_posix() for p in pdfs)


def test_select_leaflets_leaves_out_drugs_not_built(project):
    ids = [spec.id for spec, _ in select_leaflets(project, include_drugs=True)]
    assert "trastuzumab" not in ids and "trastuzumab-emtansine" in ids


KILLED_WHILE_PUBLISHING = """
import os, signal, sys
from pathlib import Path
from leafletgen.publish import writer

moves = []
real_replace = os.replace

def replace(source, target):
    real_replace(source, target)
    moves.append(target)
    if len(moves) == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)  # as a power cut would, mid-unit

os.replace = replace
writer.publish_unit(
    Path(sys.argv[1]),
    {"en/immunotherapy.pdf": b"%PDF-new", "en/immunotherapy.fhir.json": b"{}"},
)
"""


@pytest.mark.parametrize("moves", [1, 2, 3])
def test_a_build_killed_mid_unit_leaves_nothing_the_next_build_does_not_undo(
    project, tmp_path, moves
):
    out = tmp_path / "out"
    assert build_leaflets(project, ["immunotherapy"], ["en"], out)[0].entry
    before = {p: p.read_bytes() for p in (out / "en").iterdir()}
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_WHILE_PUBLISHING, str(out), str(moves)], check=False
    )
    assert killed.returncode == -signal.SIGKILL
    leftovers = sorted(p.name for p in (out / "en").iterdir() if p.name.startswith("."))
    assert leftovers and all(name.endswith((".part", ".old")) for name in leftovers)
    # A running build's temporary file is never touched.
    running = out / "en" / f".rituximab.pdf.{host_name()}-{os.getpid()}.abc123.part"
    running.write_bytes(b"being written")

    results = build_leaflets(project, ["immunotherapy"], ["en"], out)
    assert [r.error for r in results if not r.ok] == []
    assert sorted(p.name for p in (out / "en").iterdir() if p.name.startswith(".")) == [
        running.name
    ]
    if moves == 1:  # only the PDF had been moved aside: put back, so nothing to rebuild
        assert results[0].skipped == "unchanged"
        assert {p: p.read_bytes() for p in (out / "en").iterdir() if p != running} == before
    else:  # the new PDF was in place, unrecorded: its hash says "build again"
        assert results[0].entry is not None
    manifest = json.loads((out / "manifest.json").read_text())["leaflets"]
    pdf = (out / "en/immunotherapy.pdf").read_bytes()
    assert len(PdfReader(out / "en/immunotherapy.pdf").pages) >= 1
    assert manifest[0]["sha256"] == hashlib.sha256(pdf).hexdigest()


def test_the_manifest_reads_back_as_the_entries_it_was_written_from(demo):
    out, results = demo.out, demo.results
    entries = read_manifest(out)
    assert all(isinstance(e, ManifestEntry) for e in entries)
    assert {e.key: e for e in entries} == {r.entry.key: r.entry for r in results if r.entry}
    assert manifest_bytes(entries) == (out / "manifest.json").read_bytes()


def test_a_rebuild_with_nothing_to_do_leaves_the_manifest_as_it_is(project, demo, tmp_path):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(demo.out, out)
    before = (out / "manifest.json").stat()
    results = build_leaflets(project, None, ["en", "es"], out, include_drugs=True, jobs=2)
    assert not any(r.entry or r.error for r in results)
    assert sum(1 for r in results if r.skipped == "unchanged") == 16
    after = (out / "manifest.json").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    # A PDF gone: it is built again, and the manifest lists it as before.
    (out / "en" / "immunotherapy.pdf").unlink()
    results = build_leaflets(project, None, ["en", "es"], out, include_drugs=True, jobs=2)
    assert [(r.id, r.lang) for r in results if r.entry] == [("immunotherapy", "en")]
    assert manifest_bytes(read_manifest(out)) == (demo.out / "manifest.json").read_bytes()


def test_a_manifest_read_again_has_its_paths_checked_again(demo, tmp_path):
    """The parsed manifest is reused while its file is unchanged; a folder
    replaced by a link leading outside still drops its entries."""
    import shutil

    out = tmp_path / "out"
    shutil.copytree(demo.out, out)
    assert len(read_manifest(out)) == 16
    elsewhere = tmp_path / "elsewhere"
    (out / "es").rename(elsewhere)
    (out / "es").symlink_to(elsewhere)
    entries = read_manifest(out)
    assert {e.lang for e in entries} == {"en"} and len(entries) == 8


def test_current_means_intact_and_of_the_shape_the_build_asks_for(drug_batch):
    out, results = drug_batch
    entry = next(r.entry for r in results if r.entry)
    plain = BuildOptions(out=out)
    assert is_current(entry, out, entry.input_hash, plain)
    assert not is_current(entry, out, "another input hash", plain)
    assert not is_current(entry, out, entry.input_hash, replace(plain, fhir_inline=True))
    assert not is_current(entry, out, entry.input_hash, replace(plain, html_twin=True))


def test_a_bug_in_one_job_is_logged_with_its_traceback_and_the_batch_goes_on(
    project, tmp_path, monkeypatch, caplog
):
    real = worker.render_leaflet

    def buggy(workspace, spec, lang, **kwargs):
        if spec.id == "immunotherapy":
            raise ZeroDivisionError("simulated bug")
        return real(workspace, spec, lang, **kwargs)

    monkeypatch.setattr(worker, "render_leaflet", buggy)
    monkeypatch.setattr(logging.getLogger("leafletgen"), "propagate", True)
    with caplog.at_level(logging.ERROR, logger="leafletgen"):
        results = build_leaflets(
            project, ["immunotherapy", "monoclonal-antibodies"], ["en"], tmp_path, jobs=1
        )
    failed, built = results
    assert "internal error (ZeroDivisionError: simulated bug)" in str(failed.error)
    assert built.id == "monoclonal-antibodies" and built.entry is not None
    assert (tmp_path / built.entry.path).is_file()
    logged = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(logged) == 1 and "immunotherapy [en]" in logged[0].getMessage()
    assert "Traceback (most recent call last)" in logged[0].getMessage()
    assert 'raise ZeroDivisionError("simulated bug")' in logged[0].getMessage()


def test_a_batch_keeps_each_equal_reason_and_credit_once(project, tmp_path):
    # The client keeps every result of a batch: a language's unreviewed strings
    # (about 10 KB of reasons per leaflet) are held once for all its leaflets,
    # and each source's credit once for all the leaflets crediting it.
    out = tmp_path / "out"
    ids = ["immunotherapy", "monoclonal-antibodies"]
    results = build_leaflets(project, ids, ["es", "vi"], out, jobs=2)  # (rendered by workers)
    entries = {(r.id, r.lang): r.entry for r in results if r.entry}
    assert len(entries) == 4

    def details(entry):
        reasons = entry.distribution["reasons"]
        (reason,) = [r for r in reasons if r["code"] == "translation-not-reviewed"]
        return {d: d for d in reason["details"]}

    for lang in ("es", "vi"):
        first, second = (details(entries[(id_, lang)]) for id_ in ids)
        common = set(first) & set(second)
        assert len(common) > 40
        assert all(first[d] is second[d] for d in common)
    for id_ in ids:
        spanish, vietnamese = entries[(id_, "es")].sources, entries[(id_, "vi")].sources
        assert spanish == vietnamese and all(map(operator.is_, spanish, vietnamese))
    on_disk = json.loads((out / "manifest.json").read_text())["leaflets"]
    assert {(e["id"], e["lang"]): e["distribution"] for e in on_disk} == {
        key: entry.distribution for key, entry in entries.items()
    }
