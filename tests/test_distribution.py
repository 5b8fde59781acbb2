"""Cleared for distribution: review record, translation QA, licences and
source review dates, shown the same way in the PDF, the manifest, FHIR and
``check``; XLIFF round trip; Provenance."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from babel.dates import format_date
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.provenance import Provenance
from pypdf import PdfReader

from clearing import record_clearing_inputs
from conftest import desk_user, squash
from leafletgen import clearance
from leafletgen.batch.build import build_leaflets
from leafletgen.cli import main
from leafletgen.errors import LeafletError
from leafletgen.project import select_leaflets
from leafletgen.translate import qa, reviews
from leafletgen.translate.editions import edition
from leafletgen.translate.translator import load_translator
from leafletgen.translate.xliff import export_xliff, import_xliff

TODAY = dt.date(2026, 11, 23)
REVIEWER = ["--reviewer", "rosa-reviewer"]  # a fictional desk user, made by desk_user()
QUALIFICATION = "Medical translator (fictional test user)"
CONTENT_PO = "locales/es/LC_MESSAGES/content.po"
NORMAL_FUNCTION = "Como parte de su función normal"


T_CELL_ENGAGER = "This type of mAb is called a T cell engager"


def make_clearable(root) -> None:
    """Record, as a clinic would, permission for every licence that needs one,
    its own check of every source against the publisher's page, its review of
    what every source prints, and that it read the T cell engager passage
    whose lead-in CRUK's page lost and keeps it as published."""
    record_clearing_inputs(
        root,
        permission="Written permission, ref. 2026-014",
        checked_by="Riverside pharmacy, A. Chen",
        editor="a-chen-pharmacist",
        role="clinical pharmacist",
    )
    drugs = root / "leaflets" / "drugs.yaml"
    text = drugs.read_text(encoding="utf-8")
    for drug in ("blinatumomab", "teclistamab"):
        text = re.sub(
            rf"(\n  - name: {drug}\n(?:    [^\n]*\n)*)",
            rf'\1    keep: "{T_CELL_ENGAGER}"\n',
            text,
            count=1,
        )
    drugs.write_text(text, encoding="utf-8")


def cli(capsys, *args) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def manifest(out) -> dict[tuple[str, str], dict]:
    entries = json.loads((out / "manifest.json").read_text())["leaflets"]
    return {(e["id"], e["lang"]): e for e in entries if e["variant"] == "standard"}


def pages(path) -> list[str]:
    return [squash(page.extract_text()) for page in PdfReader(path).pages]


def msgid_line(root, start: str) -> int:
    """The line of the msgid whose translation starts with ``start``."""
    lines = (root / CONTENT_PO).read_text(encoding="utf-8").splitlines()
    found = next(n for n, line in enumerate(lines) if start in line)
    return max(n for n in range(found) if lines[n].startswith("msgid")) + 1


def edit_po(root, old: str, new: str) -> None:
    path = root / CONTENT_PO
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_shipped_record_tells_the_truth(project):
    record = reviews.load_record(project.locales, "es")
    assert record.reviews == ()
    (translated,) = record.translated
    assert (translated.method, translated.by, translated.entries) == (
        "translator",
        "leafletgen maintainers",
        None,
    )


def test_review_clears_and_an_edit_brings_the_mark_back(project_copy, tmp_path, capsys):
    root = project_copy.root
    make_clearable(root)
    desk_user(root)
    code, out = cli(capsys, "i18n", "review", "--lang", "es", *REVIEWER, "--project", str(root))
    assert code == 0, out
    out_dir = tmp_path / "out"
    build_leaflets(project_copy, ["immunotherapy"], ["en", "es"], out_dir, today=TODAY)
    entries = manifest(out_dir)
    for lang in ("en", "es"):
        entry = entries[("immunotherapy", lang)]
        assert entry["distribution"] == {"status": "cleared", "reasons": []}
        stem = out_dir / entry["path"].removesuffix(".pdf")
        reference = DocumentReference.model_validate_json(
            stem.with_name(stem.name + ".fhir.json").read_text()
        )
        assert reference.docStatus == "final"
        record = Provenance.model_validate_json(
            stem.with_name(stem.name + ".provenance.json").read_text()
        )
        assert record.target[0].reference == f"DocumentReference/{reference.id}"
        for text in pages(out_dir / entry["path"]):
            assert "Notcleared" not in text and "Noautorizado" not in text
    es = entries[("immunotherapy", "es")]
    assert es["reviewers"] == [
        {"name": "rosa-reviewer", "qualification": QUALIFICATION,
         "date": dt.date.today().isoformat()}
    ]  # fmt: skip
    last = pages(out_dir / es["path"])[-1]
    today = format_date(dt.date.today(), "long", locale="es")  # the review's date: today
    assert (
        squash(
            "Traducido del inglés por leafletgen maintainers; revisado por rosa-reviewer "
            f"({QUALIFICATION}) el {today}."
        )
        in last
    )
    code, out = cli(
        capsys, "check", "--strict", "--today", TODAY.isoformat(), "--lang", "en,es",
        "--out", str(out_dir), "--project", str(root),
    )  # fmt: skip
    # Every leaflet and language cleared, as the manifest says, but Spanish
    # rituximab: it prints without its FDA label, whose text is not translated.
    assert code == 1, out
    assert (
        "16 leaflet x language outputs checked as of 2026-11-23: 15 cleared, "
        "1 not cleared for distribution" in out
    )
    assert "whose text is not translated into 'es'" in out
    assert "the English edition prints the drug's own warnings\n    affects rituximab [es]" in out
    # Provenance: reviewer as verifier, the English original as derivation.
    stem = out_dir / "es/immunotherapy"
    record = Provenance.model_validate_json(
        stem.with_name("immunotherapy.provenance.json").read_text()
    )
    verifiers = [a for a in record.agent if a.type.coding[0].code == "verifier"]
    assert [a.who.display for a in verifiers] == ["rosa-reviewer"]
    english = DocumentReference.model_validate_json(
        (out_dir / "en/immunotherapy.fhir.json").read_text()
    )
    assert f"DocumentReference/{english.id}" in [e.what.reference for e in record.entity]
    urls = {e.what.identifier.value for e in record.entity if e.role == "source"}
    assert urls == {s["url"] for s in es["sources"]}

    # One reviewed msgstr edited: the mark comes back and names that entry.
    line = msgid_line(root, NORMAL_FUNCTION)
    edit_po(root, NORMAL_FUNCTION, "Como parte de su función habitual")
    build_leaflets(project_copy, ["immunotherapy"], ["en", "es"], out_dir, today=TODAY)
    entries = manifest(out_dir)
    assert entries[("immunotherapy", "en")]["distribution"]["status"] == "cleared"
    es = entries[("immunotherapy", "es")]
    (reason,) = es["distribution"]["reasons"]
    assert reason["code"] == "translation-not-reviewed"
    assert reason["details"] == [
        f"{CONTENT_PO}:{line}: [content] 'As part of its normal function, the immune system "
        "detects and destroy…'"
    ]
    assert f"{CONTENT_PO}:{line}" in reason["message"]
    texts = pages(out_dir / es["path"])
    for text in texts:
        assert squash("No autorizado para su distribución: traducción no revisada") in text
    assert squash("todavía no ha sido revisada por un traductor médico cualificado") in texts[-1]
    reference = json.loads((out_dir / "es/immunotherapy.fhir.json").read_text())
    assert reference["docStatus"] == "preliminary"
    code, out = cli(
        capsys, "check", "--strict", "--today", TODAY.isoformat(), "--lang", "en,es",
        "--out", str(out_dir), "--project", str(root),
    )  # fmt: skip
    assert code == 1
    assert f"{CONTENT_PO}:{line}: [content] 'As part of its normal function" in out
    assert "built as" not in out  # the manifest agrees with check


def test_source_reasons_are_printed_on_every_page(project, tmp_path):
    results = build_leaflets(project, ["immunotherapy"], ["en"], tmp_path, today=TODAY)
    entry = results[0].entry
    codes = [r["code"] for r in entry.distribution["reasons"]]
    assert codes == [
        "review-date-missing", "licence-permission", "review-overdue",
        "source-not-reviewed", "source-not-reviewed",
    ]  # fmt: skip
    line = squash(
        "Not cleared for distribution: National Cancer Institute (NCI) page has no review "
        "date; Cleveland Clinic permission not recorded; Cleveland Clinic page is past its "
        "review date"
    )
    for text in pages(tmp_path / entry.path):
        assert line in text
    assert json.loads((tmp_path / "en/immunotherapy.fhir.json").read_text())["docStatus"] == (
        "preliminary"
    )


def test_past_clinic_check_gives_the_overdue_reason(project_copy):
    make_clearable(project_copy.root)
    ((spec, leaflet),) = select_leaflets(project_copy, ["immunotherapy"])
    english = load_translator(project_copy.locales, "en")
    status = clearance.assess(
        leaflet, spec, english, root=project_copy.root, today=dt.date(2027, 11, 3)
    )
    assert [r.code for r in status.reasons] == ["review-overdue", "review-overdue"]
    assert "review was due 2027-11-02 (checked 2026-11-02 by Riverside pharmacy, A. Chen)" in (
        status.reasons[0].message
    )
    status = clearance.assess(leaflet, spec, english, root=project_copy.root, today=TODAY)
    assert status.cleared


@pytest.mark.parametrize(
    ("old", "new", "checks", "message"),
    [
        ("llamada CD20 que está en las células B", "llamada CD21 que está en las células B",
         {"numbers", "number-kept"}, "missing from the translation: 20"),
        ("Un ejemplo es el rituximab, ", "Un ejemplo es el rituxumab, ",
         {"drug-name"}, "missing from the translation: rituximab"),
        ("La inmunoterapia puede causar efectos secundarios",
         "La inmunoterapia puede causar efectos colaterales",
         {"glossary"}, "'side effects' is translated 'efectos secundarios'"),
    ],
)  # fmt: skip
def test_qa_finds_a_changed_number_drug_name_or_term_at_its_line(
    project_copy, capsys, old, new, checks, message
):
    root = project_copy.root
    line = msgid_line(root, old)
    edit_po(root, old, new)
    code, out = cli(capsys, "i18n", "status", "--lang", "es", "--strict", "--project", str(root))
    assert code == 1
    found = set(re.findall(rf"error: {CONTENT_PO}:{line}: \[([a-z-]+)\]", out))
    assert found == checks, out
    assert message in out
    _, out = cli(capsys, "check", "--today", TODAY.isoformat(), "--project", str(root))
    assert f"[es] {CONTENT_PO}:{line}: [" in out


def test_current_catalogs_pass_qa(project, capsys):
    code, out = cli(
        capsys, "i18n", "status", "--lang", "es", "--strict", "--project", str(project.root)
    )
    assert code == 0, out
    assert "0 translation QA finding(s)" in out


@pytest.mark.parametrize(
    ("english", "translation", "problems"),
    [
        ("Take 2 tablets for 5 days.", "Tome 2 comprimidos durante 5 días.", []),
        ("A fever of 100.4°F or higher", "Fiebre de 100,4 °F o más", []),
        ("Call (555) 010-0100.", "Llame al (555) 010-0199.", ["0100", "0199"]),
        ("Every 3 weeks.", "Cada 3 semanas, 2 veces.", ["not in the English: 2"]),
    ],
)
def test_number_check(english, translation, problems):
    found = " ".join(qa.check_numbers(english, translation))
    assert all(p in found for p in problems) and bool(found) == bool(problems)


def test_drug_names_kept_and_none_added():
    names = ("trastuzumab", "trastuzumab emtansine", "Blincyto®")
    assert (
        qa.check_drug_names(
            "An example is trastuzumab emtansine.", "Un ejemplo es el trastuzumab emtansine.", names
        )
        == []
    )
    assert qa.check_drug_names("Blincyto® works", "Blincyto funciona", names)
    assert qa.check_drug_names("It works.", "El nivolumab funciona.", names) == [
        "not in the English: nivolumab"
    ]


def test_editing_either_side_unapproves():
    key = reviews.fingerprint("content", "Take 2 tablets.", "Tome 2 comprimidos.")
    assert key != reviews.fingerprint("content", "Take 3 tablets.", "Tome 2 comprimidos.")
    assert key != reviews.fingerprint("content", "Take 2 tablets.", "Tome 2 pastillas.")
    assert key != reviews.fingerprint("messages", "Take 2 tablets.", "Tome 2 comprimidos.")


def test_glossary_tbx_is_current(project):
    terms = qa.load_glossary(project.locales, "es")
    assert len(terms.terms) > 40
    assert (project.locales / "es/glossary.tbx").read_bytes() == qa.glossary_tbx(terms)


def test_xliff_approved_in_the_file_clears_the_same_entries(project_copy, tmp_path, capsys):
    from translate.storage import xliff

    root = project_copy.root
    exported = export_xliff(root, "es")
    assert b'version="1.2"' in exported and b'approved="yes"' not in exported
    store = xliff.xlifffile.parsestring(exported)
    for unit in store.unit_iter():
        unit.markapproved(True)  # what a reviewer's "Approve" in a CAT tool writes
    path = tmp_path / "es.xlf"
    path.write_bytes(bytes(store))

    # No reviewer named: nothing recorded.
    with pytest.raises(Exception, match="name who reviewed them"):
        import_xliff(path, root, "es")
    assert reviews.load_record(project_copy.locales, "es").reviews == ()

    desk_user(root)
    code, out = cli(
        capsys, "i18n", "import", "--lang", "es", "--file", str(path), *REVIEWER,
        "--project", str(root),
    )  # fmt: skip
    assert code == 0, out
    record = reviews.load_record(project_copy.locales, "es")
    (review,) = record.reviews
    keys = {e.key for e in reviews.catalog_entries(project_copy.locales, "es", root)}
    assert review.approved == keys  # the entries `i18n review` would approve
    assert (review.reviewer, review.date) == ("rosa-reviewer", dt.date.today())
    assert export_xliff(root, "es").count(b'approved="yes"') == len(keys)
    # The same entries are reviewed for every leaflet (as it prints in Spanish:
    # rituximab's FDA label is not translated, so it prints without it).
    translator = load_translator(project_copy.locales, "es")
    for spec, chosen in select_leaflets(project_copy, include_drugs=True):
        leaflet = edition(chosen, spec, translator, project_copy.templates, root, draft=False)
        review = clearance.review_translation(leaflet, spec, translator, root)
        assert review.complete and not review.findings


def test_xliff_translation_changed_in_a_cat_tool_comes_back(project_copy, tmp_path, capsys):
    from translate.storage import xliff

    root = project_copy.root
    store = xliff.xlifffile.parsestring(export_xliff(root, "es"))
    (unit,) = [u for u in store.unit_iter() if str(u.target).startswith(NORMAL_FUNCTION)]
    unit.target = str(unit.target).replace("función normal", "función habitual")
    path = tmp_path / "es.xlf"
    path.write_bytes(bytes(store))
    code, out = cli(capsys, "i18n", "import", "--lang", "es", "--file", str(path),
                    "--project", str(root))  # fmt: skip
    assert code == 1 and "name who translated them (--translator NAME)" in out
    code, out = cli(capsys, "i18n", "import", "--lang", "es", "--file", str(path),
                    "--translator", "Ana Ruiz", "--project", str(root))  # fmt: skip
    assert code == 0, out
    assert "Como parte de su función habitual" in (root / CONTENT_PO).read_text()
    record = reviews.load_record(project_copy.locales, "es")
    entries = reviews.catalog_entries(project_copy.locales, "es", root)
    (edited,) = [e for e in entries if e.msgstr.startswith("Como parte de su función habitual")]
    changed = record.translation_of(edited.key)
    assert (changed.method, changed.by) == ("translator", "Ana Ruiz")
    others = {record.translation_of(e.key).by for e in entries if e is not edited}
    assert others == {"leafletgen maintainers"}


def test_xliff_machine_translation_is_recorded_as_such(project_copy, tmp_path, capsys):
    from translate.storage import xliff

    root = project_copy.root
    store = xliff.xlifffile.parsestring(export_xliff(root, "es"))
    (unit,) = [u for u in store.unit_iter() if str(u.target).startswith(NORMAL_FUNCTION)]
    unit.target = str(unit.target).replace("función normal", "función habitual")
    unit.xmlelement.find("{*}target").set("state-qualifier", "mt-suggestion")
    path = tmp_path / "es.xlf"
    path.write_bytes(bytes(store))
    code, out = cli(capsys, "i18n", "import", "--lang", "es", "--file", str(path),
                    "--project", str(root))  # fmt: skip
    assert code == 1 and "name the system (--machine NAME)" in out
    code, out = cli(capsys, "i18n", "import", "--lang", "es", "--file", str(path),
                    "--machine", "Example MT 2.1", "--project", str(root))  # fmt: skip
    assert code == 0, out
    record = reviews.load_record(project_copy.locales, "es")
    (edited,) = [
        e
        for e in reviews.catalog_entries(project_copy.locales, "es", root)
        if e.msgstr.startswith("Como parte de su función habitual")
    ]
    made = record.translation_of(edited.key)
    assert (made.method, made.by) == ("machine", "Example MT 2.1")
    again = export_xliff(root, "es").decode()
    assert again.count('state-qualifier="mt-suggestion"') == 1
    ((spec, leaflet),) = select_leaflets(project_copy, ["immunotherapy"])
    status = clearance.assess(
        leaflet, spec, load_translator(project_copy.locales, "es"), root=root, today=TODAY
    )
    assert clearance.credit(status)["translators"] == [
        {"method": "translator", "by": "leafletgen maintainers"},
        {"method": "machine", "by": "Example MT 2.1"},
    ]


def test_review_of_one_leaflet_approves_only_what_it_prints(project_copy, capsys):
    root = project_copy.root
    desk_user(root)
    code, out = cli(
        capsys, "i18n", "review", "--lang", "es", *REVIEWER, "--leaflet", "immunotherapy",
        "--project", str(root),
    )  # fmt: skip
    assert code == 0, out
    code, out = cli(capsys, "i18n", "status", "--lang", "es", "--project", str(root))
    rows = {line.split()[0]: line for line in out.splitlines() if "translated," in line}
    assert re.search(r"(\d+)/\1 translated, \1/\1 reviewed", rows["immunotherapy"])
    reviewed, total = map(
        int, re.search(r"(\d+)/(\d+) reviewed", rows["monoclonal-antibodies"]).groups()
    )
    assert 0 < reviewed < total  # the strings both leaflets print (headings, labels)
    # A reviewer is never invented: no name, no review.
    code, out = cli(capsys, "i18n", "review", "--lang", "es", "--project", str(root))
    assert code == 1 and "needs --reviewer NAME: a desk user who holds the role" in out


def test_a_review_date_passing_rebuilds_the_leaflet(project, tmp_path):
    before = build_leaflets(project, ["immunotherapy"], ["en"], tmp_path, today=dt.date(2026, 8, 1))
    codes = [r["code"] for r in before[0].entry.distribution["reasons"]]
    assert "review-overdue" not in codes
    same = build_leaflets(project, ["immunotherapy"], ["en"], tmp_path, today=dt.date(2026, 8, 2))
    assert same[0].skipped == "unchanged"
    after = build_leaflets(project, ["immunotherapy"], ["en"], tmp_path, today=TODAY)
    assert after[0].entry is not None  # Cleveland Clinic's page fell due on 2026-08-12
    assert "review-overdue" in [r["code"] for r in after[0].entry.distribution["reasons"]]


@pytest.mark.parametrize(
    ("file", "after", "broken"),
    [
        ("leaflets/drugs.yaml", "drugs:\n", "  - name: a: b\n"),
        ("sources/sources.yaml", "sources:\n", "  - id: a: b\n"),
    ],
)
def test_a_broken_names_file_fails_clearance_at_its_line(project_copy, file, after, broken):
    """The drug-name and kept-name checks take their names from drugs.yaml and
    sources.yaml: a file that cannot be read is that file's error at its line,
    never a check that passes for want of names."""
    ((spec, leaflet),) = select_leaflets(project_copy, ["immunotherapy"])
    path = project_copy.root / file
    text = path.read_text(encoding="utf-8")
    line = text[: text.index(after)].count("\n") + 2
    path.write_text(text.replace(after, after + broken, 1), encoding="utf-8")
    spanish = load_translator(project_copy.locales, "es")
    with pytest.raises(LeafletError) as caught:
        clearance.assess(leaflet, spec, spanish, root=project_copy.root, today=TODAY)
    assert str(caught.value).startswith(f"{path}:{line}: invalid YAML"), caught.value


def test_a_broken_review_record_is_an_error_at_its_line(project_copy):
    path = project_copy.locales / "es" / "reviews.yaml"
    path.write_text(
        "language: es\n"
        "translated:\n"
        "  - {method: human, by: Someone, entries: all}\n"
        "reviews:\n"
        "  - reviewer: A. Reviewer\n"
        "    date: next week\n"
        "    approved: []\n",
        encoding="utf-8",
    )
    with pytest.raises(Exception) as caught:
        reviews.load_record(project_copy.locales, "es")
    text = str(caught.value)
    assert f"{path}:3: method must be one of translator, machine, publisher, not 'human'" in text
    assert f"{path}:5: review is missing 'qualification'" in text
