"""The plan cache: a batch planned from the same inputs is not planned again.

Planning a batch parses every definition and source, selects every leaflet
and hashes the inputs of every job: about 2 ms a job, most of a no-op
build's time at 10,000 jobs. What planning derives (for each chosen leaflet
and language: the jobs with their input hashes, or why nothing is built; the
printed findings) depends only on the project's input files, leafletgen's
code and the build's options, so it is kept in ``.cache/plan.json`` in the
output folder (see :class:`~leafletgen.project.OutputLayout`) under a key
made of all of them:

- the name and sha256 of *every* file under ``sources/``, ``leaflets/``,
  ``templates/`` and ``locales/`` (a changed, added or removed source,
  definition, catalog, review record, clinic.yaml or template changes the
  key), and of any other file planning read (the clinic's logo), checked
  again when the cache is read;
- the sha256 of every file of the installed leafletgen package, its version
  and Python's;
- the project's folder, the options planning depends on, ``today`` and
  ``SOURCE_DATE_EPOCH``.

Whether each PDF on disk is intact and built from those input hashes
(:func:`~leafletgen.batch.plan.is_current`) is never cached: it is asked
again every build. The cache is a file in the output folder, read as
untrusted: bounded in size, its shape checked in full, and anything
malformed or of another key makes it be ignored (the batch is planned from
the files). It gives no more power than the manifest beside it: whoever can
write it can write the manifest's input hashes too. A plan in which
anything failed (a definition, a source, a selection) is not kept, so
errors are always found and reported from the files themselves.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from leafletgen import __version__
from leafletgen.errors import LeafletError
from leafletgen.files import file_sha256, read_regular, write_atomic
from leafletgen.project import OutputLayout, Project
from leafletgen.select.furniture import Finding

FORMAT = 1
# About 150 bytes a job and 300 a finding: 256 MB is far beyond any batch's plan.
MAX_CACHE_BYTES = 256 * 1024 * 1024
_HEX64 = re.compile(r"[0-9a-f]{64}")
_PACKAGE = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class PlannedJob:
    """One leaflet in one language, as planning left it: a job to check
    (``variant`` and its input hash ``inputs``), or a result known without any
    (``skipped``: why nothing is built)."""

    id: str
    lang: str
    variant: str | None = None
    inputs: str | None = None
    skipped: str | None = None


@dataclass(frozen=True)
class Plan:
    """What planning derived for one key: the chosen leaflets' ids in order,
    their planned jobs in order, and the printed findings (``None``: not
    asked for when it was planned)."""

    specs: tuple[str, ...]
    jobs: tuple[PlannedJob, ...]
    findings: tuple[Finding, ...] | None


@cache
def code_digest() -> str:
    """The sha256 of every file of the leafletgen package (names and contents):
    new code that derives a plan differently makes a new key."""
    digest = hashlib.sha256()
    files = sorted(p for p in _PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        digest.update(path.relative_to(_PACKAGE).as_posix().encode("utf-8", "surrogateescape"))
        digest.update(b"\0" + bytes.fromhex(file_sha256(path)))
    return digest.hexdigest()


def _file_digest(path: Path) -> str:
    try:
        return file_sha256(path)
    except OSError:  # (unreadable, or not a regular file: a name with no content)
        return "<unreadable>"


def input_files_digest(project: Project) -> str:
    """The sha256 of the name and content of every file under the project's
    sources, leaflets, templates and locales folders."""
    digest = hashlib.sha256()
    for folder in (project.sources, project.leaflets, project.templates, project.locales):
        for where, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(files):
                path = Path(where) / name
                relative = os.path.relpath(path, project.root)
                digest.update(relative.encode("utf-8", "surrogateescape") + b"\0")
                digest.update(_file_digest(path).encode() + b"\n")
    return digest.hexdigest()


def plan_key(project: Project, options: dict[str, object]) -> str:
    """The key a plan is kept under: the input files, the code, the project's
    folder and ``options`` (JSON-serialisable values planning depends on)."""
    described = {
        "version": __version__,
        "python": sys.version,
        "code": code_digest(),
        "root": str(project.root.resolve()),
        "epoch": os.environ.get("SOURCE_DATE_EPOCH"),
        "options": options,
        "inputs": input_files_digest(project),
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()


def _in_folders(relative: str) -> bool:
    return Path(relative).parts[:1] in (("sources",), ("leaflets",), ("templates",), ("locales",))


def _within(relative: str) -> bool:
    """Whether ``relative`` names a file inside the project (no ``..``, not absolute)."""
    return not Path(relative).is_absolute() and ".." not in Path(relative).parts


# --- reading and writing, as untrusted data -----------------------------------------------


def _strings(value: object, count: int) -> list:
    if not (isinstance(value, list) and len(value) == count):
        raise ValueError("malformed record")
    if not all(v is None or isinstance(v, str) for v in value):
        raise ValueError("malformed record")
    return value


def _planned(value: object) -> PlannedJob:
    id_, lang, variant, inputs, skipped = _strings(value, 5)
    if not (id_ and lang) or (skipped is None) == (variant is None or inputs is None):
        raise ValueError("a planned job is either a job or a known result")
    if inputs is not None and not _HEX64.fullmatch(inputs):
        raise ValueError("malformed input hash")
    return PlannedJob(id_, lang, variant, inputs, skipped)


def _finding(value: object) -> Finding:
    if not (isinstance(value, list) and len(value) == 4 and isinstance(value[3], bool)):
        raise ValueError("malformed finding")
    where, message, leaflet = _strings(value[:3], 3)
    if where is None or message is None or leaflet is None:
        raise ValueError("malformed finding")
    return Finding(where, message, leaflet, value[3])


def _parse(data: bytes, key: str, project: Project) -> Plan:
    """The plan kept in ``data`` under ``key``; ValueError when anything is
    malformed, of another key, or a file outside the input folders changed."""
    parsed = json.loads(data)
    if not isinstance(parsed, dict) or parsed.get("format") != FORMAT or parsed.get("key") != key:
        raise ValueError("not a plan of this format and key")
    outside, specs = parsed.get("outside"), parsed.get("specs")
    if not isinstance(outside, dict) or not isinstance(specs, list):
        raise ValueError("malformed plan")
    if not all(isinstance(spec, str) and spec for spec in specs):
        raise ValueError("malformed leaflet id")
    for relative, sha256 in outside.items():
        if _in_folders(relative) or not _within(relative) or not isinstance(sha256, str):
            raise ValueError("malformed dependency")
        if _file_digest(project.root / relative) != sha256:
            raise ValueError("a file planning read has changed")
    jobs, findings = parsed.get("jobs"), parsed.get("findings")
    if not isinstance(jobs, list) or not (findings is None or isinstance(findings, list)):
        raise ValueError("malformed plan")
    return Plan(
        tuple(specs),
        tuple(map(_planned, jobs)),
        None if findings is None else tuple(map(_finding, findings)),
    )


def load_plan(out: Path, key: str, project: Project) -> Plan | None:
    """The plan kept in ``out`` under ``key``; ``None`` when there is none, it
    is of another key, or anything in it is malformed."""
    path = OutputLayout(Path(out)).plan_cache
    try:
        data = read_regular(path, limit=MAX_CACHE_BYTES, what="plan cache")
        return _parse(data, key, project)
    except (LeafletError, ValueError, TypeError, RecursionError):
        return None  # (only a shortcut: the batch is planned from the files)


def save_plan(out: Path, key: str, project: Project, plan: Plan, read: list[Path]) -> None:
    """Keep ``plan`` under ``key`` in ``out``; ``read``: the files planning
    read, those outside the input folders checked again when it is loaded.
    Nothing is written when the same plan is there already; a cache that
    cannot be written is left out."""
    outside = {}
    for path in read:
        relative = os.path.relpath(Path(path).resolve(), project.root.resolve())
        if _within(relative) and not _in_folders(relative):
            outside[relative] = _file_digest(project.root / relative)
    data = json.dumps(
        {
            "format": FORMAT,
            "key": key,
            "outside": outside,
            "specs": list(plan.specs),
            "jobs": [[j.id, j.lang, j.variant, j.inputs, j.skipped] for j in plan.jobs],
            "findings": None
            if plan.findings is None
            else [[f.where, f.message, f.leaflet, f.blocking] for f in plan.findings],
        },
        sort_keys=True,
    ).encode()
    path = OutputLayout(Path(out)).plan_cache
    try:
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    except OSError:
        return
