"""The real-page corpus: pages of every publisher a clinic is likely to save,
in both scrape layouts and as Markdown, each with the outline a person
reading it sees (tests/pages/dev/<publisher>/<page>.yaml beside the page).

Each expected outline gives the title, every section heading with its kind
and the sizes of its lists, the review dates printed on the page, strings
that must never be printed (chrome) and, where useful, strings that must be
printed exactly and notices that must be raised at a line.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from leafletgen.read.sources import read_source
from leafletgen.read.text import normalise

PAGES = Path(__file__).resolve().parent / "pages"
PAGE_FILES = sorted(p for p in (PAGES / "dev").glob("*/*") if p.suffix in (".txt", ".md"))

# Pages whose expected outline the reader does not produce yet (paths under
# tests/pages/dev/). Each runs as a strict xfail: when the reader learns to
# read one, the test says so and the page comes off this list.
NOT_YET_READ: list[str] = []


def page_params():
    for page in PAGE_FILES:
        name = page.relative_to(PAGES / "dev").as_posix()
        marks = ()
        if name in NOT_YET_READ:
            marks = pytest.mark.xfail(
                strict=True, reason="reader does not yet read this page shape"
            )
        yield pytest.param(page, marks=marks, id=f"{page.parent.name}/{page.stem}")


def expected_outline(page: Path) -> dict:
    return yaml.safe_load(page.with_suffix(".yaml").read_text(encoding="utf-8"))


def printed_text(document) -> str:
    """Everything a leaflet could print from the document: headings and blocks."""
    parts = []
    for section in document.sections:
        parts.append(section.heading or "")
        for block in section.blocks:
            parts.extend(text for text, _ in block.units)
    return "\n".join(parts)


def test_corpus_is_large_and_varied():
    publishers = {page.parent.name for page in PAGE_FILES}
    assert len(PAGE_FILES) >= 41
    assert len(publishers) >= 16
    assert {p.suffix for p in PAGE_FILES} == {".txt", ".md"}
    assert sum(p.suffix == ".md" for p in PAGE_FILES) >= 7
    texts = [p.read_text(encoding="utf-8") for p in PAGE_FILES if p.suffix == ".txt"]
    no_blank_lines = [t for t in texts if "\n\n" not in t.strip()]
    assert len(no_blank_lines) >= 14  # one line per block, as many scrapes are saved
    languages = [expected_outline(p).get("language", "en") for p in PAGE_FILES]
    assert languages.count("es") >= 6
    assert sum("MEDICATION GUIDE" in t for t in texts) >= 3  # FDA guides as DailyMed prints them
    for marker in ("\n  • ", "\n- ", "\n* "):
        assert any(marker in t for t in texts), marker


def test_not_yet_read_names_real_pages():
    names = {page.relative_to(PAGES / "dev").as_posix() for page in PAGE_FILES}
    assert [name for name in NOT_YET_READ if name not in names] == []


@pytest.mark.parametrize("page", list(page_params()))
def test_page_outline(page):
    expected = expected_outline(page)
    assert expected.get("provenance"), "every page records where it came from"
    document = read_source(page)

    assert document.title == expected["title"]
    assert document.publisher == expected["publisher"]
    assert document.language == expected.get("language", "en")
    outline = [
        [s.heading, s.kind, [len(b.items) for b in s.blocks if b.type == "list"]]
        for s in document.sections
    ]
    assert outline == expected["sections"]
    assert document.last_reviewed == expected.get("last_reviewed")
    assert document.next_review == expected.get("next_review")

    text = printed_text(document)
    leaked = [chrome for chrome in expected.get("never_printed", []) if chrome in text]
    assert leaked == []
    flat = normalise(text)
    for sentence in expected.get("printed", []):
        assert sentence in flat
    # Nothing that looks like web furniture is printed from a corpus page,
    # unless the expected outline names it as a real sentence of the page.
    flagged = [[f.line, list(f.kinds)] for f in document.furniture]
    assert flagged == expected.get("flagged", [])
    for line, phrase in expected.get("warnings", []):
        assert any(w.line == line and phrase in w.message for w in document.warnings), (
            line,
            phrase,
            document.warnings,
        )


def test_review_dates_are_dates():
    for page in PAGE_FILES:
        expected = expected_outline(page)
        for key in ("last_reviewed", "next_review"):
            assert expected.get(key) is None or isinstance(expected[key], dt.date), page
