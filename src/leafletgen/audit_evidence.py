"""Whether the review records and permissions are the ones the audit trail wrote.

A translation review (``locales/<lang>/reviews.yaml``), a source review
(``sources/reviews.yaml``) and a publisher's permission (``licence.permission``
in ``sources/sources.yaml``) are a clinic's evidence. leafletgen writes the
review files and records each write, with the file's sha256, in the audit
trail (:mod:`leafletgen.audit`); a permission is written into sources.yaml by
hand and then recorded with ``leafletgen audit permission``. ``check`` asks
this module whether each file still is what the trail last recorded, whether
any review or permission exists that no record wrote, and whether the trail
itself is intact.

A project without a trail (one made before the trail existed) is told in one
line how to start it: ``leafletgen audit start`` records the files as they
stand, under the name of whoever runs it, as the trail's baseline.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from leafletgen import audit
from leafletgen.errors import LeafletError
from leafletgen.yamlfile import LineDict, LineList, load_yaml

SOURCE_REVIEWS = "sources/reviews.yaml"
SOURCES = "sources/sources.yaml"
# A name read from the trail is data: a language folder named ".." is none.
REVIEW_FILE = re.compile(r"^(sources/reviews\.yaml|locales/(?!\.\.?/)[^/]+/reviews\.yaml)$")
START_ACTIONS = ("audit.start", "audit.accept")


def review_files(root: Path) -> list[Path]:
    """The review records of the project that exist: source reviews, then each language's."""
    found = [root / SOURCE_REVIEWS] if (root / SOURCE_REVIEWS).is_file() else []
    locales = root / "locales"
    if locales.is_dir():
        found += sorted(p for p in locales.glob("*/reviews.yaml") if p.is_file())
    return found


def first_review_line(path: Path) -> int | None:
    """The line of the first review a review file records (``None``: it records none).

    A file that cannot be read is taken as holding reviews (line 1): ``check``
    reports why it cannot be read elsewhere, and it is not evidence either way.
    """
    try:
        data = load_yaml(path)
    except LeafletError:
        return 1
    reviews = data.get("reviews")
    if not isinstance(reviews, LineList) or not reviews:
        return None
    return reviews.item_lines[0] if reviews.item_lines else data.line_of("reviews")


@dataclass(frozen=True)
class Permission:
    """A ``licence.permission`` of sources.yaml, at its line."""

    source: str
    text: str
    line: int


def permissions(root: Path) -> list[Permission]:
    """Every permission sources.yaml records (entries it cannot read are left to ``check``)."""
    try:
        data = load_yaml(root / SOURCES)
    except LeafletError:
        return []
    found = []
    for entry in data.get("sources") or []:
        licence = entry.get("licence") if isinstance(entry, LineDict) else None
        if isinstance(licence, LineDict) and isinstance(licence.get("permission"), str):
            source = str(entry.get("id"))
            found.append(Permission(source, licence["permission"], licence.line_of("permission")))
    return found


@dataclass(frozen=True)
class Evidence:
    """What ``check`` says about the trail and the records it vouches for."""

    problems: tuple[str, ...]  # check fails on these
    notes: tuple[str, ...]  # no trail yet: a warning, an error under --strict

    def fails(self, *, strict: bool) -> bool:
        """Whether ``check`` fails on it."""
        return bool(self.problems) or (strict and bool(self.notes))

    def lines(self, *, strict: bool) -> list[str]:
        """As ``check`` prints it."""
        level = "error" if strict else "warning"
        return [f"error: {p}" for p in self.problems] + [f"{level}: {n}" for n in self.notes]


def _where(record: audit.Record) -> str:
    return f"{audit.TRAIL}:{record.line}, {record.action} by {record.who} ({record.via})"


def _file_problems(root: Path, records: Sequence[audit.Record]) -> list[str]:
    """Review files that differ from their last recorded hash, or that no record wrote."""
    last: dict[str, tuple[str | None, audit.Record]] = {}
    for record in records:
        for name, digest in record.files.items():
            if REVIEW_FILE.match(name):
                last[name] = (digest, record)
    names = {audit.name_of(p, root) for p in review_files(root)} | set(last)
    problems = []
    for name in sorted(names):
        now = audit.file_sha256(root / name)
        if name in last:
            recorded, record = last[name]
            if now == recorded:
                continue
            change = "was removed" if now is None else "differs from the sha256"
            problems.append(
                f"{name}: {change} the audit trail last recorded for it ({_where(record)} "
                f"at {record.time}): changed outside leafletgen; put back the recorded "
                "version, or record the change under your name with "
                "`leafletgen audit start --accept-edits`"
            )
        elif now is not None and (line := first_review_line(root / name)) is not None:
            problems.append(
                f"{name}:{line}: a review that no audit record wrote (the trail never recorded "
                "this file): record reviews with leafletgen, or accept the file under your "
                "name with `leafletgen audit start --accept-edits`"
            )
    return problems


def recorded_permissions(records: Sequence[audit.Record]) -> dict[str, str]:
    """Each source's permission as the trail last recorded it."""
    found: dict[str, str] = {}
    for record in records:
        if record.action == "permission" and isinstance(record.what.get("source"), str):
            found[record.what["source"]] = str(record.what.get("permission"))
        elif record.action in START_ACTIONS and isinstance(record.what.get("permissions"), dict):
            found.update({str(k): str(v) for k, v in record.what["permissions"].items()})
    return found


def _permission_problems(root: Path, records: Sequence[audit.Record]) -> list[str]:
    recorded = recorded_permissions(records)
    return [
        f"{SOURCES}:{p.line}: the permission for {p.source} has no audit record of it "
        f"being recorded as it now reads: record who holds it with "
        f"`leafletgen audit permission {p.source}`"
        for p in permissions(root)
        if recorded.get(p.source) != p.text
    ]


def _no_trail_note(root: Path) -> list[str]:
    """One line for a project whose reviews or permissions predate its trail."""
    held = [
        f"{audit.name_of(p, root)}:{line}"
        for p in review_files(root)
        if (line := first_review_line(p)) is not None
    ]
    held += [f"{SOURCES}:{p.line}" for p in permissions(root)]
    if not held:
        return []
    more = f" (and {len(held) - 1} more)" if len(held) > 1 else ""
    return [
        f"{held[0]}{more}: reviews or permissions are recorded but the project has no "
        f"audit trail yet ({audit.TRAIL}): once you have checked them, start the trail "
        "with `leafletgen audit start`, which records them as they stand under your name"
    ]


def evidence(root: Path) -> Evidence:
    """Whether the trail is intact and vouches for every review and permission."""
    root = Path(root)
    if not audit.trail_path(root).exists() and not audit.head_path(root).exists():
        return Evidence((), tuple(_no_trail_note(root)))
    records, damage = audit.read_trail(root)
    problems = [str(problem) for problem in damage]
    problems += _file_problems(root, records)
    problems += _permission_problems(root, records)
    return Evidence(tuple(problems), ())


def baseline(root: Path, *, accept: bool) -> tuple[str, dict[str, object], list[Path]]:
    """The action, what and files of ``audit start``: every review file and
    permission as they stand now."""
    root = Path(root)
    exists = audit.trail_path(root).exists() or audit.head_path(root).exists()
    if exists and not accept:
        raise audit.AuditError(
            "the audit trail has already started; to record review files or permissions "
            "changed outside leafletgen as they now stand, under your name: "
            "`leafletgen audit start --accept-edits`",
            audit.TRAIL,
        )
    files = review_files(root)
    if exists:  # a review file removed since it was recorded: recorded as removed
        records, _ = audit.read_trail(root)
        named = {audit.name_of(p, root) for p in files}
        gone = {n for r in records for n in r.files if REVIEW_FILE.match(n)} - named
        files += [root / name for name in sorted(gone)]
    what: dict[str, object] = {
        "files": [audit.name_of(p, root) for p in files],
        "permissions": {p.source: p.text for p in permissions(root)},
    }
    sources = root / SOURCES
    return ("audit.accept" if exists else "audit.start"), what, [*files, sources]
