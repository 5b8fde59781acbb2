"""The audit trail: each command appends exactly its record, the chain notices
an edited, removed, inserted or reordered line, and ``check`` fails on a
review record changed by hand. The real command line, on throwaway copies of
the project."""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import desk_user
from leafletgen import audit
from test_hostile_inputs import _copy_project, _run

USER = "rosa-clerk"  # a fictional OS user, named through LOGNAME
TRAIL = "desk/audit.jsonl"
REVIEWER = ("--reviewer", "rosa-reviewer")  # a fictional desk user, made by the fixture
PERMISSION = "Written permission, reference TEST-0000 (fictional, for tests only)"


def run(project: Path, *args: str, user: str = USER):
    """``leafletgen ARGS`` in ``project`` as the OS user ``user``."""
    return _run(project, args, env={"LOGNAME": user})


def records(project: Path) -> list[dict]:
    path = project / TRAIL
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def new_record(project: Path, before: int, *args: str) -> dict:
    """Run a command that must succeed and append exactly one record; that record."""
    done = run(project, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    trail = records(project)
    assert len(trail) == before + 1, [r["action"] for r in trail[before:]]
    record = trail[-1]
    assert (record["seq"], record["who"], record["via"]) == (before + 1, USER, "cli")
    for name, digest in record["files"].items():  # hashed as the files stand after it
        assert digest == sha(project / name), name
    return record


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    root = _copy_project(tmp_path)
    desk_user(root, roles=("translation-reviewer", "editor"))
    return root


def test_each_catalog_and_review_command_appends_its_record(copy):
    done = run(copy, "i18n", "extract")  # templates already current: nothing changed
    assert done.returncode == 0 and records(copy) == []

    record = new_record(copy, 0, "i18n", "update", "--lang", "es")
    assert record["action"] == "i18n.update" and record["what"] == {"languages": ["es"]}
    assert record["prev"] == audit.GENESIS
    assert set(record["files"]) == {
        "locales/es/LC_MESSAGES/messages.po",
        "locales/es/LC_MESSAGES/content.po",
    }
    record = new_record(copy, 1, "i18n", "compile", "--lang", "es")
    assert record["action"] == "i18n.compile"
    assert set(record["files"]) == {
        "locales/es/LC_MESSAGES/messages.mo",
        "locales/es/LC_MESSAGES/content.mo",
    }
    args = ("i18n", "review", "--lang", "es", "--leaflet", "immunotherapy", *REVIEWER)
    record = new_record(copy, 2, *args)
    assert record["action"] == "i18n.review"
    assert list(record["files"]) == ["locales/es/reviews.yaml"]
    what = record["what"]
    assert (what["language"], what["reviewer"], what["leaflets"]) == (
        "es",
        "rosa-reviewer",
        ["immunotherapy"],
    )
    assert what["date"] == dt.date.today().isoformat() and what["entries"] > 0

    args = ("sources", "review", "nci-immunotherapy", "--reviewer", "rosa-reviewer")
    record = new_record(copy, 3, *args, "--role", "fictional role")
    assert record["action"] == "sources.review"
    assert list(record["files"]) == ["sources/reviews.yaml"]
    assert record["what"]["source"] == "nci-immunotherapy"

    record = new_record(copy, 4, "i18n", "glossary", "--lang", "es")
    assert list(record["files"]) == ["locales/es/glossary.tbx"]

    # Each record names the line before it; the head names the last.
    lines = (copy / TRAIL).read_bytes().splitlines()
    for before, line in itertools.pairwise(lines):
        assert json.loads(line)["prev"] == hashlib.sha256(before).hexdigest()
    assert audit.head(copy) == f"5 {hashlib.sha256(lines[-1]).hexdigest()}"
    done = run(copy, "audit", "verify")
    assert done.returncode == 0 and "5 record(s)" in done.stdout, done.stdout
    text = (copy / TRAIL).read_text().lower()
    assert not any(word in text for word in ("password", "token", "secret", "cookie"))
    done = run(copy, "check", "immunotherapy", "--lang", "es")
    assert done.returncode == 0 and "desk/audit" not in done.stdout + done.stderr


def test_an_xliff_import_appends_its_record_and_an_export_none(copy):
    from translate.storage import xliff

    done = run(copy, "i18n", "export", "--lang", "es", "--output", "es.xlf")
    assert done.returncode == 0 and records(copy) == []
    store = xliff.xlifffile.parsestring((copy / "es.xlf").read_bytes())
    for unit in store.unit_iter():
        unit.markapproved(True)
    (copy / "es.xlf").write_bytes(bytes(store))
    record = new_record(copy, 0, "i18n", "import", "--lang", "es", "--file", "es.xlf", *REVIEWER)
    assert record["action"] == "i18n.import"
    what = record["what"]
    assert (what["file"], what["reviewer"], what["changed"]) == ("es.xlf", "rosa-reviewer", 0)
    assert what["approved"] > 0
    assert "locales/es/reviews.yaml" in record["files"]


@pytest.mark.slow
def test_a_build_appends_one_record_naming_its_outputs(copy):
    args = ("build", "immunotherapy", "--lang", "en,es", "--draft", "-j1", "--html")
    record = new_record(copy, 0, *args)
    assert record["action"] == "build"
    what = record["what"]
    assert (what["ids"], what["languages"], what["variants"]) == (
        ["immunotherapy"],
        ["en", "es"],
        ["standard"],
    )
    assert (what["out"], what["built"], what["failed"]) == ("out", 2, [])
    pdfs = sorted(name for name in record["files"] if name.endswith(".pdf"))
    written = sorted(p.relative_to(copy).as_posix() for p in (copy / "out").glob("*/*.pdf"))
    assert pdfs == written and len(pdfs) == 2
    assert "out/manifest.json" in record["files"]
    assert sum(name.endswith(".html") for name in record["files"]) == 2
    assert sum(name.endswith(".fhir.json") for name in record["files"]) == 2
    # Nothing to build: nothing changed, nothing recorded.
    again = run(copy, *args)
    assert again.returncode == 0 and len(records(copy)) == 1


@pytest.mark.slow
def test_a_desk_build_appends_its_record(copy):
    from leafletgen.project import Project
    from leafletgen.web.builds import BuildDesk

    desk = BuildDesk(Project(copy), copy / "out")
    try:
        job = desk.request("immunotherapy", "en", "standard", who="rosa-clerk")
        assert desk.wait(job, 120) and job.state == "done", job.errors
    finally:
        desk.close()
    (record,) = records(copy)
    assert (record["who"], record["via"], record["action"]) == ("rosa-clerk", "desk", "build")
    assert record["what"]["ids"] == ["immunotherapy"]
    assert record["files"]["out/en/immunotherapy.pdf"] == sha(copy / "out/en/immunotherapy.pdf")


# --- a damaged trail -------------------------------------------------------------------


def _five(project: Path) -> list[bytes]:
    for number in range(5):
        what = {"ids": [f"leaflet-{number}"], "number": number}
        audit.append(project, who=USER, via="cli", action="test", what=what)
    return (project / TRAIL).read_bytes().splitlines(keepends=True)


def _edit(lines):
    lines[1] = lines[1].replace(b'"number":1', b'"number":7')
    return lines


def _edit_last(lines):
    lines[4] = lines[4].replace(b'"number":4', b'"number":7')
    return lines


def _insert(lines):
    forged = json.loads(lines[2])
    forged["what"] = {"ids": ["forged"]}
    return [*lines[:2], json.dumps(forged).encode() + b"\n", *lines[2:]]


DAMAGE = {
    # what is done to the trail, the line named, and words of the message
    "edited": (_edit, 2, "this record was edited"),
    "removed": (lambda lines: lines[:2] + lines[3:], 3, "record number 4 where 3 was expected"),
    "inserted": (_insert, 3, "the chain is broken"),
    "reordered": (lambda lines: [*lines[:1], lines[2], lines[1], *lines[3:]], 2, "where 2"),
    "cut-short": (lambda lines: [*lines[:4], lines[4][:40]], 5, "cut short"),
    "first-removed": (lambda lines: lines[1:], 1, "the first record names a record before"),
    "last-removed": (lambda lines: lines[:4], 4, "records were removed"),
    "last-edited": (_edit_last, 5, "the last record is not the one"),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_a_damaged_trail_fails_verify_and_check_naming_the_line(copy, damage):
    tamper, line, words = DAMAGE[damage]
    (copy / TRAIL).write_bytes(b"".join(tamper(_five(copy))))
    named = [p for p in audit.verify(copy) if p.line == line and words in p.message]
    assert named, [str(p) for p in audit.verify(copy)]

    done = run(copy, "audit", "verify")
    assert done.returncode == 1
    assert any(row.startswith(f"{TRAIL}:{line}: ") for row in done.stdout.splitlines())
    done = run(copy, "check", "immunotherapy", "--lang", "en")
    assert done.returncode == 1, done.stdout
    assert any(row.startswith(f"error: {TRAIL}:{line}: ") for row in done.stdout.splitlines())


def test_an_intact_trail_verifies_and_a_removed_one_is_noticed(copy):
    _five(copy)
    assert audit.verify(copy) == []
    (copy / TRAIL).unlink()
    (problem,) = audit.verify(copy)
    assert "removed" in str(problem) and problem.path == TRAIL


def test_two_processes_appending_at_once_keep_the_chain(copy):
    script = (
        "import sys; from pathlib import Path; from leafletgen import audit\n"
        "for n in range(150):\n"
        "    audit.append(Path(sys.argv[1]), who=sys.argv[2], via='cli', action='test',"
        " what={'n': n})\n"
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", script, str(copy), who]) for who in ("a", "b")
    ]
    assert [writer.wait(120) for writer in writers] == [0, 0]
    trail = records(copy)
    assert [r["seq"] for r in trail] == list(range(1, 301))
    assert sorted(r["who"] for r in trail) == ["a"] * 150 + ["b"] * 150
    assert audit.verify(copy) == []


def test_an_append_waits_for_the_lock_another_process_holds(copy):
    audit.append(copy, who="a", via="cli", action="test", what={})
    script = (
        "import sys; from pathlib import Path; from leafletgen import audit\n"
        "print('ready', flush=True)\n"
        "audit.append(Path(sys.argv[1]), who='b', via='cli', action='test', what={})\n"
    )
    with (copy / TRAIL).open("rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        command = [sys.executable, "-c", script, str(copy)]
        writer = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
        with pytest.raises(subprocess.TimeoutExpired):
            writer.wait(2)  # imported and appending: it waits while the lock is held
        assert len(records(copy)) == 1
        fcntl.flock(held.fileno(), fcntl.LOCK_UN)
    assert writer.wait(60) == 0
    assert [r["who"] for r in records(copy)] == ["a", "b"] and audit.verify(copy) == []


def test_a_record_never_holds_a_secret(copy):
    for what in ({"password": "x"}, {"client": {"api_token": "x"}}, {"list": [{"Secret": 1}]}):
        with pytest.raises(ValueError, match="never holds secrets"):
            audit.append(copy, who=USER, via="desk", action="sign-in", what=what)
    assert not (copy / TRAIL).exists()
    with pytest.raises(ValueError, match="via"):
        audit.append(copy, who=USER, via="ssh", action="x", what={})


# --- check: the review records and permissions the trail vouches for ---------------------

CHECK = ("check", "immunotherapy", "--lang", "es")


def audit_lines(done) -> list[str]:
    """The lines of ``check`` about the trail and the records it vouches for."""
    words = ("audit", "no audit record")
    return [line for line in done.stdout.splitlines() if any(w in line for w in words)]


def test_a_review_record_edited_by_hand_fails_check_naming_the_file(copy):
    new_record(copy, 0, "i18n", "review", "--lang", "es", "--leaflet", "immunotherapy", *REVIEWER)
    path = copy / "locales/es/reviews.yaml"
    recorded = path.read_bytes()
    path.write_bytes(
        recorded.replace(b"Medical translator (fictional test user)", b"senior reviewer")
    )
    done = run(copy, *CHECK)
    assert done.returncode == 1
    (line,) = audit_lines(done)
    assert line.startswith("error: locales/es/reviews.yaml: differs from the sha256 the audit")
    assert f"{TRAIL}:1, i18n.review by {USER} (cli)" in line

    path.write_bytes(recorded)  # put back: clean again
    assert run(copy, *CHECK).returncode == 0

    path.write_bytes(
        recorded.replace(b"Medical translator (fictional test user)", b"senior reviewer")
    )
    refused = run(copy, "audit", "start")
    assert refused.returncode == 1 and "--accept-edits" in refused.stderr
    record = new_record(copy, 1, "audit", "start", "--accept-edits")
    assert record["action"] == "audit.accept"
    assert "locales/es/reviews.yaml" in record["what"]["files"]
    assert run(copy, *CHECK).returncode == 0


def test_a_review_no_record_wrote_fails_check_naming_its_line(copy):
    new_record(copy, 0, "i18n", "update", "--lang", "es")  # the trail has started
    path = copy / "locales/vi/reviews.yaml"
    text = path.read_text().replace("reviews: []\n", "reviews:\n")
    text += "- reviewer: someone\n  qualification: none\n  date: '2026-01-05'\n  approved: []\n"
    path.write_text(text)
    line = text.splitlines().index("- reviewer: someone") + 1
    done = run(copy, *CHECK)
    assert done.returncode == 1
    (row,) = audit_lines(done)
    assert row.startswith(f"error: locales/vi/reviews.yaml:{line}: a review that no audit record")


def test_the_demo_project_without_a_trail_checks_as_before(copy):
    done = run(copy, *CHECK)
    assert done.returncode == 0 and audit_lines(done) == []
    assert not (copy / TRAIL).exists()  # (desk/ holds the fixture's desk user only)


def test_reviews_older_than_the_trail_are_told_how_to_start_it(copy):
    path = copy / "sources/reviews.yaml"
    path.write_text(
        "reviews:\n- source: nci-immunotherapy\n  reviewer: someone\n  role: none\n"
        "  date: '2026-01-05'\n  sha256: x\n  outline: y\n  excluded: []\n  kept: []\n"
    )
    done = run(copy, *CHECK)
    assert done.returncode == 0
    (line,) = audit_lines(done)
    assert line.startswith("warning: sources/reviews.yaml:2: reviews or permissions are recorded")
    assert "`leafletgen audit start`" in line
    strict = run(copy, *CHECK, "--strict")
    assert strict.returncode == 1 and audit_lines(strict) == [line.replace("warning", "error", 1)]

    record = new_record(copy, 0, "audit", "start")
    assert (record["action"], record["what"]["files"][0]) == ("audit.start", "sources/reviews.yaml")
    assert "sources/sources.yaml" in record["files"]
    assert audit_lines(run(copy, *CHECK)) == []


def test_a_permission_needs_its_record(copy):
    sources = copy / "sources/sources.yaml"
    needle = "      name: © Cleveland Clinic, all rights reserved\n      needs_permission: true\n"
    text = sources.read_text()
    assert needle in text
    sources.write_text(text.replace(needle, f"{needle}      permission: {PERMISSION}\n", 1))
    line = sources.read_text().splitlines().index(f"      permission: {PERMISSION}") + 1
    new_record(copy, 0, "audit", "start")  # the baseline records it as it stands
    assert audit_lines(run(copy, *CHECK)) == []

    sources.write_text(sources.read_text().replace("TEST-0000", "TEST-0001"))
    done = run(copy, *CHECK)
    (row,) = audit_lines(done)
    assert row.startswith(f"error: sources/sources.yaml:{line}: the permission for cleveland")
    assert done.returncode == 1
    record = new_record(copy, 1, "audit", "permission", "cleveland-clinic-monoclonal-antibodies")
    assert record["what"]["permission"] == PERMISSION.replace("0000", "0001")
    assert audit_lines(run(copy, *CHECK)) == []
    missing = run(copy, "audit", "permission", "nci-immunotherapy")
    assert missing.returncode == 1 and "no licence.permission to record" in missing.stderr


# --- listing ---------------------------------------------------------------------------------


def test_audit_lists_the_trail_with_filters(copy):
    audit.append(copy, who="ana", via="desk", action="build", what={"ids": ["rituximab"]})
    audit.append(copy, who="ben", via="cli", action="i18n.review", what={"leaflets": ["x"]})
    audit.append(copy, who="ben", via="token", action="sign-in", what={"client": "portal"})

    def listed(*args: str) -> list[str]:
        done = run(copy, "audit", *args)
        assert done.returncode == 0, done.stderr
        return [line.split()[0] for line in done.stdout.splitlines()]

    assert listed() == ["1", "2", "3"]
    assert listed("--who", "ben") == ["2", "3"]
    assert listed("--action", "i18n") == ["2"]
    assert listed("--leaflet", "rituximab") == ["1"]
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
    assert listed("--since", tomorrow) == []
    done = run(copy, "audit", "--json", "--who", "ana")
    (record,) = json.loads(done.stdout)
    assert (record["line"], record["via"], record["what"]) == (1, "desk", {"ids": ["rituximab"]})
