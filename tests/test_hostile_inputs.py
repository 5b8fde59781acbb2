"""Hostile and careless input, one table row per case.

Translators, configuration files and output folders are untrusted, like the
sources. Every row runs the real command line on a throwaway copy of the
project (``tmp/a/b/c/d/project``, so that paths climbing out of it land
inside the test's folder) and asserts, besides the row's own expectations:

* no traceback, and no hang (a generous timeout);
* no file created or changed anywhere but the output folder (and the files
  the command is meant to write);
* no markup from data in the HTML twin, and the exact error message.

A row's command runs in a process of its own, forked from the test process
so that it need not start Python and import WeasyPrint again (a new
interpreter for shell pipelines and for builds that may start a pool).

``HOSTILE_SRC=/path/to/src`` runs the table against another checkout's code
(how the "before" column of the hardening notes was measured).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import locale
import logging
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest
from pypdf import PdfReader

from leafletgen import cli

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 180  # seconds; a regex or YAML blow-up takes hours, a real build seconds

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


@dataclass
class Run:
    """What one command did."""

    project: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def out(self) -> Path:
        return self.project / "out"


@dataclass(frozen=True)
class Case:
    """One hostile input: how to prepare the project, the command, what must happen."""

    id: str
    setup: Callable[[Path], None]
    args: tuple[str, ...]
    rc: int
    message: str | None = None  # an exact line of the error output
    check: Callable[[Run], None] | None = None
    # project-relative prefixes the command may change (every change of state
    # is also appended to the audit trail)
    writes: tuple[str, ...] = ("out/", "desk/")
    shell: str | None = None  # run this shell pipeline instead of the command
    stdout_line: str | None = None  # an exact line of the normal output
    extra_env: dict[str, str] = field(default_factory=dict)


# --- helpers for setting up a case ------------------------------------------------


def edit(relative: str, old: str, new: str, count: int = 1) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        path = project / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, count), encoding="utf-8")

    return apply


def write(relative: str, content: str | bytes) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    return apply


def append(relative: str, content: str) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        with (project / relative).open("a", encoding="utf-8") as handle:
            handle.write(content)

    return apply


def in_turn(*calls: Callable[[Any], None]) -> Callable[[Any], None]:
    """One callable that calls each of ``calls`` with its argument, in order."""

    def call(value: Any) -> None:
        for one in calls:
            one(value)

    call.builds = any(getattr(one, "builds", False) for one in calls)  # type: ignore[attr-defined]
    return call


steps = in_turn  # set-up actions on the project, in the table's words


def link(relative: str, target: str) -> Callable[[Path], None]:
    """Replace ``relative`` by a symbolic link to ``target`` (relative to the project)."""

    def apply(project: Path) -> None:
        path = project / relative
        if path.is_symlink() or path.is_file():
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to((project / target).resolve() if not target.startswith("/") else target)

    return apply


def fifo(relative: str) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        path = project / relative
        path.unlink()
        os.mkfifo(path)

    return apply


def outside(name: str, content: str | bytes = "outside\n") -> Callable[[Path], None]:
    """A file next to the project (``../outside/<name>``), for links to point at."""

    def apply(project: Path) -> None:
        path = project.parent / "outside" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    return apply


def prebuild(*args: str) -> Callable[[Path], None]:
    """Run a build first (its output is part of the case's starting point)."""

    def apply(project: Path) -> None:
        run = _run(project, ("build", *args))
        assert run.returncode == 0, run.stderr

    apply.builds = True  # type: ignore[attr-defined]
    return apply


def export_xliff(name: str) -> Callable[[Path], None]:
    """The project's Spanish catalogs exported for a translation tool."""

    def apply(project: Path) -> None:
        run = _run(project, ("i18n", "export", "--lang", "es", "--output", name))
        assert run.returncode == 0, run.stderr

    return apply


def xliff_error_at_unit(run: Run, target: str, message: str) -> None:
    """The import failed naming the line of the unit whose target holds ``target``,
    and wrote nothing to the catalogs."""
    lines = (run.project / "es.xlf").read_text(encoding="utf-8").splitlines()
    at = next(n for n, line in enumerate(lines) if target in line)
    unit = next(n for n in range(at, -1, -1) if "<trans-unit" in lines[n]) + 1
    assert f"es.xlf:{unit}: {message}" in run.stderr.splitlines(), run.stderr
    assert (run.project / MESSAGES_PO).read_bytes() == (ROOT / MESSAGES_PO).read_bytes()


def manifest(document: object) -> Callable[[Path], None]:
    return write("out/manifest.json", json.dumps(document))


def po_translation(msgid: str, msgstr: str) -> Callable[[Path], None]:
    """Set the Spanish translation of one ``messages`` string."""

    def apply(project: Path) -> None:
        path = project / "locales/es/LC_MESSAGES/messages.po"
        text = path.read_text(encoding="utf-8")
        pattern = re.compile(rf'(msgid "{re.escape(msgid)}"\nmsgstr )"[^\n]*"')
        assert pattern.search(text), msgid
        escaped = msgstr.replace("\\", "\\\\").replace('"', '\\"')
        path.write_text(pattern.sub(lambda m: f'{m[1]}"{escaped}"', text), encoding="utf-8")

    return apply


def po_line(msgid: str) -> int:
    """The line of ``msgid "..."`` in the project's Spanish messages catalog."""
    lines = (ROOT / "locales/es/LC_MESSAGES/messages.po").read_text(encoding="utf-8").splitlines()
    return lines.index(f'msgid "{msgid}"') + 1


def line_count(relative: str) -> int:
    """How many lines a file of the project has (what is appended starts after them)."""
    return len((ROOT / relative).read_text(encoding="utf-8").splitlines())


def line_of(relative: str, text: str) -> int:
    lines = (ROOT / relative).read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if text in line)


# --- checks on what a case produced ------------------------------------------------


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def squash(text: str) -> str:
    return re.sub(r"[\s\-\u2010\u00ad]+", "", text)


def prints(relative: str, *texts: str) -> Callable[[Run], None]:
    def check(run: Run) -> None:
        text = squash(pdf_text(run.out / relative))
        for expected in texts:
            assert squash(expected) in text, expected

    return check


def html_has(relative: str, *texts: str) -> Callable[[Run], None]:
    def check(run: Run) -> None:
        html = (run.out / relative).read_text(encoding="utf-8")
        for expected in texts:
            assert expected in html, expected

    return check


def one_error(prefix: str) -> Callable[[Run], None]:
    """The command printed exactly one error, starting with ``prefix`` (the
    rest may be a library's own words)."""

    def check(run: Run) -> None:
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith(prefix), run.stderr[-3000:]
        assert len(lines[0]) > len(prefix), "the error says nothing"

    return check


def no_pdf(run: Run) -> None:
    assert not list(run.out.rglob("*.pdf")) if run.out.exists() else True


def manifest_matches_disk(run: Run) -> None:
    listed = json.loads((run.out / "manifest.json").read_text(encoding="utf-8"))["leaflets"]
    for entry in listed:
        data = (run.out / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
    on_disk = sorted(p.relative_to(run.out).as_posix() for p in run.out.rglob("*.pdf"))
    assert sorted(e["path"] for e in listed) == on_disk


def bundle_lists_only(run: Run, *paths: str) -> None:
    bundle = json.loads((run.out / "fhir-bundle.json").read_text(encoding="utf-8"))
    listed = [
        e["resource"]["content"][0]["attachment"].get("url")
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
    ]
    assert len(listed) == len(paths)
    assert "outside" not in json.dumps(bundle)


all_of = in_turn  # checks on a run, in the table's words


def unchanged(relative: str, content: str) -> Callable[[Run], None]:
    def check(run: Run) -> None:
        assert (run.project / relative).read_text(encoding="utf-8") == content

    return check


# --- the table ------------------------------------------------------------------------

CLINIC = "leaflets/clinic.yaml"
SOURCES = "sources/sources.yaml"
IMMUNO = "leaflets/immunotherapy.yaml"
MESSAGES_PO = "locales/es/LC_MESSAGES/messages.po"
CONTENT_PO = "locales/es/LC_MESSAGES/content.po"
NCI_MD = "sources/nci-monoclonal-antibodies.md"
CC_IMMUNO = "sources/cleveland-clinic-immunotherapy.txt"
CRUK = "sources/cruk-monoclonal-antibodies.txt"
BUILD_EN = ("build", "immunotherapy", "--lang", "en", "-j1")
BUILD_ES = ("build", "immunotherapy", "--lang", "es", "-j1")
CC_LICENCE_AS = "11582-immunotherapy\n    language: en\n    licence:\n      name: "
CC_LICENCE = CC_LICENCE_AS + "© Cleveland Clinic, all rights reserved"
FRONT_MATTER_REVIEWED = "lastReviewed: '2025-12-30'"
MB = 1024 * 1024

CASES = [
    # ---------------------------------------------------------------- injection
    Case(
        "po-markup-in-label",
        po_translation("Sources", "<h1>INJECTED</h1><script>alert(1)</script>Fuentes"),
        (*BUILD_ES, "--html"),
        1,
        f"  {MESSAGES_PO}:{po_line('Sources')}: the translation of 'Sources' contains markup "
        "('<h1>') that the English does not have; translations are plain text",
        check=no_pdf,
    ),
    Case(
        "po-style-breakout",
        po_translation(
            "Page {page} of {pages}",
            "Página {page} de {pages}</style><style>main{display:none}</style>",
        ),
        BUILD_ES,
        1,
        f"  {MESSAGES_PO}:{po_line('Page {page} of {pages}')}: the translation of "
        "'Page {page} of {pages}' contains markup ('</style>') that the English does not "
        "have; translations are plain text",
        check=no_pdf,
    ),
    Case(
        "po-ampersand-entity",
        po_translation("Sources", "Fuentes &amp; &#60;b&#62;"),
        (*BUILD_ES, "--html"),
        1,
        f"  {MESSAGES_PO}:{po_line('Sources')}: the translation of 'Sources' contains markup "
        "('&amp;') that the English does not have; translations are plain text",
        check=no_pdf,
    ),
    Case(
        "po-percent-in-label",
        po_translation("Sources", "Fuentes (100% revisadas)"),
        BUILD_ES,
        0,
        check=prints("es/immunotherapy.pdf", "Fuentes (100% revisadas)"),
    ),
    Case(
        "po-percent-beside-placeholder",
        po_translation("Call %(clinic)s", "Llame al 100%% a %(clinic)s"),
        BUILD_ES,
        0,
        check=prints("es/immunotherapy.pdf", "Llame al 100% a Riverside Cancer Center"),
    ),
    Case(
        "po-bidi-override",
        po_translation("Sources", "Fuen\u202etes"),
        BUILD_ES,
        1,
        f"  {MESSAGES_PO}:{po_line('Sources')}: the translation of 'Sources' contains an "
        "invisible or direction-overriding character (U+202E); remove it",
        check=no_pdf,
    ),
    Case(
        "po-control-character",
        lambda p: (p / MESSAGES_PO).write_bytes(
            (ROOT / MESSAGES_PO).read_bytes().replace(b'msgstr "Fuentes"', b'msgstr "Fu\x07entes"')
        ),
        BUILD_ES,
        1,
        f"  {MESSAGES_PO}:{po_line('Sources')}: the translation of 'Sources' contains a "
        "control character (U+0007); remove it",
        check=no_pdf,
    ),
    Case(
        "licence-percent-r",
        edit(SOURCES, CC_LICENCE, CC_LICENCE_AS + "100% rights reserved"),
        (*BUILD_EN, "--html"),
        0,
        check=all_of(
            prints("en/immunotherapy.pdf", "Licence: 100% rights reserved."),
            html_has("en/immunotherapy.html", "100% rights reserved"),
        ),
    ),
    Case(
        "licence-percent-space-f",
        edit(SOURCES, CC_LICENCE, CC_LICENCE_AS + "— 100% free"),
        BUILD_EN,
        0,
        check=prints("en/immunotherapy.pdf", "Licence: — 100% free."),
    ),
    Case(
        "licence-markup",
        edit(SOURCES, CC_LICENCE, CC_LICENCE_AS + "<b>bold</b><script>alert(1)</script>"),
        (*BUILD_EN, "--html"),
        0,
        check=all_of(
            prints("en/immunotherapy.pdf", "<b>bold</b><script>alert(1)</script>"),
            html_has("en/immunotherapy.html", "&lt;b&gt;bold&lt;/b&gt;&lt;script&gt;"),
        ),
    ),
    Case(
        "clinic-name-markup-and-css",
        edit(CLINIC, "name: Riverside Cancer Center", 'name: "R</style><b>x</b>{}%(c)s"'),
        (*BUILD_EN, "--html"),
        0,
        check=all_of(
            prints("en/immunotherapy.pdf", "R</style><b>x</b>{}%(c)s"),
            html_has("en/immunotherapy.html", "R&lt;/style&gt;&lt;b&gt;x&lt;/b&gt;{}%(c)s"),
        ),
    ),
    Case(
        "source-url-javascript",
        edit(
            SOURCES,
            "url: https://my.clevelandclinic.org/health/treatments/11582-immunotherapy",
            "url: javascript:alert(1)",
        ),
        BUILD_EN,
        1,
        f"{SOURCES}:{line_of(SOURCES, '11582-immunotherapy')}: url 'javascript:alert(1)' must "
        "be an http:// or https:// address",
        check=no_pdf,
    ),
    Case(
        "source-url-file",
        edit(
            SOURCES,
            "url: https://my.clevelandclinic.org/health/treatments/11582-immunotherapy",
            "url: file:///etc/passwd",
        ),
        BUILD_EN,
        1,
        f"{SOURCES}:{line_of(SOURCES, '11582-immunotherapy')}: url 'file:///etc/passwd' must "
        "be an http:// or https:// address",
    ),
    # ------------------------------------------------------ paths leaving their folder
    Case(
        "manifest-entry-path-climbs",
        manifest(
            {
                "generator": "leafletgen 0.1.0",
                "leaflets": [
                    {
                        "id": "x",
                        "lang": "en",
                        "path": "../../../../outside/secret",
                        "title": "x",
                        "sha256": "0",
                    }
                ],
            }
        ),
        (*BUILD_EN, "--fhir-bundle", "collection", "--fhir-inline"),
        0,
        "warning: out/manifest.json has 1 damaged entries (left out): kept as "
        "manifest.json.damaged; the manifest is written afresh and every PDF on disk is built "
        "again to be listed",
        check=lambda run: bundle_lists_only(run, "en/immunotherapy.pdf"),
    ),
    Case(
        "manifest-entry-path-absolute",
        steps(
            outside("secret", "TOP SECRET\n"),
            lambda p: manifest(
                {
                    "generator": "leafletgen 0.1.0",
                    "leaflets": [
                        {
                            "id": "x",
                            "lang": "en",
                            "path": str(p.parent / "outside/secret"),
                            "title": "x",
                            "sha256": "0",
                        }
                    ],
                }
            )(p),
        ),
        (*BUILD_EN, "--fhir-bundle", "transaction", "--fhir-inline"),
        0,
        "warning: out/manifest.json has 1 damaged entries (left out): kept as "
        "manifest.json.damaged; the manifest is written afresh and every PDF on disk is built "
        "again to be listed",
        check=lambda run: (
            "VE9QIFNFQ1JFVA" not in (run.out / "fhir-bundle.json").read_text()
            or pytest.fail("secret inlined")
        ),
    ),
    Case(
        "lang-modifier-climbs-build",
        lambda p: None,
        ("build", "immunotherapy", "--lang", "es@/../../sources", "--draft"),
        1,
        "invalid language code 'es@/../../sources': use a code like 'es', 'pt-BR' or 'zh-Hans'",
        check=no_pdf,
    ),
    Case(
        "lang-modifier-climbs-i18n",
        lambda p: None,
        ("i18n", "update", "--lang", "es@/../../../../x"),
        1,
        "invalid language code 'es@/../../../../x': use a code like 'es', 'pt-BR' or 'zh-Hans'",
    ),
    Case(
        "lang-encoding-suffix",
        lambda p: None,
        ("i18n", "update", "--lang", "es.UTF-8"),
        1,
        "invalid language code 'es.UTF-8': use a code like 'es', 'pt-BR' or 'zh-Hans'",
    ),
    Case(
        "lang-path",
        lambda p: None,
        ("build", "--lang", "../es"),
        1,
        "invalid language code '../es': use a code like 'es', 'pt-BR' or 'zh-Hans'",
    ),
    Case(
        "logo-link-outside",
        steps(
            outside("logo.svg", (ROOT / "templates/logo.svg").read_text()),
            link("templates/logo.svg", "../outside/logo.svg"),
        ),
        BUILD_EN,
        1,
        f"{CLINIC}:{line_of(CLINIC, 'logo:')}: logo '../templates/logo.svg' is a link leading "
        "outside the project folder",
        check=no_pdf,
    ),
    Case(
        "logo-path-outside",
        steps(
            outside("logo.svg", (ROOT / "templates/logo.svg").read_text()),
            edit(CLINIC, "logo: ../templates/logo.svg", "logo: ../../outside/logo.svg"),
        ),
        BUILD_EN,
        1,
        f"{CLINIC}:{line_of(CLINIC, 'logo:')}: logo '../../outside/logo.svg' is outside the "
        "project folder",
    ),
    Case(
        "catalog-link-outside",
        steps(
            outside("messages.po", (ROOT / MESSAGES_PO).read_text(encoding="utf-8")),
            link(MESSAGES_PO, "../outside/messages.po"),
        ),
        BUILD_ES,
        1,
        f"{MESSAGES_PO}: catalog 'es/LC_MESSAGES/messages.po' is a link leading outside the "
        "locales folder",
        check=no_pdf,
    ),
    Case(
        "template-link-outside",
        steps(
            outside("leaflet.html", (ROOT / "templates/leaflet.html").read_text()),
            link("templates/leaflet.html", "../outside/leaflet.html"),
        ),
        BUILD_EN,
        1,
        "  templates/leaflet.html: template 'leaflet.html' is a link leading outside the "
        "templates folder",
        check=no_pdf,
    ),
    Case(
        "output-subfolder-link-outside",
        steps(
            lambda p: (p.parent / "outside").mkdir(),
            lambda p: (p / "out").mkdir(),
            link("out/en", "../outside"),
        ),
        BUILD_EN,
        1,
        "  out: en/immunotherapy.pdf would be written through a link leading outside the "
        "output folder",
        check=lambda run: (
            not list((run.project.parent / "outside").iterdir()) or pytest.fail("written outside")
        ),
    ),
    Case(
        "out-inside-the-sources",
        lambda p: None,
        ("build", "immunotherapy", "--out", "sources/x"),
        1,
        "sources/x: the output folder must not be inside the project's sources, leaflets, "
        "templates or locales folder",
    ),
    Case(
        "source-file-link-outside",
        steps(
            outside("page.txt", "Outside\n\nSome text.\n"), link(CC_IMMUNO, "../outside/page.txt")
        ),
        BUILD_EN,
        1,
        f"{SOURCES}:{line_of(SOURCES, 'file: cleveland-clinic-immunotherapy.txt')}: file "
        "'cleveland-clinic-immunotherapy.txt' is outside the sources folder",
    ),
    # ------------------------------------------------------------------------ hangs
    Case(
        "markdown-heading-then-spaces",
        append(NCI_MD, "\n## A" + " " * (2 * MB) + "x\n"),
        BUILD_EN,
        0,
    ),
    Case(
        "markdown-link-opener-repeated",
        append(NCI_MD, "\n" + "[a](" * (MB // 2) + "\n"),
        BUILD_EN,
        0,
    ),
    Case(
        "markdown-image-opener-repeated",
        append(NCI_MD, "\n" + "![" * MB + "\n"),
        BUILD_EN,
        0,
    ),
    Case(
        "markdown-emphasis-opener-repeated",
        append(NCI_MD, "\n" + "**a " * (MB // 2) + "\n"),
        BUILD_EN,
        0,
    ),
    Case(
        "nci-image-line-long-url",
        append(NCI_MD, "\n![x](https://www.cancer.gov/" + "video" * (MB // 5) + ".jpg\n"),
        BUILD_EN,
        0,
    ),
    Case(
        "scrape-stops-repeated",
        append(CC_IMMUNO, "\n" + "?!" * MB + "x\n"),
        ("inspect", CC_IMMUNO),
        0,
    ),
    Case(
        "yaml-aliases-clinic",
        append(CLINIC, "x: &x [1]\n" + BILLION_LAUGHS.replace("a:", "a2:", 1)),
        BUILD_EN,
        1,
        f"{CLINIC}:{line_count(CLINIC) + 3}: invalid YAML: aliases (*name) are not "
        "allowed; write the value out",
    ),
    Case(
        "yaml-aliases-definition",
        write("leaflets/laughs.yaml", "title: x\nsections: []\n" + BILLION_LAUGHS),
        ("check",),
        1,
        "leaflets/laughs.yaml:4: invalid YAML: aliases (*name) are not allowed; write the "
        "value out",
    ),
    Case(
        "yaml-aliases-sources",
        append(SOURCES, BILLION_LAUGHS),
        BUILD_EN,
        1,
        f"{SOURCES}:{len((ROOT / SOURCES).read_text().splitlines()) + 2}: invalid YAML: "
        "aliases (*name) are not allowed; write the value out",
    ),
    Case(
        "yaml-aliases-front-matter",
        edit(NCI_MD, "citation: NCI, 2025\n", "citation: NCI, 2025\n" + BILLION_LAUGHS),
        ("inspect", NCI_MD),
        1,
        f"{NCI_MD}:{line_of(NCI_MD, 'citation') + 2}: front matter is not valid YAML: aliases "
        "(*name) are not allowed; write the value out",
    ),
    Case(
        "yaml-nesting-past-our-limit",
        write("leaflets/deep.yaml", "title: x\nsections: " + "[" * 50 + "]" * 50 + "\n"),
        ("check",),
        1,
        "leaflets/deep.yaml:2: invalid YAML: nested more than 40 levels deep",
    ),
    Case(
        # libyaml stops this long before our own limit is reached, in its own
        # words; whichever layer stops it, it is one error naming file and line.
        "yaml-deep-nesting",
        write("leaflets/deep.yaml", "title: x\nsections: " + "[" * 100000 + "]" * 100000 + "\n"),
        ("check",),
        1,
        check=one_error("leaflets/deep.yaml:2: invalid YAML: "),
    ),
    Case(
        "source-is-a-fifo",
        fifo(CC_IMMUNO),
        BUILD_EN,
        1,
        f"  {CC_IMMUNO}: source is not a regular file (a device, FIFO or folder)",
        check=no_pdf,
    ),
    Case(
        "source-is-dev-zero",
        link(CC_IMMUNO, "/dev/zero"),
        BUILD_EN,
        1,
        f"{SOURCES}:{line_of(SOURCES, 'file: cleveland-clinic-immunotherapy.txt')}: file "
        "'cleveland-clinic-immunotherapy.txt' is outside the sources folder",
    ),
    Case(
        "catalog-is-a-fifo",
        fifo(MESSAGES_PO),
        BUILD_ES,
        1,
        f"  {MESSAGES_PO}: catalog is not a regular file (a device, FIFO or folder)",
    ),
    Case(
        "clinic-yaml-is-dev-zero",
        link(CLINIC, "/dev/zero"),
        BUILD_EN,
        1,
        f"{CLINIC}: YAML file is not a regular file (a device, FIFO or folder)",
    ),
    Case(
        "clinic-name-20kb",
        edit(CLINIC, "name: Riverside Cancer Center", "name: " + "Riverside " * 2000),
        BUILD_EN,
        1,
        f"{CLINIC}:4: 'name' is 19,999 characters long; at most 200 are allowed",
    ),
    Case(
        "title-20kb",
        edit(IMMUNO, "title: Immunotherapy for cancer", "title: " + "Immunotherapy " * 1500),
        BUILD_EN,
        1,
        f"  {IMMUNO}:5: 'title' is 20,999 characters long; at most 200 are allowed",
    ),
    Case(
        "logo-50mb",
        lambda p: os.truncate(p / "templates/logo.svg", 50 * MB),
        BUILD_EN,
        1,
        f"{CLINIC}:{line_of(CLINIC, 'logo:')}: logo '../templates/logo.svg': file is "
        "52,428,800 bytes, more than the 1,048,576 allowed",
    ),
    # -------------------------------------------------- tracebacks instead of file:line
    Case(
        "yaml-key-is-a-list",
        append(CLINIC, "[a, b]: x\n"),
        BUILD_EN,
        1,
        f"{CLINIC}:{len((ROOT / CLINIC).read_text().splitlines()) + 1}: invalid YAML: a key "
        "must be plain text, not a list",
    ),
    Case(
        "yaml-key-is-a-mapping",
        append(IMMUNO, "{a: b}: x\n"),
        ("check",),
        1,
        f"{IMMUNO}:{len((ROOT / IMMUNO).read_text().splitlines()) + 1}: invalid YAML: a key "
        "must be plain text, not a mapping",
    ),
    Case(
        "date-february-30",
        edit(NCI_MD, FRONT_MATTER_REVIEWED, "lastReviewed: 2025-02-30"),
        ("inspect", NCI_MD),
        1,
        f"{NCI_MD}:{line_of(NCI_MD, 'lastReviewed')}: lastReviewed '2025-02-30' is not a real "
        "YYYY-MM-DD date",
    ),
    Case(
        "date-99-99",
        edit(CC_IMMUNO, "Last reviewed on 08/12/2025.", "Last reviewed on 99/99/2025."),
        ("inspect", CC_IMMUNO),
        1,
        f"{CC_IMMUNO}:{line_of(CC_IMMUNO, 'Last reviewed on')}: last review date '99/99/2025' "
        "is not a real date",
    ),
    Case(
        "date-31-february",
        edit(CRUK, "Next review due: 26 Feb 2028", "Next review due: 31 Feb 2028"),
        ("inspect", CRUK),
        1,
        f"{CRUK}:{line_of(CRUK, 'Next review due')}: next review date '31 Feb 2028' is not a "
        "real date",
    ),
    Case(
        "date-year-9999",
        edit(NCI_MD, FRONT_MATTER_REVIEWED, "lastReviewed: 9999-12-31"),
        ("inspect", NCI_MD),
        1,
        f"{NCI_MD}:{line_of(NCI_MD, 'lastReviewed')}: lastReviewed 9999-12-31 plus a quarterly "
        "review is past the last date the calendar can hold",
    ),
    Case(
        "date-broken-in-used-source-fails-only-its-leaflet",
        edit(CC_IMMUNO, "Last reviewed on 08/12/2025.", "Last reviewed on 13/45/2025."),
        ("build", "--lang", "en", "-j1"),
        1,
        f"  {CC_IMMUNO}:{line_of(CC_IMMUNO, 'Last reviewed on')}: last review date "
        "'13/45/2025' is not a real date",
        stdout_line="1 built, 0 skipped (0 unchanged, 0 not built by choice), 1 failed",
    ),
    Case(
        "sources-scalar-entry",
        edit(SOURCES, "sources:\n", "sources:\n  - just-a-name\n"),
        BUILD_EN,
        1,
        f"{SOURCES}:{line_of(SOURCES, 'sources:') + 1}: each entry must be a mapping of keys "
        "to values",
    ),
    Case(
        "clinic-phone-is-a-list",
        edit(CLINIC, 'phone: "(555) 010-0100"', "phone: [1, 2]"),
        BUILD_EN,
        1,
        f"{CLINIC}:5: 'phone' must be text, not a list",
    ),
    Case(
        "front-matter-title-is-a-list",
        edit(NCI_MD, "title: Monoclonal Antibodies - NCI", "title: [a, {b: c}]"),
        ("inspect", NCI_MD),
        0,
    ),
    Case(
        "catalog-unknown-charset",
        edit(MESSAGES_PO, "charset=utf-8", "charset=x-no-such-charset"),
        BUILD_ES,
        1,
        f"  {MESSAGES_PO}:{line_of(MESSAGES_PO, 'charset=')}: unknown charset "
        "'x-no-such-charset' in the catalog's Content-Type header",
    ),
    Case(
        "catalog-invalid-utf8",
        lambda p: (p / MESSAGES_PO).write_bytes(
            (ROOT / MESSAGES_PO).read_bytes().replace(b'msgstr "Fuentes"', b'msgstr "Fu\xffentes"')
        ),
        BUILD_ES,
        1,
        f"  {MESSAGES_PO}:{po_line('Sources') + 1}: not valid utf-8 (byte 0xff); save the "
        "catalog in the charset its header declares",
    ),
    Case(
        "catalog-utf8-declared-latin1-draft",
        edit(MESSAGES_PO, "charset=utf-8", "charset=ISO-8859-1"),
        (*BUILD_ES, "--draft"),
        1,
        f"  {MESSAGES_PO}:{line_of(MESSAGES_PO, 'charset=')}: the catalog declares charset "
        "ISO-8859-1 but is saved as UTF-8; declare 'charset=UTF-8' in its Content-Type header",
    ),
    Case(
        "catalog-utf8-declared-latin1",
        edit(MESSAGES_PO, "charset=utf-8", "charset=ISO-8859-1"),
        BUILD_ES,
        1,
        f"  {MESSAGES_PO}:{line_of(MESSAGES_PO, 'charset=')}: the catalog declares charset "
        "ISO-8859-1 but is saved as UTF-8; declare 'charset=UTF-8' in its Content-Type header",
    ),
    Case(
        "catalog-really-latin1",
        lambda p: (p / MESSAGES_PO).write_bytes(
            (ROOT / MESSAGES_PO)
            .read_text(encoding="utf-8")
            .replace("charset=utf-8", "charset=windows-1252")
            .encode("cp1252")
        ),
        BUILD_ES,
        0,
        check=prints("es/immunotherapy.pdf", "Página 1 de"),
    ),
    Case(
        "manifest-not-json",
        steps(
            prebuild("monoclonal-antibodies", "--lang", "en", "-j1"),
            write("out/manifest.json", "{broken"),
        ),
        BUILD_EN,
        0,
        "warning: out/manifest.json is not valid JSON: kept as manifest.json.damaged; the "
        "manifest is written afresh and every PDF on disk is built again to be listed",
        check=all_of(
            manifest_matches_disk,
            lambda run: (
                (run.out / "manifest.json.damaged").read_text() == "{broken"
                or pytest.fail("damaged manifest lost")
            ),
        ),
    ),
    Case(
        "manifest-list-fields",
        steps(
            prebuild(*BUILD_EN[1:]),
            lambda p: (p / "out/manifest.json").write_text(
                (p / "out/manifest.json")
                .read_text()
                .replace('"title": "Immunotherapy for cancer"', '"title": ["x"]')
            ),
        ),
        (*BUILD_EN, "--fhir-bundle", "collection"),
        0,
        "warning: out/manifest.json has 1 damaged entries (left out): kept as "
        "manifest.json.damaged; the manifest is written afresh and every PDF on disk is built "
        "again to be listed",
        check=manifest_matches_disk,
        stdout_line="1 built, 0 skipped (0 unchanged, 0 not built by choice), 0 failed",
    ),
    Case(
        "fhir-empty-content",
        steps(prebuild(*BUILD_EN[1:]), write("out/en/immunotherapy.fhir.json", '{"content": []}')),
        BUILD_EN,
        0,
        stdout_line="1 built, 0 skipped (0 unchanged, 0 not built by choice), 0 failed",
        check=lambda run: (
            json.loads((run.out / "en/immunotherapy.fhir.json").read_text())["content"][0][
                "attachment"
            ]["url"]
            == "en/immunotherapy.pdf"
            or pytest.fail("not rebuilt")
        ),
    ),
    Case(
        "two-broken-definitions-check",
        steps(
            write("leaflets/bad1.yaml", "title: x\ncolour: red\nsections: []\n"),
            write("leaflets/bad2.yaml", "title: [\n"),
        ),
        ("check",),
        1,
        "leaflets/bad1.yaml:2: unknown key 'colour' in leaflet definition; known: id, title, "
        "description, sections",
    ),
    Case(
        "two-broken-definitions-i18n-status",
        steps(
            write("leaflets/bad1.yaml", "title: x\ncolour: red\nsections: []\n"),
            write("leaflets/bad2.yaml", "title: [\n"),
        ),
        ("i18n", "status"),
        1,
        "leaflets/bad1.yaml:3: 'sections' is empty",
    ),
    Case(
        "two-broken-definitions-i18n-extract",
        steps(
            write("leaflets/bad1.yaml", "title: x\ncolour: red\nsections: []\n"),
            write("leaflets/bad2.yaml", "title: [\n"),
        ),
        ("i18n", "extract"),
        1,
        "leaflets/bad2.yaml:2: invalid YAML: did not find expected node content (while "
        "parsing a flow node)",
    ),
    Case(
        "no-babel-cfg",
        lambda p: (p / "babel.cfg").unlink(),
        ("i18n", "extract"),
        1,
        "babel.cfg: cannot read the extraction configuration: No such file or directory",
    ),
    Case(
        "template-not-utf8",
        lambda p: (p / "templates/leaflet.html").write_bytes(
            (ROOT / "templates/leaflet.html").read_bytes().replace(b"<main>", b"<main>\xe9", 1)
        ),
        BUILD_EN,
        1,
        f"  templates/leaflet.html:{line_of('templates/leaflet.html', '<main>')}: template is "
        "not valid UTF-8 (byte 0xe9)",
        check=no_pdf,
    ),
    Case(
        "no-leaflet-css",
        lambda p: (p / "templates/leaflet.css").unlink(),
        BUILD_EN,
        1,
        "  templates/leaflet.css: cannot read stylesheet: No such file or directory",
        check=no_pdf,
    ),
    # ------------------------------------------------------- data loss, false manifests
    Case(
        "foreign-manifest-list",
        write("out/manifest.json", '["precious", "data"]'),
        BUILD_EN,
        1,
        "out/manifest.json: this manifest.json was not written by leafletgen; it is left as "
        "it is: build into another folder (--out) or move it away",
        check=all_of(no_pdf, unchanged("out/manifest.json", '["precious", "data"]')),
    ),
    Case(
        "foreign-manifest-webroot",
        write("webroot/manifest.json", '{"name": "My App", "start_url": "/"}'),
        ("build", "immunotherapy", "--out", "webroot"),
        1,
        "webroot/manifest.json: this manifest.json was not written by leafletgen; it is left "
        "as it is: build into another folder (--out) or move it away",
        check=unchanged("webroot/manifest.json", '{"name": "My App", "start_url": "/"}'),
        writes=("out/", "webroot/", "desk/"),
    ),
    Case(
        "fhir-unwritable-rolls-back-pdf",
        steps(
            prebuild(*BUILD_EN[1:]),
            edit(CLINIC, "name: Riverside Cancer Center", "name: Riverside Cancer Centre"),
            lambda p: (p / "out/en/immunotherapy.fhir.json").unlink(),
            lambda p: (p / "out/en/immunotherapy.fhir.json").mkdir(),
        ),
        BUILD_EN,
        1,
        "  out/en/immunotherapy.fhir.json: cannot write immunotherapy.fhir.json: a folder is in "
        "its place",
        check=all_of(
            manifest_matches_disk,
            lambda run: (
                "Centre" not in pdf_text(run.out / "en/immunotherapy.pdf")
                or pytest.fail("PDF replaced although its unit failed")
            ),
        ),
    ),
    Case(
        "corrupt-manifest-then-partial-build",
        steps(prebuild("--lang", "en", "-j1"), write("out/manifest.json", "{")),
        BUILD_EN,
        0,
        check=manifest_matches_disk,
    ),
    Case(
        "no-lock-or-temporary-file-left",
        lambda p: None,
        BUILD_EN,
        0,
        check=lambda run: (
            # (.cache/ is the output folder's own cache; a temporary file in it is still found)
            [p.name for p in run.out.rglob(".*") if p.name != ".cache"] == []
            or pytest.fail("lock or temporary file left")
        ),
    ),
    # ------------------------------------------------------ files from a translation tool
    Case(
        "xliff-target-with-markup",
        steps(
            export_xliff("es.xlf"),
            edit(
                "es.xlf",
                '<target state="translated">Fuentes</target>',
                '<target state="translated">&lt;h1&gt;X&lt;/h1&gt;</target>',
            ),
        ),
        ("i18n", "import", "--lang", "es", "--file", "es.xlf", "--translator", "T"),
        1,
        check=lambda run: xliff_error_at_unit(
            run,
            "&lt;h1&gt;",
            "the target contains markup ('<h1>') that the English does not have; "
            "translations are plain text",
        ),
    ),
    Case(
        "xliff-is-a-fifo",
        lambda p: os.mkfifo(p / "es.xlf"),
        ("i18n", "import", "--lang", "es", "--file", "es.xlf", "--translator", "T"),
        1,
        "es.xlf: XLIFF file is not a regular file (a device, FIFO or folder)",
    ),
    Case(
        "xliff-entity-expansion",
        steps(
            export_xliff("es.xlf"),
            edit(
                "es.xlf",
                "<xliff ",
                "<!DOCTYPE xliff [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;"
                "&a;&a;&a;'><!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'><!ENTITY d '&c;&c;&c;"
                "&c;&c;&c;&c;&c;&c;&c;'><!ENTITY e '&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;'>]>\n<xliff ",
            ),
            edit(
                "es.xlf",
                '<target state="translated">Fuentes</target>',
                '<target state="translated">&e;&e;&e;&e;</target>',
            ),
        ),
        ("i18n", "import", "--lang", "es", "--file", "es.xlf", "--translator", "T"),
        1,
        "es.xlf:2: the XLIFF file declares a DOCTYPE or entities; XLIFF 1.2 needs neither",
    ),
    Case(
        "logo-xml-entities",
        write(
            "templates/logo.svg",
            '<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY a "aaaa">]>'
            '\n<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>\n',
        ),
        BUILD_EN,
        1,
        f"{CLINIC}:{line_of(CLINIC, 'logo:')}: logo '../templates/logo.svg' declares a DOCTYPE "
        "or entities; save it as plain SVG",
    ),
    Case(
        "logo-wrong-type",
        write("templates/logo.svg", b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
        BUILD_EN,
        1,
        f"{CLINIC}:{line_of(CLINIC, 'logo:')}: logo '../templates/logo.svg' is not an SVG "
        "image (its name says SVG)",
    ),
    Case(
        "logo-empty",
        write("templates/logo.svg", b""),
        BUILD_EN,
        1,
        f"{CLINIC}:{line_of(CLINIC, 'logo:')}: logo '../templates/logo.svg' is empty",
    ),
    Case(
        "project-folder-missing",
        lambda p: None,
        ("build", "--project", "no-such-folder"),
        1,
        "no-such-folder: no such project folder",
    ),
    Case(
        "duplicate-ids",
        lambda p: None,
        ("build", "immunotherapy", "immunotherapy", "--lang", "en,en", "-j1"),
        0,
        stdout_line="1 built, 0 skipped (0 unchanged, 0 not built by choice), 0 failed",
    ),
    Case(
        "unused-broken-source",
        write(CRUK, b"\0binary"),
        BUILD_EN,
        0,
        stdout_line="1 built, 0 skipped (0 unchanged, 0 not built by choice), 0 failed",
    ),
    Case(
        "lang-empty",
        lambda p: None,
        ("build", "--lang", ""),
        1,
        "empty language code in --lang ''",
    ),
    Case(
        "lang-upper-case",
        lambda p: None,
        ("build", "immunotherapy", "--lang", "EN", "-j1"),
        0,
        check=lambda run: (run.out / "en/immunotherapy.pdf").is_file() or pytest.fail("no en PDF"),
    ),
    Case(
        "inspect-into-head",
        # (enough text that the reader is gone long before the writer is done)
        append(
            "sources/nci-immunotherapy.txt",
            "".join(f"\nParagraph {n} of a long page, to fill the pipe.\n" for n in range(6000)),
        ),
        (),
        0,
        shell=f"{sys.executable} -m leafletgen inspect sources/nci-immunotherapy.txt | head -1",
    ),
]


# --- running ------------------------------------------------------------------------


def _environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SOURCE_DATE_EPOCH", None)
    if os.environ.get("HOSTILE_SRC"):
        env["PYTHONPATH"] = os.environ["HOSTILE_SRC"]
    return env | (extra or {})


def _run(project: Path, args: tuple[str, ...], shell: str | None = None, env=None) -> Run:
    """``leafletgen ARGS`` (or a shell pipeline) run in ``project`` as its own process."""
    if shell or os.environ.get("HOSTILE_SRC") or _may_start_a_pool(args):
        return _run_command(project, args, shell, env)
    return _run_forked(project, args, env)


def _may_start_a_pool(args: tuple[str, ...]) -> bool:
    """A build without ``-j1`` may start a process pool, whose fork server must
    belong to a fresh interpreter, not to a copy of this one."""
    return args[:1] == ("build",) and "-j1" not in args


def _run_command(project: Path, args: tuple[str, ...], shell: str | None, env) -> Run:
    command = shell if shell else [sys.executable, "-m", "leafletgen", *args]
    try:
        done = subprocess.run(
            command,
            cwd=project,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=TIMEOUT,
            env=_environment(env),
            shell=bool(shell),
            start_new_session=True,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"hangs: no answer after {TIMEOUT} s")
    return Run(project, done.returncode, done.stdout, done.stderr)


def _run_forked(project: Path, args: tuple[str, ...], env) -> Run:
    """The command line's ``main`` in a child forked from this process: as
    separate as a new process (its own folder, environment, session and
    output; killed if it hangs), without starting Python and importing
    WeasyPrint again for every row."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:
            _child(cli.main, project, args, _environment(env), out.fileno(), err.fileno())
        with contextlib.closing(_PidFile(pid)) as child:
            status = child.wait(TIMEOUT)
        if status is None:
            pytest.fail(f"hangs: no answer after {TIMEOUT} s")
        outputs = []
        for stream in (out, err):
            stream.seek(0)
            outputs.append(stream.read().decode(ENCODING, "replace"))
    return Run(project, os.waitstatus_to_exitcode(status), *outputs)


ENCODING = locale.getpreferredencoding(False)  # what a new process writes to a pipe


class _PidFile:
    """A child process to wait for with a time limit (Linux ``pidfd``)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.fd = os.pidfd_open(pid)

    def wait(self, timeout: float) -> int | None:
        """The child's wait status; None (and the child's session killed) if
        it did not end within ``timeout`` seconds."""
        if not select.select([self.fd], [], [], timeout)[0]:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            return None
        return os.waitpid(self.pid, 0)[1]

    def close(self) -> None:
        os.close(self.fd)


def _child(main, project: Path, args, env: dict[str, str], out: int, err: int) -> NoReturn:
    """Run ``main(args)`` as a process of its own would, then exit (never returns)."""
    code = 1
    try:
        os.setsid()
        os.chdir(project)
        os.environ.clear()
        os.environ.update(env)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        sys.stdin = open(0, encoding=ENCODING, closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", encoding=ENCODING, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding=ENCODING, errors="backslashreplace", closefd=False)  # noqa: SIM115
        # the command line's log handler, if an earlier test made one, writes
        # to that test's streams: the child makes its own
        logging.getLogger("leafletgen").handlers.clear()
        code = main(list(args))
    except SystemExit as exit:
        if isinstance(exit.code, int) or exit.code is None:
            code = exit.code or 0
        else:
            print(exit.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _copy_project(tmp_path: Path) -> Path:
    project = tmp_path / "a" / "b" / "c" / "d" / "project"
    project.mkdir(parents=True)
    for name in ("sources", "leaflets", "templates", "locales"):
        shutil.copytree(ROOT / name, project / name)
    shutil.copy(ROOT / "babel.cfg", project / "babel.cfg")
    return project


def _snapshot(folder: Path) -> dict[str, tuple]:
    found = {}
    for path in folder.rglob("*"):
        relative = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[relative] = ("link", os.readlink(path))
        elif path.is_file():
            found[relative] = ("file", path.stat().st_size, path.stat().st_mtime_ns)
        elif path.is_dir():
            found[relative] = ("dir",)
        else:
            found[relative] = ("special",)
    return found


def _renders(case: Case) -> bool:
    """Whether a row renders a leaflet (a build that writes a PDF, or a set-up
    that builds first): seconds each, where a refused input takes a fraction."""
    writes_a_pdf = case.rc == 0 or " built," in (case.stdout_line or "")
    return (case.args[:1] == ("build",) and writes_a_pdf) or getattr(case.setup, "builds", False)


@pytest.mark.parametrize(
    "case",
    [pytest.param(case, id=case.id, marks=[pytest.mark.slow] * _renders(case)) for case in CASES],
)
def test_hostile_input(case: Case, tmp_path):
    project = _copy_project(tmp_path)
    case.setup(project)
    before = _snapshot(tmp_path)
    run = _run(project, case.args, case.shell, case.extra_env)
    after = _snapshot(tmp_path)
    output = run.stdout + run.stderr

    assert "Traceback" not in output, output[-3000:]
    allowed = tuple(f"a/b/c/d/project/{prefix}" for prefix in case.writes)
    changed = {
        path
        for path in before.keys() | after.keys()
        if before.get(path) != after.get(path)
        and not any(path.startswith(p) or f"{path}/" == p for p in allowed)
    }
    assert not changed, f"written outside the output folder: {sorted(changed)}"
    assert run.returncode == case.rc, output[-3000:]
    if case.message is not None:
        assert case.message in run.stderr.splitlines(), run.stderr[-3000:]
    if case.stdout_line is not None:
        assert case.stdout_line in run.stdout.splitlines(), run.stdout[-3000:]
    for html in run.out.rglob("*.html") if run.out.exists() else ():
        if not html.is_file():  # a folder standing where a page should go
            continue
        text = html.read_text(encoding="utf-8")
        assert "<script" not in text and "INJECTED</h1>" not in text, html
    if case.check:
        case.check(run)


# --- cases that need more than one command ----------------------------------------------


BUILD_ALL_EN_ES_J2 = ["build", "--all", "--lang", "en,es", "-j2", "--force"]


@pytest.mark.slow
def test_killing_the_parent_of_a_parallel_batch_ends_its_workers(tmp_path):
    """Every process the batch started (the pool's workers are the fork
    server's children, the batch's grandchildren) ends with it."""
    project = _copy_project(tmp_path)
    errors = tmp_path / "stderr.txt"
    with errors.open("wb") as sink:  # (the child keeps its own copy of the descriptor)
        parent = subprocess.Popen(
            [sys.executable, "-m", "leafletgen", *BUILD_ALL_EN_ES_J2],
            cwd=project,
            env=_environment(),
            stdout=subprocess.DEVNULL,
            stderr=sink,
            start_new_session=True,
        )
    tree: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 120
        while len(_workers(tree)) < 2 and time.monotonic() < deadline and parent.poll() is None:
            time.sleep(0.2)
            tree = _descendants(parent.pid)
        said = errors.read_text(encoding="utf-8", errors="replace")[-2000:]
        assert parent.poll() is None, f"the batch ended before it was killed: {said}"
        assert len(_workers(tree)) >= 2, f"the batch never started its workers: {tree} {said}"
        parent.kill()
        parent.wait(timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_alive(pid) for pid in tree):
            time.sleep(0.2)
        survivors = {pid: command for pid, command in tree.items() if _alive(pid)}
        assert not survivors, f"outlived the batch that started them: {survivors}"
    finally:
        for pid in [parent.pid, *tree, *_descendants(parent.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _descendants(pid: int) -> dict[int, str]:
    """Every live process below ``pid`` (children, grandchildren, ...), by
    id, with its command line; read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
    found: dict[int, str] = {}
    below = {pid}
    while below:
        below = {child for child, parent in parents.items() if parent in below}
        for child in below:
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                command = b""
            found[child] = command.decode(errors="replace").strip()
    return found


def _workers(tree: dict[int, str]) -> list[int]:
    """The processes of ``tree`` that render: those with no children of their
    own (the fork server has the workers), other than the resource tracker."""
    return [
        pid
        for pid, command in tree.items()
        if "resource_tracker" not in command and not _descendants(pid)
    ]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# --- in-process cases: the same rules one level down ------------------------------------


def test_translations_are_text_even_when_a_catalog_check_is_bypassed(project, corpus):
    """Defence in depth: a translation reaching the template is escaped, and
    only ``%(name)s`` placeholders are filled."""
    from leafletgen.project import load_inputs
    from leafletgen.render.html import RenderOptions, render_html
    from leafletgen.select.clinic import load_clinic
    from leafletgen.select.selection import select_sections
    from leafletgen.translate.translator import Entry, Translator

    spec = load_inputs(project).specs["immunotherapy"]
    leaflet = select_sections(spec, corpus)
    hostile = {
        "Sources": Entry("<h1>INJECTED</h1><script>alert(1)</script>100% r", False),
        "Page {page} of {pages}": Entry("P {page}</style><style>main{display:none}", False),
        "Call %(clinic)s": Entry("<b>%(clinic)s</b> 100% r %(nope)s %%", False),
    }
    translator = Translator("es", messages=hostile, draft=True)
    html = render_html(
        leaflet,
        load_clinic(project.clinic_file),
        translator,
        templates=project.templates,
        options=RenderOptions(),
    )
    assert "<script" not in html and "<h1>INJECTED" not in html and "<style>main" not in html
    assert "&lt;h1&gt;INJECTED&lt;/h1&gt;&lt;script&gt;alert(1)&lt;/script&gt;100% r" in html
    assert "&lt;b&gt;Riverside Cancer Center&lt;/b&gt; 100% r %(nope)s %" in html
    assert '"P " counter(page) "\\3c /style\\3e \\3c style\\3e main{display:none}"' in html


def test_css_strings_never_end_the_style_element():
    from leafletgen.render.html import css_string, page_label_css

    assert "<" not in css_string("</style><script>") and ">" not in css_string("a>b")
    assert page_label_css("{page} / {pages} <") == 'counter(page) " / " counter(pages) " \\3c "'


def test_an_unexpected_error_in_one_leaflet_never_takes_down_the_batch(
    project, tmp_path, monkeypatch, capsys
):
    from leafletgen import cli
    from leafletgen.batch import worker as build

    real = build.render_leaflet

    def flaky(workspace, spec, lang, **kwargs):
        if spec.id == "immunotherapy":
            raise RuntimeError("simulated bug")
        return real(workspace, spec, lang, **kwargs)

    monkeypatch.setattr(build, "render_leaflet", flaky)
    rc = cli.main(
        ["build", "--project", str(project.root), "--out", str(tmp_path), "--lang", "en", "-j1"]
    )
    out, err = capsys.readouterr()
    assert rc == 1
    assert "1 built, 0 skipped (0 unchanged, 0 not built by choice), 1 failed" in out
    assert "internal error (RuntimeError: simulated bug); please report it" in err
    assert (tmp_path / "en/monoclonal-antibodies.pdf").is_file()


def test_a_unit_interrupted_half_way_puts_the_previous_files_back(tmp_path, monkeypatch):
    from leafletgen.publish import writer as unit

    (tmp_path / "en").mkdir()
    (tmp_path / "en/x.pdf").write_bytes(b"old pdf")
    (tmp_path / "en/x.fhir.json").write_bytes(b"old fhir")
    real_replace = os.replace
    calls = []

    def interrupt_third(src, dst):
        calls.append(dst)
        if len(calls) == 3:  # old PDF aside, new PDF in place, old FHIR aside: stop
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(unit.os, "replace", interrupt_third)
    with pytest.raises(KeyboardInterrupt):
        unit.publish_unit(tmp_path, {"en/x.pdf": b"new pdf", "en/x.fhir.json": b"new fhir"})
    monkeypatch.setattr(unit.os, "replace", real_replace)
    assert (tmp_path / "en/x.pdf").read_bytes() == b"old pdf"
    assert (tmp_path / "en/x.fhir.json").read_bytes() == b"old fhir"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["en", "x.fhir.json", "x.pdf"]


def test_same_bytes_whichever_font_subsetter(project, corpus, monkeypatch):
    """Where WeasyPrint falls back to fontTools (no HarfBuzz subsetter), the
    subset fonts keep the font's own timestamp, not the wall clock."""
    from fontTools.misc import timeTools
    from weasyprint.pdf import fonts

    from leafletgen.project import load_inputs
    from leafletgen.render.html import STYLESHEET, RenderOptions, render_html
    from leafletgen.render.pdf import render_pdf
    from leafletgen.select.clinic import load_clinic
    from leafletgen.select.selection import select_sections
    from leafletgen.translate.translator import Translator

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.setattr(fonts, "harfbuzz_subset", None)
    leaflet = select_sections(load_inputs(project).specs["immunotherapy"], corpus)
    html = render_html(
        leaflet,
        load_clinic(project.clinic_file),
        Translator(),
        templates=project.templates,
        options=RenderOptions(created=None),
    )

    class Clock:
        def __init__(self, now):
            self.now = now

        def time(self):
            return self.now

    renders = []
    for now in (1_000_000_000, 1_900_000_000):
        monkeypatch.setattr(timeTools, "time", Clock(now))
        renders.append(
            render_pdf(
                html,
                base_url=project.templates,
                stylesheet=project.templates / STYLESHEET,
                assets=(project.templates,),
            )
        )
    assert renders[0] == renders[1]


PATHOLOGICAL = [
    "#" + " " * 100_000 + "x",
    "## A" + " " * 100_000 + "#x",
    "[a](" * 25_000,
    "![" * 50_000,
    "![x](" + "video" * 20_000,
    "![x](https://www.cancer.gov/" + "video" * 20_000 + ".jpg",
    "**a " * 25_000,
    "__" * 50_000,
    "?!" * 50_000 + "x",
    ". " * 50_000,
    '."' * 50_000,
    "the " * 25_000 + ".",
    "a" + " " * 100_000 + "and",
    "Learn more " + "x " * 50_000 + ".",
    "Last reviewed on " + "1/" * 50_000,
    "Next review due: " + "1 " * 50_000,
    "how does " + "x " * 50_000 + "wor",
    "• " * 50_000,
    " " * 100_000 + "x",
    ":" + " " * 100_000 + "x",
    "[Enlarge Image](" + "(" * 100_000,
    "A" * 100_000 + ":",
]


@pytest.mark.slow
def test_every_pattern_over_untrusted_lines_is_linear():
    """Every pattern of the readers, the profiles and the heading kinds, run
    over long pathological lines in a subprocess: linear patterns finish in
    seconds, a backtracking one would run for hours."""
    script = """
import re, sys, json
from leafletgen.read import chrome, dates, decode, language, markdown, prelude, profiles
from leafletgen.read import scrape, text
from leafletgen.read import classify as sections
from leafletgen.select import readability
lines = json.loads(sys.stdin.read())
def collect(value, found):
    # every compiled pattern a profile holds, however it is nested
    if isinstance(value, re.Pattern):
        found.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            collect(item, found)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            collect(item, found)
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            collect(getattr(value, name), found)
patterns = []
for lang in language.load_languages():
    for profile in profiles.load_profiles(lang).values():
        collect(profile, patterns)
    for _kind, found in sections.load_kind_patterns(lang) + sections.load_body_patterns(lang):
        patterns += found
modules = (chrome, dates, decode, language, markdown, prelude, scrape, text, readability)
for module in modules:
    patterns += [v for v in vars(module).values() if isinstance(v, re.Pattern)]
patterns = list({(p.pattern, p.flags): p for p in patterns}.values())  # each once
nci = profiles.load_profiles()["nci"]
for line in lines:
    for pattern in patterns:
        pattern.search(line); pattern.search(line.strip()); list(pattern.finditer(line))
    markdown.inline_text(line, nci)
    markdown._HEADING.match(line.strip())
    sections.classify_heading(line)
    sections.classify_heading(line, "es")
    readability.readability(line, "en")
print(len(patterns))
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(PATHOLOGICAL),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=_environment(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) > 30  # patterns tried
