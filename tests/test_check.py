"""``leafletgen check``: the distribution status of every leaflet in every
language, each reason once; the gate before distribution."""

from __future__ import annotations

from leafletgen.cli import main


def run(capsys, *args) -> tuple[int, str]:
    code = main(["check", *args])
    return code, capsys.readouterr().out


def test_overdue_source_reported_with_due_date(project, capsys):
    code, out = run(capsys, "--project", str(project.root), "--today", "2026-11-21")
    assert code == 0
    assert (
        "National Cancer Institute (NCI), “Monoclonal Antibodies”: review was due 2026-03-30 "
        "(last reviewed 2025-12-30)" in out
    )
    code, out = run(capsys, "--project", str(project.root), "--today", "2026-03-01")
    assert "(NCI), “Monoclonal Antibodies”: review was due" not in out


def test_source_without_any_review_date_is_reported(project, capsys):
    _, out = run(capsys, "--project", str(project.root), "--today", "2026-01-01")
    assert "“Immunotherapy to Treat Cancer”: the page states no review date" in out


def test_licences_needing_permission_listed_with_the_leaflets_using_them(project, capsys):
    _, out = run(capsys, "--project", str(project.root), "--today", "2026-01-01", "--lang", "en,es")
    assert (
        "Cleveland Clinic, “Immunotherapy for Cancer” (© Cleveland Clinic, all rights "
        "reserved): reuse needs the publisher's permission and none is recorded "
        "(sources/sources.yaml:56: licence.permission)\n    affects immunotherapy [en], "
        "immunotherapy [es]" in out
    )
    assert "Cancer Research UK, “Monoclonal antibodies (mAbs)” (© Cancer Research UK)" in out
    assert "“Immunotherapy to Treat Cancer” (Public domain" not in out


def test_unreviewed_translation_is_a_finding(project, capsys):
    _, out = run(capsys, "--project", str(project.root), "--today", "2026-01-01")
    assert "[es] translation not reviewed: " in out
    assert (
        "40 leaflet x language outputs checked as of 2026-01-01: 0 cleared, 40 not cleared" in out
    )


def test_strict_fails_on_any_finding(project, capsys):
    code, out = run(capsys, "--project", str(project.root), "--today", "2026-01-01", "--strict")
    assert code == 1
    assert "error: " in out


def test_recorded_permission_clears_the_finding(project_copy, capsys):
    sources = project_copy.sources / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    text = text.replace(
        "      needs_permission: true\n",
        "      needs_permission: true\n      permission: Written permission, ref. 2026-014\n",
    )
    sources.write_text(text, encoding="utf-8")
    _, out = run(capsys, "--project", str(project_copy.root), "--today", "2026-01-01")
    assert "reuse needs the publisher's permission" not in out


def test_clinic_check_counts_as_the_last_review(project_copy, capsys):
    sources = project_copy.sources / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    text = text.replace(
        "    file: nci-monoclonal-antibodies.md\n",
        "    file: nci-monoclonal-antibodies.md\n"
        '    checked: {date: 2026-11-02, by: "Pharmacy team, J. Ortiz"}\n',
    )
    sources.write_text(text, encoding="utf-8")
    # NCI reviews quarterly: a check on 2 November vouches until 31 January.
    _, out = run(capsys, "--project", str(project_copy.root), "--today", "2027-01-30")
    assert "(NCI), “Monoclonal Antibodies”: review was due" not in out
    _, out = run(capsys, "--project", str(project_copy.root), "--today", "2027-02-01")
    assert (
        "National Cancer Institute (NCI), “Monoclonal Antibodies”: review was due 2027-01-31 "
        "(checked 2026-11-02 by Pharmacy team, J. Ortiz)" in out
    )
