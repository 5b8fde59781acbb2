"""Helpers for the desk's tests: building an output folder, signed-in clients,
a live server.

The desk answers only signed-in users: the tests' users live in a throwaway
folder (:func:`accounts_root`), never in the project, one per role, with
clearly fictional names (``test-staff``, ``test-editor``, ...) and a token for
a fictional portal client."""

from __future__ import annotations

import contextlib
import functools
import re
import tempfile
import threading
import time
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import uvicorn

from leafletgen import accounts
from leafletgen.batch.build import build_leaflets
from leafletgen.project import Project
from leafletgen.web.app import create_app
from leafletgen.web.auth import AuthConfig

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


PASSWORD = "fictional test password"
ROLE_USERS = {
    "staff": "test-staff",
    "editor": "test-editor",
    "translation-reviewer": "test-translator",
    "admin": "test-admin",
}
TEST_HOSTS = ["testserver", "127.0.0.1", "localhost"]  # FastAPI's test client, the live server


@functools.cache
def accounts_root() -> Path:
    """A throwaway folder whose ``desk/`` holds one fictional user per role and
    a fictional portal client's token (made once per test process)."""
    root = Path(tempfile.mkdtemp(prefix="desk-accounts-"))
    for role, name in ROLE_USERS.items():
        qualification = "fictional test qualification" if role == "translation-reviewer" else None
        accounts.add_user(
            root, name, full_name=f"Test {role}", roles=[role], password=PASSWORD,
            qualification=qualification,
        )  # fmt: skip
    (root / "token").write_text(accounts.add_token(root, "test-portal"))
    return root


def portal_token() -> str:
    """The fictional portal client's token."""
    return (accounts_root() / "token").read_text()


def auth_config(**options) -> AuthConfig:
    """The sign-in configuration of the tests' desks: the throwaway accounts."""
    return AuthConfig(root=accounts_root(), **options)


def desk_app(project: Project, out: Path, **options):
    """The desk over ``out``, answering the tests' host names and users."""
    options.setdefault("allowed_hosts", TEST_HOSTS)
    options.setdefault("auth", auth_config())
    return create_app(project, out, **options)


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')  # the first form's
SIGNIN_CSRF = re.compile(
    r'<form class="signin"[^>]*>\s*<input [^>]*name="csrf_token" value="([^"]+)"'
)
PAGE_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def sign_in(client: TestClient, role: str = "editor") -> TestClient:
    """``client`` signed in through the sign-in form as the test user of
    ``role``, sending its CSRF token with every request from then on."""
    form = client.get("/signin")
    token = SIGNIN_CSRF.search(form.text)[1]
    name = ROLE_USERS[role]
    answer = client.post(
        "/signin",
        data={"name": name, "password": PASSWORD, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    page = client.get("/", headers={"Accept": "text/html"})
    client.headers["X-CSRF-Token"] = PAGE_CSRF.search(page.text)[1]
    return client


def make_client(project: Project, out: Path, role: str | None = "editor", **options) -> TestClient:
    """A test client of the desk over ``out``, signed in as the test user of
    ``role`` (``None``: not signed in)."""
    client = TestClient(desk_app(project, out, **options))
    return sign_in(client, role) if role else client


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
