"""``leafletgen users`` and ``leafletgen tokens``: the desk's accounts and the
portal clients' tokens; and ``serve``'s sign-in options.

A password is read without echo (twice, to catch a typo), or as one line of
standard input with ``--password-stdin``; it is never an argument, which any
user of the machine could read in the process list. A token is printed once,
when it is made; only its SHA-256 is kept.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from leafletgen import accounts, audit
from leafletgen.errors import LeafletError
from leafletgen.project import Project
from leafletgen.translate.catalogs import project_relative


def _project(args: argparse.Namespace) -> Project:
    if args.project is not None and not Path(args.project).is_dir():
        raise LeafletError("no such project folder", args.project)
    return Project.find(args.project if args.project is not None else ".")


def read_password(from_stdin: bool) -> str:
    """The new user's password: a line of standard input, or typed twice without echo."""
    if from_stdin:
        return sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    if not sys.stdin.isatty():
        raise LeafletError("no terminal to type the password on; use --password-stdin")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != password:
        raise LeafletError("the two passwords differ; nothing was changed")
    return password


def cmd_users(args: argparse.Namespace) -> int:
    """``users add|list|disable``."""
    project = _project(args)
    where = project_relative(accounts.users_file(project.root), project.root)
    if args.action == "list":
        for user in accounts.load_users(project.root).values():
            roles = ",".join(sorted(user.roles, key=accounts.ROLES.index))
            state = "disabled" if user.disabled else "active"
            qualification = f"  qualification: {user.qualification}" if user.qualification else ""
            print(f"{user.name}\t{roles}\t{state}\t{user.full_name}{qualification}")
        return 0
    if not args.name:
        raise LeafletError(f"users {args.action} needs a user NAME")
    if args.action == "disable":
        accounts.disable_user(project.root, args.name)
        _record(project, "users.disable", {"user": args.name}, accounts.users_file(project.root))
        print(f"{where}: {args.name} disabled; their sessions end at their next request")
        return 0
    if not args.full_name:
        raise LeafletError('users add needs --full-name "..." (the name shown on the record)')
    user = accounts.add_user(
        project.root, args.name, full_name=args.full_name, roles=args.role or [],
        password=read_password(args.password_stdin), qualification=args.qualification,
    )  # fmt: skip
    what = {"user": user.name, "roles": sorted(user.roles), "qualification": user.qualification}
    _record(project, "users.add", what, accounts.users_file(project.root))
    print(f"{where}: added {user.name} ({', '.join(sorted(user.roles))})")
    if "translation-reviewer" in user.roles and not user.qualification:
        print("warning: a translation reviewer approves nothing without --qualification on record")
    return 0


def _record(project: Project, action: str, what: dict[str, object], file: Path) -> None:
    """Append an account or token change to the audit trail, with the file as it
    now stands (users.yaml holds password hashes, tokens.yaml token digests: the
    trail holds only the files' hashes, never a password or a token)."""
    audit.append_cli(project.root, action, what, [file])


def cmd_tokens(args: argparse.Namespace) -> int:
    """``tokens add|list|revoke``."""
    project = _project(args)
    where = project_relative(accounts.tokens_file(project.root), project.root)
    if args.action == "list":
        for token in accounts.load_tokens(project.root).values():
            print(f"{token.client}\t{'revoked' if token.revoked else 'active'}")
        return 0
    if not args.client:
        raise LeafletError(f"tokens {args.action} needs a CLIENT name")
    if args.action == "revoke":
        accounts.revoke_token(project.root, args.client)
        _record(
            project, "tokens.revoke", {"client": args.client}, accounts.tokens_file(project.root)
        )
        print(f"{where}: the token of {args.client} is revoked")
        return 0
    token = accounts.add_token(project.root, args.client)
    _record(project, "tokens.add", {"client": args.client}, accounts.tokens_file(project.root))
    print(f"{where}: token for {args.client} (shown once; only its SHA-256 is kept):")
    print(token)
    return 0


def add_account_commands(commands: Any) -> None:
    """``users add|list|disable`` and ``tokens add|list|revoke``."""
    users = commands.add_parser("users", help="the desk's users: add, list, disable")
    users.add_argument("action", choices=("add", "list", "disable"))
    users.add_argument("name", nargs="?", metavar="NAME", help="user name, e.g. 'mgarcia'")
    users.add_argument(
        "--role", action="append", choices=accounts.ROLES, help="add: a role (repeatable)"
    )
    users.add_argument("--full-name", help="add: the person's full name")
    users.add_argument(
        "--qualification", help="add: e.g. 'ATA-certified English-Spanish translator'"
    )
    users.add_argument(
        "--password-stdin", action="store_true", help="add: read the password from standard input"
    )
    users.add_argument("--project", help="project folder (default: here)")
    users.set_defaults(run=cmd_users)
    tokens = commands.add_parser("tokens", help="portal clients' API tokens: add, list, revoke")
    tokens.add_argument("action", choices=("add", "list", "revoke"))
    tokens.add_argument("client", nargs="?", metavar="CLIENT", help="client name, e.g. 'portal'")
    tokens.add_argument("--project", help="project folder (default: here)")
    tokens.set_defaults(run=cmd_tokens)


def add_serve_options(server: argparse.ArgumentParser) -> None:
    """``serve``'s sign-in and host options."""
    server.add_argument(
        "--auth",
        choices=("accounts", "proxy"),
        default="accounts",
        help="sign-in: the desk's own accounts (default) or a single sign-on proxy",
    )
    server.add_argument(
        "--proxy-header",
        default="X-Remote-User",
        help="--auth proxy: the header naming the signed-in user (default: X-Remote-User)",
    )
    server.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="the proxy's IP address or network, whose headers are believed (repeatable)",
    )
    server.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name the desk is reached by (repeatable; needed off loopback)",
    )


def serve_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments ``serve`` takes from ``serve``'s options."""
    from leafletgen.web.auth import AuthConfig  # the web stack loads only to serve

    auth = AuthConfig(
        mode=args.auth, proxy_header=args.proxy_header, trusted_proxies=tuple(args.trusted_proxy)
    )
    return {"auth": auth, "allowed_hosts": args.allowed_host}
