"""The desk's accounts and permissions: ``desk/users.yaml`` and
``desk/tokens.yaml`` as files, the ``users`` and ``tokens`` commands, the one
permission table, and ``serve`` refusing to start open to the network.

Every user here is a clearly fictional one, in a throwaway copy of the project."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import child_env
from leafletgen import accounts
from leafletgen.accounts import Actor
from leafletgen.errors import LeafletError
from leafletgen.permissions import ACTIONS, allowed

PASSWORD = "fictional password for rosa"


def leafletgen(*args: str, project: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "leafletgen.cli", *args, "--project", str(project)]
    return subprocess.run(
        command, input=stdin, capture_output=True, text=True, timeout=120, env=child_env()
    )


# --- what each role may do ----------------------------------------------------------------

EXPECTED = {
    # role: actions allowed
    "staff": {"view", "read_api"},
    "editor": {"view", "read_api", "build", "review_source", "record_permission"},
    "translation-reviewer": {"view", "read_api", "review_translation"},
    "admin": {"view", "read_api", "manage_users", "manage_tokens"},
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_may_do_exactly_its_actions(role):
    actor = Actor("rosa-reviewer", frozenset({role}), "fictional qualification", "session")
    assert {action for action in ACTIONS if allowed(actor, action)} == EXPECTED[role]


def test_translation_review_needs_a_qualification_and_tokens_only_read():
    unqualified = Actor("rosa-reviewer", frozenset({"translation-reviewer"}), None, "proxy")
    assert not allowed(unqualified, "review_translation") and allowed(unqualified, "view")
    blank = Actor("rosa-reviewer", frozenset({"translation-reviewer"}), "  ", "proxy")
    assert not allowed(blank, "review_translation")
    # a token never acts for a person, whatever roles it were given
    token = Actor("portal", frozenset(accounts.ROLES), "x", "token")
    assert [a for a in ACTIONS if allowed(token, a)] == ["read_api"]
    nobody = Actor("nobody", frozenset(), None, "session")
    assert not any(allowed(nobody, a) for a in ACTIONS)
    with pytest.raises(ValueError, match="unknown action 'biuld'"):
        allowed(nobody, "biuld")


# --- the files ------------------------------------------------------------------------------


@pytest.mark.slow
def test_users_are_stored_with_an_argon2_hash_only(tmp_path):
    user = accounts.add_user(
        tmp_path, "rosa-reviewer", full_name="Rosa Reviewer", roles=["translation-reviewer"],
        password=PASSWORD, qualification="fictional qualification",
    )  # fmt: skip
    text = accounts.users_file(tmp_path).read_text()
    assert PASSWORD not in text and "$argon2id$" in text
    assert "password_hash" not in repr(user) and PASSWORD not in repr(user)
    assert accounts.users_file(tmp_path).stat().st_mode & 0o077 == 0  # the owner's only
    users = accounts.load_users(tmp_path)
    assert accounts.check_password(users, "rosa-reviewer", PASSWORD) == user
    assert accounts.check_password(users, "rosa-reviewer", PASSWORD + "x") is None
    assert accounts.check_password(users, "nobody", PASSWORD) is None
    actor = accounts.user_actor(tmp_path, "rosa-reviewer", role="translation-reviewer")
    assert actor == Actor(
        "rosa-reviewer",
        frozenset({"translation-reviewer"}),
        "fictional qualification",
        "command line",
    )


@pytest.mark.parametrize(
    "name, role, message",
    [
        ("nobody", "editor", "no desk user 'nobody' in desk/users.yaml"),
        ("rosa-reviewer", "editor", "does not hold the role 'editor' in desk/users.yaml"),
        ("rosa-reviewer", "chief", "unknown role 'chief'"),
    ],
)
def test_user_actor_names_what_is_wrong(tmp_path, name, role, message):
    accounts.add_user(
        tmp_path, "rosa-reviewer", full_name="Rosa Reviewer", roles=["staff"], password=PASSWORD
    )
    with pytest.raises(LeafletError, match=message) as raised:
        accounts.user_actor(tmp_path, name, role=role)
    assert raised.value.path.endswith("desk/users.yaml")


def test_a_disabled_user_cannot_act_or_sign_in(tmp_path):
    accounts.add_user(
        tmp_path, "rosa-reviewer", full_name="Rosa Reviewer", roles=["editor"], password=PASSWORD
    )
    accounts.disable_user(tmp_path, "rosa-reviewer")
    with pytest.raises(LeafletError, match="disabled"):
        accounts.user_actor(tmp_path, "rosa-reviewer", role="editor")
    assert accounts.check_password(accounts.load_users(tmp_path), "rosa-reviewer", PASSWORD) is None


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("users:\n  rosa:\n    full_name: R\n    roles: [chief]\n    password_hash: $argon2id$x\n",
         4, "unknown role 'chief'"),
        ("users:\n  rosa:\n    full_name: R\n    roles: [staff]\n    password_hash: plain\n",
         5, "not an argon2 hash"),
        ("users:\n  Rosa Reviewer:\n    full_name: R\n", 2, "not a valid name"),
        ("users:\n  rosa:\n    full_name: R\n    roles: [staff]\n    pasword_hash: x\n",
         5, "did you mean 'password_hash'"),
        ("users: [a, b]\n", 1, "'users' must be a mapping"),
    ],
)  # fmt: skip
def test_a_broken_users_file_is_refused_with_its_line(tmp_path, text, line, message):
    path = accounts.users_file(tmp_path)
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(LeafletError, match=message) as raised:
        accounts.load_users(tmp_path)
    assert (Path(raised.value.path), raised.value.line) == (path, line)


def test_new_users_and_tokens_are_checked(tmp_path):
    add = dict(full_name="Rosa Reviewer", roles=["staff"], password=PASSWORD)
    for name, options, message in (
        ("Rosa", {}, "must be 1-64 lower-case"),
        ("rosa", {"roles": []}, "at least one --role"),
        ("rosa", {"roles": ["chief"]}, "unknown role"),
        ("rosa", {"password": "short"}, "12 to 128 characters"),
        ("rosa", {"full_name": "Rosa\x1b[2J"}, "control character"),
    ):
        with pytest.raises(LeafletError, match=message):
            accounts.add_user(tmp_path, name, **{**add, **options})
    accounts.add_user(tmp_path, "rosa", **add)
    with pytest.raises(LeafletError, match="already exists"):
        accounts.add_user(tmp_path, "rosa", **add)
    accounts.add_token(tmp_path, "portal")
    with pytest.raises(LeafletError, match="already has a token"):
        accounts.add_token(tmp_path, "portal")


# --- the commands ----------------------------------------------------------------------------


@pytest.mark.slow
def test_users_and_tokens_commands_never_show_a_secret_twice(project_copy):
    root = project_copy.root
    added = leafletgen(
        "users", "add", "rosa-reviewer", "--role", "translation-reviewer", "--role", "staff",
        "--full-name", "Rosa Reviewer", "--qualification", "fictional qualification",
        "--password-stdin", project=root, stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout == "desk/users.yaml: added rosa-reviewer (staff, translation-reviewer)\n"
    listed = leafletgen("users", "list", project=root)
    assert listed.stdout == (
        "rosa-reviewer\tstaff,translation-reviewer\tactive\tRosa Reviewer"
        "  qualification: fictional qualification\n"
    )
    made = leafletgen("tokens", "add", "clinic-portal", project=root)
    token = made.stdout.splitlines()[-1]
    assert len(token) >= 43 and "shown once" in made.stdout
    assert leafletgen("tokens", "list", project=root).stdout == "clinic-portal\tactive\n"
    assert leafletgen("tokens", "revoke", "clinic-portal", project=root).returncode == 0
    assert leafletgen("tokens", "list", project=root).stdout == "clinic-portal\trevoked\n"
    assert token not in leafletgen("tokens", "list", project=root).stdout
    disabled = leafletgen("users", "disable", "rosa-reviewer", project=root)
    assert (
        disabled.returncode == 0 and "disabled" in leafletgen("users", "list", project=root).stdout
    )
    # neither the password nor the token is in any file of the project
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert PASSWORD.encode() not in data and token.encode() not in data, path
    # each change is in the audit trail, by the command line's user, without a secret
    trail = [json.loads(line) for line in (root / "desk/audit.jsonl").read_text().splitlines()]
    assert [r["action"] for r in trail] == [
        "users.add", "tokens.add", "tokens.revoke", "users.disable",
    ]  # fmt: skip
    assert trail[0]["what"]["roles"] == ["staff", "translation-reviewer"]
    assert list(trail[0]["files"]) == ["desk/users.yaml"]
    # no terminal to type on, no --password-stdin: refused, nothing read from a pipe
    refused = leafletgen(
        "users", "add", "ana", "--role", "staff", "--full-name", "Ana", project=root, stdin="x"
    )
    assert refused.returncode == 1 and "use --password-stdin" in refused.stderr


@pytest.mark.slow
def test_serve_refuses_to_start_open_to_the_network(project_copy):
    root = project_copy.root
    serve = ("serve", "--host", "0.0.0.0", "--port", "0")
    bare = leafletgen(*serve, project=root)
    assert bare.returncode == 1
    assert "the desk will not start" in bare.stderr and "needs sign-in" in bare.stderr
    assert "--allowed-host NAME" in bare.stderr
    proxy = leafletgen(*serve, "--auth", "proxy", "--allowed-host", "desk.example", project=root)
    assert proxy.returncode == 1 and "--auth proxy needs --trusted-proxy" in proxy.stderr
    accounts.add_user(
        root, "rosa-admin", full_name="Rosa Admin", roles=["admin"], password=PASSWORD
    )
    no_hosts = leafletgen(*serve, project=root)
    assert no_hosts.returncode == 1 and "needs sign-in" not in no_hosts.stderr
    assert "--allowed-host NAME" in no_hosts.stderr
    wrong = leafletgen(
        *serve, "--auth", "proxy", "--trusted-proxy", "proxy.example", "--allowed-host", "d",
        project=root,
    )  # fmt: skip
    assert wrong.returncode == 1 and "is not an IP address" in wrong.stderr
