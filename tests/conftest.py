"""Shared fixtures: the project's own sources, definitions and templates are
the main test data; broken inputs live under ``tests/data/``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from leafletgen.project import Project
from leafletgen.read.sources import read_corpus

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def project() -> Project:
    return Project(ROOT)


@pytest.fixture(scope="session")
def corpus(project):
    return read_corpus(project.sources)


@pytest.fixture
def project_copy(tmp_path) -> Project:
    """A writable copy of the project's inputs (sources, leaflets, templates, locales)."""
    for name in ("sources", "leaflets", "templates", "locales"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "babel.cfg", tmp_path / "babel.cfg")
    return Project(tmp_path)


def squash(text: str) -> str:
    """Text with white space and hyphens removed, for matching text that PDF
    layout broke across lines or hyphenated."""
    return re.sub(r"[\s\-\u2010\u00ad]+", "", text)
