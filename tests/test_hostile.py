"""Hostile and broken input: inert text, nothing fetched, nothing half-written."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import select
import subprocess
import sys
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from conftest import squash
from leafletgen.batch.build import build_leaflets
from leafletgen.errors import LeafletError, SourceError
from leafletgen.publish import writer as unit
from leafletgen.read.sources import load_sources, read_source
from test_build import pdf_text


@pytest.fixture
def http_server():
    """A server on 127.0.0.1 that records every request it gets; yields its
    address and ``settle()``, which returns every request the server ever
    got, once each has been handled."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        timeout = 30  # a connection that never sends its request does not hang the test

        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = False  # server_close() waits for every handler
        block_on_close = True

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def settle() -> list[str]:
        # Stop the loop, handle what is still queued on the socket, then wait
        # for every handler: nothing can arrive unseen after this.
        server.shutdown()
        while select.select([server.socket], [], [], 0)[0]:
            server.handle_request()
        server.server_close()
        return requests

    yield f"http://127.0.0.1:{server.server_address[1]}", settle
    server.shutdown()
    server.server_close()


def hostile_page(base: str) -> str:
    return f"""Hostile page

What is in it?

<script>document.write("pwned")</script> Script stays text.
<img src="{base}/img.png"> Image tag stays text.
<iframe src="file:///etc/passwd"></iframe> Frame stays text.
<link rel=stylesheet href="{base}/evil.css"> Link stays text.
<style>@import url("{base}/import.css");</style> Style stays text.
Template {{{{ 7 * 191919 }}}} and {{% for x in range(3) %}}loop{{% endfor %}} stay text.
"""


def hostile_markdown(base: str) -> str:
    return f"""---
title: Hostile markdown
---

# Hostile markdown

## What is in it?

![remote]({base}/remote.png)

Inline ![x]({base}/inline.png) image and [a link](file:///etc/passwd) here.

![local](file:///etc/passwd)

<script src="{base}/x.js"></script> Raw HTML stays text.
"""


def add_hostile_leaflet(project, base: str) -> None:
    (project.sources / "hostile.txt").write_text(hostile_page(base), encoding="utf-8")
    (project.sources / "hostile.md").write_text(hostile_markdown(base), encoding="utf-8")
    catalog = project.sources / "sources.yaml"
    catalog.write_text(
        catalog.read_text(encoding="utf-8")
        + f"""
  - id: hostile
    file: hostile.txt
    format: scrape
    title: Hostile page
    url: {base}/page
  - id: hostile-md
    file: hostile.md
    format: markdown
    title: Hostile markdown
    url: {base}/md
""",
        encoding="utf-8",
    )
    (project.leaflets / "hostile.yaml").write_text(
        "title: Hostile\nsections:\n  - kind: what_it_is\n    select:\n"
        '      - {source: hostile, heading: "What is in it?"}\n'
        '      - {source: hostile-md, heading: "What is in it?"}\n',
        encoding="utf-8",
    )


def test_code_in_sources_is_inert_and_nothing_is_fetched(project_copy, tmp_path, http_server):
    base, settle = http_server
    add_hostile_leaflet(project_copy, base)
    results = build_leaflets(project_copy, ["hostile"], ["en"], tmp_path)
    assert results[0].ok, results[0].error
    text = pdf_text(tmp_path / "en" / "hostile.pdf")
    assert '<script>document.write("pwned")</script>' in text
    assert "pwned" not in text.replace('document.write("pwned")', "")
    assert squash(
        "Template {{ 7 * 191919 }} and {% for x in range(3) %}loop{% endfor %}"
    ) in squash(text)
    assert "1343433" not in text and "looplooploop" not in text  # never evaluated
    assert "Inline image and a link here." in text
    assert "remote" not in text and "/etc/passwd</iframe>" not in text.replace("\n", "")
    assert settle() == []


def test_logo_outside_the_project_is_refused(project_copy, tmp_path):
    clinic = project_copy.clinic_file
    clinic.write_text(
        clinic.read_text().replace("logo: ../templates/logo.svg", "logo: http://127.0.0.1:9/l.png")
    )
    with pytest.raises(LeafletError, match=r"logo file 'http://127\.0\.0\.1:9/l\.png' not found"):
        build_leaflets(project_copy, ["immunotherapy"], ["en"], tmp_path)
    assert not list(tmp_path.rglob("*.pdf"))


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("  - id: ../evil\n    file: x.txt\n    format: scrape\n", "source id '../evil' must be"),
        ("  - id: evil\n    file: ../../etc/passwd\n    format: scrape\n", "outside the sources"),
        ("  - id: evil\n    file: nci-immunotherapy.txt\n    format: pdf\n", "unknown format"),
        ("  - id: evil\n    fiel: x.txt\n    format: scrape\n", "did you mean 'file'?"),
    ],
)
def test_bad_sources_yaml_entries(project_copy, entry, message):
    catalog = project_copy.sources / "sources.yaml"
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(text + entry, encoding="utf-8")
    line = text.count("\n") + 1
    with pytest.raises(LeafletError) as caught:
        load_sources(project_copy.sources)
    errors = getattr(caught.value, "errors", [caught.value])
    assert any(message in e.message and line <= e.line <= line + 2 for e in errors), errors


@pytest.mark.parametrize("leaflet_id", ["../escape", "a/b", "Capital"])
def test_leaflet_ids_cannot_name_paths(project_copy, tmp_path, leaflet_id):
    (project_copy.leaflets / "odd.yaml").write_text(
        f"id: {json.dumps(leaflet_id)}\ntitle: T\nsections:\n  - kind: side_effects\n"
        "    select: [{source: nci-immunotherapy, kind: side_effects}]\n"
    )
    results = build_leaflets(project_copy, None, ["en"], tmp_path)
    failed = [r for r in results if not r.ok]
    assert [r.id for r in failed] == ["odd"]
    assert "must be lower-case letters, digits and '-'" in failed[0].error.message
    assert failed[0].error.line == 1
    assert sorted(p.name for p in tmp_path.rglob("*.pdf")) == [
        "immunotherapy.pdf",
        "monoclonal-antibodies.pdf",
    ]


def test_unknown_language_is_one_error_before_any_work(project, tmp_path):
    with pytest.raises(LeafletError, match="unknown language code 'xx'"):
        build_leaflets(project, None, ["en", "xx"], tmp_path)
    assert not any(tmp_path.iterdir())


def test_unwritable_output_fails_per_leaflet_with_a_clear_error(project, tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    with pytest.raises(LeafletError, match="cannot write manifest"):
        build_leaflets(project, ["immunotherapy"], ["en"], blocked / "out")


def test_full_disk_leaves_no_partial_pdf(project, tmp_path, monkeypatch):
    def no_space(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(unit.os, "fsync", no_space)
    with pytest.raises(LeafletError):
        build_leaflets(project, ["immunotherapy"], ["en"], tmp_path)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file() and p.name != ".manifest.lock"] == []


def test_interrupted_build_leaves_no_partial_pdf_and_a_true_manifest(
    project, tmp_path, monkeypatch
):
    real_replace = os.replace
    calls = []

    def interrupt_second(src, dst):
        # Interrupted as the second PDF is renamed into place (the first one's
        # FHIR resources are in place); the manifest is written once, when the
        # batch ends (here: is interrupted).
        if str(dst).endswith(".pdf"):
            calls.append(dst)
            if len(calls) == 2:
                raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(unit.os, "replace", interrupt_second)
    with pytest.raises(KeyboardInterrupt):
        build_leaflets(project, None, ["en"], tmp_path)
    monkeypatch.setattr(unit.os, "replace", real_replace)
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.pdf"))
    assert files == ["en/immunotherapy.pdf"]
    assert not list(tmp_path.rglob("*.part"))
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [e["path"] for e in manifest["leaflets"]] == files
    for path in files:
        PdfReader(tmp_path / path)  # complete, parseable


@pytest.mark.slow
def test_two_builds_into_one_folder_at_once(project, tmp_path):
    command = [sys.executable, "-m", "leafletgen.cli", "build", "--project", str(project.root)]
    runs = [
        subprocess.Popen(
            [*command, "--lang", lang, "--out", str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for lang in ("en", "es")
    ]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    listed = sorted(e["path"] for e in manifest["leaflets"])
    on_disk = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.pdf"))
    assert listed == on_disk and len(listed) == 4


# --- fuzzing --------------------------------------------------------------------

MARKDOWN_PIECES = st.sampled_from(
    [
        "---\n",
        "title: x\n",
        "# ",
        "## ",
        "##\n",
        "- ",
        "* ",
        "  • ",
        "    ",
        "\n",
        "\n\n",
        "![a](b)",
        "[t](u)",
        "[Learn more](x)",
        "**b**",
        ":",
        "?",
        ".",
        "Credit: National Cancer Institute",
        "Advertisement",
        "made by the .",
        "These include:",
        "<script>",
        "{{ x }}",
        "lastReviewed: '2025-01-01'\n",
        "reviewFrequency: quarterly\n",
        "\u202e",
        "\u200b",
        "Last reviewed on 12/10/2025.",
        "Last reviewed: 26 Feb 2025",
        "é",
        "\t",
        "\r\n",
    ]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=400))
def test_fuzz_any_text(tmp_path, text):
    for name in ("page.txt", "page.md"):
        path = tmp_path / name
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        with contextlib.suppress(SourceError):
            read_source(path)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pieces=st.lists(st.one_of(MARKDOWN_PIECES, st.text(max_size=20)), max_size=60))
def test_fuzz_markdownish_text(tmp_path, pieces):
    for name in ("page.txt", "page.md"):
        path = tmp_path / name
        path.write_bytes("".join(pieces).encode("utf-8", "surrogatepass"))
        try:
            document = read_source(path)
        except SourceError:
            continue
        for section in document.sections:
            for block in section.blocks:
                for text, line in block.units:
                    assert text.strip() and line >= 1
