"""Source review: a person sees what each source prints, with every line the
reader is unsure of marked, and records a review bound to the file and the
outline; excluded units are not printed; the review is part of clearance."""

from __future__ import annotations

import datetime as dt

import pytest

from leafletgen.cli import main
from leafletgen.errors import LeafletError
from leafletgen.read.sources import read_corpus
from leafletgen.review import sources as review_sources

CC = "cleveland-clinic-immunotherapy"
WEIGH = "It’s important to work closely with your oncologist to weigh all the pros and cons"


def cli(capsys, *args) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def review(capsys, root, source: str, *extra: str) -> tuple[int, str]:
    return cli(
        capsys, "sources", "review", source, "--reviewer", "Dana Reyes", "--role",
        "oncology nurse educator", *extra, "--project", str(root),
    )  # fmt: skip


def test_show_marks_withheld_lead_ins_and_chrome(project, capsys):
    code, out = cli(capsys, "sources", "show", CC, "--project", str(project.root))
    assert code == 0, out
    lines = out.splitlines()
    assert "not reviewed as it now stands" in out
    assert any(line.startswith("    9 ? Types of immunotherapy drugs") for line in lines)
    assert "        ^ lead-in without its list, not printed: 'Types of immunotherapy" in out
    assert "    2 - Advertisement" in lines
    assert any(line.startswith("   13 ! Adoptive cell therapy") for line in lines)


def test_show_marks_front_matter_as_metadata(project, capsys):
    _, out = cli(
        capsys, "sources", "show", "nci-monoclonal-antibodies", "--project", str(project.root)
    )
    assert "    9 m lastReviewed: '2025-12-30'" in out.splitlines()
    assert "   37 # How do monoclonal antibodies work against cancer?" in out.splitlines()


def test_review_records_name_role_today_and_fingerprints(project_copy, capsys):
    root = project_copy.root
    code, out = review(capsys, root, CC, "--exclude", "26")
    assert code == 0, out
    today = dt.date.today()
    assert f"{CC} reviewed by Dana Reyes (oncology nurse educator) on {today}" in out
    book = review_sources.load_book(project_copy.sources)
    (entry,) = book.reviews
    assert (entry.reviewer, entry.role, entry.date) == (
        "Dana Reyes",
        "oncology nurse educator",
        today,
    )
    assert entry.sha256 == review_sources.file_sha256(project_copy.sources / f"{CC}.txt")
    assert entry.excluded[0].line == 26 and entry.excluded[0].text.startswith(WEIGH)
    document = read_corpus(project_copy.sources)[CC]
    assert document.review.current and document.review.by == "Dana Reyes"
    assert 26 not in review_sources.printed_units(document)
    assert 28 in review_sources.printed_units(document)


def test_review_needs_a_name_and_a_printed_line(project_copy, capsys):
    root = project_copy.root
    code, out = cli(capsys, "sources", "review", CC, "--project", str(root))
    assert code == 1 and "needs --reviewer NAME and --role ROLE" in out
    code, out = review(capsys, root, CC, "--exclude", "2")
    assert code == 1 and "--exclude 2: line 2 starts no printed paragraph or list item" in out
    code, out = review(capsys, root, "no-such-source")
    assert code == 1 and "no source 'no-such-source' in sources.yaml" in out
    assert not (project_copy.sources / "reviews.yaml").exists()


def test_one_byte_edit_asks_again_and_a_moved_line_prints_again(project_copy, capsys):
    root = project_copy.root
    assert review(capsys, root, CC, "--exclude", "26")[0] == 0
    path = project_copy.sources / f"{CC}.txt"
    path.write_bytes(path.read_bytes().replace(b"live longer.", b"live longer!", 1))
    document = read_corpus(project_copy.sources)[CC]
    assert not document.review.current
    assert 26 not in review_sources.printed_units(document)  # same line, same text: still out
    path.write_bytes(b"New first line.\n" + path.read_bytes())  # every line moves down one
    document = read_corpus(project_copy.sources)[CC]
    assert not document.review.current
    assert review_sources.printed_units(document)[27].startswith(WEIGH)


def test_a_future_or_broken_review_is_an_error_at_its_line(project_copy):
    (project_copy.sources / "reviews.yaml").write_text(
        "reviews:\n"
        f"  - source: {CC}\n"
        "    reviewer: Dana Reyes\n"
        "    role: nurse\n"
        "    date: 2999-01-01\n"
        "    sha256: abc\n"
        "    outline: def\n"
        "  - source: x\n"
        "    reviewer: ''\n"
        "    date: 2026-01-01\n",
        encoding="utf-8",
    )
    with pytest.raises(LeafletError) as caught:
        read_corpus(project_copy.sources)
    text = str(caught.value)
    path = project_copy.sources / "reviews.yaml"
    assert f"{path}:5: review date 2999-01-01 is in the future" in text
    assert f"{path}:8: source review is missing 'role'" in text


def test_check_takes_leaflet_ids_and_names_unreviewed_sources(project, capsys):
    code, out = cli(
        capsys, "check", "immunotherapy", "--lang", "en", "--today", "2026-11-23",
        "--project", str(project.root),
    )  # fmt: skip
    assert code == 0, out
    assert "1 leaflet x language outputs checked as of 2026-11-23" in out
    assert (
        "Cleveland Clinic, “Immunotherapy for Cancer” (sources/cleveland-clinic-immunotherapy.txt)"
        " has no source review of its current text and outline" in out
    )
    assert f"`leafletgen sources review {CC} --reviewer NAME --role ROLE`" in out
