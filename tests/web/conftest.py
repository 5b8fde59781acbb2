"""Fixtures for the leaflet desk: built output folders, the app behind FastAPI's
test client, and the app served by uvicorn on a loopback port for real
clients (fhirpy, Chromium)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from deskutil import TestClient, build, desk_app, serving, sign_in
from playwright.sync_api import expect

# A browser assertion waits as long as a browser action may (the contexts'
# default, 30 s), not Playwright's 5 s: on a loaded machine a page's script
# can take longer than that to do what the assertion waits for.
expect.set_options(timeout=30_000)


@pytest.fixture(scope="session")
def built_out(project, tmp_path_factory) -> Path:
    """An output folder with rituximab and immunotherapy in English and Spanish."""
    out = tmp_path_factory.mktemp("desk-out")
    build(project, out)
    return out


@pytest.fixture
def out_copy(built_out, tmp_path) -> Path:
    """A writable copy of ``built_out``."""
    out = tmp_path / "out"
    shutil.copytree(built_out, out)
    return out


@pytest.fixture(scope="session")
def client(project, built_out) -> Iterator[TestClient]:
    """A test client of the desk over ``built_out``, signed in as an editor."""
    with TestClient(desk_app(project, built_out)) as test_client:
        yield sign_in(test_client)


@pytest.fixture(scope="session")
def live_url(project, built_out) -> Iterator[str]:
    """The desk over ``built_out``, served on a loopback port."""
    with serving(desk_app(project, built_out)) as url:
        yield url
