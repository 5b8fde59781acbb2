"""A copy not cleared for distribution is a review copy: the desk's Open,
Download and Print go by a page that says so (not for patients, why, whom to
ask) and its PDF is refused without that confirmation; a cleared copy is had
directly. A build ends with the copy's status; a copy shows one status."""

from __future__ import annotations

import hashlib
import json
import re
from html import unescape
from pathlib import Path

from deskutil import make_client

from leafletgen.web.builds import BuildDesk

HTML = {"Accept": "text/html"}
PDF = "/leaflets/rituximab/es/standard.pdf"
CONFIRMED = {"review_copy": "yes"}


def text_of(html: str) -> str:
    """The words of a page, tags dropped, white space squashed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def sha256_of(out: Path, leaflet_id: str, lang: str) -> str:
    data = json.loads((out / "manifest.json").read_text())["leaflets"]
    return next(
        e["sha256"]
        for e in data
        if (e["id"], e["lang"], e["variant"]) == (leaflet_id, lang, "standard")
    )


def cleared(out: Path, leaflet_id: str = "rituximab", lang: str = "en") -> None:
    """Mark one built copy cleared in the manifest, as a clearing build records it."""
    path = out / "manifest.json"
    data = json.loads(path.read_text())
    for item in data["leaflets"]:
        if (item["id"], item["lang"]) == (leaflet_id, lang):
            item["distribution"] = {"status": "cleared", "reasons": []}
    path.write_text(json.dumps(data))


def test_a_not_cleared_pdf_without_confirmation_answers_the_confirmation_page(client):
    for params in ({}, {"download": "true"}, {"review_copy": "no"}):
        response = client.get(PDF, params=params)
        assert response.status_code == 403, params
        assert response.headers["content-type"].startswith("text/html")
        assert not response.content.startswith(b"%PDF")
        assert "content-disposition" not in response.headers
        words = text_of(response.text)
        assert "Not for patients yet. Not cleared for distribution: translation not reviewed" in (
            words
        )
        assert "Ask: Riverside Cancer Center" in words  # clinic.yaml: no leaflet_contact
        assert "This is a review copy for staff. Do not give it to a patient." in words
    download = client.get(PDF, params={"download": "true"}).text
    assert f'href="{PDF}?download=true&amp;review_copy=yes" download>' in download
    assert "Download the review copy" in text_of(download)


def test_a_confirmed_review_copy_is_the_pdf(client, built_out):
    response = client.get(PDF, params={"download": "true", **CONFIRMED})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="rituximab-es.pdf"'
    assert hashlib.sha256(response.content).hexdigest() == sha256_of(built_out, "rituximab", "es")
    inline = client.get(PDF, params=CONFIRMED)
    assert inline.headers["content-disposition"].startswith("inline")


def test_a_not_cleared_copy_s_buttons_go_by_the_confirmation(client):
    page = client.get("/leaflets/rituximab", params={"lang": "es"}).text
    standard = page.split('id="copy-standard"')[1].split("</article>")[0]
    review = "/leaflets/rituximab/es/standard/review-copy?action="
    for action in ("open", "download", "print"):
        assert f'href="{review}{action}"' in standard
    assert f'href="{PDF}' not in standard
    assert " download " not in standard and "data-print" not in standard
    for action, label, link in [
        ("download", "Download the review copy", f"{PDF}?download=true&amp;review_copy=yes"),
        ("print", "Print the review copy", f"{PDF}?review_copy=yes"),
        ("open", "Open the review copy", f"{PDF}?review_copy=yes"),
        ("anything", "Open the review copy", f"{PDF}?review_copy=yes"),
    ]:
        response = client.get(f"{review}{action}")
        assert response.status_code == 200
        assert f'href="{link}"' in response.text and label in text_of(response.text)
        assert "Not for patients yet." in text_of(response.text)
    assert "data-print>Print the review copy" in client.get(f"{review}print").text


def test_a_cleared_copy_is_had_directly(project, out_copy):
    cleared(out_copy)
    client = make_client(project, out_copy)
    response = client.get("/leaflets/rituximab/en/standard.pdf", params={"download": "true"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(response.content).hexdigest() == sha256_of(out_copy, "rituximab", "en")
    page = client.get("/leaflets/rituximab", params={"lang": "en"}).text
    standard = page.split('id="copy-standard"')[1].split("</article>")[0]
    assert 'href="/leaflets/rituximab/en/standard.pdf?download=true" download' in standard
    assert 'href="/leaflets/rituximab/en/standard.pdf" data-print' in standard
    assert "review-copy" not in standard
    words = text_of(standard)
    assert "Cleared for distribution" in words and "Ready" not in words
    # an old link to the confirmation has nothing to ask: straight to the PDF
    asked = client.get(
        "/leaflets/rituximab/en/standard/review-copy",
        params={"action": "download"},
        follow_redirects=False,
    )
    assert asked.status_code == 303
    assert asked.headers["location"] == "/leaflets/rituximab/en/standard.pdf?download=true"


def test_the_confirmation_names_whom_to_ask_from_clinic_yaml(project_copy, built_out):
    clinic = project_copy.root / "leaflets" / "clinic.yaml"
    text = clinic.read_text(encoding="utf-8")
    clinic.write_text(text.replace("# leaflet_contact:", "leaflet_contact:"), encoding="utf-8")
    client = make_client(project_copy, built_out)
    words = text_of(client.get(PDF).text)
    assert "Ask: Patient education nurse, (555) 010-0123" in words


def test_the_confirmation_in_spanish_keeps_the_english_line_for_staff(project, built_out):
    client = make_client(project, built_out)
    client.cookies.set("desk_lang", "es")
    page = client.get(PDF, params={"download": "true"}).text
    assert '<html lang="es"' in page
    staff = page.split('class="notice problem review-notice"')[1].split("</div>")[0]
    assert '<p lang="en" dir="ltr"><strong>Not for patients yet.</strong>' in staff
    # the Spanish line: what has no translation yet shows in English, marked as such
    assert "No autorizado para su distribución:" in staff
    assert '<span class="untranslated" lang="en" dir="ltr">Ask:</span>' in staff
    assert "Descargar la copia de revisión" in text_of(page)


def test_a_build_ends_with_the_copy_s_status(project, out_copy):
    def built_before(project, options, on_result):
        return []  # the copy in the manifest is the one the build made

    cleared(out_copy)
    desk = BuildDesk(project, out_copy, builder=built_before)
    client = make_client(project, out_copy, desk=desk)
    jobs = {
        lang: client.post("/api/leaflets/rituximab/builds", json={"lang": lang}).json()["id"]
        for lang in ("en", "es")
    }
    for job_id in jobs.values():
        assert desk.wait(desk.job(job_id), timeout=30)
    done = text_of(client.get(f"/builds/{jobs['en']}/status").text)
    assert "Built: Cleared for distribution" in done and "(" not in done
    page = text_of(client.get(f"/builds/{jobs['es']}", headers=HTML).text)
    assert "Built: Not cleared for distribution (translation not reviewed" in page
    assert "The leaflet is ready." not in page and "Done" not in page
    desk.close()


def test_the_desk_names_a_reason_in_the_words_the_band_prints(project, out_copy):
    path = out_copy / "manifest.json"
    data = json.loads(path.read_text())
    for item in data["leaflets"]:
        if (item["id"], item["lang"]) == ("rituximab", "en"):
            item["distribution"] = {
                "status": "not-cleared",
                "reasons": [
                    {"code": "source-not-reviewed", "message": "x", "subject": "NCI"},
                    {"code": "furniture-printed", "message": "y"},
                ],
            }
    path.write_text(json.dumps(data))
    client = make_client(project, out_copy)
    said = "NCI page not yet reviewed by the clinic"
    furniture = "prints website lines (phone numbers, newsletters) nobody has approved"
    leaflet = client.get("/leaflets/rituximab", params={"lang": "en"}).text
    assert f'<span lang="en">{said}</span>' in leaflet and furniture in leaflet
    band = text_of(client.get("/leaflets/rituximab/en/standard.pdf").text)
    assert f"Not cleared for distribution: {said}; {furniture}." in band


def test_an_out_of_date_copy_shows_one_badge_and_its_status_in_words(project, out_copy):
    pdf = out_copy / "en" / "rituximab.pdf"
    pdf.write_bytes(pdf.read_bytes() + b"\n% changed\n")
    client = make_client(project, out_copy)
    page = client.get("/leaflets/rituximab", params={"lang": "en"}).text
    status = page.split('id="copy-standard"')[1].split("<dt>Issued</dt>")[0]
    assert re.findall(r'class="badge [a-z]+">([^<]+)<', status) == ["Out of date"]
    assert '<span class="distribution">Not cleared for distribution</span>' in status
