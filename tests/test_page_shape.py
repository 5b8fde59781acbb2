"""General rules of web-page shape the reader applies to pages of any
publisher (each shown on a small page written for the test): what is flagged
as web furniture rather than printed silently, where the title is, and which
lines are a list."""

from __future__ import annotations

from pathlib import Path

import pytest

from leafletgen.read.sources import read_source

BODY = "This page gives general information. Your care team will tell you more."


def read(tmp_path: Path, text: str, name: str = "page.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_source(path)


def flagged(document) -> dict[str, tuple[str, ...]]:
    return {f.text: f.kinds for f in document.furniture}


def printed(document) -> list[str]:
    return [t for s in document.sections for b in s.blocks for t, _ in b.units]


MENU_PAGE = (
    f"Fatigue\n{BODY}\nWays to cope\n{BODY}\n"
    f"Support services\nCancer information\nView our publications\n{BODY}\nRest\n{BODY}\n"
)


def test_a_run_of_menu_lines_is_flagged(tmp_path):
    document = read(tmp_path, MENU_PAGE)
    kinds = flagged(document)
    for line in ("Support services", "Cancer information", "View our publications"):
        assert line in printed(document)
        assert kinds[line] == ("menu or list of links",)


def test_lines_under_a_lead_in_are_its_list_not_a_menu(tmp_path):
    page = (
        f"Fatigue\n\n{BODY}\n\nWays to cope\n\nPlease bring:\nYour health card\n"
        f"A list of medicines\nSomething to read\n\nMore text\n\n{BODY}\n"
    )
    document = read(tmp_path, page)
    assert "Your health card" in printed(document)
    assert "Your health card" not in flagged(document)


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("This information was last reviewed in June 2023 by our reviewers.", "page stamp"),
        ("This summary is also available in a patient version, and in Spanish.", "page stamp"),
        ("This sheet is for educational purposes only.", "disclaimer"),
        ("Esta hoja es solo para fines educativos.", "disclaimer"),
        ("Este documento no pretende sustituir la atención médica.", "disclaimer"),
        ("We acknowledge the Traditional Custodians of the land.", "acknowledgement"),
        ("Llame de lunes a viernes de 9:00 a.m. a 4:30 p.m.", "opening hours"),
    ],
)
def test_what_a_page_says_about_itself_is_flagged(tmp_path, line, kind):
    document = read(tmp_path, f"Fatigue\n\n{BODY}\n\nWays to cope\n\n{BODY}\n\n{line}\n\n{BODY}\n")
    assert line in printed(document)
    assert kind in flagged(document)[line]


def test_a_box_title_goes_with_its_flagged_box(tmp_path):
    page = (
        f"Fatigue\n\n{BODY}\n\nWays to cope\n\n{BODY}\n\n"
        "Need to talk?\n\nCall 13 11 20 for support.\n"
    )
    document = read(tmp_path, page)
    kinds = flagged(document)
    title = "Need to talk?"
    assert kinds.get(title) == ("title of web furniture",)
    assert "phone" in kinds["Call 13 11 20 for support."]


def test_a_heading_over_nothing_but_furniture_is_flagged(tmp_path):
    page = (
        f"# Fatigue\n\n{BODY}\n\n## Ways to cope\n\n{BODY}\n\n"
        "## Contact the centre\n\nTo make an appointment, call 412-555-0100.\n"
    )
    document = read(tmp_path, page, "page.md")
    assert flagged(document)["Contact the centre"] == ("title of web furniture",)


def test_the_title_is_the_line_a_breadcrumb_leads_to(tmp_path):
    page = (
        "Skip to main content\nThe Example Trust\nPatients and visitors\n"
        "Home / Patient information / Radiotherapy\nSkin care during radiotherapy\n"
        f"Patient information leaflet\n{BODY}\nLooking after your skin\n{BODY}\n"
    )
    document = read(tmp_path, page)
    assert document.title == "Skin care during radiotherapy"
    assert "Patient information leaflet" not in printed(document)
    assert any("labels between the title" in w.message for w in document.warnings)


def test_a_title_printed_twice_is_the_title(tmp_path):
    page = (
        "Skip to main content\nExample Hospital\nPatient & Family Education Materials\n"
        f"Fever and low counts\nFever and low counts\n{BODY}\nCare at home\n{BODY}\n"
    )
    assert read(tmp_path, page).title == "Fever and low counts"


def test_a_field_with_a_number_is_never_the_title(tmp_path):
    page = (
        "Home › Patients › Sheets\n\nYour treatment at home\n\nPatient information sheet\n\n"
        f"ID: 9999 v.1\n\nReview due: 12 March 2026\n\n{BODY}\n"
    )
    assert read(tmp_path, page).title == "Your treatment at home"


def test_a_byline_under_the_title_does_not_end_the_page(tmp_path):
    page = f"Hot flashes\n\n{BODY}\n\nReviewed by 1 medical adviser\n\n" + "".join(
        f"Part {n}\n\n{BODY}\n\n" for n in range(1, 6)
    )
    document = read(tmp_path, page)
    assert [s.heading for s in document.sections if s.heading] == [f"Part {n}" for n in range(1, 6)]
    assert "Reviewed by 1 medical adviser" not in printed(document)


def test_short_sentences_under_a_lead_in_are_its_list(tmp_path):
    page = (
        f"Fever\n{BODY}\nCare at home\nAt home you can help:\nWash your hands often.\n"
        f"Ask visitors to wash their hands.\nKeep a thermometer at hand.\nWhen to call\n{BODY}\n"
    )
    document = read(tmp_path, page)
    section = next(s for s in document.sections if s.heading == "Care at home")
    assert [len(b.items) for b in section.blocks if b.type == "list"] == [3]


def test_one_mention_of_another_publisher_is_not_the_pages_publisher(tmp_path):
    page = (
        f"Home / Patient information / Radiotherapy\nSkin care\n{BODY}\nContact us\n{BODY}\n"
        "Macmillan Support Line: 0808 808 00 00\n"
        "© 2023 The Example NHS Foundation Trust. This document may be copied within the NHS.\n"
    )
    document = read(tmp_path, page)
    assert document.source.profile == "generic"
    assert document.title == "Skin care"


def test_a_numbered_markdown_list_is_a_list_with_its_numbers(tmp_path):
    page = (
        f"# Ports\n\n{BODY}\n\n## Care at home\n\nYour nurse will tell you:\n\n"
        "1. How to clean it\n2. When to come in\n"
    )
    document = read(tmp_path, page, "page.md")
    section = next(s for s in document.sections if s.heading == "Care at home")
    lists = [b.items for b in section.blocks if b.type == "list"]
    assert lists == [("1. How to clean it", "2. When to come in")]


def test_questions_one_per_line_under_a_heading_are_a_list(tmp_path):
    page = (
        f"Your visit\n{BODY}\nWhen to call\n{BODY}\nTriage line: 416-555-0100\n"
        "Questions to ask your care team\nHow long will it take?\nWho do I call after hours?\n"
        f"Parking\n{BODY}\n"
    )
    document = read(tmp_path, page)
    section = next(s for s in document.sections if s.heading == "Questions to ask your care team")
    assert section.kind == "questions_to_ask"
    assert [len(b.items) for b in section.blocks if b.type == "list"] == [2]


def test_a_field_with_a_date_is_flagged_not_a_heading(tmp_path):
    page = (
        f"Your sheet\n\n{BODY}\n\nMore\n\n{BODY}\n\n"
        f"Approved: 12 March 2024\nReview due: 12 March 2026\n\n{BODY}\n"
    )
    document = read(tmp_path, page)
    assert "Review due: 12 March 2026" not in [s.heading for s in document.sections]
    kinds = flagged(document)
    for line in ("Approved: 12 March 2024", "Review due: 12 March 2026"):
        assert line in printed(document)
        assert "page metadata" in kinds[line]


def test_a_numbered_scrape_list_is_a_list_with_its_numbers(tmp_path):
    page = (
        f"Infections\n\n{BODY}\n\nHow to stay well\n\n"
        "  1. Prepare: watch for fever\n  2. Prevent: wash your hands\n"
    )
    document = read(tmp_path, page)
    section = next(s for s in document.sections if s.heading == "How to stay well")
    lists = [b.items for b in section.blocks if b.type == "list"]
    assert lists == [("1. Prepare: watch for fever", "2. Prevent: wash your hands")]


@pytest.mark.parametrize(
    "paragraph",
    [
        "Foto de una madre y su hija Los pacientes que reciben tratamiento tienen preguntas.",
        "Una enfermera con su paciente.Los pacientes que reciben tratamiento tienen preguntas.",
    ],
)
def test_an_images_text_glued_to_a_paragraph_is_flagged(tmp_path, paragraph):
    document = read(tmp_path, f"Infections\n\n{BODY}\n\nMore\n\n{paragraph}\n\n{BODY}\n")
    assert "image text" in flagged(document)[paragraph]


@pytest.mark.parametrize(
    "line",
    [
        "Questions? Call 1-800-ROSWELL to speak with a nurse.",
        "Call 800-4-CANCER to talk to an information specialist.",
        "You can also call 1 800 ROSWELL.",
        "Free phone 0800 CANCER for support.",
        # typeset with en dashes and non-breaking hyphens, as printed pages are
        "The telephone service (1\u2013800\u20134\u2013CANCER) answers questions.",
        "Deaf callers can use the TTY line (1\u2013800\u2013332\u20138615).",
        "Call 1\u2011800\u2011422\u20116237 for information.",
    ],
)
def test_a_phone_number_in_letters_or_typeset_with_dashes_is_flagged(tmp_path, line):
    page = f"Fatigue\n\n{BODY}\n\nWays to cope\n\n{BODY}\n\n{line}\n"
    document = read(tmp_path, page)
    assert "phone" in flagged(document).get(line, ()), flagged(document)


@pytest.mark.parametrize(
    "line",
    [
        "Take 800 UNITS of vitamin D each day, as your doctor says.",
        "A dose of 1800 UNITS is given into a vein.",
        "Some breast cancers are HER2-POSITIVE.",
    ],
)
def test_a_dose_or_a_name_in_capitals_is_no_phone(tmp_path, line):
    page = f"Fatigue\n\n{BODY}\n\n{line}\n\nWays to cope\n\n{BODY}\n"
    document = read(tmp_path, page)
    assert "phone" not in flagged(document).get(line, ())
    assert line in printed(document)
