"""The command line: documented output shapes and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from queue import Empty, Queue

import pytest

from leafletgen.cli import main

INSPECT_KEYS = [
    "title",
    "publisher",
    "url",
    "language",
    "last_reviewed",
    "next_review",
    "sections",
    "warnings",
    "furniture",
]


def test_inspect_json_shape(project, capsys):
    assert main(["inspect", str(project.sources / "cruk-monoclonal-antibodies.txt"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == INSPECT_KEYS
    assert data["publisher"] == "Cancer Research UK"
    assert (data["last_reviewed"], data["next_review"]) == ("2025-02-26", "2028-02-26")
    section = data["sections"][0]
    assert list(section) == ["heading", "kind", "line", "blocks"]
    assert section["heading"] is None
    paragraph = section["blocks"][0]
    assert list(paragraph) == ["type", "text", "line"]
    lists = [b for b in section["blocks"] if b["type"] == "list"]
    assert list(lists[0]) == ["type", "items", "line"]
    assert [len(b["items"]) for b in lists] == [4, 2, 4, 6]
    assert {"line": 22, "message": "x"}.keys() == data["warnings"][0].keys()


def test_inspect_markdown_json(project, capsys):
    assert main(["inspect", str(project.sources / "nci-monoclonal-antibodies.md"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["title"] == "Monoclonal Antibodies"
    assert [s["kind"] for s in data["sections"]] == ["how_it_works", "other", "side_effects"]
    assert data["next_review"] == "2026-03-30"


def test_inspect_text_outline(project, capsys):
    assert main(["inspect", str(project.sources / "nci-immunotherapy.txt")]) == 0
    out = capsys.readouterr().out
    assert "[what_to_expect] How is immunotherapy given?" in out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "{path}: source file is empty"),
        (
            b"a\nb\n\xff\xfe\n",
            "{path}:3: not valid UTF-8 (byte 0xff) and not recognisably "
            "Windows-1252/ISO-8859-1; save the page as UTF-8",
        ),
    ],
)
def test_unreadable_file_is_one_line_on_stderr(tmp_path, capsys, content, expected):
    path = tmp_path / "page.txt"
    path.write_bytes(content)
    assert main(["inspect", str(path), "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == [expected.format(path=path)]


def test_missing_file(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "nope.txt")]) == 1
    assert capsys.readouterr().err.startswith(f"{tmp_path / 'nope.txt'}: cannot read source")


def test_build_unknown_leaflet(project, capsys, tmp_path):
    assert main(["build", "nope", "--project", str(project.root), "--out", str(tmp_path)]) == 1
    assert "no leaflet named 'nope'" in capsys.readouterr().err


@pytest.mark.slow
def test_build_lines_reach_a_pipe_as_each_leaflet_is_built(project, tmp_path):
    """Through a pipe, with PYTHONUNBUFFERED unset, each "built" line arrives
    while the build is still running, not when the process exits."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    command = [sys.executable, "-m", "leafletgen.cli", "build", "--project", str(project.root)]
    command += ["--out", str(tmp_path / "out"), "--large-print", "-j", "1", "--force"]
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True
    )
    lines: Queue[str] = Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in child.stdout])
    reader.start()
    try:
        # Four leaflets, one worker: after the first, three more are still to render.
        deadline, first = time.monotonic() + 300, None
        while first is None and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1)
            except Empty:
                assert child.poll() is None, "the build ended before any line reached the pipe"
                continue
            if line.startswith("built"):
                first = line
        assert first is not None, "no built line within the time allowed"
        # Buffered output would arrive only as the process ends, every PDF built.
        built = list((tmp_path / "out").rglob("*.pdf"))
        assert len(built) < 4, f"{first!r} arrived only when the whole build was done"
    finally:
        child.wait(timeout=600)
        reader.join()
    assert child.returncode == 0


def test_a_build_that_builds_nothing_does_not_say_all_cleared():
    """A batch where every leaflet failed (a full disk, a killed worker) ends
    with its failures, never with "all 0 PDF(s) cleared for distribution"."""
    from leafletgen.report import distribution_summary

    assert distribution_summary([]) == (
        "no PDF built or up to date: nothing is cleared for distribution"
    )
