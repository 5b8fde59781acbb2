"""Shared fixtures: the project's own sources, definitions and templates are
the main test data; broken inputs live under ``tests/data/``."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from leafletgen import accounts
from leafletgen.batch.build import build_leaflets
from leafletgen.batch.plan import BuildResult
from leafletgen.model import Document
from leafletgen.project import Project
from leafletgen.read.sources import read_corpus

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


def copy_inputs(folder: Path) -> Project:
    """A copy in ``folder`` of the project's inputs (sources, leaflets, templates,
    locales)."""
    for name in ("sources", "leaflets", "templates", "locales"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, folder / name)
    shutil.copy(ROOT / "babel.cfg", folder / "babel.cfg")
    return Project(folder)


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """This checkout's project (its sources, definitions, templates and catalogs),
    as a copy made once for the session: what the tests do on the desk and on the
    command line is appended to that copy's audit trail, never to the checkout's."""
    return copy_inputs(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="session")
def corpus(project: Project) -> dict[str, Document]:
    """Every source document of the project, read once, by id."""
    return read_corpus(project.sources)


@dataclass(frozen=True)
class Demo:
    """The shared build: its output folder and every leaflet's result."""

    out: Path
    results: list[BuildResult]

    def built(self, lang: str) -> dict[str, BuildResult]:
        """The results in ``lang`` that wrote files, by leaflet id."""
        return {r.id: r for r in self.results if r.lang == lang and r.entry}


@pytest.fixture(scope="session")
def demo(project: Project, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """Every leaflet, topic and drug, in English and Spanish, built once for
    the session by the local pool (two workers). Tests only READ it: a test
    that writes into an output folder builds or copies its own."""
    out = tmp_path_factory.mktemp("demo") / "out"
    results = build_leaflets(project, None, ["en", "es"], out, include_drugs=True, jobs=2)
    assert [str(r.error) for r in results if not r.ok] == []
    return Demo(out, results)


@pytest.fixture
def project_copy(tmp_path: Path) -> Project:
    """A writable copy of the project's inputs, for one test."""
    return copy_inputs(tmp_path)


def squash(text: str) -> str:
    """Text with white space and hyphens removed, for matching text that PDF
    layout broke across lines or hyphenated."""
    return re.sub(r"[\s\-\u2010\u00ad]+", "", text)


def child_env() -> dict[str, str]:
    """This environment for a leafletgen child process, without
    ``PYTHONUNBUFFERED``: a test that reads the child's output line by line
    then passes only where the program flushes its own lines."""
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)
    return env


def desk_user(
    root: Path,
    name: str = "rosa-reviewer",
    *,
    roles: tuple[str, ...] = ("translation-reviewer",),
    qualification: str | None = "Medical translator (fictional test user)",
) -> str:
    """A clearly fictional desk user, added to a throwaway copy of the project."""
    accounts.add_user(
        root,
        name,
        full_name=name.replace("-", " ").title(),
        roles=list(roles),
        password="not-a-real-password",
        qualification=qualification,
    )
    return name


@pytest.fixture
def kept_records(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each read of a manifest found its records kept in the output
    folder's cache (True) or parsed the manifest (False)."""
    from leafletgen.publish import manifest_cache

    found: list[bool] = []
    real = manifest_cache.load_records

    def spied(*args):
        records = real(*args)
        found.append(records is not None)
        return records

    monkeypatch.setattr(manifest_cache, "load_records", spied)
    return found
