"""The leaflet desk through FastAPI's test client: every route, the 404s, path
tricks, builds on request, interface languages."""

from __future__ import annotations

import hashlib
import io
import json
import re
import signal
import subprocess
import sys
import threading
import time
from html import unescape
from pathlib import Path

import httpx
import pytest
from deskutil import Output, build, make_client
from pypdf import PdfReader

from leafletgen.cli import make_parser
from leafletgen.translate.catalogs import catalog_languages, read_catalog, write_catalog
from leafletgen.translate.translator import load_translator
from leafletgen.web import app as web_app
from leafletgen.web.builds import INTERNAL_ERROR, BuildDesk
from leafletgen.web.files import safe_name
from leafletgen.web.interface import Interface
from leafletgen.web.library import Library, fold, search

HTML = {"Accept": "text/html"}
REVIEW = {"review_copy": "yes"}  # confirmed: a review copy, not for a patient


def manifest(out: Path) -> list[dict]:
    return json.loads((out / "manifest.json").read_text())["leaflets"]


def entry(out: Path, leaflet_id: str, lang: str, variant: str = "standard") -> dict:
    return next(
        e
        for e in manifest(out)
        if e["id"] == leaflet_id and e["lang"] == lang and e["variant"] == variant
    )


def text_of(html: str) -> str:
    """The words of a page, tags dropped, white space squashed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


# --- search -----------------------------------------------------------------------


def test_search_page_lists_every_leaflet_with_its_languages_and_states(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    words = text_of(response.text)
    assert "All leaflets: 10" in words
    for title in ("Immunotherapy for cancer", "Rituximab", "Blinatumomab (Blincyto®)"):
        assert title in words
    # a drug the clinic lists but does not build says why
    assert "Not built: the sources name it only in NCI's video teaser" in words
    # rituximab: built in both languages; bevacizumab: not built in this folder
    rituximab = response.text.split('id="leaflet-rituximab"')[1].split("</li>")[0]
    # one status per copy: built today and not cleared, never "Ready" beside "Not cleared"
    assert text_of(rituximab).count("Not cleared for distribution") == 2
    assert "Ready" not in rituximab
    bevacizumab = response.text.split('id="leaflet-bevacizumab"')[1].split("</li>")[0]
    assert "Not cleared" not in bevacizumab and "Not built yet" in bevacizumab


@pytest.mark.parametrize(
    ("query", "first", "also"),
    [
        ("rituximab", "rituximab", []),
        ("RITUXIMAB ", "rituximab", []),
        ("Blincyto", "blinatumomab", []),  # brand name
        ("blincyto®", "blinatumomab", []),
        ("trastuzumab", "trastuzumab", ["trastuzumab-emtansine"]),
        ("immunotherapy", "immunotherapy", []),
        ("inmunoterapia", "immunotherapy", []),  # the Spanish title
        ("anticuerpos", "monoclonal-antibodies", ["rituximab", "bevacizumab"]),  # class, in Spanish
        ("monoclonal", "monoclonal-antibodies", ["rituximab", "teclistamab"]),
    ],
)
def test_search_finds_drugs_brands_topics_and_classes(project, built_out, query, first, also):
    found = [info.id for info in search(Library(project, built_out).leaflets(), query)]
    assert found[0] == first
    assert set(also) <= set(found)


def test_search_results_page_and_no_match(client):
    found = client.get("/", params={"q": "rituximab"})
    assert "Leaflets found for “rituximab”: 1" in text_of(found.text)
    assert 'href="/leaflets/rituximab"' in found.text
    none = client.get("/", params={"q": "aspirin"})
    assert none.status_code == 200
    assert "No leaflet found for “aspirin”" in text_of(none.text)
    assert 'href="/leaflets/' not in none.text


def test_fold_ignores_case_accents_and_trademarks():
    assert fold("Blincyto®  Anticuerpos MONOCLONALES") == "blincyto anticuerpos monoclonales"
    assert fold("Inmunoterapía") == "inmunoterapia"


# --- leaflet pages and files -------------------------------------------------------


def test_leaflet_page_shows_copies_preview_and_sources(client, built_out):
    response = client.get("/leaflets/rituximab", params={"lang": "es"})
    assert response.status_code == 200
    page = response.text
    words = text_of(page)
    assert "Leaflet in Spanish" in words
    assert "Drug leaflet · Monoclonal antibodies" in words
    es = entry(built_out, "rituximab", "es")
    # not cleared: Download goes by the page that asks to confirm a review copy
    assert 'href="/leaflets/rituximab/es/standard/review-copy?action=download"' in page
    assert "standard.pdf?download=true" not in page
    assert "Build this leaflet" in words  # large print is not built yet
    # one preview picture per page of the PDF
    pictures = re.findall(
        r'<img src="(/leaflets/rituximab/es/standard/page-(\d+)\.png[^"]*)"', page
    )
    assert [int(n) for _, n in pictures] == list(range(1, es["pages"] + 1))
    assert f'alt="Page 1 of {es["pages"]}"' in page
    assert "Cancer Research UK" in words and "Last reviewed" in words
    # distribution and dates are not in this manifest yet: said so, never implied
    # the build's distribution status, its reasons as the leaflet prints them
    assert es["distribution"]["status"] == "not-cleared"
    assert "Not cleared for distribution" in words and "translation not reviewed" in words
    assert "Details for whoever looks after the leaflets" in words


def test_pdf_route_serves_the_manifest_bytes(client, built_out):
    es = entry(built_out, "rituximab", "es")
    response = client.get("/leaflets/rituximab/es/standard.pdf", params=REVIEW)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline")
    assert hashlib.sha256(response.content).hexdigest() == es["sha256"]
    download = client.get(
        "/leaflets/rituximab/es/standard.pdf", params={"download": "true", **REVIEW}
    )
    assert download.headers["content-disposition"] == 'attachment; filename="rituximab-es.pdf"'
    reader = PdfReader(io.BytesIO(download.content))
    assert "Cómo funciona" in reader.pages[0].extract_text()


def test_pdfs_carry_their_sha256_as_etag(client, built_out):
    es = entry(built_out, "rituximab", "es")
    first = client.get("/leaflets/rituximab/es/standard.pdf", params=REVIEW)
    assert first.headers["etag"] == f'"{es["sha256"]}"'
    again = client.get(
        "/leaflets/rituximab/es/standard.pdf",
        params=REVIEW,
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304 and again.content == b""
    other = client.get(
        "/leaflets/rituximab/es/standard.pdf", params=REVIEW, headers={"If-None-Match": '"x"'}
    )
    assert other.status_code == 200 and other.content == first.content


def test_file_names_from_the_manifest_are_made_safe():
    assert safe_name('x"; evil=1\r\n.pdf') == "x_evil_1_.pdf"
    assert safe_name("rituximab-es.pdf") == "rituximab-es.pdf"
    assert safe_name("../../") == "leaflet.pdf"


def test_preview_pictures_are_pngs_of_real_pages(client, built_out):
    pages = entry(built_out, "immunotherapy", "en")["pages"]
    first = client.get("/leaflets/immunotherapy/en/standard/page-1.png")
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert first.content.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(first.content[16:20]), int.from_bytes(first.content[20:24])
    assert (width, height) == (765, 990)  # a letter page at 1.25 x 72 dpi
    assert (
        client.get(f"/leaflets/immunotherapy/en/standard/page-{pages + 1}.png").status_code == 404
    )
    assert client.get("/leaflets/immunotherapy/en/standard/page-0.png").status_code == 404


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/leaflets/aspirin", "no leaflet 'aspirin'"),
        ("/leaflets/aspirin/en/standard.pdf", "no leaflet 'aspirin'"),
        ("/leaflets/rituximab/fr/standard.pdf", "has no standard PDF in 'fr'"),
        ("/leaflets/rituximab/en/huge.pdf", "has no huge PDF in 'en'"),
        ("/leaflets/rituximab/en/large-print.pdf", "build it first"),
        ("/leaflets/bevacizumab/en/standard.pdf", "build it first"),
        ("/leaflets/rituximab/en/standard.html", "has no web page"),
        ("/leaflets/rituximab/en/large-print/page-1.png", "build it first"),
        ("/api/leaflets/aspirin", "no leaflet 'aspirin'"),
        ("/api/builds/0123", "no build '0123'"),
        ("/builds/0123", "no build '0123'"),
        ("/static/leaflet.css", "no static file"),
        ("/language/xx", "not available in 'xx'"),
    ],
)
def test_unknown_things_are_404_with_a_clear_message(client, url, message):
    response = client.get(url)
    assert response.status_code == 404
    assert message in response.json()["detail"]


def test_a_person_gets_a_404_page(client):
    response = client.get("/leaflets/aspirin", headers=HTML)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    words = text_of(response.text)
    assert "Not found" in words and "no leaflet 'aspirin'" in words and "Find a leaflet" in words


PATH_TRICKS = [
    "/leaflets/..%2F..%2Fpyproject.toml",
    "/leaflets/%2e%2e%2f%2e%2e%2fpyproject.toml",
    "/leaflets/../../pyproject.toml",
    "/leaflets/rituximab/..%2F..%2F..%2Fpyproject.toml/standard.pdf",
    "/leaflets/rituximab/en/..%2F..%2Fmanifest.pdf",
    "/leaflets/rituximab/en/%2Fetc%2Fpasswd.pdf",
    "/leaflets/%2Fetc%2Fpasswd",
    "/leaflets//etc/passwd",
    "/leaflets/rituximab/en/standard/page-1.png%2F..%2F..%2Fmanifest.json",
    "/static/..%2Fleaflet.html",
    "/static/../leaflet.html",
    "/static/%2Fetc%2Fpasswd",
    "/static//etc/passwd",
    "/static/fonts/..%2F..%2Fleaflet.css",
    "/fhir/Binary/..%2F..%2Fmanifest.json",
    "/fhir/Binary/%2Fetc%2Fpasswd",
    "/fhir/DocumentReference/..%2Fen%2Frituximab.fhir.json",
    "/en/rituximab.pdf",
    "/manifest.json",
    "/out/manifest.json",
    "//etc/passwd",
]


@pytest.mark.parametrize("url", PATH_TRICKS)
def test_path_tricks_are_refused(client, url):
    response = client.get(url)
    assert response.status_code == 404
    body = response.content
    assert b"root:" not in body and b"[project]" not in body and b"%PDF" not in body
    assert b'"leaflets"' not in body and b"{% " not in body


def test_manifest_paths_outside_the_output_folder_are_never_served(project, out_copy, tmp_path):
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.7 not a leaflet")
    data = json.loads((out_copy / "manifest.json").read_text())
    forged = dict(entry(out_copy, "rituximab", "en"), id="forged", path="../secret.pdf")
    absolute = dict(forged, id="absolute", path=str(secret))
    data["leaflets"] += [forged, absolute]
    (out_copy / "manifest.json").write_text(json.dumps(data))
    client = make_client(project, out_copy)
    for leaflet_id in ("forged", "absolute"):
        assert client.get(f"/leaflets/{leaflet_id}/en/standard.pdf").status_code == 404
        assert client.get("/api/leaflets", params={"q": leaflet_id}).json() == []
    bundle = client.get("/fhir/DocumentReference").json()
    assert all("secret" not in json.dumps(e) for e in bundle["entry"])


def test_a_pdf_changed_behind_the_manifest_is_not_served(project, out_copy):
    pdf = out_copy / "en" / "rituximab.pdf"
    pdf.write_bytes(pdf.read_bytes() + b"\n% tampered\n")
    client = make_client(project, out_copy)
    assert client.get("/leaflets/rituximab/en/standard.pdf", params=REVIEW).status_code == 409
    copy = client.get("/api/leaflets/rituximab").json()["copies"][0]
    assert (copy["lang"], copy["state"]) == ("en", "stale")
    rid = copy["document_reference"].rsplit("/", 1)[1]
    assert client.get(f"/fhir/DocumentReference/{rid}").status_code == 404
    assert client.get(f"/fhir/Binary/{rid}").status_code == 404
    assert client.get("/fhir/DocumentReference", params={"_id": rid}).json()["total"] == 0


@pytest.mark.slow
def test_html_twin_is_served_with_a_strict_policy(project, out_copy):
    build(project, out_copy, ids=["rituximab"], langs=["en", "es"], html_twin=True)
    client = make_client(project, out_copy)
    twin = client.get("/leaflets/rituximab/es/standard.html")
    assert twin.status_code == 200
    assert '<html lang="es"' in twin.text and "Cómo funciona" in twin.text
    policy = twin.headers["content-security-policy"]
    assert policy.startswith("default-src 'none'") and "script-src" not in policy
    assert "font-src data:" in policy  # its embedded fonts, and nothing else
    # Its language links lead to the desk's own pages, not to the output folder's files.
    assert (
        '<nav class="languages"><ul><li><a href="/leaflets/rituximab/en/standard.html" '
        'hreflang="en" lang="en" dir="ltr">English</a></li></ul></nav>'
    ) in twin.text
    assert "../en/rituximab.html" in (out_copy / "es/rituximab.html").read_text(encoding="utf-8")
    page = client.get("/leaflets/rituximab", params={"lang": "es"}).text
    assert 'href="/leaflets/rituximab/es/standard.html"' in page
    copy = client.get("/api/leaflets/rituximab").json()["copies"]
    es = next(c for c in copy if c["lang"] == "es" and c["variant"] == "standard")
    assert es["html"] == "http://testserver/leaflets/rituximab/es/standard.html"
    # Served only while it says what the build wrote (its language links aside,
    # which the desk replaces with its own).
    file = out_copy / "es/rituximab.html"
    built = file.read_text(encoding="utf-8")
    file.write_text(built.replace("../en/rituximab.html", "../en/other.html"), encoding="utf-8")
    assert client.get("/leaflets/rituximab/es/standard.html").status_code == 200
    file.write_text(built.replace("Cómo funciona", "Cómo no funciona"), encoding="utf-8")
    tampered = client.get("/leaflets/rituximab/es/standard.html")
    assert tampered.status_code == 409, tampered.text
    assert "Cómo no funciona" not in tampered.text
    assert "no longer matches the manifest" in tampered.text


# --- JSON API ------------------------------------------------------------------------


def test_api_lists_leaflets_with_copies(client, project, built_out):
    leaflets = client.get("/api/leaflets").json()
    assert [x["id"] for x in leaflets][:2] == ["immunotherapy", "monoclonal-antibodies"]
    rituximab = next(x for x in leaflets if x["id"] == "rituximab")
    assert rituximab["drug"] == "rituximab" and rituximab["drug_class"] == "Monoclonal antibodies"
    assert rituximab["languages"] == ["en", "es"]  # built; every catalog's can be
    catalogs = ["en", *catalog_languages(project.locales)]
    copies = {(c["lang"], c["variant"]): c for c in rituximab["copies"]}
    assert set(copies) == {(lang, v) for lang in catalogs for v in ("standard", "large-print")} | {
        (lang, "bilingual-en") for lang in catalogs if lang != "en"
    }
    assert copies[("vi", "standard")]["state"] == "missing"
    es = copies[("es", "standard")]
    assert es["state"] == "current"
    assert es["sha256"] == entry(built_out, "rituximab", "es")["sha256"]
    assert es["pdf"] == "http://testserver/leaflets/rituximab/es/standard.pdf"
    assert es["document_reference"].startswith("http://testserver/fhir/DocumentReference/")
    recorded = entry(built_out, "rituximab", "es")["distribution"]
    assert es["distribution"]["status"] == recorded["status"]
    assert [r["code"] for r in es["distribution"]["reasons"]] == [
        r["code"] for r in recorded["reasons"]
    ]
    assert copies[("es", "large-print")]["state"] == "missing"
    assert copies[("es", "large-print")]["pdf"] is None
    skipped = next(x for x in leaflets if x["id"] == "pembrolizumab")
    assert skipped["skip_reason"] and skipped["copies"] == []
    assert client.get("/api/leaflets/rituximab").json() == rituximab


def test_distribution_status_and_dates_from_the_manifest_are_shown(project, out_copy):
    data = json.loads((out_copy / "manifest.json").read_text())
    for item in data["leaflets"]:
        if item["id"] == "rituximab" and item["lang"] == "es":
            item["issued"], item["review_by"] = "2026-01-15", "2027-01-15"
            item["distribution"] = {
                "status": "not-cleared",
                "reasons": [
                    {"code": "translation-not-reviewed", "message": "Spanish not reviewed"},
                    {
                        "code": "licence-permission",
                        "message": "CRUK permission",
                        "subject": "Cancer Research UK",
                    },
                ],
            }
        if item["id"] == "rituximab" and item["lang"] == "en":
            item["distribution"] = {"status": "cleared", "reasons": []}
        if item["id"] == "immunotherapy":
            item.pop("distribution", None)  # a manifest written before statuses existed
    (out_copy / "manifest.json").write_text(json.dumps(data))
    client = make_client(project, out_copy)
    copies = {
        c["lang"]: c
        for c in client.get("/api/leaflets/rituximab").json()["copies"]
        if c["variant"] == "standard"
    }
    assert copies["es"]["distribution"] == {
        "status": "not-cleared",
        "reasons": [
            {"code": "translation-not-reviewed", "message": "Spanish not reviewed", "subject": ""},
            {
                "code": "licence-permission",
                "message": "CRUK permission",
                "subject": "Cancer Research UK",
            },
        ],
    }
    assert (copies["es"]["issued"], copies["es"]["review_by"]) == ("2026-01-15", "2027-01-15")
    assert copies["en"]["distribution"]["status"] == "cleared"
    words = text_of(client.get("/leaflets/rituximab", params={"lang": "es"}).text)
    assert (
        "Not cleared for distribution translation not reviewed "
        "Cancer Research UK permission not recorded"
    ) in words
    assert "Spanish not reviewed CRUK permission" in words  # the details, for the clinic
    assert "Issued January 15, 2026" in words and "Review by January 15, 2027" in words
    assert "Cleared for distribution" in text_of(client.get("/leaflets/rituximab").text)
    unassessed = client.get("/api/leaflets/immunotherapy").json()["copies"][0]
    assert unassessed["distribution"] == {"status": "not-assessed", "reasons": []}
    assert "Not assessed" in text_of(client.get("/leaflets/immunotherapy").text)
    spanish = make_client(project, out_copy)
    spanish.cookies.set("desk_lang", "es")
    words = text_of(spanish.get("/leaflets/rituximab", params={"lang": "es"}).text)
    assert "Emitido 15 de enero de 2026" in words and "No autorizado para distribuir" in words


def test_openapi_documents_the_portal_api(client):
    schema = client.get("/openapi.json").json()
    for path in (
        "/api/leaflets",
        "/api/leaflets/{leaflet_id}",
        "/api/leaflets/{leaflet_id}/builds",
        "/api/builds/{job_id}",
        "/fhir/metadata",
        "/fhir/DocumentReference",
        "/fhir/DocumentReference/{resource_id}",
        "/fhir/Binary/{resource_id}",
        "/leaflets/{leaflet_id}/{lang}/{variant}.pdf",
    ):
        assert path in schema["paths"], path
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/static/swagger/swagger-ui-bundle.js" in docs.text and "cdn" not in docs.text
    bundle = client.get("/static/swagger/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000


def test_pages_carry_security_headers(client):
    response = client.get("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_loopback_server_refuses_foreign_host_names(project, built_out):
    client = make_client(project, built_out, role=None, allowed_hosts=web_app.LOOPBACK_HOSTS)
    assert client.get("/healthz", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "attacker.example"}).status_code == 400
    # the Host is checked by default too, and before anything else: a forged
    # Host on a sign-in POST (DNS rebinding) is refused
    default = make_client(project, built_out, role=None, allowed_hosts=None)
    assert default.get("/healthz", headers={"Host": "localhost:8000"}).status_code == 200
    forged = default.post(
        "/signin", data={"name": "x", "password": "y"}, headers={"Host": "attacker.example"}
    )
    assert forged.status_code == 400


def test_serve_binds_loopback_by_default(monkeypatch, project):
    args = make_parser().parse_args(["serve"])
    assert (args.host, args.port, args.out) == ("127.0.0.1", 8000, "out")
    seen = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **options: seen.update(options, app=app))
    web_app.serve(project, out="out")
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 8000)
    assert any(m.cls.__name__ == "TrustedHostMiddleware" for m in seen["app"].user_middleware)


@pytest.mark.slow
def test_leafletgen_serve_runs_the_desk_on_loopback(project, built_out):
    # Port 0: the system gives the desk a free port and the desk announces it,
    # so no port is chosen here and raced for.
    command = [sys.executable, "-m", "leafletgen.cli", "serve", "--port", "0"]
    command += ["--out", str(built_out), "--project", str(project.root)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = Output(server.stdout)
    try:
        announced = output.wait_for(r"running on (http://\S+):(\d+)")
        assert announced, "the server did not start: " + "".join(output.lines)
        assert announced[1] == "http://127.0.0.1", announced[0]
        port = int(announced[2])
        assert output.wait_for(r"no desk users yet"), "".join(output.lines)
        # nobody signed in: the health check answers, pages go to sign-in, the API says 401
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert health.json() == {"status": "ok"}
        page = httpx.get(f"http://127.0.0.1:{port}/", headers={"Accept": "text/html"}, timeout=5)
        assert page.status_code == 303 and page.headers["location"] == "/signin?next=%2F"
        signin = httpx.get(f"http://127.0.0.1:{port}/signin", timeout=5)
        assert signin.status_code == 200 and "Sign in" in signin.text
        metadata = httpx.get(f"http://127.0.0.1:{port}/fhir/metadata", timeout=5)
        assert metadata.status_code == 401
        assert metadata.json()["resourceType"] == "OperationOutcome"
        # only loopback names are accepted as Host (no DNS rebinding)
        foreign = httpx.get(
            f"http://127.0.0.1:{port}/", headers={"Host": "attacker.example"}, timeout=5
        )
        assert foreign.status_code == 400
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    assert f"http://127.0.0.1:{port}" in output.text()


# --- interface languages ------------------------------------------------------------


def test_switching_the_interface_to_spanish(project, built_out):
    client = make_client(project, built_out)
    response = client.get(
        "/language/es", params={"next": "/leaflets/rituximab?lang=es"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/leaflets/rituximab?lang=es"
    assert "desk_lang=es" in response.headers["set-cookie"]
    page = client.get("/leaflets/rituximab?lang=es").text  # the cookie is kept
    assert '<html lang="es" dir="ltr">' in page
    words = text_of(page)
    assert "Idioma del paciente" in words and "Folleto en español" in words
    assert "Español ( español )" not in words
    assert "Descargar PDF" in words and "Anticuerpos monoclonales" in words


@pytest.mark.parametrize("target", ["//attacker.example/x", "https://attacker.example/", "x"])
def test_language_switch_only_returns_to_this_site(project, built_out, target):
    client = make_client(project, built_out)
    response = client.get("/language/en", params={"next": target}, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_browser_language_chooses_the_interface(project, built_out):
    client = make_client(project, built_out)
    page = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}).text
    assert '<html lang="es"' in page and "Buscar un folleto" in page
    assert '<html lang="en"' in client.get("/", headers={"Accept-Language": "de"}).text


def test_every_desk_string_is_translated_in_spanish(project):
    interface = Interface(project)
    strings = interface.strings()
    assert len(strings) > 50
    translator = load_translator(project.locales, "es")
    missing = sorted(s for s in strings if translator.state("messages", s) != "translated")
    assert missing == []
    assert interface.languages() == ["en", "es"]


def test_a_language_with_an_incomplete_catalog_is_not_offered(project_copy):
    path = project_copy.locales / "es" / "LC_MESSAGES" / "messages.po"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('msgstr "Descargar PDF"', 'msgstr ""'), encoding="utf-8")
    assert Interface(project_copy).languages() == ["en"]


# --- building on request --------------------------------------------------------------


def test_building_a_missing_leaflet_on_request(project_copy):
    out = project_copy.root / "out"
    client = make_client(project_copy, out)
    response = client.post(
        "/leaflets/rituximab/build",
        data={"lang": "es", "variant": "standard"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    job_url = response.headers["location"]
    job_id = job_url.rsplit("/", 1)[1]
    desk = client.app.state.desk
    assert desk.wait(desk.job(job_id), timeout=120)
    status = client.get(f"/api/builds/{job_id}").json()
    assert status["state"] == "done", status
    assert status["outcomes"] == [
        f"built es/rituximab.pdf ({entry(out, 'rituximab', 'es')['pages']} pages)"
    ]
    page = text_of(client.get(job_url, headers=HTML).text)
    # the build says what it made: not cleared (the Spanish is not reviewed), and why
    assert "Built: Not cleared for distribution (" in page and "Open the leaflet" in page
    assert "translation not reviewed" in page and "The leaflet is ready." not in page
    copy = client.get("/api/leaflets/rituximab").json()["copies"]
    assert (
        next(c for c in copy if c["lang"] == "es" and c["variant"] == "standard")["state"]
        == "current"
    )
    reader = PdfReader(out / "es" / "rituximab.pdf")
    assert reader.pdf_header and "Cómo funciona" in reader.pages[0].extract_text()
    assert (out / "es" / "rituximab.fhir.json").is_file()


def test_json_api_builds_large_print(project_copy):
    out = project_copy.root / "out"
    client = make_client(project_copy, out)
    response = client.post(
        "/api/leaflets/immunotherapy/builds", json={"lang": "en", "variant": "large-print"}
    )
    assert response.status_code == 202
    job = response.json()
    assert job["state"] in ("queued", "running") and job["status"].endswith(job["id"])
    desk = client.app.state.desk
    assert desk.wait(desk.job(job["id"]), timeout=120)
    assert client.get(f"/api/builds/{job['id']}").json()["state"] == "done"
    assert entry(out, "immunotherapy", "en", "large-print")["path"] == "en/immunotherapy.large.pdf"


@pytest.mark.slow
def test_a_bilingual_edition_on_request(project_copy):
    out = project_copy.root / "out"
    client = make_client(project_copy, out)
    job = client.post(
        "/api/leaflets/rituximab/builds", json={"lang": "es", "variant": "bilingual-en"}
    ).json()
    desk = client.app.state.desk
    assert desk.wait(desk.job(job["id"]), timeout=180)
    assert desk.job(job["id"]).state == "done", desk.job(job["id"]).errors
    built = entry(out, "rituximab", "es", "bilingual-en")
    assert built["path"] == "es/rituximab.bilingual-en.pdf"
    pdf = client.get(
        "/leaflets/rituximab/es/bilingual-en.pdf", params={"download": "true", **REVIEW}
    )
    assert pdf.headers["content-disposition"].endswith('filename="rituximab-es-bilingual-en.pdf"')
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Cómo funciona" in text and "How it works" in text
    words = text_of(client.get("/leaflets/rituximab", params={"lang": "es"}).text)
    assert "Bilingual, with English" in words
    refused = client.post(
        "/leaflets/rituximab/build", data={"lang": "en", "variant": "bilingual-en"}
    )
    assert refused.status_code == 404 and "no variant 'bilingual-en' in 'en'" in refused.text


@pytest.mark.parametrize(
    ("leaflet", "form", "status", "message"),
    [
        ("aspirin", {"lang": "en"}, 404, "no leaflet 'aspirin'"),
        ("rituximab", {"lang": "fr"}, 404, "no catalog for language 'fr'"),
        ("rituximab", {"lang": "en", "variant": "tiny"}, 404, "no variant 'tiny' in 'en'"),
        ("pembrolizumab", {"lang": "en"}, 409, "is not built: the sources name it only"),
    ],
)
def test_build_requests_for_unknown_things_are_refused(client, leaflet, form, status, message):
    response = client.post(f"/leaflets/{leaflet}/build", data=form)
    assert response.status_code == status
    assert message in response.json()["detail"]


def test_build_is_a_post_and_refuses_other_sites(client):
    assert client.get("/leaflets/rituximab/build").status_code in (404, 405)
    response = client.post(
        "/leaflets/rituximab/build",
        data={"lang": "en"},
        headers={"Origin": "http://attacker.example"},
    )
    assert response.status_code == 403


def test_concurrent_requests_share_one_build(project_copy):
    out = project_copy.root / "out"
    calls, release = [], threading.Event()

    def slow_build(project, options, on_result):
        calls.append((list(options.ids), list(options.langs)))
        release.wait(30)
        from leafletgen.batch.build import build

        return build(project, options, on_result)

    desk = BuildDesk(project_copy, out, builder=slow_build)
    client = make_client(project_copy, out, desk=desk)
    ids: list[str] = []

    def ask() -> None:
        response = client.post("/api/leaflets/rituximab/builds", json={"lang": "en"})
        ids.append(response.json()["id"])

    threads = [threading.Thread(target=ask) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    other = client.post("/api/leaflets/immunotherapy/builds", json={"lang": "en"}).json()
    assert other["position"] == 1  # waits for the running build: one build at a time
    release.set()
    job = desk.job(ids[0])
    assert desk.wait(job, timeout=120) and desk.wait(desk.job(other["id"]), timeout=120)
    assert len(set(ids)) == 1 and job.requests == 5
    assert calls == [(["rituximab"], ["en"]), (["immunotherapy"], ["en"])]
    assert job.state == "done"
    desk.close()


def test_a_failed_build_shows_the_errors_and_keeps_the_previous_pdf(project_copy):
    out = project_copy.root / "out"
    build(project_copy, out, ids=["rituximab"], langs=["es"])
    before = (out / "es" / "rituximab.pdf").read_bytes()
    listed = entry(out, "rituximab", "es")
    # a translation the leaflet needs goes stale
    path = project_copy.locales / "es" / "LC_MESSAGES" / "content.po"
    catalog = read_catalog(path)
    message = next(m for m in catalog if m.id and "rituximab" in m.id and m.string)
    message.flags.add("fuzzy")
    write_catalog(catalog, path)
    client = make_client(project_copy, out)
    copies = client.get("/api/leaflets/rituximab").json()["copies"]
    assert next(c for c in copies if c["lang"] == "es")["state"] == "stale"
    response = client.post("/leaflets/rituximab/build", data={"lang": "es"}, follow_redirects=False)
    job_id = response.headers["location"].rsplit("/", 1)[1]
    desk = client.app.state.desk
    assert desk.wait(desk.job(job_id), timeout=120)
    status = client.get(f"/api/builds/{job_id}").json()
    assert status["state"] == "failed"
    assert status["errors"][0].startswith(
        "locales/es/LC_MESSAGES: leaflet 'rituximab' cannot be built in 'es'"
    )
    assert re.search(r"^  sources/[\w.-]+:\d+: fuzzy \[content\] '", status["errors"][0], re.M)
    page = client.get(f"/builds/{job_id}", headers=HTML).text
    assert "The build failed" in page and "Traceback" not in page
    assert "sources/" in page and "fuzzy [content]" in page
    # the previous good PDF and its manifest entry are untouched
    assert (out / "es" / "rituximab.pdf").read_bytes() == before
    assert entry(out, "rituximab", "es") == listed
    assert client.get("/leaflets/rituximab/es/standard.pdf", params=REVIEW).content == before


def test_a_broken_definition_is_reported_at_its_line(project_copy):
    out = project_copy.root / "out"
    definition = project_copy.leaflets / "immunotherapy.yaml"
    text = definition.read_text()
    definition.write_text(re.sub(r"heading: .*", "heading: No such heading", text, count=1))
    client = make_client(project_copy, out)
    info = client.get("/api/leaflets/immunotherapy").json()
    assert info["problems"] and info["problems"][0].startswith("leaflets/immunotherapy.yaml:")
    page = text_of(client.get("/leaflets/immunotherapy", headers=HTML).text)
    assert "cannot be built from today's sources" in page
    response = client.post(
        "/leaflets/immunotherapy/build", data={"lang": "en"}, follow_redirects=False
    )
    job = client.app.state.desk.job(response.headers["location"].rsplit("/", 1)[1])
    assert client.app.state.desk.wait(job, timeout=60)
    assert job.state == "failed"
    assert re.match(
        r"leaflets/immunotherapy\.yaml:\d+: heading 'No such heading' matches nothing",
        job.errors[0],
    )


def test_an_unexpected_error_never_shows_a_traceback(project_copy, caplog):
    def broken(project, options, on_result):
        raise RuntimeError("boom in the renderer")

    out = project_copy.root / "out"
    desk = BuildDesk(project_copy, out, builder=broken)
    client = make_client(project_copy, out, desk=desk)
    job_id = client.post("/api/leaflets/rituximab/builds", json={"lang": "en"}).json()["id"]
    assert desk.wait(desk.job(job_id), timeout=30)
    status = client.get(f"/api/builds/{job_id}").json()
    assert status["state"] == "failed" and status["errors"] == [INTERNAL_ERROR]
    page = client.get(f"/builds/{job_id}", headers=HTML).text
    assert "boom" not in page and "Traceback" not in page
    assert "boom in the renderer" in caplog.text  # the details go to the server's log
    desk.close()


def test_build_status_fragment_follows_the_state(project_copy):
    out = project_copy.root / "out"
    release = threading.Event()

    def waiting(project, options, on_result):
        release.wait(30)
        return []

    desk = BuildDesk(project_copy, out, builder=waiting)
    client = make_client(project_copy, out, desk=desk)
    job_id = client.post("/api/leaflets/rituximab/builds", json={"lang": "en"}).json()["id"]
    deadline = time.monotonic() + 10
    while desk.job(job_id).state != "running" and time.monotonic() < deadline:
        time.sleep(0.01)
    running = client.get(f"/builds/{job_id}/status").text
    assert 'data-finished="no"' in running and "<progress" in running
    release.set()
    assert desk.wait(desk.job(job_id), timeout=30)
    done = client.get(f"/builds/{job_id}/status").text
    assert 'data-finished="yes"' in done and "Done" in done  # the stand-in built nothing
    desk.close()
