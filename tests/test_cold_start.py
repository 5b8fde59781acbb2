"""A cold ``leafletgen build`` imports only what a build uses: not the desk's
web framework, not Dask, not translate-toolkit, not the XLIFF and inspection
commands, not Babel's command-line module."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import ROOT

NOT_FOR_A_BUILD = (
    "translate.storage",  # translate-toolkit (XLIFF)
    "fastapi",
    "starlette",
    "uvicorn",
    "distributed",
    "dask",
    "leafletgen.web",
    "leafletgen.translate.xliff",
    "leafletgen.read.inspect",
    "babel.messages.frontend",
    "segno",  # only a clinic with a portal prints a QR code
)


@pytest.mark.slow
def test_a_build_imports_only_what_it_uses(tmp_path: Path, project):
    out = tmp_path / "out"
    command = [sys.executable, "-X", "importtime", "-m", "leafletgen", "build", "immunotherapy"]
    done = subprocess.run(
        [*command, "--lang", "en", "--force", "-j", "1", "--out", str(out)],
        cwd=project.root,
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONPATH": str(ROOT / "src")},
        check=True,
    )
    imported = set(re.findall(r"^import time:.*\|\s*([\w.]+)\s*$", done.stderr, re.MULTILINE))
    assert "weasyprint" in imported and "leafletgen.batch.build" in imported
    loaded = sorted(
        name
        for name in imported
        for unwanted in NOT_FOR_A_BUILD
        if name == unwanted or name.startswith(unwanted + ".")
    )
    assert loaded == []
    pdf = PdfReader(out / "en" / "immunotherapy.pdf")
    assert "immunotherapy" in pdf.pages[0].extract_text().lower()
