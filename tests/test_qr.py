"""From paper to the current version: a QR code to the leaflet's page on the
clinic's portal, printed with the leaflet's issue date, when clinic.yaml
names ``portal_url`` (the address below is a test value)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
import segno
from pypdf import PdfReader

from conftest import squash
from leafletgen.batch.build import build_leaflets
from leafletgen.errors import DefinitionError
from leafletgen.project import load_inputs
from leafletgen.render.context import RenderOptions
from leafletgen.render.html import render_html
from leafletgen.render.qr import leaflet_link, leaflet_url
from leafletgen.select.clinic import load_clinic
from leafletgen.select.selection import select_sections
from leafletgen.translate.translator import Translator

PORTAL = "https://portal.example.org/desk"  # a test address


def test_leaflet_url_and_code():
    assert leaflet_url(PORTAL + "/", "rituximab", "zh_Hans") == (
        f"{PORTAL}/leaflets/rituximab?lang=zh_Hans"
    )
    assert leaflet_link(None, "rituximab", "en") is None
    link = leaflet_link(PORTAL, "rituximab", "es")
    assert link.url == f"{PORTAL}/leaflets/rituximab?lang=es"
    assert link.svg.startswith("<svg") and f"<title>{link.url}</title>" in link.svg
    assert "viewBox" in link.svg and "<?xml" not in link.svg
    assert link == leaflet_link(PORTAL, "rituximab", "es")  # same address, same bytes
    # The code holds the address: the same matrix segno makes for it.
    size = segno.make(link.url, error="m", micro=False).symbol_size(border=4)
    assert f'viewBox="0 0 {size[0]} {size[1]}"' in link.svg


@pytest.mark.parametrize(
    "value",
    [
        "http://portal.example.org",
        "https://user:secret@portal.example.org",
        "javascript:alert(1)",
        "https://portal.example.org/a b",
        "https://portal.example.org/?q=<x>",
    ],
)
def test_portal_url_must_be_a_plain_https_address(project_copy, value):
    path = project_copy.clinic_file
    text = path.read_text(encoding="utf-8")
    path.write_text(text + f"portal_url: {value!r}\n", encoding="utf-8")
    line = text.count("\n") + 1
    with pytest.raises(DefinitionError) as raised:
        load_clinic(path)
    assert raised.value.line == line and "portal_url must be an https:// address" in str(
        raised.value
    )


def test_leaflet_prints_the_code_with_its_address_and_issue_date(project, corpus):
    spec = load_inputs(project).specs["immunotherapy"]
    leaflet = select_sections(spec, corpus)
    clinic = dataclasses.replace(load_clinic(project.clinic_file), portal_url=PORTAL)
    options = RenderOptions(issued=dt.date(2026, 12, 1), review_by=dt.date(2027, 12, 1))
    html = render_html(
        leaflet, clinic, Translator("en"), templates=project.templates, options=options
    )
    (dates,) = re.findall(r'<p class="dates portal">.*?</p>', html, re.DOTALL)
    link = leaflet_link(PORTAL, spec.id, "en")
    assert link.svg in dates and f"{PORTAL}/leaflets/{spec.id}?lang=en" in dates
    assert "Issued: December 1, 2026." in dates
    without = render_html(
        leaflet,
        load_clinic(project.clinic_file),
        Translator("en"),
        templates=project.templates,
        options=options,
    )
    assert "<svg" not in without and '<p class="dates">' in without
    twin = render_html(
        leaflet,
        clinic,
        Translator("en"),
        templates=project.templates,
        options=dataclasses.replace(options, standalone=True),
    )
    assert "<svg" not in twin  # the web page itself needs no code to find itself


@pytest.mark.slow
def test_printed_pdf_keeps_one_sheet_with_the_code(project_copy, tmp_path):
    clinic = project_copy.clinic_file
    clinic.write_text(
        clinic.read_text(encoding="utf-8") + f"portal_url: {PORTAL}\n", encoding="utf-8"
    )
    results = build_leaflets(
        project_copy, ["rituximab"], ["es"], tmp_path, include_drugs=True, jobs=1
    )
    assert [str(r.error) for r in results if not r.ok] == []
    reader = PdfReader(tmp_path / "es" / "rituximab.pdf")
    assert len(reader.pages) == 2
    text = squash("\n".join(page.extract_text() for page in reader.pages))
    assert squash(f"{PORTAL}/leaflets/rituximab?lang=es") in text
    assert squash("Emitido:") in text
