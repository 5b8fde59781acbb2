"""Sign-in, roles and request limits of the desk: every route asked
anonymously, with the wrong role and with the right one; sessions, CSRF,
rate limits, the single sign-on proxy, portal tokens; Host, Origin and body
size checks."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from deskutil import (
    PAGE_CSRF,
    PASSWORD,
    ROLE_USERS,
    SIGNIN_CSRF,
    TestClient,
    accounts_root,
    desk_app,
    make_client,
    portal_token,
    serving,
    sign_in,
)
from fastapi.routing import iter_route_contexts

from leafletgen import accounts
from leafletgen.permissions import allowed
from leafletgen.web import sessions
from leafletgen.web.auth import AuthConfig
from leafletgen.web.paths import hide_paths

JSON = {"Accept": "application/json"}
HTML = {"Accept": "text/html"}
# Routes anyone may reach: the health check, signing in, the interface
# language and the desk's own static files (program files, nothing of the clinic's).
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/signin"),
    ("POST", "/signin"),
    ("GET", "/language/{code}"),
    ("GET", "/static/{name:path}"),
}
# A value for each path parameter. Builds name a leaflet that does not exist,
# so a request that is let in is answered 404 and never starts a build.
SAMPLE = {
    "leaflet_id": "rituximab",
    "lang": "en",
    "variant": "standard",
    "number": "1",
    "job_id": "no-such-build",
    "code": "en",
    "name": "desk.css",
    "resource_type": "Patient",
    "rest": "1",
    "resource_id": "no-such-id",
    "source_id": "nci-immunotherapy",
}
IDENTITIES = (*ROLE_USERS, "token")


def actions_of(dependant) -> list[str]:
    """The actions the route's dependencies ``require``."""
    found = []
    for dependency in dependant.dependencies:
        if action := getattr(dependency.call, "action", None):
            found.append(action)
        found += actions_of(dependency)
    return found


def route_table(app) -> list[tuple[str, str, list[str]]]:
    """Every (method, path, actions) the app serves."""
    return [
        (method, route.path, actions_of(route.dependant))
        for route in iter_route_contexts(app.routes)
        for method in sorted(route.methods or ())
        if method != "HEAD"
    ]


def url_of(method: str, path: str) -> str:
    url = path.replace("{name:path}", "{name}").replace("{rest:path}", "{rest}")
    if method == "POST":
        url = url.replace("{leaflet_id}", "no-such-leaflet")
    # a copy not cleared for distribution is had only once confirmed a review copy
    return url.format(**SAMPLE) + "?review_copy=yes"


@pytest.fixture(scope="module")
def app(project, built_out):
    return desk_app(project, built_out)


@pytest.fixture(scope="module")
def clients(app) -> Iterator[dict[str, TestClient]]:
    """One client per identity: a signed-in user per role, and a portal token."""
    made = {role: sign_in(TestClient(app), role) for role in ROLE_USERS}
    made["token"] = TestClient(app, headers={"Authorization": f"Bearer {portal_token()}"})
    made["anonymous"] = TestClient(app)
    yield made
    for client in made.values():
        client.close()


def ask(client: TestClient, method: str, url: str, **options) -> httpx.Response:
    body = {"json": {"lang": "en"}} if url.startswith("/api/") else {"data": {"lang": "en"}}
    if method != "POST":
        body = {}
    return client.request(method, url, follow_redirects=False, **body, **options)


def test_every_route_but_the_public_ones_declares_the_one_action_it_needs(app):
    table = route_table(app)
    assert len(table) > 20
    for method, path, actions in table:
        if (method, path) in PUBLIC:
            assert actions == [], (method, path)
        else:
            assert len(actions) == 1, f"{method} {path} does not declare Depends(require(...))"


@pytest.mark.slow
def test_every_route_answers_anonymous_wrong_role_and_right_role(app, clients):
    checked = 0
    for method, path, actions in route_table(app):
        if (method, path) in PUBLIC or path == "/signout":
            continue
        url = url_of(method, path)
        anonymous = ask(clients["anonymous"], method, url, headers=JSON)
        assert anonymous.status_code == 401, (method, url, anonymous.text)
        for identity in IDENTITIES:
            answer = ask(clients[identity], method, url, headers=JSON)
            refused = answer.status_code in (401, 403) and "may not" in answer.text
            if allowed(_actor(identity), actions[0]):
                assert answer.status_code != 401 and not refused, (identity, method, url)
            else:
                assert answer.status_code == 403 and refused, (identity, method, url)
            checked += 1
    assert checked > 100


def _actor(identity: str) -> accounts.Actor:
    if identity == "token":
        return accounts.Actor("test-portal", frozenset(), None, via="token")
    return accounts.user_actor(accounts_root(), ROLE_USERS[identity], role=identity)


def test_anonymous_pages_go_to_sign_in_and_apis_say_401(clients):
    anonymous = clients["anonymous"]
    page = anonymous.get("/leaflets/rituximab?lang=es", headers=HTML, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/signin?next=%2Fleaflets%2Frituximab%3Flang%3Des"
    api = anonymous.get("/api/leaflets", headers=JSON)
    assert api.status_code == 401 and api.headers["www-authenticate"].startswith("Bearer")
    assert "sign in" in api.json()["detail"]
    fhir = anonymous.get("/fhir/DocumentReference")
    assert fhir.status_code == 401
    assert fhir.json()["resourceType"] == "OperationOutcome"
    assert fhir.json()["issue"][0]["code"] == "login"
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    assert anonymous.get("/static/desk.css").status_code == 200


def test_a_staff_member_sees_no_build_button_and_cannot_build(clients):
    staff, editor = clients["staff"], clients["editor"]
    # rituximab's large print is not built: an editor is offered to build it
    form = 'action="/leaflets/rituximab/build"'
    assert form in editor.get("/leaflets/rituximab", headers=HTML).text
    assert form not in staff.get("/leaflets/rituximab", headers=HTML).text
    assert staff.post("/leaflets/rituximab/build", data={"lang": "en"}).status_code == 403


def test_the_portal_token_reads_the_api_and_nothing_else(clients, built_out):
    token = clients["token"]
    leaflets = token.get("/api/leaflets").json()
    assert {item["id"] for item in leaflets} >= {"rituximab", "immunotherapy"}
    pdf = token.get("/leaflets/rituximab/en/standard.pdf", params={"review_copy": "yes"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert token.get("/fhir/DocumentReference").json()["resourceType"] == "Bundle"
    assert token.get("/", headers=HTML).status_code == 403
    refused = token.post("/api/leaflets/rituximab/builds", json={"lang": "en"})
    assert refused.status_code == 403


def test_a_wrong_or_revoked_token_is_refused(project, built_out, tmp_path, caplog):
    root = tmp_path / "accounts"
    token = accounts.add_token(root, "clinic-portal")
    client = TestClient(desk_app(project, built_out, auth=AuthConfig(root=root)))
    bearer = {"Authorization": f"Bearer {token}"}
    with caplog.at_level(logging.INFO, logger="leafletgen.desk.auth"):
        assert client.get("/api/leaflets", headers=bearer).status_code == 200
        wrong = {"Authorization": f"Bearer {token[:-2]}xx"}
        assert client.get("/api/leaflets", headers=wrong).status_code == 401
        accounts.revoke_token(root, "clinic-portal")
        assert client.get("/api/leaflets", headers=bearer).status_code == 401
        assert client.get("/fhir/metadata", headers=bearer).status_code == 401
    assert "token_used clinic-portal" in caplog.text and "token_refused" in caplog.text
    assert token not in caplog.text
    assert token not in (root / "desk" / "tokens.yaml").read_text()


# --- sessions -----------------------------------------------------------------------------


def own_accounts(tmp_path: Path) -> Path:
    """A writable copy of the tests' accounts."""
    root = tmp_path / "accounts"
    shutil.copytree(accounts_root() / "desk", root / "desk")
    return root


@pytest.mark.slow
def test_session_cookie_is_httponly_strict_and_secure_over_https_or_loopback(project, built_out):
    for base, secure in (
        ("http://testserver", False),
        ("https://testserver", True),
        ("http://localhost:8000", True),  # browsers keep Secure cookies of loopback
    ):
        client = TestClient(desk_app(project, built_out), base_url=base)
        form = client.get("/signin")
        assert ("; secure" in form.headers["set-cookie"].lower()) == secure, base
        if base.startswith("http://localhost"):
            continue  # this client, unlike a browser, sends no Secure cookie over http
        answer = client.post(
            "/signin",
            data={
                "name": "test-staff",
                "password": PASSWORD,
                "csrf_token": SIGNIN_CSRF.search(form.text)[1],
            },
            follow_redirects=False,
        )
        cookie = answer.headers["set-cookie"].lower()
        assert cookie.startswith("desk_session=") and "httponly" in cookie, cookie
        assert "samesite=strict" in cookie and "max-age=43200" in cookie
        assert ("; secure" in cookie) == secure, (base, cookie)


@pytest.mark.slow
def test_signing_out_ends_the_session_and_sessions_expire(project, built_out, monkeypatch):
    client = make_client(project, built_out, role="staff")
    cookie = client.cookies.get("desk_session")
    assert client.get("/api/leaflets").status_code == 200
    out = client.post("/signout", follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/signin"
    replay = TestClient(client.app, cookies={"desk_session": cookie})
    assert replay.get("/api/leaflets").status_code == 401
    # The sessions' clock, moved by hand: a loaded machine must not expire the
    # session between the sign-in and the first request.
    clock = [1000.0]
    monkeypatch.setattr(sessions, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    brief = make_client(project, built_out, role="staff", auth=_auth(idle_seconds=60))
    clock[0] += 59
    assert brief.get("/api/leaflets").status_code == 200
    clock[0] += 61
    assert brief.get("/api/leaflets").status_code == 401


def _auth(**options) -> AuthConfig:
    return AuthConfig(root=accounts_root(), **options)


@pytest.mark.slow
def test_a_disabled_user_is_signed_out_at_their_next_request(project, built_out, tmp_path):
    root = own_accounts(tmp_path)
    client = make_client(project, built_out, role="editor", auth=AuthConfig(root=root))
    assert client.get("/api/leaflets").status_code == 200
    accounts.disable_user(root, "test-editor")
    assert client.get("/api/leaflets").status_code == 401


@pytest.mark.slow
def test_a_sign_in_goes_back_only_to_this_site(project, built_out):
    client = TestClient(desk_app(project, built_out))
    for target, expected in (
        ("/leaflets/rituximab", "/leaflets/rituximab"),
        ("//evil.example", "/"),
        ("https://evil.example/", "/"),
    ):
        form = client.get("/signin")
        answer = client.post(
            "/signin",
            data={
                "name": "test-staff",
                "password": PASSWORD,
                "next": target,
                "csrf_token": SIGNIN_CSRF.search(form.text)[1],
            },
            follow_redirects=False,
        )
        assert answer.headers["location"] == expected


# --- CSRF, origins --------------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused(project, built_out):
    client = make_client(project, built_out, role="editor")
    token = client.headers.pop("X-CSRF-Token")
    assert (
        client.post("/api/leaflets/no-such-leaflet/builds", json={"lang": "en"}).status_code == 403
    )
    assert client.post("/leaflets/no-such-leaflet/build", data={"lang": "en"}).status_code == 403
    forged = {"lang": "en", "csrf_token": "x" * len(token)}
    assert client.post("/leaflets/no-such-leaflet/build", data=forged).status_code == 403
    # with the page's token, in a form field or the header, the request gets through
    good = {"lang": "en", "csrf_token": token}
    assert client.post("/leaflets/no-such-leaflet/build", data=good).status_code == 404
    headers = {"X-CSRF-Token": token}
    answer = client.post(
        "/api/leaflets/no-such-leaflet/builds", json={"lang": "en"}, headers=headers
    )
    assert answer.status_code == 404
    # the sign-in form has a token of its own
    anonymous = TestClient(client.app)
    anonymous.get("/signin")
    refused = anonymous.post("/signin", data={"name": "test-editor", "password": PASSWORD})
    assert refused.status_code == 403


def test_origin_null_and_other_sites_are_refused_on_state_changing_requests(clients):
    editor = clients["editor"]
    for origin in ("null", "http://attacker.example"):
        answer = editor.post(
            "/leaflets/no-such-leaflet/build", data={"lang": "en"}, headers={"Origin": origin}
        )
        assert answer.status_code == 403, origin
        signin = clients["anonymous"].post("/signin", data={}, headers={"Origin": origin})
        assert signin.status_code == 403, origin
    same = editor.post(
        "/leaflets/no-such-leaflet/build",
        data={"lang": "en"},
        headers={"Origin": "http://testserver"},
    )
    assert same.status_code == 404
    assert editor.get("/api/leaflets", headers={"Origin": "null"}).status_code == 200


# --- rate limits ------------------------------------------------------------------------


def _try(client: TestClient, name: str, password: str) -> httpx.Response:
    form = client.get("/signin")
    return client.post(
        "/signin",
        data={"name": name, "password": password, "csrf_token": SIGNIN_CSRF.search(form.text)[1]},
        follow_redirects=False,
    )


@pytest.mark.slow
def test_failed_sign_ins_are_limited_per_user_name_and_per_address(project, built_out, caplog):
    auth = _auth(failures_per_name=3, failures_per_address=5)
    client = TestClient(desk_app(project, built_out, auth=auth))
    with caplog.at_level(logging.INFO, logger="leafletgen.desk.auth"):
        for _ in range(3):
            wrong = _try(client, "test-staff", "not the password")
            assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text
        # the right password no longer helps, for this name
        limited = _try(client, "test-staff", PASSWORD)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
        assert "Too many failed sign-ins" in limited.text
        assert _try(client, "test-editor", PASSWORD).status_code == 303  # another name may
        for name in ("nobody-a", "nobody-b"):
            assert _try(client, name, "guess").status_code == 401
        # five failures from this address: every name waits
        assert _try(client, "test-admin", PASSWORD).status_code == 429
    assert caplog.text.count("signin_failed") == 5 and "signin test-editor" in caplog.text
    assert PASSWORD not in caplog.text and "not the password" not in caplog.text


# --- the single sign-on proxy -------------------------------------------------------------


def test_the_proxy_header_is_believed_only_from_the_trusted_proxy(project, built_out):
    auth = _auth(mode="proxy", trusted_proxies=("10.0.0.5",))
    app = desk_app(project, built_out, auth=auth)
    proxy = TestClient(app, client=("10.0.0.5", 40000))
    other = TestClient(app, client=("10.0.0.9", 40000))
    as_editor = {"X-Remote-User": "test-editor", **HTML}
    page = proxy.get("/", headers=as_editor)
    assert page.status_code == 200 and "Find a leaflet" in page.text
    assert other.get("/", headers=as_editor).status_code == 401
    assert proxy.get("/", headers={"X-Remote-User": "not-a-desk-user"}).status_code == 401
    assert proxy.get("/api/leaflets").status_code == 401  # no header: nobody
    # the roles come from desk/users.yaml
    as_staff = {"X-Remote-User": "test-staff"}
    assert (
        proxy.post("/leaflets/no-such/build", data={"lang": "en"}, headers=as_staff).status_code
        == 403
    )
    page = proxy.get("/leaflets/rituximab", headers=as_editor).text
    form = {"lang": "en", "csrf_token": PAGE_CSRF.search(page)[1]}
    assert proxy.post("/leaflets/no-such/build", data=form, headers=as_editor).status_code == 404
    no_token = {"lang": "en"}
    assert (
        proxy.post("/leaflets/no-such/build", data=no_token, headers=as_editor).status_code == 403
    )
    assert proxy.get("/signin").status_code == 404  # sign-in is the proxy's business


# --- Host, body size, paths -----------------------------------------------------------------


def test_oversized_bodies_are_refused_before_they_are_read(clients):
    editor = clients["editor"]
    big = editor.post(
        "/api/leaflets/no-such-leaflet/builds",
        content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert big.status_code == 413 and "larger than" in big.json()["detail"]
    lying = editor.post("/signin", content=b"x", headers={"Content-Length": "300000000000"})
    assert lying.status_code in (400, 413)


def test_chunked_bodies_are_refused_once_past_the_limit(project, built_out):
    sent = []

    def chunks() -> Iterator[bytes]:
        for _ in range(200):  # 12.8 MB offered
            sent.append(1)
            yield b"a" * 65536

    with serving(desk_app(project, built_out)) as url:
        answer = httpx.post(
            f"{url}/signin", content=chunks(), headers={"Content-Type": "text/plain"}, timeout=30
        )
        small = httpx.post(
            f"{url}/signin",
            content=iter([b"name=x&password=y"]),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=30,
        )
    assert answer.status_code == 413
    assert small.status_code == 403  # within the limit: on to the sign-in form's own checks


def test_web_errors_show_no_server_paths(tmp_path):
    root = tmp_path / "project"
    out = tmp_path / "elsewhere" / "out"
    line = (
        f"{root}/leaflets/x.yaml:3: unknown key; also {out}/rituximab/en/standard.pdf "
        f"and /etc/leafletgen/secret.yaml, see http://example.org/a/b"
    )
    shown = hide_paths(line, root, out)
    assert shown == (
        "leaflets/x.yaml:3: unknown key; also out/rituximab/en/standard.pdf "
        "and secret.yaml, see http://example.org/a/b"
    )
