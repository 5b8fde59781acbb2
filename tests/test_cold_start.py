"""A cold ``leafletgen build`` imports only what a build uses: not the desk's
web framework, not Dask, not translate-toolkit, not the XLIFF and inspection
commands, not Babel's command-line module; it hashes no password; a
one-leaflet build reads only the sources its definition names, and a no-op
planned from the plan cache parses no input at all."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import ROOT
from leafletgen.batch import worker
from leafletgen.batch.build import build_leaflets
from leafletgen.project import load_inputs
from leafletgen.read import sources
from leafletgen.read.sources import load_sources
from leafletgen.select.selection import select_sections

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


def _python(code: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``code`` run by a new interpreter with this tree's package (and ``env``)."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONPATH": str(ROOT / "src"), **env},
        check=True,
    )


def test_importing_the_command_line_hashes_no_password():
    # (an argon2 hash is about 0.35 s of CPU: only a sign-in needs one)
    code = (
        "import argon2\n"
        "made = []\n"
        "real = argon2.PasswordHasher.hash\n"
        "argon2.PasswordHasher.hash = lambda *a, **k: made.append(1) or real(*a, **k)\n"
        "import leafletgen.cli\n"
        "print(len(made))\n"
    )
    assert _python(code).stdout.strip() == "0"


@pytest.fixture
def read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the source files read and outlined."""
    names: list[str] = []
    real = sources.read_document

    def counted(path, info=None):
        names.append(Path(path).name)
        return real(path, info)

    monkeypatch.setattr(sources, "read_document", counted)
    return names


def test_one_leaflet_reads_only_the_sources_its_definition_names(project, read):
    inputs = load_inputs(project, ids=["immunotherapy"])
    spec = inputs.specs["immunotherapy"]
    named = {s.source for section in spec.sections for s in section.selectors}
    assert inputs.partial and set(inputs.documents) == named
    assert sorted(read) == sorted(Path(inputs.documents[n].path).name for n in named)
    assert 0 < len(read) < len(load_sources(project.sources))
    assert select_sections(spec, inputs.documents) == select_sections(
        spec, load_inputs(project).documents
    )


def test_a_drug_leaflet_or_an_unknown_source_reads_the_whole_corpus(project_copy, read):
    everything = len(load_sources(project_copy.sources))
    inputs = load_inputs(project_copy, include_drugs=True, ids=["rituximab"])
    assert not inputs.partial and len(read) == everything
    definition = project_copy.leaflets / "immunotherapy.yaml"
    text = definition.read_text()
    assert "nci-immunotherapy" in text
    definition.write_text(text.replace("nci-immunotherapy", "no-such-source"))
    read.clear()
    inputs = load_inputs(project_copy, ids=["immunotherapy"])
    # (the named sources first; then all, as its error lists every source there is)
    assert not inputs.partial and len(set(read)) == everything == len(inputs.documents)


@pytest.mark.slow
def test_a_noop_planned_from_the_cache_parses_no_input(project, demo, tmp_path, monkeypatch):
    out = tmp_path / "out"
    shutil.copytree(demo.out, out)
    options = dict(include_drugs=True, jobs=2)
    build_leaflets(project, None, ["en", "es"], out, **options)  # (keeps the plan)
    loaded: list[int] = []
    real = worker.load_inputs
    monkeypatch.setattr(worker, "load_inputs", lambda *a, **k: loaded.append(1) or real(*a, **k))
    results = build_leaflets(project, None, ["en", "es"], out, **options)
    assert loaded == [] and results and all(r.skipped for r in results)
    (out / ".cache" / "plan.json").unlink()
    again = build_leaflets(project, None, ["en", "es"], out, **options)
    assert loaded == [1] and again == results


# Counts the processes started while WeasyPrint is imported (ctypes.util.find_library
# runs ldconfig, gcc and ld through subprocess), then proves its libraries work.
_IMPORT_WEASYPRINT = """
import subprocess, sys
started = []
def count(event, args):
    if event == "subprocess.Popen":
        started.append(args[1])
sys.addaudithook(count)
if sys.argv[1] == "load":
    from leafletgen.render import weasy
    weasy.load()
else:  # what the local pool's fork server imports before it forks a worker
    from leafletgen.batch.executors import _PRELOAD
    for name in _PRELOAD:
        __import__(name)
import ctypes.util
print(len(started), ctypes.util.find_library.__module__, "weasyprint" in sys.modules)
from weasyprint.text.ffi import pango, harfbuzz
print(pango.pango_version() > 0, harfbuzz.hb_tag_from_string(b"GSUB", 4) == 0x47535542)
"""


@pytest.mark.parametrize("how", ["load", "pool"])
def test_weasyprint_is_imported_without_starting_a_process(how):
    done = _python(_IMPORT_WEASYPRINT, how)
    imported, works = done.stdout.split("\n")[:2]
    # no ldconfig, gcc or ld, and ctypes' own find_library is back afterwards
    assert imported == "0 ctypes.util True", done.stdout
    assert works == "True True", done.stdout


# Loads the leaflet template in a new interpreter and counts the templates Jinja compiles.
_LOAD_TEMPLATE = """
import sys
from pathlib import Path
compiled = []
def count(event, args):
    if event == "compile" and str(args[1]).endswith(".html"):
        compiled.append(args[1])
sys.addaudithook(count)
from leafletgen.render.html import _environment
_environment(Path(sys.argv[1])).get_template("leaflet.html")
print(len(compiled))
"""


def test_a_new_process_loads_the_compiled_templates_unless_a_template_changed(tmp_path: Path):
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)

    def compiled() -> int:
        return int(_python(_LOAD_TEMPLATE, str(templates), TMPDIR=str(tmp_path)).stdout)

    assert compiled() >= 1  # the first process compiles
    cache = list((tmp_path / f"_jinja2-cache-{os.getuid()}").glob("__leafletgen_*"))
    assert cache and all(p.stat().st_mode & 0o077 == 0 for p in cache)
    assert compiled() == 0  # the next one loads them compiled
    leaflet = templates / "leaflet.html"
    leaflet.write_text(leaflet.read_text() + "{# changed #}\n")
    assert compiled() == 1  # a changed template is compiled again
    assert compiled() == 0


@pytest.mark.parametrize("name", ["kinds.yaml", "languages.yaml", "profiles.yaml"])
def test_the_readers_data_parses_the_same_with_libyaml(name):
    import yaml

    from leafletgen.yamlfile import package_data

    text = (ROOT / "src" / "leafletgen" / "data" / name).read_text(encoding="utf-8")
    assert package_data(name) == yaml.load(text, Loader=yaml.SafeLoader)
    assert yaml.__with_libyaml__  # (the lock's PyYAML wheel has it: the fast path is taken)


# A system where a library opens only through find_library: the first import
# fails, and weasy.load() imports WeasyPrint again the usual way.
_FALLBACK = """
import contextlib, sys
import cffi
from leafletgen.render import weasy
real = cffi.FFI.dlopen
calls = []
def dlopen(self, name, flags=0):
    calls.append(name)
    import ctypes.util
    if ctypes.util.find_library("pango-1.0") is None and "pango-1.0" in name:
        raise OSError(f"cannot load library {name!r}")  # (only by its file name)
    return real(self, name, flags)
cffi.FFI.dlopen = dlopen
weasyprint = weasy.load()
from weasyprint.text.ffi import pango
print(pango.pango_version() > 0, sys.modules["weasyprint"] is weasyprint)
"""


def test_a_library_only_find_library_finds_is_still_loaded():
    done = _python(_FALLBACK)
    assert done.stdout.split() == ["True", "True"], done.stdout + done.stderr


def test_a_damaged_or_unwritable_template_cache_costs_the_compiling_only(tmp_path, monkeypatch):
    import tempfile

    from leafletgen.render import html

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    html._environment(templates).get_template("leaflet.html")
    (cached,) = (tmp_path / f"_jinja2-cache-{os.getuid()}").glob("__leafletgen_*")
    cached.write_bytes(cached.read_bytes()[:40] + b"\x00damaged")  # (past Jinja's magic)
    html._environment.cache_clear()
    assert html._environment(templates).get_template("leaflet.html").render  # compiled again

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", full)
    cached.unlink()
    html._environment.cache_clear()
    assert html._environment(templates).get_template("leaflet.html").render
    html._environment.cache_clear()
