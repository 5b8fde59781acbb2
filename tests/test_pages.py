"""The real-page corpus: pages of every publisher a clinic is likely to save,
in both scrape layouts and as Markdown, each with the outline a person
reading it sees (tests/pages/<publisher>/<page>.yaml beside the page).

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
PAGE_FILES = sorted(p for p in PAGES.glob("*/*") if p.suffix in (".txt", ".md"))


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
    assert len(PAGE_FILES) >= 24
    assert len(publishers) >= 8
    assert {p.suffix for p in PAGE_FILES} == {".txt", ".md"}
    texts = [p.read_text(encoding="utf-8") for p in PAGE_FILES if p.suffix == ".txt"]
    no_blank_lines = [t for t in texts if "\n\n" not in t.strip()]
    assert len(no_blank_lines) >= 6  # one line per block, as many scrapes are saved
    for marker in ("\n  • ", "\n- ", "\n* "):
        assert any(marker in t for t in texts), marker


@pytest.mark.parametrize("page", PAGE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_page_outline(page):
    expected = expected_outline(page)
    assert expected.get("provenance"), "every page records where it came from"
    document = read_source(page)

    assert document.title == expected["title"]
    assert document.publisher == expected["publisher"]
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
