"""Helpers for the desk's tests: building an output folder, clients, a live server."""

from __future__ import annotations

import contextlib
import re
import threading
import time
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import uvicorn

from leafletgen.batch.build import build_leaflets
from leafletgen.project import Project
from leafletgen.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's note about its httpx-based client
    from fastapi.testclient import TestClient

# Leaflets built for the tests: a drug leaflet and a topic leaflet, in both
# languages. The other leaflets stay unbuilt ("missing").
BUILT = ["rituximab", "immunotherapy"]
LANGS = ["en", "es"]


def build(project: Project, out: Path, ids=BUILT, langs=LANGS, **options) -> None:
    results = build_leaflets(project, ids, langs, out, include_drugs=True, jobs=1, **options)
    assert [str(r.error) for r in results if not r.ok] == []


def make_client(project: Project, out: Path, **options) -> TestClient:
    return TestClient(create_app(project, out, **options))


@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


class Output:
    """A child process's output, read line by line in a thread as it comes
    (so a test can wait for one line without a deadline on a blocking read)."""

    def __init__(self, stream: Iterable[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._done = False
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: Iterable[str]) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._done = True
            self._changed.notify_all()

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match[str] | None:
        """The first line matching ``pattern``; None if the output ended or
        ``timeout`` seconds passed without one."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for line in self.lines[seen:]:
                    if found := re.search(pattern, line):
                        return found
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if self._done or left <= 0:
                    return None
                self._changed.wait(left)

    def text(self, timeout: float = 60) -> str:
        """Everything the child wrote, once its output has ended."""
        self._thread.join(timeout)
        return "".join(self.lines)
