"""The printed leaflet a clinic hands out: one sheet (two pages, large print
four) on Letter and A4 in every language, the clinic's phones on page 1, no
hyphenated words, its own Issued / Review by dates, and drug leaflets that
keep the class's text apart from the drug's and bring what a passage needs.

Every PDF is read back with pypdf.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import re
import shutil
from pathlib import Path

import pytest
from babel.dates import format_date
from babel.messages.pofile import read_po, write_po
from pypdf import PdfReader

from conftest import squash
from leafletgen.batch import worker as build_module
from leafletgen.batch.build import build_leaflets
from leafletgen.batch.worker import leaflet_dates
from leafletgen.cli import main
from leafletgen.errors import LeafletError
from leafletgen.project import Project, select_leaflets
from leafletgen.select.clinic import load_clinic
from leafletgen.select.passages import dangling_references
from leafletgen.translate.catalogs import po_path, read_catalog
from test_portal import outline_titles

LANGS = ("en", "es")
PAPERS = ("letter", "A4")
LABELS = {
    "en": {"issued": "Issued", "review_by": "Review by", "sources": "Sources"},
    "es": {"issued": "Emitido", "review_by": "Próxima revisión", "sources": "Fuentes"},
}


def _project_on(paper: str, project: Project, tmp_path) -> Project:
    """The project's inputs with clinic.yaml asking for ``paper``."""
    root = tmp_path / f"project-{paper}"
    for name in ("sources", "leaflets", "templates", "locales"):
        shutil.copytree(project.root / name, root / name)
    shutil.copy(project.root / "babel.cfg", root / "babel.cfg")
    clinic = root / "leaflets" / "clinic.yaml"
    text = clinic.read_text(encoding="utf-8")
    clinic.write_text(re.sub(r"(?m)^paper: \w+", f"paper: {paper}", text), encoding="utf-8")
    return Project(root)


@pytest.fixture(scope="module", params=PAPERS)
def sheet(request, project, tmp_path_factory):
    """Every leaflet (topic and drug) in en and es, standard and large print."""
    tmp = tmp_path_factory.mktemp(f"sheet-{request.param}")
    paper_project = _project_on(request.param, project, tmp)
    out = tmp / "out"
    results = build_leaflets(
        paper_project, None, LANGS, out, include_drugs=True, large_print=True, jobs=2
    )
    assert [r.error for r in results if not r.ok] == []
    manifest = json.loads((out / "manifest.json").read_text())["leaflets"]
    assert {e["lang"] for e in manifest} == set(LANGS)
    return request.param, out, manifest


@functools.cache
def sheet_pages(path: Path) -> tuple[str, ...]:
    """The text of each page of a PDF of the two-paper build (which tests only
    read), extracted once for all the tests that read it."""
    return tuple(page.extract_text() for page in PdfReader(path).pages)


def sheet_text(path: Path) -> str:
    """The text of a PDF of the two-paper build, pages joined as ``pdf_text`` joins them."""
    return "\n".join(sheet_pages(path))


@pytest.mark.slow
def test_every_leaflet_fits_its_page_budget(sheet):
    paper, out, manifest = sheet
    width = {"letter": 612, "A4": 595}[paper]
    assert len(manifest) == 2 * 2 * 8  # 8 leaflets x 2 languages x 2 variants
    over = []
    for entry in manifest:
        reader = PdfReader(out / entry["path"])
        assert round(float(reader.pages[0].mediabox.width)) == width
        allowed = 2 if entry["variant"] == "standard" else 4
        assert entry["pages_allowed"] == allowed
        if len(reader.pages) > allowed or entry["overflow"]:
            over.append((entry["path"], len(reader.pages), entry["overflow"]))
    assert over == []


@pytest.mark.slow
def test_clinic_phones_on_page_one(sheet, project):
    _, out, manifest = sheet
    clinic = load_clinic(project.clinic_file)
    for entry in manifest:
        first = squash(sheet_pages(out / entry["path"])[0])
        for number in (clinic.phone, clinic.after_hours_phone, clinic.emergency_number):
            assert squash(number) in first, entry["path"]


def _hyphenated_words(project: Project, manifest: list[dict]) -> set[str]:
    """Every word with its own hyphen ("flu-like") in the text a leaflet can
    print, the source URLs' included (a URL may break after its own hyphen)."""
    # every pair of parts a URL's hyphen joins ("4a1c-ad95-bab4…" gives both)
    words = {
        f"{first}-{second}"
        for entry in manifest
        for source in entry["sources"]
        for token in re.split(r"[^\w-]+", source["url"].casefold())
        for first, second in itertools.pairwise(token.split("-"))
    }
    for domain in ("content", "messages"):  # English msgids, Spanish msgstrs
        for message in read_catalog(po_path(project.locales, "es", domain)):
            for text in (message.id, message.string):
                if isinstance(text, str):
                    words |= set(re.findall(r"\w+-\w+", text.casefold()))
    return words


@pytest.mark.slow
def test_no_word_is_broken_by_hyphenation(sheet, project):
    _, out, manifest = sheet
    compounds = _hyphenated_words(project, manifest)
    broken = []
    for entry in manifest:
        lines = [
            line.strip()
            for page in sheet_pages(out / entry["path"])
            for line in page.splitlines()
            if line.strip()
        ]
        for line, following in itertools.pairwise(lines):
            end = re.search(r"(\w+)-$", line)
            start = re.match(r"(\w+)", following)
            if end and start and f"{end[1]}-{start[1]}".casefold() not in compounds:
                broken.append((entry["path"], f"{end[1]}-/{start[1]}"))
    assert sorted(set(broken)) == []


@pytest.mark.slow
def test_issued_and_review_by_printed_and_in_manifest(sheet):
    _, out, manifest = sheet
    for entry in manifest:
        labels = LABELS[entry["lang"]]
        text = squash(sheet_text(out / entry["path"]))
        issued = dt.date.fromisoformat(entry["issued"])
        review_by = dt.date.fromisoformat(entry["review_by"])
        for label, date in ((labels["issued"], issued), (labels["review_by"], review_by)):
            formatted = format_date(date, "long", locale=entry["lang"])
            assert squash(f"{label}: {formatted}") in text, (entry["path"], label)


@pytest.mark.slow
def test_sources_share_the_last_page(sheet, project):
    _, out, manifest = sheet
    clinic = load_clinic(project.clinic_file)
    for entry in manifest:
        last = sheet_pages(out / entry["path"])[-1]
        heading = LABELS[entry["lang"]]["sources"]
        before = last[: last.index(heading)] if heading in last else last
        # Beyond the running header (the clinic's name), leaflet text precedes them.
        assert len(squash(before.replace(clinic.name, ""))) > 40, entry["path"]


def test_leaflet_dates_follow_the_sources(project):
    chosen = dict(select_leaflets(project, ["immunotherapy", "monoclonal-antibodies"]))
    by_id = {spec.id: leaflet for spec, leaflet in chosen.items()}
    # NCI's page gives no date: a year after issue (Cleveland Clinic's review).
    assert leaflet_dates(by_id["immunotherapy"]) == (dt.date(2025, 8, 12), dt.date(2026, 8, 12))
    # NCI's quarterly review (2025-12-30 + 3 months) comes first.
    assert leaflet_dates(by_id["monoclonal-antibodies"]) == (
        dt.date(2025, 12, 30),
        dt.date(2026, 3, 30),
    )


def test_leaflet_dates_come_from_source_date_epoch(project, monkeypatch):
    ((_, leaflet),) = select_leaflets(project, ["immunotherapy"])
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
    # Issued as the epoch says; Cleveland Clinic's review (a year after its last,
    # 2025-08-12) still comes before NCI's undated page's year after issue.
    assert leaflet_dates(leaflet) == (dt.date(2026, 1, 1), dt.date(2026, 8, 12))


def test_overflow_is_built_reported_and_fails_check(project_copy, monkeypatch, capsys):
    monkeypatch.setitem(build_module.PAGES_ALLOWED, "standard", 1)
    out = project_copy.root / "out"
    code = main(
        ["build", "immunotherapy", "--project", str(project_copy.root), "--out", str(out), "-j1"]
    )
    captured = capsys.readouterr()
    assert code == 0  # built, never cut
    assert (out / "en" / "immunotherapy.pdf").is_file()
    match = re.search(
        r"leaflet immunotherapy \[en\]: 2 pages, 1 allowed, overflow (\d\.\d) page", captured.err
    )
    assert match and 0 < float(match[1]) <= 1, captured.err
    entry = json.loads((out / "manifest.json").read_text())["leaflets"][0]
    assert entry["pages"] == 2 and entry["pages_allowed"] == 1 and entry["overflow"] > 0
    code = main(["check", "--project", str(project_copy.root), "--out", str(out), "--strict"])
    report = capsys.readouterr().out
    assert code == 1
    assert "error: " in report and "2 pages, 1 allowed, overflow" in report


# --- drug leaflets ----------------------------------------------------------------

# For each drug, the sentence its "How it works" cannot do without: the one
# naming it, and the earlier one its words point back to or whose term it uses.
DRUG_NEEDS = {
    # (Cancer Research UK's CD20 passage, "Rituximab is an example of a mAb
    # that works in this way.", is left out beside the drug's label to stay on
    # one sheet: drugs.yaml's leave_out, tests/test_drug_leaflets.py)
    "rituximab": ["An example is rituximab, which binds to a protein called CD20"],
    "blinatumomab": [
        "An example is blinatumomab (Blincyto®)",
        "Examples of these include blinatumomab and teclistamab.",
    ],
    "teclistamab": [
        "This type of mAb is called a T cell engager",
        "Examples of these include blinatumomab and teclistamab.",
    ],
    "pertuzumab": [
        "Cancer cells often have large numbers of proteins on their surface called growth factor",
        "Pertuzumab is an example of this type of mAb.",
    ],
    "trastuzumab-emtansine": [
        # "The mAb finds the cancer cells ..." points back to this sentence.
        "Some mAbs have cancer drugs or radioactive substances attached to them.",
        "The mAb finds the cancer cells and delivers the drug or radioactive substance",
        "An example of this type of mAb is trastuzumab emtansine.",
    ],
    "bevacizumab": [
        # "Some mAbs block VEGF ..." uses the term this sentence defines.
        "Some cancer cells make a protein called vascular endothelial growth factor (VEGF).",
        "Bevacizumab is a type of mAb that works in this way.",
    ],
}
CLASS_HEADINGS = {
    "en": ["What to expect with monoclonal antibodies", "Side effects of monoclonal antibodies"],
    "es": [
        "Qué esperar con los anticuerpos monoclonales",
        "Efectos secundarios de los anticuerpos monoclonales",
    ],
}
PLAIN_HEADINGS = {
    "en": ["What to expect", "Side effects"],
    "es": ["Qué esperar", "Efectos secundarios"],
}


def outline(path) -> list[str]:
    """Every title of the PDF's outline (the leaflet's title, its section headings)."""
    return outline_titles(PdfReader(path))


@pytest.mark.parametrize("drug", sorted(DRUG_NEEDS))
@pytest.mark.slow
def test_drug_passage_brings_what_it_depends_on(sheet, drug):
    _, out, _ = sheet
    text = squash(sheet_text(out / "en" / f"{drug}.pdf"))
    how, expect = text.index("Howitworks"), text.index(squash(CLASS_HEADINGS["en"][0]))
    for sentence in DRUG_NEEDS[drug]:
        assert squash(sentence) in text[how:expect], sentence


def test_passage_pointing_back_to_withheld_text_is_reported(project, capsys):
    """CRUK's "This type of mAb is called a T cell engager ..." follows a
    sentence the reader withholds (a link's words lost, line 27): the two
    T cell engager leaflets print it as published, and say so."""
    chosen = select_leaflets(project, None, include_drugs=True)
    found = {spec.id: dangling_references(leaflet) for spec, leaflet in chosen}
    assert {k for k, v in found.items() if v} == {"blinatumomab", "teclistamab"}
    ((where, message),) = found["teclistamab"]
    assert where == f"{project.sources / 'cruk-monoclonal-antibodies.txt'}:28"
    assert message.startswith(
        "leaflet 'teclistamab' prints 'This type of mAb is called a T cell engager and it can "
        "attach to more than one target.', which points back to text the source does not "
        "print (line 27: dropped-link artifact"
    )
    # check lists it, and --strict fails on it.
    assert main(["check", "--project", str(project.root), "--lang", "en"]) == 0
    assert f"warning: {where}: leaflet 'teclistamab'" in capsys.readouterr().out
    assert main(["check", "--strict", "--project", str(project.root), "--lang", "en"]) == 1
    assert f"error: {where}: leaflet 'teclistamab'" in capsys.readouterr().out


def test_a_drug_keeps_a_passage_it_has_read_and_a_stale_phrase_is_an_error(project_copy):
    drugs = project_copy.root / "leaflets" / "drugs.yaml"
    text = drugs.read_text(encoding="utf-8")
    kept = text.replace(
        "  - name: teclistamab\n    class: monoclonal-antibodies\n",
        "  - name: teclistamab\n    class: monoclonal-antibodies\n"
        '    keep: "called a T cell engager"\n',
    )
    assert kept != text
    drugs.write_text(kept, encoding="utf-8")
    chosen = dict(
        select_leaflets(project_copy, ["teclistamab", "blinatumomab"], include_drugs=True)
    )
    found = {spec.id: dangling_references(leaflet) for spec, leaflet in chosen.items()}
    assert found["teclistamab"] == [] and len(found["blinatumomab"]) == 1
    # A phrase that quotes nothing to keep (mistyped, or the page changed) is an
    # error at its line, never a silent pass.
    drugs.write_text(kept.replace("called a T cell engager", "a T cell engagement"), "utf-8")
    line = 1 + kept.splitlines().index('    keep: "called a T cell engager"') - 2  # the entry's
    with pytest.raises(LeafletError) as error:
        select_leaflets(project_copy, ["teclistamab"], include_drugs=True)
    assert str(error.value).startswith(
        f"{drugs}:{line}: keep phrase 'a T cell engagement' quotes no flagged line or passage "
        "opening of passages naming 'teclistamab' (lines to quote there: 'This type of mAb is"
    )


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("drug", sorted(DRUG_NEEDS))
@pytest.mark.slow
def test_class_sections_carry_the_class_heading(sheet, drug, lang):
    _, out, _ = sheet
    titles = outline(out / lang / f"{drug}.pdf")
    for heading in CLASS_HEADINGS[lang]:
        assert heading in titles
    for heading in PLAIN_HEADINGS[lang]:
        assert heading not in titles  # no class text under a heading a reader takes as the drug's


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.slow
def test_topic_leaflet_keeps_plain_headings(sheet, lang):
    _, out, _ = sheet
    titles = outline(out / lang / "monoclonal-antibodies.pdf")
    assert all(heading in titles for heading in PLAIN_HEADINGS[lang])


@pytest.mark.slow
def test_no_leaflet_selects_the_uk_advice_line(sheet):
    _, out, manifest = sheet
    for entry in manifest:
        if entry["lang"] == "en":
            assert "hospitaladviceline" not in squash(sheet_text(out / entry["path"]))


# --- drafts -------------------------------------------------------------------------


def test_draft_notice_tells_the_truth_and_a_final_build_replaces_the_draft(project, tmp_path):
    results = build_leaflets(project, ["immunotherapy"], ["es"], tmp_path, draft=True)
    assert all(r.ok for r in results)
    draft = tmp_path / "es" / "immunotherapy.draft.pdf"
    reader = PdfReader(draft)
    first = reader.pages[0].extract_text()
    # Fully translated: the notice does not claim English text, and it follows
    # the masthead instead of covering it.
    assert "BORRADOR: no apto para distribución." in first
    assert "inglés" not in first.split("Inmunoterapia para el cáncer")[0]
    assert first.index("Riverside Cancer Center") < first.index("BORRADOR: no apto")
    for page in reader.pages:
        assert "BORRADOR" in page.extract_text()
    assert (tmp_path / "es" / "immunotherapy.draft.fhir.json").is_file()

    build_leaflets(project, ["immunotherapy"], ["es"], tmp_path)
    assert (tmp_path / "es" / "immunotherapy.pdf").is_file()
    assert not draft.exists()
    assert not list((tmp_path / "es").glob("immunotherapy.draft.*"))
    paths = [e["path"] for e in json.loads((tmp_path / "manifest.json").read_text())["leaflets"]]
    assert paths == ["es/immunotherapy.pdf"]


def test_draft_with_english_fallbacks_says_so(project_copy, tmp_path):
    path = po_path(project_copy.locales, "es", "content")
    with path.open("rb") as handle:
        catalog = read_po(handle)
    catalog["Immunotherapy helps the immune system to better act against cancer."].string = ""
    with path.open("wb") as handle:
        write_po(handle, catalog)
    results = build_leaflets(project_copy, ["immunotherapy"], ["es"], tmp_path, draft=True)
    assert all(r.ok for r in results)
    first = PdfReader(tmp_path / "es" / "immunotherapy.draft.pdf").pages[0].extract_text()
    assert squash("El texto en inglés todavía no se ha traducido.") in squash(first)
