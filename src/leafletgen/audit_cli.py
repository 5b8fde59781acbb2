"""``leafletgen audit``: list the trail, verify it, start it, record a permission."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leafletgen import audit, audit_evidence
from leafletgen.errors import LeafletError
from leafletgen.project import Project
from leafletgen.translate import catalogs, reviews

if TYPE_CHECKING:
    from leafletgen.translate.xliff import ImportResult


def _project(folder: str | None) -> Project:
    if folder is not None and not Path(folder).is_dir():
        raise LeafletError("no such project folder", folder)
    return Project.find(folder if folder is not None else ".")


def matches(record: audit.Record, args: argparse.Namespace) -> bool:
    """Whether a record passes the filters of ``audit`` (``--action i18n``
    takes every ``i18n.*`` action)."""
    if args.who and record.who != args.who:
        return False
    wanted = args.action_filter
    if wanted and not (record.action == wanted or record.action.startswith(f"{wanted}.")):
        return False
    if args.since and (record.day is None or record.day < args.since):
        return False
    if args.leaflet:
        what = record.what
        named = [*_listed(what.get("ids")), *_listed(what.get("leaflets")), what.get("leaflet")]
        if args.leaflet not in named:
            return False
    return True


def _listed(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _shown(value: object) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value)) or "-"
    if isinstance(value, dict):
        return ",".join(f"{k}:{v}" for k, v in value.items()) or "-"
    return str(value)


def record_line(record: audit.Record) -> str:
    """One record as ``audit`` lists it."""
    what = " ".join(f"{key}={_shown(value)}" for key, value in record.what.items())
    files = f" [{len(record.files)} file(s)]" if record.files else ""
    return (
        f"{record.seq:>5} {record.time} {record.who} ({record.via}) {record.action}: {what}{files}"
    )


def record_json(record: audit.Record) -> dict[str, Any]:
    """One record as ``audit --json`` gives it, with the line it stands on."""
    return {
        "line": record.line,
        "seq": record.seq,
        "time": record.time,
        "who": record.who,
        "via": record.via,
        "action": record.action,
        "what": record.what,
        "files": record.files,
        "prev": record.prev,
        "sha256": record.digest,
    }


def _list(root: Path, args: argparse.Namespace) -> int:
    records, problems = audit.read_trail(root)
    chosen = [r for r in records if matches(r, args)]
    if args.json:
        json.dump([record_json(r) for r in chosen], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        for record in chosen:
            print(record_line(record))
        if not audit.trail_path(root).exists():
            print(f"no audit trail yet ({audit.TRAIL}); start it with `leafletgen audit start`")
    if problems:
        print(
            f"warning: the audit trail has {len(problems)} problem(s): "
            "`leafletgen audit verify` names them",
            file=sys.stderr,
        )
    return 0


def _verify(root: Path) -> int:
    problems = audit.verify(root)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{audit.TRAIL}: {len(problems)} problem(s)")
        return 1
    if not audit.trail_path(root).exists():
        print(f"no audit trail yet ({audit.TRAIL}): nothing to verify")
        return 0
    records, _ = audit.read_trail(root)
    print(
        f"{audit.TRAIL}: {len(records)} record(s), each naming the one before; "
        f"last record {audit.head(root)} (note it outside this machine to detect a rewrite)"
    )
    return 0


def _start(root: Path, args: argparse.Namespace) -> int:
    action, what, files = audit_evidence.baseline(root, accept=args.accept_edits)
    audit.append_cli(root, action, what, files)
    named = len(what["files"])  # type: ignore[arg-type]
    granted = len(what["permissions"])  # type: ignore[arg-type]
    print(
        f"{audit.TRAIL}: {action} by {audit.command_line_user()} (cli): {named} review "
        f"file(s) and {granted} permission(s) recorded as they stand"
    )
    return 0


def _permission(root: Path, source: str | None) -> int:
    if not source:
        raise LeafletError("audit permission needs the source id: audit permission ID")
    found = {p.source: p for p in audit_evidence.permissions(root)}
    if source not in found:
        raise LeafletError(
            f"source {source!r} has no licence.permission to record: write the permission "
            "the clinic holds there first (never one it does not hold)",
            audit_evidence.SOURCES,
        )
    permission = found[source]
    what = {"source": source, "permission": permission.text}
    audit.append_cli(root, "permission", what, [root / audit_evidence.SOURCES])
    print(
        f"{audit_evidence.SOURCES}:{permission.line}: permission for {source} recorded "
        f"by {audit.command_line_user()} (cli)"
    )
    return 0


def record_import(
    project: Project, lang: str, args: argparse.Namespace, result: ImportResult
) -> None:
    """The record of ``i18n import``: the file read, what changed, who is named,
    and the catalogs' and review record's hashes."""
    locales = project.locales
    files = [catalogs.po_path(locales, lang, d) for d in catalogs.DOMAINS]
    what = {"language": lang, "file": audit.name_of(Path(args.file), project.root)}
    what |= {"changed": len(result.changed), "fuzzy": len(result.fuzzy)}
    what |= {"approved": result.approved, "reviewer": args.reviewer, "translator": args.translator}
    files.append(reviews.record_path(locales, lang))
    audit.append_cli(project.root, "i18n.import", what, files)


def cmd_audit(args: argparse.Namespace) -> int:
    """``audit [list|verify|start|permission ID]``."""
    root = _project(args.project).root
    if args.action == "verify":
        return _verify(root)
    if args.action == "start":
        return _start(root, args)
    if args.action == "permission":
        return _permission(root, args.id)
    return _list(root, args)


def add_audit_command(commands: Any) -> None:
    """``audit`` and its options."""
    parser = commands.add_parser(
        "audit", help="the audit trail: list it, verify its chain, start it, record a permission"
    )
    parser.add_argument(
        "action", nargs="?", default="list", choices=("list", "verify", "start", "permission")
    )
    parser.add_argument("id", nargs="?", metavar="ID", help="permission: the source id")
    parser.add_argument("--who", help="list: only records by this person or client")
    parser.add_argument("--action", dest="action_filter", metavar="ACTION",
                        help="list: only this action (i18n: every i18n.* action)")  # fmt: skip
    parser.add_argument(
        "--since", type=dt.date.fromisoformat, help="list: only records from this date (UTC)"
    )
    parser.add_argument("--leaflet", metavar="ID", help="list: only records naming this leaflet")
    parser.add_argument("--json", action="store_true", help="list: the records as JSON")
    parser.add_argument(
        "--accept-edits",
        action="store_true",
        help="start: record review files changed outside leafletgen as they now stand",
    )
    parser.add_argument("--project", help="project folder (default: here)")
    parser.set_defaults(run=cmd_audit)
