"""Source review: a person sees what each source prints, with every line the
reader is unsure of marked, and records a review bound to the file and the
outline; excluded units are not printed; the review is part of clearance."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pypdf import PdfReader

from conftest import desk_user, squash
from leafletgen import accounts, clearance
from leafletgen.batch.build import build_leaflets
from leafletgen.cli import main
from leafletgen.errors import LeafletError
from leafletgen.project import select_leaflets
from leafletgen.read import document
from leafletgen.read.sources import read_corpus
from leafletgen.review import sources as review_sources
from leafletgen.translate.translator import load_translator
from test_distribution import TODAY, make_clearable

CC = "cleveland-clinic-immunotherapy"
WEIGH = "It’s important to work closely with your oncologist to weigh all the pros and cons"

# Every test here builds leaflets (seconds each): `make check` leaves them to `make test`.
pytestmark = pytest.mark.slow


def cli(capsys, *args) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def review(capsys, root, source: str, *extra: str) -> tuple[int, str]:
    if "dana-reyes" not in accounts.load_users(root):
        desk_user(root, "dana-reyes", roles=("editor",), qualification=None)
    return cli(
        capsys, "sources", "review", source, "--reviewer", "dana-reyes", "--role",
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
    assert f"{CC} reviewed by dana-reyes (oncology nurse educator) on {today}" in out
    book = review_sources.load_book(project_copy.sources)
    (entry,) = book.reviews
    assert (entry.reviewer, entry.role, entry.date) == (
        "dana-reyes",
        "oncology nurse educator",
        today,
    )
    assert entry.sha256 == review_sources.file_sha256(project_copy.sources / f"{CC}.txt")
    assert entry.excluded[0].line == 26 and entry.excluded[0].text.startswith(WEIGH)
    document = read_corpus(project_copy.sources)[CC]
    assert document.review.current and document.review.by == "dana-reyes"
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


# --- the not-cleared band ------------------------------------------------------------

BAND_LANGS = ["en", "es", "ar", "zh_Hans", "vi"]
HEADLINE = "Not for patients yet."
INCH = 72.0  # PDF units


def page_chunks(page) -> list[tuple[float, float, str]]:
    """Every piece of text on a PDF page with where it starts (x, y from the bottom)."""
    chunks = []

    def visit(text, cm, tm, _font, _size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            chunks.append((x, y, text))

    page.extract_text(visitor_text=visit)
    return chunks


def band_chunks(page, contact: str, parts: int) -> list[tuple[float, float, str]]:
    """The band's text: from its headline to the ``parts``-th naming of whom to ask."""
    chunks = page_chunks(page)
    start = next(n for n, chunk in enumerate(chunks) if HEADLINE[:-1] in chunk[2])
    band, seen = [], ""
    for chunk in chunks[start:]:
        band.append(chunk)
        seen += chunk[2]
        if squash(seen).count(squash(contact)) >= parts:
            return band
    raise AssertionError(f"the band does not name whom to ask: {seen!r}")


@pytest.fixture(scope="module")
def review_copies(project, tmp_path_factory):
    out = tmp_path_factory.mktemp("band") / "out"
    results = build_leaflets(
        project, ["immunotherapy", "blinatumomab"], BAND_LANGS, out, include_drugs=True, jobs=2
    )
    assert [r.error for r in results if not r.ok] == []
    return out, json.loads((out / "manifest.json").read_text())["leaflets"]


def test_band_is_inside_the_printable_area_in_english_and_the_leaflets_language(
    review_copies, project
):
    out, entries = review_copies
    contact = "Riverside Cancer Center, (555) 010-0100"
    assert {e["lang"] for e in entries} == set(BAND_LANGS)
    for entry in entries:
        assert entry["distribution"]["status"] == "not-cleared"
        assert entry["pages"] <= entry["pages_allowed"]  # the band takes no page of its own
        translator = load_translator(project.locales, entry["lang"], draft=True)
        local = squash(translator.gettext("translation not reviewed"))
        reader = PdfReader(out / entry["path"])
        for number, page in enumerate(reader.pages, start=1):
            width, height = float(page.mediabox.width), float(page.mediabox.height)
            assert (round(width), round(height)) == (612, 792)
            parts = 1 if entry["lang"] == "en" else 2
            band = band_chunks(page, contact, parts)
            where = f"{entry['path']} page {number}"
            for x, y, text in band:
                assert INCH / 2 <= x <= width - INCH / 2, (where, x, text)
                assert INCH / 2 <= y <= height - INCH / 2 - 8, (where, y, text)
            text = squash("".join(chunk[2] for chunk in band))
            assert text.count(squash(HEADLINE)) >= 1, where
            assert squash("Not cleared for distribution: ") in text, where
            assert squash(f"Ask: {contact}") in text, where
            if entry["lang"] != "en":
                # the leaflet's language: its own words where translated
                heading = squash(translator.gettext("Not cleared for distribution:"))
                assert squash("translation not reviewed") in text, where
                assert f"{heading}{local}" in text, where


def test_cleared_leaflet_carries_no_band(project_copy, tmp_path):
    make_clearable(project_copy.root)
    results = build_leaflets(project_copy, ["immunotherapy"], ["en"], tmp_path, today=TODAY)
    entry = results[0].entry
    assert entry.distribution == {"status": "cleared", "reasons": []}
    for page in PdfReader(tmp_path / entry.path).pages:
        assert squash(HEADLINE) not in squash(page.extract_text())
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (612, 792)


def test_leaflet_contact_says_whom_to_ask(project_copy, tmp_path):
    clinic = project_copy.clinic_file
    contact = 'leaflet_contact: "Patient education nurse, ext. 4410"\n'
    clinic.write_text(clinic.read_text(encoding="utf-8") + contact, encoding="utf-8")
    results = build_leaflets(project_copy, ["immunotherapy"], ["en"], tmp_path, today=TODAY)
    for page in PdfReader(tmp_path / results[0].entry.path).pages:
        assert squash("Ask: Patient education nurse, ext. 4410") in squash(page.extract_text())


# --- a page from a new publisher: the acceptance test of source review ----------------

NEW_ID = "riverbend-immunotherapy"
NURSE_LINE = "Questions? Call our nurse line at 1-800-555-0142, Monday to Friday, 8 a.m. to 5 p.m."
NEWSLETTER = "Subscribe to our newsletter for more health tips."
NEW_PAGE = f"""\
Immunotherapy: What Patients Should Know
Immunotherapy is a cancer treatment that helps your immune system find and fight cancer cells.
How is immunotherapy given?
Most immunotherapy drugs are given through a vein (IV) at a clinic. Some come as pills you take.
When to call your care team
Call your care team right away if you have a fever of 100.4°F (38°C) or higher, or a new rash.
Side effects can start weeks or months after treatment. Tell your care team about any change.
{NURSE_LINE}
{NEWSLETTER}
"""
NEW_ENTRY = f"""
  - id: {NEW_ID}
    file: {NEW_ID}.txt
    format: scrape
    publisher: Riverbend Health Library
    title: "Immunotherapy: What Patients Should Know"
    url: https://riverbend.example.org/library/immunotherapy
    language: en
    licence:
      name: CC BY 4.0
      needs_permission: false
"""
NEW_DEFINITION = f"""\
title: Immunotherapy for cancer
sections:
  - kind: what_to_expect
    select:
      - source: {NEW_ID}
        kind: what_to_expect
  - kind: when_to_call
    select:
      - source: {NEW_ID}
        kind: when_to_call
"""


def add_new_publisher(root) -> None:
    """A page saved from a publisher the reader has never seen, and a definition for it."""
    (root / "sources" / f"{NEW_ID}.txt").write_text(NEW_PAGE, encoding="utf-8")
    with (root / "sources" / "sources.yaml").open("a", encoding="utf-8") as catalog:
        catalog.write(NEW_ENTRY)
    (root / "leaflets" / "riverbend.yaml").write_text(NEW_DEFINITION, encoding="utf-8")


def build_new(project, out):
    (result,) = build_leaflets(project, ["riverbend"], ["en"], out, today=TODAY)
    assert result.ok, result.error
    entry = json.loads((out / "manifest.json").read_text())["leaflets"][0]
    text = squash("".join(page.extract_text() for page in PdfReader(out / entry["path"]).pages))
    return entry, text


def codes_about_new(entry) -> set[str]:
    return {
        r["code"]
        for r in entry["distribution"]["reasons"]
        if r.get("subject") in (None, "Riverbend Health Library")
    }


def test_new_publisher_page_is_not_cleared_until_reviewed(project_copy, tmp_path, capsys):
    root, out = project_copy.root, tmp_path / "out"
    add_new_publisher(root)
    entry, text = build_new(project_copy, out)
    assert entry["distribution"]["status"] == "not-cleared"
    assert {"furniture-printed", "source-not-reviewed"} <= codes_about_new(entry)
    assert squash(NURSE_LINE) in text and squash(NEWSLETTER) in text
    assert squash("Riverbend Health Library page not yet reviewed by the clinic") in text
    assert squash("prints website lines (phone numbers, newsletters) nobody has approved") in text
    fhir = json.loads((out / entry["path"].replace(".pdf", ".fhir.json")).read_text())
    assert fhir["docStatus"] == "preliminary"
    code, said = cli(capsys, "check", "riverbend", "--lang", "en", "--project", str(root))
    assert (
        "prints 2 line(s) that look like web furniture and that no definition (keep:) or "
        f"source review keeps on purpose: sources/{NEW_ID}.txt:8; sources/{NEW_ID}.txt:9" in said
    )
    furniture = next(
        r for r in entry["distribution"]["reasons"] if r["code"] == "furniture-printed"
    )
    assert furniture["details"][0].startswith(f"sources/{NEW_ID}.txt:8: leaflet 'riverbend'")
    assert f"leafletgen sources review {NEW_ID}" in said

    # The reviewer sees both lines marked, and excludes them.
    code, shown = cli(capsys, "sources", "show", NEW_ID, "--project", str(root))
    assert code == 0
    assert f"    8 ! {NURSE_LINE}" in shown and f"    9 ! {NEWSLETTER}" in shown
    assert "        ^ flagged as web furniture (phone, opening hours)" in shown
    code, said = review(capsys, root, NEW_ID, "--exclude", "8", "--exclude", "9")
    assert code == 0, said
    entry, text = build_new(project_copy, out)
    assert not {"furniture-printed", "source-not-reviewed"} & codes_about_new(entry)
    assert squash("1-800-555-0142") not in text and "newsletter" not in text
    assert squash("Call your care team right away if you have a fever") in text

    # One byte of the source edited: it asks again (the excluded lines, unchanged, stay out).
    path = project_copy.sources / f"{NEW_ID}.txt"
    path.write_text(NEW_PAGE.replace("you take.", "you take!"), encoding="utf-8")
    entry, text = build_new(project_copy, out)
    assert "source-not-reviewed" in codes_about_new(entry)
    assert squash("1-800-555-0142") not in text
    path.write_text(NEW_PAGE, encoding="utf-8")
    entry, _ = build_new(project_copy, out)
    assert "source-not-reviewed" not in codes_about_new(entry)


def test_a_reader_change_that_alters_the_outline_asks_again(project_copy, capsys, monkeypatch):
    root = project_copy.root
    add_new_publisher(root)
    assert review(capsys, root, NEW_ID, "--exclude", "8", "--exclude", "9")[0] == 0

    def reasons() -> set[str]:
        ((spec, leaflet),) = select_leaflets(project_copy, ["riverbend"])
        english = load_translator(project_copy.locales, "en")
        status = clearance.assess(leaflet, spec, english, root=root, today=TODAY)
        return {r.code for r in status.reasons if r.subject in (None, "Riverbend Health Library")}

    assert not {"furniture-printed", "source-not-reviewed"} & reasons()
    scrape = document.READERS["scrape"]

    def changed_reader(text, path, profile):
        parsed = scrape(text, path, profile)
        parsed.tokens = [t for t in parsed.tokens if not t.text.startswith("Side effects can")]
        return parsed

    monkeypatch.setitem(document.READERS, "scrape", changed_reader)
    assert "source-not-reviewed" in reasons()


def test_a_line_kept_on_purpose_is_printed_and_cleared(project_copy, capsys):
    root = project_copy.root
    add_new_publisher(root)
    assert review(capsys, root, NEW_ID, "--keep", "8", "--exclude", "9")[0] == 0
    ((spec, leaflet),) = select_leaflets(project_copy, ["riverbend"])
    status = clearance.assess(
        leaflet, spec, load_translator(project_copy.locales, "en"), root=root, today=TODAY
    )
    assert "furniture-printed" not in {r.code for r in status.reasons}
    printed = [
        text for s in leaflet.sections for p in s.passages for b in p.blocks for text, _ in b.units
    ]
    assert NURSE_LINE in printed and NEWSLETTER not in printed
    _, said = cli(capsys, "check", "riverbend", "--lang", "en", "--project", str(root))
    assert "web furniture" not in said


def test_a_review_older_than_the_page_does_not_count(project_copy):
    source = "nci-monoclonal-antibodies"  # the page says: last reviewed 2025-12-30
    document = read_corpus(project_copy.sources)[source]
    (project_copy.sources / "reviews.yaml").write_text(
        "reviews:\n"
        f"  - {{source: {source}, reviewer: Dana Reyes, role: nurse, date: 2025-06-01,\n"
        f"     sha256: {document.review.sha256}, outline: {document.review.outline}}}\n",
        encoding="utf-8",
    )
    assert not read_corpus(project_copy.sources)[source].review.current
    path = project_copy.sources / "reviews.yaml"
    path.write_text(path.read_text().replace("2025-06-01", "2026-01-05"), encoding="utf-8")
    assert read_corpus(project_copy.sources)[source].review.current


def test_show_marks_review_dates_and_images(project, capsys):
    _, out = cli(
        capsys, "sources", "show", "cruk-monoclonal-antibodies", "--project", str(project.root)
    )
    assert "   59 m Last reviewed: 26 Feb 2025" in out.splitlines()
    assert "        ^ a review date (metadata: it decides when the page is due)" in out
    _, out = cli(
        capsys, "sources", "show", "nci-monoclonal-antibodies", "--project", str(project.root)
    )
    assert any(line.startswith("   27 ? ![cancer cell showing") for line in out.splitlines())
