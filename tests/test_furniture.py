"""Nothing that looks like web furniture is printed silently: ``inspect``,
``build`` and ``check`` report every such printed line with its file and line,
``check --strict`` fails on it, and a definition keeps a flagged line on
purpose with ``keep:`` on its selector."""

from __future__ import annotations

import textwrap

from leafletgen.cli import main

CLINIC_TRIALS = "How do you find clinical trials that are testing immunotherapy?"


def only_leaflet(project, body: str) -> None:
    """Leave one definition in the project copy (so no licence finding hides ours)."""
    for path in project.leaflets.glob("*.yaml"):
        if path.name not in ("clinic.yaml",):
            path.unlink()
    (project.leaflets / "trials.yaml").write_text(textwrap.dedent(body), encoding="utf-8")


TRIALS = """\
    title: Clinical trials
    sections:
      - kind: other
        heading: Clinical trials
        select:
          - source: nci-immunotherapy
            heading: How do you find clinical trials that are testing immunotherapy?
    """


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_inspect_reports_furniture_with_file_and_line(project, capsys):
    code, out, _ = run(capsys, "inspect", str(project.sources / "nci-immunotherapy.txt"))
    assert code == 0
    assert "nci-immunotherapy.txt:106: looks like web furniture (phone): 'To find clinical" in out


def test_check_reports_a_printed_phone_number_and_strict_fails(project_copy, capsys):
    only_leaflet(project_copy, TRIALS)
    root = str(project_copy.root)
    code, out, _ = run(capsys, "check", "--project", root, "--today", "2026-01-01")
    assert code == 0
    assert "nci-immunotherapy.txt:106: leaflet 'trials' prints text that looks like web" in out
    assert "furniture (phone)" in out and "keep:" in out
    code, out, _ = run(capsys, "check", "--project", root, "--today", "2026-01-01", "--strict")
    assert code == 1
    line = next(x for x in out.splitlines() if "nci-immunotherapy.txt:106: leaflet" in x)
    assert line.startswith("error: ") and "web furniture (phone)" in line


def test_keep_prints_the_line_on_purpose(project_copy, capsys):
    only_leaflet(project_copy, TRIALS + "        keep: 1-800-4-CANCER\n")
    root = str(project_copy.root)
    _, out, _ = run(capsys, "check", "--project", root, "--today", "2026-01-01", "--strict")
    assert "web furniture" not in out
    assert "nci-immunotherapy.txt:106" not in out


def test_keep_phrase_that_quotes_no_flagged_line_is_an_error(project_copy, capsys):
    only_leaflet(project_copy, TRIALS + "        keep: [Call us on 0800]\n")
    root = str(project_copy.root)
    code, _, err = run(capsys, "check", "--project", root, "--today", "2026-01-01")
    assert code != 0
    assert "trials.yaml:6" in err  # the selector
    assert "keep phrase 'Call us on 0800' quotes no flagged line" in err
    assert "1-800-4-CANCER" in err  # what is flagged there, to quote instead


def test_keep_must_be_phrases(project_copy, capsys):
    only_leaflet(project_copy, TRIALS + "        keep: 3\n")
    code, _, err = run(capsys, "check", "--project", str(project_copy.root))
    assert code != 0
    assert "trials.yaml:8" in err and "'keep' must be" in err


def test_the_clinics_own_number_is_not_furniture(project_copy, capsys):
    page = project_copy.sources / "clinic-page.txt"
    page.write_text(
        "After your treatment\n\nCall us on (555) 010-0100 if you have a fever.\n\n"
        "Ring the helpline on 0808 800 4040 for anything else.\n",
        encoding="utf-8",
    )
    with (project_copy.sources / "sources.yaml").open("a", encoding="utf-8") as catalog:
        catalog.write(
            "\n  - id: clinic-page\n    file: clinic-page.txt\n    format: scrape\n"
            "    publisher: Riverside Cancer Center\n    title: After your treatment\n"
            "    licence:\n      name: the clinic's own text\n      needs_permission: false\n"
        )
    only_leaflet(
        project_copy,
        """\
        title: After treatment
        sections:
          - kind: when_to_call
            select:
              - source: clinic-page
                kind: other
        """,
    )
    _, out, _ = run(capsys, "check", "--project", str(project_copy.root), "--today", "2026-01-01")
    assert "clinic-page.txt:3" not in out  # the clinic's own number
    assert "clinic-page.txt:5: leaflet 'trials' prints text that looks like web furniture" in out
    assert "(phone): 'Ring the helpline" in out


def test_build_warns_about_printed_furniture(project_copy, tmp_path, capsys):
    only_leaflet(project_copy, TRIALS)
    code, _, err = run(
        capsys, "build", "--project", str(project_copy.root), "--out", str(tmp_path / "out")
    )
    assert code == 0
    assert "warning: " in err
    assert "nci-immunotherapy.txt:106: leaflet 'trials' prints text that looks like web" in err


def test_another_countrys_emergency_number_and_withheld_text_reach_check(project_copy, capsys):
    page = project_copy.sources / "uk-page.txt"
    page.write_text(
        "After your treatment\n\nCall 999 if you cannot breathe. Call 911 if you faint.\n\n"
        "Side effects\n\nYou may feel tired. These include:\n\nMore text about side effects.\n",
        encoding="utf-8",
    )
    with (project_copy.sources / "sources.yaml").open("a", encoding="utf-8") as catalog:
        catalog.write(
            "\n  - id: uk-page\n    file: uk-page.txt\n    format: scrape\n"
            "    publisher: A UK publisher\n    title: After your treatment\n    language: en\n"
            "    licence:\n      name: public domain\n      needs_permission: false\n"
        )
    only_leaflet(
        project_copy,
        """\
        title: After treatment
        sections:
          - kind: side_effects
            select:
              - source: uk-page
                kind: side_effects
          - kind: when_to_call
            select:
              - source: uk-page
                kind: other
        """,
    )
    root = str(project_copy.root)
    _, out, _ = run(capsys, "check", "--project", root, "--today", "2026-01-01")
    assert "uk-page.txt:3: leaflet 'trials' prints the emergency number 999" in out
    assert "the clinic's is 911" in out
    assert "uk-page.txt:7: a section a leaflet prints, where the reader withheld" in out
    assert "lead-in without its list" in out
    _, _, err = run(capsys, "build", "--project", root, "--out", str(project_copy.root / "o"))
    assert "uk-page.txt:7: a section a leaflet prints, where the reader withheld" in err
