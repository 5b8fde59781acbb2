"""Portal-ready, accessible output: tagged PDF/UA, FHIR DocumentReferences,
large print."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.provenance import Provenance
from pypdf import PdfReader

from leafletgen.batch.build import build_leaflets

# "When to call" opens page 1; the other sections follow in the definition's order.
HEADINGS = {
    "en": [
        "When to call your care team",
        "How it works",
        "What to expect",
        "Side effects",
        "Sources",
    ],
    "es": [
        "Cuándo llamar a su equipo de atención médica",
        "Cómo funciona",
        "Qué esperar",
        "Efectos secundarios",
        "Fuentes",
    ],
}


@pytest.fixture(scope="module")
def portal(project, tmp_path_factory):
    out = tmp_path_factory.mktemp("portal")
    results = build_leaflets(
        project, None, ["en", "es"], out, large_print=True, fhir_bundle="collection"
    )
    assert [r.error for r in results if not r.ok] == []
    manifest = json.loads((out / "manifest.json").read_text())["leaflets"]
    return out, manifest


def outline_titles(reader: PdfReader) -> list[str]:
    titles = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)

    walk(reader.outline)
    return titles


def structure_tags(reader: PdfReader) -> tuple[Counter, list[str]]:
    tags, alts = Counter(), []

    def walk(node):
        node = node.get_object()
        if not isinstance(node, dict):
            return
        if "/S" in node:
            tags[node["/S"]] += 1
        if "/Alt" in node:
            alts.append(node["/Alt"])
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            if hasattr(kid, "get_object") or isinstance(kid, dict):
                walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return tags, alts


def body_font_size(reader: PdfReader) -> float:
    sizes: Counter = Counter()

    def visit(text, cm, tm, font, size):
        if text.strip():
            sizes[round(size * tm[3] * cm[3], 1)] += len(text)

    reader.pages[0].extract_text(visitor_text=visit)
    return sizes.most_common(1)[0][0]


def page_scale(reader: PdfReader, footer_pt: float) -> float:
    """How much the first page is scaled: a copy not cleared for distribution is
    laid out like the patient copy and scaled to make room for its band; the
    page number ("Page 1 of 2", set at ``footer_pt``) is scaled with it."""
    sizes = []

    def visit(text, cm, tm, font, size):
        if re.search(r"\d+ (of|de) \d+", text):
            sizes.append(size * tm[3] * cm[3])

    reader.pages[0].extract_text(visitor_text=visit)
    return sizes[0] / footer_pt


def test_every_pdf_is_tagged_and_accessible(portal):
    out, manifest = portal
    assert len(manifest) == 8  # 2 leaflets x 2 languages x (standard, large print)
    for entry in manifest:
        reader = PdfReader(out / entry["path"])
        root = reader.trailer["/Root"]
        assert "/StructTreeRoot" in root
        assert bool(root["/MarkInfo"]["/Marked"]) is True
        assert root["/Lang"] == entry["lang"]
        assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"]) is True
        assert reader.metadata.title == entry["title"]
        assert "pdfuaid" in reader.xmp_metadata.rdf_root.toxml()
        titles = outline_titles(reader)
        assert titles[0] == entry["title"]
        assert titles[1:] == HEADINGS[entry["lang"]]
        tags, alts = structure_tags(reader)
        assert tags["/H1"] == 1 and tags["/H2"] == 5
        assert tags["/L"] >= 1 and tags["/LI"] >= 3
        assert alts == ["Riverside Cancer Center logo"]
        links = {
            annotation.get_object()["/A"]["/URI"]
            for page in reader.pages
            for annotation in page.get("/Annots") or []
            if "/A" in annotation.get_object()
        }
        assert links == {source["url"] for source in entry["sources"]}


def test_document_references_validate_and_match_their_files(portal):
    out, manifest = portal
    for entry in manifest:
        path = out / entry["path"].removesuffix(".pdf")
        raw = json.loads(path.with_name(path.name + ".fhir.json").read_text())
        resource = DocumentReference.model_validate(raw)
        data = (out / entry["path"]).read_bytes()
        attachment = resource.content[0].attachment
        assert attachment.contentType == "application/pdf"
        assert attachment.language == entry["lang"]
        assert attachment.title == resource.description == entry["title"]
        assert attachment.size == len(data) == entry["bytes"]
        sha1 = hashlib.sha1(data).digest()
        assert raw["content"][0]["attachment"]["hash"] == base64.b64encode(sha1).decode()
        assert attachment.hash == sha1  # the model decodes base64Binary
        assert attachment.url == entry["path"]
        assert resource.status == "current"
        # None of the shipped leaflets is cleared for distribution (unreviewed
        # translation, permissions not recorded, review dates), so none is final.
        assert entry["distribution"]["status"] == "not-cleared"
        assert resource.docStatus == "preliminary"
        assert resource.type.coding[0].code == "34895-3"


def test_every_output_has_a_valid_provenance_and_relates_to_its_original(portal):
    out, manifest = portal
    references = {}
    for entry in manifest:
        stem = out / entry["path"].removesuffix(".pdf")
        references[(entry["id"], entry["lang"], entry["variant"])] = (
            DocumentReference.model_validate_json(
                stem.with_name(stem.name + ".fhir.json").read_text()
            )
        )
    for entry in manifest:
        key = (entry["id"], entry["lang"], entry["variant"])
        reference = references[key]
        stem = out / entry["path"].removesuffix(".pdf")
        record = Provenance.model_validate_json(
            stem.with_name(stem.name + ".provenance.json").read_text()
        )
        assert record.target[0].reference == f"DocumentReference/{reference.id}"
        assert record.agent[0].type.coding[0].code == "assembler"
        sources = {e.what.identifier.value for e in record.entity if e.role == "source"}
        assert sources == {s["url"] for s in entry["sources"]}
        original = references[(entry["id"], "en", "standard")]
        if key == (entry["id"], "en", "standard"):
            assert not reference.relatesTo
            continue
        (relation,) = reference.relatesTo
        assert relation.code == "transforms"
        assert relation.target.reference == f"DocumentReference/{original.id}"
        if entry["lang"] == "es":
            authors = [a.who.display for a in record.agent if a.type.coding[0].code == "author"]
            assert authors == ["leafletgen maintainers"]
            assert not [a for a in record.agent if a.type.coding[0].code == "verifier"]


def test_bundle_of_the_output_folder(portal, project, tmp_path):
    out, manifest = portal
    bundle = Bundle.model_validate(json.loads((out / "fhir-bundle.json").read_text()))
    assert bundle.type == "collection"
    kinds = Counter(item.resource.get_resource_type() for item in bundle.entry)
    assert kinds == {"DocumentReference": len(manifest), "Provenance": len(manifest)}
    build_leaflets(
        project, ["immunotherapy"], ["en"], tmp_path, fhir_inline=True, fhir_bundle="transaction"
    )
    bundle = Bundle.model_validate(json.loads((tmp_path / "fhir-bundle.json").read_text()))
    assert bundle.type == "transaction"
    entry, record = bundle.entry
    assert entry.request.method == record.request.method == "PUT"
    assert record.request.url == f"Provenance/{record.resource.id}"
    attachment = entry.resource.content[0].attachment
    pdf = (tmp_path / "en/immunotherapy.pdf").read_bytes()
    assert attachment.data in (pdf, base64.b64encode(pdf))


def test_large_print_variant(portal):
    out, manifest = portal
    variants = {(e["id"], e["lang"], e["variant"]): e for e in manifest}
    for leaflet_id in ("immunotherapy", "monoclonal-antibodies"):
        for lang in ("en", "es"):
            standard = variants[(leaflet_id, lang, "standard")]
            large = variants[(leaflet_id, lang, "large-print")]
            assert large["path"] == f"{lang}/{leaflet_id}.large.pdf"
            assert large["pages"] > standard["pages"]
            # 12 pt and 16 pt as laid out; a copy not cleared is scaled as a whole
            # (its page number too) to leave its band room, a cleared one is not
            standard_pdf, large_pdf = (
                PdfReader(out / standard["path"]),
                PdfReader(out / large["path"]),
            )
            scale = page_scale(standard_pdf, 9.0)
            assert scale == 1.0 if standard["distribution"]["status"] == "cleared" else scale < 1.0
            assert body_font_size(standard_pdf) == pytest.approx(12.0 * scale, abs=0.1)
            assert body_font_size(large_pdf) >= 16 * page_scale(large_pdf, 12.0) - 0.1
            assert large["bytes"] < 60_000 and standard["bytes"] < 60_000


@pytest.mark.slow
def test_large_print_and_fhir_survive_incremental_builds(project_copy, tmp_path):
    build_leaflets(project_copy, ["immunotherapy"], ["en"], tmp_path, large_print=True)
    again = build_leaflets(project_copy, ["immunotherapy"], ["en"], tmp_path, large_print=True)
    assert [r.skipped for r in again] == ["unchanged", "unchanged"]
    inline = build_leaflets(project_copy, ["immunotherapy"], ["en"], tmp_path, fhir_inline=True)
    assert inline[0].entry is not None  # the resource must now carry the data


def test_html_twin_is_standalone_and_accessible(project, tmp_path):
    results = build_leaflets(project, ["immunotherapy"], ["es"], tmp_path, html_twin=True)
    entry = results[0].entry
    assert entry.html == "es/immunotherapy.html"
    html = (tmp_path / entry.html).read_text(encoding="utf-8")
    assert '<html lang="es" dir="ltr">' in html
    assert "<title>Inmunoterapia para el cáncer</title>" in html
    assert "<link" not in html and "<script" not in html and "file:" not in html
    assert '<img class="logo" src="data:image/svg+xml;base64,' in html
    assert 'alt="Riverside Cancer Center logo"' in html
    for heading in HEADINGS["es"]:
        assert f"<h2>{heading}</h2>" in html
    hrefs = set(re.findall(r'(?:href|src)="([^"]+)"', html))
    # Nothing to fetch: the sources' pages, the clinic's numbers, images inline.
    links = {h for h in hrefs if not h.startswith(("data:", "tel:"))}
    assert links == {s.url for s in entry.sources}
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["leaflets"][0]["html"] == "es/immunotherapy.html"
