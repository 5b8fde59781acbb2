"""Who is asking, and whether they may: sign-in for every route of the desk.

Three ways in, one :class:`~leafletgen.accounts.Actor` out:

- a **session** of the desk's own accounts (``desk/users.yaml``), made by the
  sign-in page (:mod:`leafletgen.web.routes.signin`);
- a **single sign-on proxy** (``serve --auth proxy``): the header it sets
  (``X-Remote-User``) names a desk user, and is believed only when the request
  comes from one of the configured proxy addresses;
- a **portal token** (``Authorization: Bearer TOKEN``), which may only read
  the JSON and FHIR API.

:func:`actor_of` works the actor out once per request; :func:`require` is the
one dependency every route declares, naming the action it performs, and
:func:`leafletgen.permissions.allowed` alone answers. A route that needs the
actor takes it as a parameter::

    @router.post("/review/{item}")
    def approve(actor: Annotated[Actor, Depends(require("review_translation"))], ...):
        ...

and a route that does not, declares it in its decorator:
``@router.get("/x", dependencies=[Depends(require("view"))])``. No session or
token: 401 (a page redirects to the sign-in page); the wrong role: 403.

Every request that changes something (any method but GET, HEAD, OPTIONS)
must carry the actor's CSRF token, in the ``X-CSRF-Token`` header or a form
field ``csrf_token``. Pages get it as the template variable ``csrf_token``
(:func:`csrf_token` for the request), so a form reads::

    <input type="hidden" name="csrf_token" value="{{ csrf_token }}">

and a script finds it in the page's ``<meta name="csrf-token">``. Templates
also get ``actor`` and ``may(action)``, to offer only what the actor may do.

Sign-in, sign-out, failed sign-ins and token use all go through
:func:`note_event`, the one place they are recorded.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from fastapi import HTTPException, Request

from leafletgen import accounts, audit
from leafletgen.accounts import Actor, Token, User
from leafletgen.errors import LeafletError, shown
from leafletgen.permissions import ACTIONS, allowed
from leafletgen.web.sessions import FailureLimiter, SessionStore

log = logging.getLogger("leafletgen.desk.auth")

SESSION_COOKIE = "desk_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
MODES = ("accounts", "proxy")


@dataclass(frozen=True)
class AuthConfig:
    """How the desk signs people in.

    ``root`` is the folder whose ``desk/`` holds the accounts (default: the
    project's). ``trusted_proxies`` are addresses or networks whose
    ``X-Forwarded-For``, ``X-Forwarded-Proto`` and, with ``mode="proxy"``,
    ``proxy_header`` are believed.
    """

    mode: str = "accounts"
    proxy_header: str = "X-Remote-User"
    trusted_proxies: tuple[str, ...] = ()
    root: Path | None = None
    idle_seconds: float = 30 * 60
    lifetime_seconds: float = 12 * 3600
    failures_per_name: int = 5
    failures_per_address: int = 20
    failure_window: float = 15 * 60


def proxy_networks(
    addresses: tuple[str, ...],
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks ``--trusted-proxy`` names, or an error naming the one that is not an address."""
    networks = []
    for address in addresses:
        try:
            networks.append(ipaddress.ip_network(address.strip(), strict=False))
        except ValueError:
            raise LeafletError(
                f"--trusted-proxy {address!r} is not an IP address or network"
            ) from None
    return networks


class Accounts:
    """``desk/users.yaml`` and ``desk/tokens.yaml``, read again whenever they change."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, tuple[object, Any]] = {}

    def _load(self, path: Path, loader: Callable[[Path], Any]) -> Any:
        try:
            info = os.stat(path)
            stamp: object = (info.st_size, info.st_mtime_ns, info.st_ino)
        except OSError:
            stamp = None
        cached = self._cache.get(path.name)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            value = loader(self.root)
        except LeafletError as error:
            log.error("%s", shown(error, self.root))
            raise HTTPException(503, shown(error, self.root)) from None
        self._cache[path.name] = (stamp, value)
        return value

    def users(self) -> dict[str, User]:
        """Every desk user, as the file says now."""
        return cast(
            dict[str, User], self._load(accounts.users_file(self.root), accounts.load_users)
        )

    def tokens(self) -> dict[str, Token]:
        """Every portal client's token, as the file says now."""
        return cast(
            dict[str, Token], self._load(accounts.tokens_file(self.root), accounts.load_tokens)
        )

    def active(self, name: str) -> User | None:
        """The desk user ``name`` if they exist and are not disabled."""
        user = self.users().get(name)
        return user if user is not None and not user.disabled else None


class DeskAuth:
    """The desk's sign-in state: configuration, accounts, sessions and failure counts."""

    def __init__(self, config: AuthConfig, root: Path) -> None:
        if config.mode not in MODES:
            raise LeafletError(f"--auth {config.mode!r}: known: {', '.join(MODES)}")
        self.config = config
        self.project_root = root  # its desk/audit.jsonl records sign-ins and token use
        self.accounts = Accounts(config.root or root)
        self.proxies = proxy_networks(config.trusted_proxies)
        self.sessions = SessionStore(config.idle_seconds, config.lifetime_seconds)
        self.by_name = FailureLimiter(config.failures_per_name, config.failure_window)
        self.by_address = FailureLimiter(config.failures_per_address, config.failure_window)
        self.secret = secrets.token_bytes(32)  # per process: proxy and sign-in CSRF tokens

    def trusted(self, peer: str | None) -> bool:
        """Whether ``peer`` is one of the configured proxies."""
        if not peer:
            return False
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.proxies)

    def keyed(self, *parts: str) -> str:
        """An HMAC of ``parts`` under this process's secret (a token nobody else can make)."""
        message = "\0".join(parts).encode("utf-8", "replace")
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()


def note_event(auth: DeskAuth, actor_name: str, action: str, what: dict[str, Any]) -> None:
    """Record a sign-in, sign-out, failed sign-in or token use (never a password or
    token) in the log and in the project's audit trail."""
    details = " ".join(f"{key}={_printable(value)}" for key, value in sorted(what.items()))
    log.info("%s %s %s", action, _printable(actor_name), details)
    via = "token" if action.startswith("token") else "desk"
    who = actor_name if actor_name.strip() and actor_name != "-" else NOBODY
    if action in UNPROVEN:  # a name typed by someone not signed in: what they typed, not who
        who, what = NOBODY, {**what, "name_typed": _printable(actor_name)}
    audit.append(auth.project_root, who=who, via=via, action=f"desk.{action}", what=what)


NOBODY = "(not signed in)"
UNPROVEN = frozenset({"signin_failed", "signin_refused"})


def _printable(value: object) -> str:
    # a user name typed into the form is untrusted: no line breaks or escapes in the log
    return str(value).encode("unicode_escape").decode("ascii")[:200]


def auth_of(request: Request) -> DeskAuth:
    """The sign-in state of the app serving ``request``."""
    return cast(DeskAuth, request.app.state.desk_auth)


def peer_of(request: Request) -> str | None:
    """The address the request came from directly (the proxy's, behind one)."""
    return request.client.host if request.client else None


def client_address(request: Request) -> str:
    """The client's address: behind a trusted proxy, the one it forwarded."""
    auth, peer = auth_of(request), peer_of(request)
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded and auth.trusted(peer):
        return forwarded.split(",")[-1].strip()[:64]  # the hop our proxy added
    return peer or "unknown"


def is_https(request: Request) -> bool:
    """Whether the browser reached the desk over https (directly or through a trusted proxy)."""
    if request.url.scheme == "https":
        return True
    proto = request.headers.get("x-forwarded-proto", "")
    return proto.lower() == "https" and auth_of(request).trusted(peer_of(request))


def actor_of(request: Request) -> Actor | None:
    """Who is asking, worked out once per request; ``None`` if nobody signed in."""
    if not hasattr(request.state, "actor"):
        request.state.actor = _find_actor(request)
    return cast(Actor | None, request.state.actor)


def _find_actor(request: Request) -> Actor | None:
    auth = auth_of(request)
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credential.strip():
        actor = accounts.token_actor(auth.accounts.tokens(), credential.strip())
        what = {"address": client_address(request), "path": request.url.path}
        if actor is None:
            note_event(auth, "-", "token_refused", what)
            return None
        note_event(auth, actor.name, "token_used", what)
        return actor
    if auth.config.mode == "proxy":
        return _proxy_actor(request, auth)
    session_id = request.cookies.get(SESSION_COOKIE)
    session = auth.sessions.get(session_id) if session_id else None
    if session is None:
        return None
    user = auth.accounts.active(session.name)
    if user is None:  # disabled or removed since signing in
        auth.sessions.drop_user(session.name)
        return None
    request.state.csrf = session.csrf
    return Actor(user.name, user.roles, user.qualification, via="session")


def _proxy_actor(request: Request, auth: DeskAuth) -> Actor | None:
    named = request.headers.get(auth.config.proxy_header, "").strip()
    if not named:
        return None
    peer = peer_of(request)
    if not auth.trusted(peer):
        # a header anyone can send: never believed from elsewhere
        note_event(auth, "-", "proxy_header_ignored", {"address": peer or "unknown"})
        return None
    user = auth.accounts.active(named)
    if user is None:
        note_event(auth, "-", "proxy_user_unknown", {"address": peer or "unknown"})
        return None
    request.state.csrf = auth.keyed("proxy", user.name)
    return Actor(user.name, user.roles, user.qualification, via="proxy")


def csrf_token(request: Request) -> str:
    """The CSRF token forms of this request's page must carry ('' if nobody signed in)."""
    actor_of(request)
    return cast(str, getattr(request.state, "csrf", ""))


class NotSignedIn(HTTPException):
    """401: nobody signed in (pages redirect to the sign-in page)."""

    def __init__(self) -> None:
        super().__init__(
            401,
            "sign in first, or send a portal token (Authorization: Bearer TOKEN)",
            headers={"WWW-Authenticate": 'Bearer realm="leafletgen"'},
        )


async def check_csrf(request: Request) -> None:
    """Refuse (403) a state-changing request without this actor's CSRF token."""
    expected = csrf_token(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise HTTPException(403, "the form has expired or did not come from this desk; reload it")


def require(action: str) -> Callable[[Request], Awaitable[Actor]]:
    """The dependency a route declares for ``action``: the signed-in actor, or 401/403."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")

    async def signed_in(request: Request) -> Actor:
        actor = actor_of(request)
        if actor is None:
            raise NotSignedIn()
        if not allowed(actor, action):
            raise HTTPException(403, f"{actor.name} may not {action.replace('_', ' ')} here")
        if request.method not in SAFE_METHODS and actor.via != "token":
            await check_csrf(request)
        return actor

    signed_in.action = action  # type: ignore[attr-defined]  # for the route audit in the tests
    return signed_in
