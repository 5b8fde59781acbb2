"""``leafletgen check``: review dates and licence permissions, the gate before
distribution."""

from __future__ import annotations

from leafletgen.cli import main


def run(capsys, *args) -> tuple[int, str]:
    code = main(["check", *args])
    return code, capsys.readouterr().out


def test_overdue_source_reported_with_due_date(project, capsys):
    code, out = run(capsys, "--project", str(project.root), "--today", "2026-11-21")
    assert code == 0
    assert (
        "nci-monoclonal-antibodies.md: review was due 2026-03-30 (last reviewed 2025-12-30)" in out
    )
    code, out = run(capsys, "--project", str(project.root), "--today", "2026-03-01")
    assert "review was due" not in out


def test_licences_needing_permission_listed_per_leaflet(project, capsys):
    _, out = run(capsys, "--project", str(project.root), "--today", "2026-01-01")
    assert "leaflet 'immunotherapy' uses 'cleveland-clinic-immunotherapy'" in out
    assert "leaflet 'monoclonal-antibodies' uses 'cleveland-clinic-monoclonal-antibodies'" in out
    assert "leaflet 'rituximab' uses 'cruk-monoclonal-antibodies'" in out
    assert "nci-immunotherapy'" not in out  # public domain


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
    code, out = run(
        capsys, "--project", str(project_copy.root), "--today", "2026-01-01", "--strict"
    )
    # What is left is the one source that gives no review date at all.
    assert code == 1, out
    assert "1 finding(s)" in out
    assert "nci-immunotherapy.txt: the page gives no review date" in out


def test_source_without_review_date_reported(project, capsys):
    _, out = run(capsys, "--project", str(project.root), "--today", "2026-01-01")
    undated = [line for line in out.splitlines() if "gives no review date" in line]
    assert len(undated) == 1 and "nci-immunotherapy.txt" in undated[0]
