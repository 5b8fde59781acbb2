"""Hostile inputs, round three: the numbers a patient dials and the text that
reaches a page or a record. Each case is a row run exactly like the main
hostile table (tests/test_hostile_inputs.py): the real command line on a
throwaway copy of the project, no traceback, nothing changed outside
``out/``, the exact message."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import sys
import threading
import time

import pytest

from conftest import desk_user
from leafletgen.files import host_name
from leafletgen.project import OutputLayout
from test_hostile_inputs import (
    BUILD_EN,
    MESSAGES_PO,
    ROOT,
    Case,
    _renders,
    _run,
    edit,
    export_xliff,
    html_has,
    line_of,
    no_pdf,
    po_line,
    po_translation,
    prebuild,
    steps,
    write,
)
from test_hostile_inputs import test_hostile_input as run_case

CLINIC = "leaflets/clinic.yaml"


def no_html_link(relative: str, *links: str):
    def check(run):
        text = (run.out / relative).read_text(encoding="utf-8")
        for link in links:
            assert link not in text, link

    return check


def no_traceback(run):
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert "please report it" not in run.stdout + run.stderr


def built_only(*relatives: str):
    """Exactly these PDFs are in ``out/`` and in its manifest."""

    def check(run):
        pdfs = sorted(p.relative_to(run.out).as_posix() for p in run.out.rglob("*.pdf"))
        assert pdfs == sorted(relatives), pdfs
        manifest = json.loads((run.out / "manifest.json").read_text(encoding="utf-8"))
        listed = sorted(entry["path"] for entry in manifest["leaflets"])
        assert listed == sorted(relatives), listed

    return check


def both(*checks):
    def check(run):
        for one in checks:
            one(run)

    return check


def xliff_unit_line(project, source: str) -> int:
    """The line of the ``<trans-unit>`` whose English is ``source`` in es.xlf."""
    lines = (project / "es.xlf").read_bytes().decode("utf-8").splitlines()
    at = lines.index(f"        <source>{source}</source>")
    return next(n for n in range(at, -1, -1) if "<trans-unit" in lines[n]) + 1


def unit_refused(source: str, why: str):
    """The import was refused naming the unit, its catalog entry and why; the
    catalog is unchanged."""

    def check(run):
        where = f"{MESSAGES_PO}:{po_line(source)}"
        line = xliff_unit_line(run.project, source)
        expected = f"es.xlf:{line}: {where} (msgid {source!r}): {why}"
        assert expected in run.stderr.splitlines(), run.stderr[-3000:]
        assert (run.project / MESSAGES_PO).read_bytes() == (ROOT / MESSAGES_PO).read_bytes()

    return check


def stale_unit(source: str, exported: str, now: str):
    """The import was refused naming the unit, its catalog entry and both texts."""

    def check(run):
        where = f"{MESSAGES_PO}:{po_line(source)}"
        line = xliff_unit_line(run.project, source)
        expected = (
            f"es.xlf:{line}: {where} (msgid {source!r}): exported from {exported!r}; "
            f"the catalog now says {now!r}; export again"
        )
        assert expected in run.stderr.splitlines(), run.stderr[-3000:]

    return check


def as_utf16(*replacements: tuple[str, str]):
    """es.xlf re-encoded as UTF-16 (its declaration saying so), after ``replacements``."""

    def apply(project):
        path = project / "es.xlf"
        text = path.read_text(encoding="utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
        for old, new in replacements:
            assert old in text, old
            text = text.replace(old, new, 1)
        path.write_bytes(text.encode("utf-16"))

    return apply


def imported(*args: str):
    """es.xlf imported once already (a step of the case's set-up)."""

    def apply(project):
        run = _run(project, args)
        assert run.returncode == 0, run.stderr

    return apply


IMPORT_ES = ("i18n", "import", "--lang", "es", "--file", "es.xlf", "--translator", "T")
IMPORT_ES_REVIEWED = (*IMPORT_ES, "--reviewer", "rosa-reviewer")


def reviewer_user(project):
    """A fictional desk user who reviews translations (a set-up step)."""
    desk_user(project)


XLIFF_LIMIT = 4 * 1024 * 1024
ENTITIES = (
    "<!DOCTYPE xliff [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]>\n"
)

DRUGS = "leaflets/drugs.yaml"
BUILD_ALL_EN = ("build", "--all", "--lang", "en", "-j1")
NO_ID = "gives no leaflet id: a drug's name needs letters a-z or digits"


def no_hidden_files(run):
    # (.cache/ is the output folder's own cache; a temporary file in it is still found)
    found = run.out.rglob(".*") if run.out.exists() else []
    hidden = [p.name for p in found if p.name != ".cache"]
    assert not hidden, hidden


def leftover(name: str, age_hours: float = 0, host: str = "build-host-2"):
    """A temporary file of a build on ``host`` in out/en/, last changed ``age_hours`` ago."""

    def apply(project):
        path = project / "out/en" / name.replace("HOST", host)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF-half")
        when = time.time() - age_hours * 3600
        os.utime(path, (when, when))

    return apply


def left(name: str, there: bool):
    def check(run):
        assert (run.out / "en" / name).exists() is there, name

    return check


OTHER_PART = ".immunotherapy.pdf.build-host-2-4242.abc123.part"
HERE_PART = f".immunotherapy.pdf.{host_name()}-99999999.abc123.part"
CHECK_EN = ("check", "immunotherapy", "--lang", "en")


def folder_at(relative: str):
    """A folder standing where the output file ``relative`` was."""

    def apply(project):
        path = project / relative
        path.unlink()
        (path / "index.html").parent.mkdir(parents=True)
        (path / "index.html").write_text("not ours", encoding="utf-8")

    return apply


def fifo_at(relative: str):
    """A named pipe standing where the output file ``relative`` was."""

    def apply(project):
        path = project / relative
        path.unlink()
        os.mkfifo(path)

    return apply


def manifest_lists(*paths: str):
    """manifest.json lists ``paths`` (besides others), each with its file's hash."""

    def check(run):
        listed = json.loads((run.out / "manifest.json").read_text(encoding="utf-8"))["leaflets"]
        by_path = {entry["path"]: entry for entry in listed}
        for path in paths:
            assert path in by_path, (path, sorted(by_path))
            digest = hashlib.sha256((run.out / path).read_bytes()).hexdigest()
            assert by_path[path]["sha256"] == digest, path

    return check


BUILT_EN_ES_HTML = prebuild("immunotherapy", "--lang", "en,es", "-j1", "--html")
PAGE_FOLDER = "out/es/immunotherapy.html: cannot write immunotherapy.html: a folder is in its place"


def cut_short(relative: str, size: int):
    def apply(project):
        path = project / relative
        path.write_bytes(path.read_bytes()[:size])

    return apply


REGULAR_TTF = "templates/fonts/AtkinsonHyperlegible-Regular.ttf"
BOLD_TTF = "templates/fonts/AtkinsonHyperlegible-Bold.ttf"


def _tables_end(relative: str) -> int:
    """Where a font file's last table ends, as its table directory says."""
    from fontTools.ttLib import TTFont

    with TTFont(ROOT / relative, lazy=True) as font:
        return max(entry.offset + entry.length for entry in font.reader.tables.values())


FONT_TABLES_END = _tables_end(REGULAR_TTF)

UNPRINTABLE = "text with an invisible or direction-overriding character (U+202E); remove it"

CASES = [
    # ------------------------------------------------------ numbers a patient dials
    *(
        Case(
            f"tel-{name}",
            edit(CLINIC, 'phone: "(555) 010-0100"', f'phone: "{written}"'),
            (*BUILD_EN, "--html"),
            0,
            check=both(
                html_has("en/immunotherapy.html", written.replace("&", "&amp;")),
                no_html_link("en/immunotherapy.html", f"tel:{folded}"),
            ),
        )
        for name, written, folded in [
            ("hours-after-number", "(555) 010-0100 (24/7)", "5550100100247"),
            ("two-numbers", "911 / 112", "911112"),
            ("word-after-number", "0800 123 4567 (FREE)", "080012345673733"),
            ("or-another", "555-0100 OR 0199", "5550100670199"),
        ]
    ),
    # ------------------------------------------------- faults of the machine
    # The file-size limit is hit while WeasyPrint copies the Chinese font to a
    # temporary file: that leaflet fails with what happened, not as a bug of its
    # definition, and the English one is built.
    Case(
        "file-size-limit-while-fonts-are-written",
        lambda project: None,
        ("build",),
        1,
        "  could not write a temporary file in /tmp: the file is larger than this process "
        "may write (its file-size limit, ulimit -f); nothing of this leaflet was written",
        check=both(no_traceback, built_only("en/immunotherapy.pdf")),
        shell=f"ulimit -f 2000; TMPDIR=/tmp {sys.executable} -m leafletgen build immunotherapy "
        "--lang en,zh_Hans -j2",
    ),
    # --------------------------------------------- one text rule for every file
    Case(
        "clinic-phone-rtl-override",
        edit(CLINIC, 'phone: "(555) 010-0100"', 'phone: "(555) \\u202e010-0100"'),
        BUILD_EN,
        1,
        f"{CLINIC}:5: {UNPRINTABLE}",
        check=no_pdf,
    ),
    Case(
        "clinic-name-rtl-override",
        edit(CLINIC, "name: Riverside Cancer Center", 'name: "Riverside \\u202eCancer Center"'),
        BUILD_EN,
        1,
        f"{CLINIC}:4: {UNPRINTABLE}",
        check=no_pdf,
    ),
    Case(
        "sources-title-zero-width-space",
        edit("sources/sources.yaml", "title: Monoclonal Antibodies", 'title: "Mono\\u200bclonal"'),
        BUILD_EN,
        1,
        "sources/sources.yaml:13: text with an invisible or direction-overriding character "
        "(U+200B); remove it",
    ),
    Case(
        "drugs-brand-override",
        edit("leaflets/drugs.yaml", "brands: [Blincyto®]", 'brands: ["Blin\\u202dcyto®"]'),
        ("build", "--all", "--lang", "en", "-j1"),
        1,
        f"  {DRUGS}:{line_of(DRUGS, 'brands: [Blincyto®]')}: text with an invisible or "
        "direction-overriding character (U+202D); remove it",
    ),
    Case(
        "review-qualification-override",
        edit(
            "locales/es/reviews.yaml",
            "reviews: []",
            'reviews:\n- reviewer: Ana\n  qualification: "ATA \\u202e2024"\n'
            "  date: '2026-01-01'\n  approved: []",
        ),
        ("build", "immunotherapy", "--lang", "es", "-j1"),
        1,
        f"  locales/es/reviews.yaml:19: {UNPRINTABLE}",
    ),
    # -------------------------------------------------------- dates of records
    *(
        Case(
            f"review-dated-{day}",
            edit(
                "locales/es/reviews.yaml",
                "reviews: []",
                f"reviews:\n- reviewer: Ana\n  qualification: ATA\n  date: '{day}'\n  approved: []",
            ),
            ("build", "immunotherapy", "--lang", "es", "-j1"),
            1,
            f"  locales/es/reviews.yaml:20: review date {day} is {why}",
        )
        for day, why in [
            ("2999-12-31", "in the future (today is {today})"),
            ("1900-01-01", "before 2000-01-01"),
        ]
    ),
    Case(
        "review-command-dated-in-the-future",
        reviewer_user,
        ("i18n", "review", "--lang", "es", "--reviewer", "rosa-reviewer", "--date", "2999-12-31"),
        1,
        "i18n review takes the reviewer's qualification from their desk user record and "
        "records today's date: leave out --qualification and --date",
        writes=(),
    ),
    Case(
        "review-command-names-no-desk-user",
        lambda project: None,
        ("i18n", "review", "--lang", "es", "--reviewer", "Ana"),
        1,
        "desk/users.yaml: no desk user 'Ana' in desk/users.yaml; an admin adds one with "
        "'leafletgen users add NAME --role translation-reviewer'",
        writes=(),
    ),
    # ------------------------------------------------- XLIFF: records and bounds
    *(
        Case(
            f"xliff-exported-before-a-po-fix{name}",
            steps(
                export_xliff("es.xlf"),
                *edits,
                po_translation("Sources", "Fuentes y referencias"),
            ),
            args,
            1,
            check=stale_unit("Sources", "Fuentes", "Fuentes y referencias"),
        )
        for name, edits, args in [
            ("", (), IMPORT_ES),
            (
                "-approved",
                (
                    edit(
                        "es.xlf",
                        'approved="no">\n        <source>Sources<',
                        'approved="yes">\n        <source>Sources<',
                    ),
                    reviewer_user,
                ),
                IMPORT_ES_REVIEWED,
            ),
        ]
    ),
    Case(
        "xliff-import-approved-by-its-own-translator",
        steps(reviewer_user, export_xliff("es.xlf")),
        (*IMPORT_ES[:-1], "Rosa Reviewer", "--reviewer", "rosa-reviewer"),
        1,
        "--translator 'Rosa Reviewer' is the reviewer 'rosa-reviewer': a reviewer "
        "cannot approve entries they translated; import without --reviewer and let another "
        "translation reviewer approve them",
        writes=(),
    ),
    Case(
        "xliff-unit-without-its-export-note",
        steps(
            export_xliff("es.xlf"),
            edit("es.xlf", '        <note from="leafletgen">Fuentes</note>\n', ""),
            edit("es.xlf", ">Fuentes</target>", ">Fuentes antiguas</target>"),
        ),
        IMPORT_ES,
        1,
        check=unit_refused(
            "Sources",
            "the unit does not record the text it was exported from (its note "
            'from="leafletgen" is missing), so it may be older; '
            "the catalog now says 'Fuentes'; export again",
        ),
    ),
    Case(
        "xliff-imported-again-to-record-its-review",
        steps(
            reviewer_user,
            export_xliff("es.xlf"),
            edit("es.xlf", ">Fuentes</target>", ">Fuentes consultadas</target>"),
            imported(*IMPORT_ES),
            edit(
                "es.xlf",
                'approved="no">\n        <source>Sources<',
                'approved="yes">\n        <source>Sources<',
            ),
        ),
        IMPORT_ES_REVIEWED,
        0,
        stdout_line="es.xlf: 0 translation(s) updated, 0 marked fuzzy, "
        "1 approved entr(y/ies) recorded",
        writes=("out/", "locales/es/reviews.yaml", "desk/"),
    ),
    Case(
        "xliff-utf16-doctype-entities",
        steps(
            export_xliff("es.xlf"),
            as_utf16(
                ("<xliff ", ENTITIES + "<xliff "),
                ('<target state="translated">Fuentes</target>', "<target>&b;&b;</target>"),
            ),
        ),
        IMPORT_ES,
        1,
        "es.xlf:2: the XLIFF file declares a DOCTYPE or entities; XLIFF 1.2 needs neither",
    ),
    Case(
        "xliff-utf16-external-entity",
        steps(
            export_xliff("es.xlf"),
            as_utf16(
                ("<xliff ", "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>\n<xliff "),
                ('<target state="translated">Fuentes</target>', "<target>&e;</target>"),
            ),
        ),
        IMPORT_ES,
        1,
        "es.xlf:2: the XLIFF file declares a DOCTYPE or entities; XLIFF 1.2 needs neither",
    ),
    Case(
        "xliff-larger-than-a-language-needs",
        write("es.xlf", b"<" + b" " * XLIFF_LIMIT),
        IMPORT_ES,
        1,
        f"es.xlf: XLIFF file is {XLIFF_LIMIT + 1:,} bytes, more than the {XLIFF_LIMIT:,} allowed "
        "(a language's catalogs export to about 0.1 MB)",
    ),
    # ------------------------------------------------------------ drug leaflet ids
    *(
        Case(
            f"drug-name-{name}",
            edit(DRUGS, "- name: pertuzumab", f'- name: "{written}"'),
            BUILD_ALL_EN,
            1,
            f"  {DRUGS}:{line_of(DRUGS, '- name: pertuzumab')}: drug name {written!r} {why}",
            check=no_hidden_files,
        )
        for name, written, why in [
            ("slugs-to-nothing", "+++", NO_ID),
            ("spaces-and-dashes", " - ", NO_ID),
            (
                "katakana",
                "ペルツズマブ",
                "has letters a leaflet id cannot hold ('ペ'); write it in Latin letters",
            ),
            (
                "full-width-katakana-and-latin",
                "ｐｅｒｔｕｚｕｍａｂ・ペ",
                "has letters a leaflet id cannot hold ('ペ'); write it in Latin letters",
            ),
        ]
    ),
    Case(
        "drug-name-full-width-latin",
        edit(DRUGS, "- name: pertuzumab", '- name: "ｐｅｒｔｕｚｕｍａｂ"'),
        BUILD_ALL_EN,
        0,
        check=both(
            no_hidden_files,
            lambda run: (
                (run.out / "en/pertuzumab.pdf").is_file() or pytest.fail("no en/pertuzumab.pdf")
            ),
        ),
    ),
    # ------------------------------------------- leftovers of a killed build, any host
    Case(
        "leftover-of-another-host-reported",
        leftover(OTHER_PART, age_hours=1),
        CHECK_EN,
        0,
        stdout_line=f"warning: out/en/{OTHER_PART}: temporary file of a build on another host "
        "(build-host-2:4242), changed less than a day ago; kept until a day after its last "
        "change, as that build may still be running",
        check=left(OTHER_PART, True),
    ),
    Case(
        "leftover-of-another-host-a-day-old-reported",
        leftover(OTHER_PART, age_hours=25),
        CHECK_EN,
        0,
        stdout_line=f"warning: out/en/{OTHER_PART}: temporary file of a build on another host "
        "(build-host-2:4242), unchanged for more than a day; the next build removes it",
        check=left(OTHER_PART, True),
    ),
    Case(
        "leftover-of-a-stopped-build-here-reported",
        leftover(HERE_PART),
        CHECK_EN,
        0,
        stdout_line=f"warning: out/en/{HERE_PART}: temporary file of a stopped build "
        f"({host_name()}:99999999); the next build removes it",
        check=left(HERE_PART, True),
    ),
    Case(
        "leftover-of-another-host-kept-while-young",
        leftover(OTHER_PART, age_hours=1),
        BUILD_EN,
        0,
        check=left(OTHER_PART, True),
    ),
    Case(
        "leftover-of-another-host-removed-after-a-day",
        leftover(OTHER_PART, age_hours=25),
        BUILD_EN,
        0,
        f"warning: removed out/en/{OTHER_PART}, left by a build on another host "
        "(build-host-2:4242) unchanged for more than a day",
        check=left(OTHER_PART, False),
    ),
    # ------------------------------------- a folder where a leaflet's web page goes
    *(
        Case(
            f"web-page-path-is-a-folder-{name}",
            steps(BUILT_EN_ES_HTML, folder_at("out/es/immunotherapy.html")),
            ("build", "immunotherapy", "--lang", langs, "-j1", "--html", "--force"),
            1,
            f"  {PAGE_FOLDER}",
            check=manifest_lists("en/immunotherapy.pdf", "es/immunotherapy.pdf"),
        )
        for name, langs in [("english-rebuilt", "en"), ("spanish-rebuilt", "es")]
    ),
    # ----------------------- a FIFO where a built PDF or its FHIR file was
    # (reading one waits for a writer that never comes): the next build takes
    # the copy as damaged and builds it again, without waiting
    *(
        Case(
            f"fifo-in-place-of-{name}",
            steps(prebuild("immunotherapy", "--lang", "en", "-j1"), fifo_at(relative)),
            ("build", "immunotherapy", "--lang", "en", "-j1"),
            0,
            check=both(no_traceback, built_only("en/immunotherapy.pdf")),
        )
        for name, relative in [
            ("the-pdf", "out/en/immunotherapy.pdf"),
            ("its-fhir-file", "out/en/immunotherapy.fhir.json"),
        ]
    ),
    # ------------------------------------------------------------ damaged fonts
    Case(
        "font-file-cut-short",
        cut_short(REGULAR_TTF, 3000),
        BUILD_EN,
        1,
        f"  {REGULAR_TTF}: font file is damaged (cut short: its tables need "
        f"{FONT_TABLES_END:,} bytes, the file has 3,000); restore it",
        check=no_pdf,
    ),
    Case(
        "font-file-not-a-font",
        write(BOLD_TTF, b"garbage"),
        BUILD_EN,
        1,
        f"  {BOLD_TTF}: font file is damaged (not a TrueType or OpenType font); restore it",
        check=no_pdf,
    ),
    # ------------------------------------------------------------ SOURCE_DATE_EPOCH
    *(
        Case(
            f"epoch-{name}",
            lambda project: None,
            BUILD_EN,
            1,
            message,
            check=no_pdf,
            extra_env={"SOURCE_DATE_EPOCH": value},
        )
        for name, value, message in [
            (
                "zero",
                "0",
                "SOURCE_DATE_EPOCH=0 is outside the dates a leaflet can be issued on "
                "(2000-01-01 to 9998-12-31)",
            ),
            (
                "year-9999",
                "253402300800",
                "SOURCE_DATE_EPOCH=253402300800 is outside the dates a leaflet can be issued on "
                "(2000-01-01 to 9998-12-31)",
            ),
            (
                "arabic-indic-digit",
                "٣",
                "SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC, not '٣'",
            ),
            (
                "not-a-number",
                "yesterday",
                "SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC, "
                "not 'yesterday'",
            ),
        ]
    ),
]


@pytest.mark.parametrize(
    "case",
    # (rows that render a leaflet are slow, as in the main table)
    [pytest.param(case, id=case.id, marks=[pytest.mark.slow] * _renders(case)) for case in CASES],
)
def test_round_three(case, tmp_path):
    today = dt.date.today().isoformat()
    if case.message:
        case = dataclasses.replace(case, message=case.message.replace("{today}", today))
    run_case(case, tmp_path)


def test_a_fifo_in_place_of_a_killed_builds_pdf_does_not_stall_the_merge(tmp_path):
    """A killed build's journal names a PDF; a named pipe now stands where it
    was. The next compaction must not wait on the pipe: the entry is dropped."""
    from leafletgen.publish.journal import compact
    from leafletgen.publish.manifest import ManifestEntry, journal_line, read_manifest

    def entry(name: str, data: bytes) -> ManifestEntry:
        (tmp_path / "en").mkdir(exist_ok=True)
        (tmp_path / "en" / f"{name}.pdf").write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        return ManifestEntry(name, "en", f"en/{name}.pdf", name, digest, len(data), 1, ())

    kept = entry("kept", b"%PDF-kept")
    piped = entry("piped", b"%PDF-piped")
    journal = tmp_path / f"{OutputLayout.JOURNAL_PREFIX}killed{OutputLayout.JOURNAL_SUFFIX}"
    journal.write_bytes(journal_line(kept) + journal_line(piped))
    (tmp_path / "en" / "piped.pdf").unlink()
    os.mkfifo(tmp_path / "en" / "piped.pdf")

    done = threading.Event()
    worker = threading.Thread(target=lambda: (compact(tmp_path, []), done.set()), daemon=True)
    worker.start()
    worker.join(timeout=20)
    if not done.is_set():  # release the reader blocked on the pipe, then fail
        with contextlib.suppress(OSError):
            os.close(os.open(tmp_path / "en" / "piped.pdf", os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("compaction waited on a named pipe")
    assert [e.path for e in read_manifest(tmp_path)] == ["en/kept.pdf"]
    assert not journal.exists()


def test_a_control_character_in_yaml_is_named_at_its_line(tmp_path):
    """PyYAML refuses a control character with its offset in the text; the
    error names the file and the line instead."""
    from leafletgen.errors import LeafletError
    from leafletgen.yamlfile import parse_yaml

    with pytest.raises(LeafletError) as caught:
        parse_yaml("a: 1\nb: 2\nc: x\x07y\n", tmp_path / "f.yaml")
    assert caught.value.line == 3
    assert "unacceptable character #x0007" in str(caught.value)


def test_a_drug_named_when_drugs_yaml_cannot_be_read_gets_its_error(project_copy, capsys):
    """``build rituximab --all`` with a broken drugs.yaml says what is wrong
    with drugs.yaml (file and line), not that no leaflet has that name."""
    from leafletgen.cli import main

    drugs = project_copy.leaflets / "drugs.yaml"
    lines = drugs.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(n for n, line in enumerate(lines, 1) if "- name: rituximab" in line)
    lines[number - 1] = lines[number - 1].replace("rituximab", "ritu\x07ximab")
    drugs.write_text("".join(lines), encoding="utf-8")
    args = ["build", "rituximab", "--all", "--lang", "en", "-j1"]
    assert main([*args, "--project", str(project_copy.root)]) == 1
    err = capsys.readouterr().err
    assert f"leaflets/drugs.yaml:{number}: invalid YAML: unacceptable character #x0007" in err
    assert "no leaflet named" not in err
