"""Finding a drug leaflet the way staff and systems ask: the desk's search and
JSON API by generic name, brand and RxCUI; the HL7 Infobutton route (Atom and
JSON, MedlinePlus Connect style) over HTTP.

The project is a copy whose drugs.yaml gives rituximab a TEST RxCUI (no
stored source states a drug's RxCUI); its brand is the one its label prints.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring
from deskutil import TestClient, build, desk_app, sign_in

from leafletgen.batch.build import Project
from leafletgen.web.infobutton import RXNORM

ROOT = Path(__file__).resolve().parents[2]
TEST_RXCUI = "9900001"  # a test value, not rituximab's RxCUI
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def rx_project(tmp_path_factory) -> Project:
    root = tmp_path_factory.mktemp("rx-project")
    for name in ("sources", "leaflets", "templates", "locales"):
        shutil.copytree(ROOT / name, root / name)
    drugs = root / "leaflets" / "drugs.yaml"
    text = drugs.read_text(encoding="utf-8")
    entry = "  - name: rituximab\n"
    assert entry in text
    drugs.write_text(text.replace(entry, f'{entry}    rxcui: "{TEST_RXCUI}"\n'), encoding="utf-8")
    return Project(root)


@pytest.fixture(scope="module")
def rx_client(rx_project, tmp_path_factory) -> Iterator[TestClient]:
    out = tmp_path_factory.mktemp("rx-out")
    build(rx_project, out, ids=["rituximab"], langs=["en", "es"])
    with TestClient(desk_app(rx_project, out)) as client:
        yield sign_in(client)


def _brand(project: Project) -> str:
    from leafletgen.project import load_inputs

    (brand,) = load_inputs(project, include_drugs=True).specs["rituximab"].brands
    return brand


def ask(client: TestClient, **params: str):
    query = {"mainSearchCriteria.v.cs": RXNORM, **params}
    return client.get("/infobutton", params=query)


def test_infobutton_json_gives_the_spanish_leaflet_for_the_rxcui(rx_client):
    response = ask(
        rx_client,
        **{
            "mainSearchCriteria.v.c": TEST_RXCUI,
            "informationRecipient.languageCode.c": "es",
            "knowledgeResponseType": "application/json",
        },
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    feed = response.json()["feed"]
    assert feed["lang"] == "es"
    (entry,) = feed["entry"]
    assert entry["leaflet"] == "rituximab" and entry["rxcui"] == TEST_RXCUI
    assert entry["distribution"]["status"] in ("cleared", "not-cleared")
    (pdf,) = [link for link in entry["link"] if link["type"] == "application/pdf"]
    assert pdf["href"].endswith("/leaflets/rituximab/es/standard.pdf")
    fetched = rx_client.get(pdf["href"], params={"review_copy": "yes"})  # not cleared
    assert fetched.status_code == 200 and fetched.headers["content-type"] == "application/pdf"
    assert entry["id"]["_value"] == f"urn:sha256:{hashlib.sha256(fetched.content).hexdigest()}"


def test_infobutton_atom_is_the_default_and_names_the_language(rx_client):
    response = ask(
        rx_client,
        **{"mainSearchCriteria.v.c": TEST_RXCUI, "informationRecipient.languageCode.c": "es-US"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    (entry,) = feed.findall(f"{ATOM}entry")
    (link,) = entry.findall(f"{ATOM}link")
    assert link.get("hreflang") == "es" and link.get("href").endswith("/rituximab/es/standard.pdf")
    assert entry.findtext(f"{ATOM}title").startswith("Rituximab")
    terms = {c.get("scheme"): c.get("term") for c in entry.findall(f"{ATOM}category")}
    assert terms[RXNORM] == TEST_RXCUI and terms["distribution"] in ("cleared", "not-cleared")
    english = ask(rx_client, **{"mainSearchCriteria.v.c": TEST_RXCUI})
    (link,) = fromstring(english.content).findall(f"{ATOM}entry/{ATOM}link")
    assert link.get("href").endswith("/rituximab/en/standard.pdf")


def test_infobutton_finds_a_drug_by_brand_name(rx_client, rx_project):
    for name in (_brand(rx_project), "Rituxan", "rituximab"):
        response = rx_client.get(
            "/infobutton",
            params={"mainSearchCriteria.v.dn": name, "knowledgeResponseType": "application/json"},
        )
        assert [e["leaflet"] for e in response.json()["feed"]["entry"]] == ["rituximab"], name


CODE, LANG = "mainSearchCriteria.v.c", "informationRecipient.languageCode.c"
SNOMED = "2.16.840.1.113883.6.96"  # a code system the route does not answer for


@pytest.mark.parametrize(
    ("params", "status", "entries"),
    [
        ({CODE: "9900002"}, 200, 0),  # an RxCUI no drug has (a test value)
        ({CODE: TEST_RXCUI, LANG: "vi"}, 200, 0),  # not built in Vietnamese
        ({CODE: "R-1"}, 400, None),
        ({CODE: TEST_RXCUI, "mainSearchCriteria.v.cs": SNOMED}, 400, None),
        ({CODE: TEST_RXCUI, "knowledgeResponseType": "text/html"}, 400, None),
        ({CODE: TEST_RXCUI, LANG: "../x"}, 400, None),
        ({}, 400, None),
    ],
)
def test_infobutton_answers_what_it_cannot_find_plainly(rx_client, params, status, entries):
    response = ask(rx_client, **{"knowledgeResponseType": "application/json", **params})
    assert response.status_code == status, response.text
    if entries is not None:
        assert len(response.json()["feed"]["entry"]) == entries
    else:
        assert response.json()["detail"]


def test_desk_and_api_find_the_drug_by_generic_brand_and_rxcui(rx_client):
    for query in ("rituximab", "Rituxan", "RITUXAN", TEST_RXCUI):
        found = rx_client.get("/api/leaflets", params={"q": query}).json()
        assert found and found[0]["id"] == "rituximab", query
        page = rx_client.get("/", params={"q": query}, headers={"Accept": "text/html"})
        assert page.status_code == 200 and "/leaflets/rituximab" in page.text, query
        assert "No leaflet found" not in page.text
