"""The desk's own accounts: its users (``desk/users.yaml``) and the tokens of
portal clients (``desk/tokens.yaml``).

Both files are written only by the tool (``leafletgen users ...``,
``leafletgen tokens ...``), atomically, and read back as untrusted YAML: a
hand-edited file with a problem is refused with ``path:line``. A password is
kept only as an argon2 hash and a token only as its SHA-256; neither is ever
stored, printed or logged in clear. The ``desk/`` folder is made readable by
its owner only.

Who is asking is an :class:`Actor`, however they signed in (a desk session,
a single sign-on proxy, a portal token, the command line);
:mod:`leafletgen.permissions` alone decides what an actor may do.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from leafletgen.errors import LeafletError, brief, raise_all
from leafletgen.text import unprintable
from leafletgen.yamlfile import LineDict, load_yaml, require_keys

__all__ = [
    "ROLES",
    "Actor",
    "Token",
    "User",
    "add_token",
    "add_user",
    "check_password",
    "disable_user",
    "load_tokens",
    "load_users",
    "revoke_token",
    "token_actor",
    "tokens_file",
    "user_actor",
    "users_file",
]

ROLES = ("staff", "editor", "translation-reviewer", "admin")

DESK = "desk"  # the project's folder for the desk's own files

# A user or client name goes into URLs, logs and review records: short, plain.
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}\Z")
# OWASP ASVS 2.1: at least 12 characters, at least 64 allowed, no composition rules.
MIN_PASSWORD = 12
MAX_PASSWORD = 128

_HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Checked when the name is unknown, so a wrong name takes as long as a
    wrong password. Made at the first sign-in, not at import: hashing costs
    about 0.35 s of CPU, which every command would otherwise pay."""
    return _HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class User:
    """A desk user as ``desk/users.yaml`` records them."""

    name: str
    full_name: str
    roles: frozenset[str]
    qualification: str | None
    disabled: bool
    password_hash: str = field(repr=False)


@dataclass(frozen=True)
class Actor:
    """Who is asking, however they signed in."""

    name: str
    roles: frozenset[str]
    qualification: str | None
    via: str  # "session", "proxy", "token", "command line"


@dataclass(frozen=True)
class Token:
    """A portal client's token, as ``desk/tokens.yaml`` records it (its SHA-256 only)."""

    client: str
    sha256: str = field(repr=False)
    revoked: bool


def users_file(root: Path) -> Path:
    """The project's ``desk/users.yaml``."""
    return Path(root) / DESK / "users.yaml"


def tokens_file(root: Path) -> Path:
    """The project's ``desk/tokens.yaml``."""
    return Path(root) / DESK / "tokens.yaml"


# --- reading ------------------------------------------------------------------------------

_USER_KEYS: dict[str, type | tuple[type, ...]] = {
    "full_name": str,
    "roles": list,
    "qualification": (str, type(None)),
    "disabled": bool,
    "password_hash": str,
}
_TOKEN_KEYS: dict[str, type | tuple[type, ...]] = {"sha256": str, "revoked": bool}


def _entries(path: Path, key: str) -> LineDict:
    """The mapping under ``key`` of a desk file, empty when the file does not exist."""
    if not path.exists():
        return LineDict()
    root = load_yaml(path)
    problems = require_keys(root, {key: dict}, set(), path, what=path.name)
    raise_all(problems)
    entries = root.get(key, LineDict())
    for name in entries:
        if not isinstance(name, str) or not NAME.match(name):
            raise LeafletError(
                f"{brief(name)} is not a valid name (lower-case letters, digits, '.', '_', '-')",
                path,
                entries.line_of(name),
            )
    return entries


def _user(name: str, entry: object, path: Path) -> User:
    problems = require_keys(
        entry, _USER_KEYS, {"full_name", "roles", "password_hash"}, path, what=f"user {name!r}",
        max_length={"password_hash": 200},
    )  # fmt: skip
    raise_all(problems)
    assert isinstance(entry, LineDict)
    roles = entry["roles"]
    for index, role in enumerate(roles):
        if role not in ROLES:
            raise LeafletError(
                f"user {name!r}: unknown role {brief(role)}; known: {', '.join(ROLES)}",
                path,
                roles.item_lines[index],
            )
    for key in ("full_name", "qualification"):
        if isinstance(entry.get(key), str) and (problem := unprintable(entry[key])):
            raise LeafletError(f"user {name!r}: {key} has {problem}", path, entry.line_of(key))
    if not entry["password_hash"].startswith("$argon2"):
        raise LeafletError(
            f"user {name!r}: password_hash is not an argon2 hash; set the password with "
            "'leafletgen users add'",
            path,
            entry.line_of("password_hash"),
        )
    return User(
        name=name,
        full_name=entry["full_name"],
        roles=frozenset(roles),
        qualification=entry.get("qualification") or None,
        disabled=bool(entry.get("disabled", False)),
        password_hash=entry["password_hash"],
    )


def load_users(root: Path) -> dict[str, User]:
    """Every desk user of the project at ``root`` (none when there is no ``desk/users.yaml``)."""
    path = users_file(root)
    return {name: _user(name, entry, path) for name, entry in _entries(path, "users").items()}


def load_tokens(root: Path) -> dict[str, Token]:
    """Every portal client's token of the project at ``root``, revoked ones included."""
    path = tokens_file(root)
    tokens = {}
    for client, entry in _entries(path, "tokens").items():
        raise_all(require_keys(entry, _TOKEN_KEYS, {"sha256"}, path, what=f"token {client!r}"))
        if not re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]):
            raise LeafletError(
                f"token {client!r}: sha256 is not a SHA-256", path, entry.line_of("sha256")
            )
        tokens[client] = Token(client, entry["sha256"], bool(entry.get("revoked", False)))
    return tokens


def user_actor(root: Path, name: str, *, role: str) -> Actor:
    """The desk user ``name`` acting on the command line in ``role``.

    The user must be in ``desk/users.yaml``, not disabled, and hold ``role``;
    otherwise a :class:`LeafletError` naming ``desk/users.yaml`` says which.
    """
    path = users_file(root)
    if role not in ROLES:
        raise LeafletError(f"unknown role {brief(role)}; known: {', '.join(ROLES)}", path)
    user = load_users(root).get(name)
    if user is None:
        raise LeafletError(
            f"no desk user {brief(name)} in {DESK}/users.yaml; an admin adds one with "
            f"'leafletgen users add {name if NAME.match(name) else 'NAME'} --role {role}'",
            path,
        )
    if user.disabled:
        raise LeafletError(f"desk user {name!r} is disabled in {DESK}/users.yaml", path)
    if role not in user.roles:
        held = ", ".join(sorted(user.roles)) or "none"
        raise LeafletError(
            f"desk user {name!r} does not hold the role {role!r} in {DESK}/users.yaml "
            f"(holds: {held})",
            path,
        )
    return Actor(
        name=user.name, roles=user.roles, qualification=user.qualification, via="command line"
    )


def check_password(users: dict[str, User], name: str, password: str) -> User | None:
    """The user ``name`` if ``password`` is theirs and they are not disabled, else ``None``.

    An unknown name costs as much time as a wrong password, so the answer's
    delay does not tell which names exist.
    """
    user = users.get(name)
    dummy = _dummy_hash()  # (made at the first check whatever the name: same delay for all)
    try:
        _HASHER.verify(user.password_hash if user else dummy, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    return user


def token_actor(tokens: dict[str, Token], token: str) -> Actor | None:
    """The portal client whose unrevoked token is ``token``, as an actor; else ``None``."""
    digest = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
    found = None
    for entry in tokens.values():  # every entry compared, in constant time each
        if hmac.compare_digest(entry.sha256, digest) and not entry.revoked:
            found = entry
    if found is None:
        return None
    return Actor(name=found.client, roles=frozenset(), qualification=None, via="token")


# --- writing ------------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """Hold the desk folder's lock, so two commands never lose each other's change."""
    folder = Path(root) / DESK
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write(path: Path, key: str, entries: dict[str, dict[str, object]]) -> None:
    from leafletgen.files import write_atomic

    text = (
        "# Written by leafletgen; change it with 'leafletgen users' / 'leafletgen tokens'.\n"
        + yaml.safe_dump({key: entries}, sort_keys=True, allow_unicode=True, width=1000)
    )
    write_atomic(path, text.encode("utf-8"))
    os.chmod(path, 0o600)  # password hashes and token digests: the owner's only


def _check_name(name: str, what: str) -> None:
    if not NAME.match(name):
        raise LeafletError(
            f"{what} name {brief(name)} must be 1-64 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )


def _check_text(value: str, what: str) -> None:
    if not value.strip():
        raise LeafletError(f"{what} may not be empty")
    if len(value) > 200:
        raise LeafletError(f"{what} is {len(value)} characters long; at most 200 are allowed")
    if problem := unprintable(value):
        raise LeafletError(f"{what} has {problem}")


def _user_entry(user: User) -> dict[str, object]:
    return {
        "full_name": user.full_name,
        "roles": sorted(user.roles, key=ROLES.index),
        "qualification": user.qualification,
        "disabled": user.disabled,
        "password_hash": user.password_hash,
    }


def add_user(
    root: Path,
    name: str,
    *,
    full_name: str,
    roles: list[str],
    password: str,
    qualification: str | None = None,
) -> User:
    """Add the desk user ``name`` (a new name only) and return them."""
    _check_name(name, "user")
    _check_text(full_name, "--full-name")
    if qualification is not None:
        _check_text(qualification, "--qualification")
    if not roles:
        raise LeafletError(f"a desk user needs at least one --role: {', '.join(ROLES)}")
    for role in roles:
        if role not in ROLES:
            raise LeafletError(f"unknown role {brief(role)}; known: {', '.join(ROLES)}")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise LeafletError(
            f"a password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long "
            f"(this one is {len(password)})"
        )
    with _locked(root):
        users = load_users(root)
        if name in users:
            raise LeafletError(f"desk user {name!r} already exists", users_file(root))
        user = User(name, full_name, frozenset(roles), qualification, False, _HASHER.hash(password))
        users[name] = user
        _write(users_file(root), "users", {n: _user_entry(u) for n, u in users.items()})
    return user


def disable_user(root: Path, name: str) -> User:
    """Disable the desk user ``name``: they can no longer sign in or act."""
    with _locked(root):
        users = load_users(root)
        if name not in users:
            raise LeafletError(f"no desk user {brief(name)}", users_file(root))
        users[name] = replace(users[name], disabled=True)
        _write(users_file(root), "users", {n: _user_entry(u) for n, u in users.items()})
    return users[name]


def add_token(root: Path, client: str) -> str:
    """A new token for the portal client ``client`` (a new name only): shown once, never stored."""
    _check_name(client, "client")
    with _locked(root):
        tokens = load_tokens(root)
        if client in tokens:
            raise LeafletError(
                f"client {client!r} already has a token; revoke it and add the client under "
                "a new name",
                tokens_file(root),
            )
        token = secrets.token_urlsafe(32)
        tokens[client] = Token(client, hashlib.sha256(token.encode()).hexdigest(), False)
        _write(tokens_file(root), "tokens", _token_entries(tokens))
    return token


def revoke_token(root: Path, client: str) -> None:
    """Revoke the token of ``client``: it is refused from then on."""
    with _locked(root):
        tokens = load_tokens(root)
        if client not in tokens:
            raise LeafletError(f"no token for client {brief(client)}", tokens_file(root))
        tokens[client] = replace(tokens[client], revoked=True)
        _write(tokens_file(root), "tokens", _token_entries(tokens))


def _token_entries(tokens: dict[str, Token]) -> dict[str, dict[str, object]]:
    return {c: {"sha256": t.sha256, "revoked": t.revoked} for c, t in tokens.items()}
