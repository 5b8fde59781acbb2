"""HL7 Infobutton knowledge requests: an EHR asks for a drug's leaflet by its
RxCUI, the way MedlinePlus Connect answers them.

``GET /infobutton?mainSearchCriteria.v.c=RXCUI&mainSearchCriteria.v.cs=2.16.840.1.113883.6.88``
with ``informationRecipient.languageCode.c=es`` (default English) answers
with the drug leaflets whose ``rxcui`` (``leaflets/drugs.yaml``) is that code,
in that language: an Atom feed (``knowledgeResponseType=text/xml``, the
default) or the same feed as JSON (``application/json``), in the shape
MedlinePlus Connect uses (``{"feed": {"entry": [...]}}``, values under
``_value``). Without a code, ``mainSearchCriteria.v.dn`` (a display name)
finds a drug by its generic or brand name. Each entry links the leaflet's
PDF (and its web page, if built) and carries its distribution status: a
leaflet that is not cleared says so here as on every page it prints.

Only copies the manifest lists are offered, drafts never; a language the
leaflet is not built in gives an empty feed, as an unknown code does.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from xml.etree.ElementTree import Element, SubElement, tostring

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from leafletgen.errors import TranslationError
from leafletgen.translate.catalogs import language_code
from leafletgen.web.library import Copy, LeafletInfo, Library, fold

RXNORM = "2.16.840.1.113883.6.88"
ATOM = "http://www.w3.org/2005/Atom"
XML_TYPES = ("text/xml", "application/atom+xml")
JSON_TYPE = "application/json"


def make_router(library: Library) -> APIRouter:
    """The ``/infobutton`` route over the desk's library."""
    router = APIRouter(tags=["infobutton"])

    @router.get(
        "/infobutton",
        name="infobutton",
        summary="HL7 Infobutton knowledge request (MedlinePlus Connect style)",
        responses={200: {"content": {"application/atom+xml": {}, JSON_TYPE: {}}}},
    )
    def infobutton(
        request: Request,
        code: Annotated[
            str | None,
            Query(alias="mainSearchCriteria.v.c", max_length=40, description="an RxCUI"),
        ] = None,
        system: Annotated[
            str | None,
            Query(
                alias="mainSearchCriteria.v.cs",
                max_length=64,
                description=f"the code system: RxNorm, {RXNORM}",
            ),
        ] = None,
        name: Annotated[
            str | None,
            Query(
                alias="mainSearchCriteria.v.dn",
                max_length=200,
                description="a drug's generic or brand name (when no code is given)",
            ),
        ] = None,
        lang: Annotated[
            str,
            Query(alias="informationRecipient.languageCode.c", max_length=35),
        ] = "en",
        response_type: Annotated[
            str,
            Query(alias="knowledgeResponseType", max_length=40),
        ] = "text/xml",
    ) -> Response:
        """Drug leaflets for an RxCUI (or a drug name), in the asked language, as
        an Atom feed or JSON."""
        if response_type not in (*XML_TYPES, JSON_TYPE):
            raise HTTPException(
                400, f"knowledgeResponseType must be text/xml or {JSON_TYPE}, not {response_type!r}"
            )
        wanted = _language(lang, library.languages)
        found = _matching(library.leaflets(), code, system, name)
        hits = [(info, copy) for info in found if (copy := _copy(info, wanted))]
        feed = _feed(request, hits, wanted, code or name or "")
        if response_type == JSON_TYPE:
            return JSONResponse({"feed": _as_json(feed)})
        return Response(_as_atom(feed), media_type="application/atom+xml; charset=utf-8")

    return router


def _language(value: str, known: tuple[str, ...]) -> str:
    """The asked language as the catalogs name it (``es-US`` -> ``es`` when
    the project has Spanish but no US Spanish)."""
    try:
        code = language_code(value)
    except TranslationError as problem:
        raise HTTPException(400, problem.message) from None
    primary = code.split("_")[0]
    return primary if code not in known and primary in known else code


def _matching(
    leaflets: list[LeafletInfo], code: str | None, system: str | None, name: str | None
) -> list[LeafletInfo]:
    """The drug leaflets an RxCUI (or, without one, a drug or brand name) names."""
    drugs = [info for info in leaflets if info.drug and not info.skip_reason]
    if code:
        if system not in (None, RXNORM):
            raise HTTPException(
                400, f"mainSearchCriteria.v.cs {system!r} is not supported; use RxNorm, {RXNORM}"
            )
        if not code.isdigit():
            raise HTTPException(400, "mainSearchCriteria.v.c must be an RxCUI: digits only")
        return [info for info in drugs if info.rxcui == code]
    if name and name.strip():
        wanted = fold(name)
        return [info for info in drugs if wanted in (fold(n) for n in (info.drug, *info.brands))]
    raise HTTPException(400, "give mainSearchCriteria.v.c (an RxCUI) or mainSearchCriteria.v.dn")


def _copy(info: LeafletInfo, lang: str) -> Copy | None:
    """The leaflet's standard PDF in ``lang``, if the manifest lists one."""
    copy = info.copy(lang, "standard")
    return copy if copy is not None and copy.entry is not None else None


def _feed(
    request: Request, hits: list[tuple[LeafletInfo, Copy]], lang: str, asked: str
) -> dict[str, Any]:
    """The answer as one value, written out as Atom or as JSON."""
    library: Library = request.app.state.library
    entries = []
    for info, copy in hits:
        ids = {"leaflet_id": info.id, "lang": lang, "variant": "standard"}
        links = [
            {"href": str(request.url_for("leaflet_pdf", **ids)), "type": "application/pdf"},
        ]
        if library.file_of(copy.entry, ".html"):
            links.append({"href": str(request.url_for("leaflet_html", **ids)), "type": "text/html"})
        entries.append(
            {
                "title": copy.title or info.title_in(lang),
                "links": links,
                "id": f"urn:sha256:{copy.entry.sha256 or ''}",
                "updated": copy.entry.created or copy.issued or "",
                "summary": info.description_in(lang) or "",
                "leaflet": info.id,
                "rxcui": info.rxcui,
                "issued": copy.issued,
                "distribution": {"status": copy.distribution, "reasons": copy.reasons},
            }
        )
    return {
        "lang": lang,
        "title": f"{library.clinic_name or 'leafletgen'}: patient leaflets",
        "subtitle": f"Leaflets for {asked}" if asked else "Leaflets",
        "id": str(request.url),
        "updated": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "entries": entries,
    }


def _as_json(feed: dict[str, Any]) -> dict[str, Any]:
    """The feed in MedlinePlus Connect's JSON shape."""
    return {
        "lang": feed["lang"],
        "title": {"_value": feed["title"], "type": "text"},
        "subtitle": {"_value": feed["subtitle"], "type": "text"},
        "id": {"_value": feed["id"]},
        "updated": {"_value": feed["updated"]},
        "entry": [
            {
                "lang": feed["lang"],
                "title": {"_value": e["title"], "type": "text"},
                "link": [
                    {"href": link["href"], "rel": "alternate", "type": link["type"]}
                    for link in e["links"]
                ],
                "id": {"_value": e["id"]},
                "updated": {"_value": e["updated"]},
                "summary": {"_value": e["summary"], "type": "text"},
                "leaflet": e["leaflet"],
                "rxcui": e["rxcui"],
                "issued": e["issued"],
                "distribution": e["distribution"],
            }
            for e in feed["entries"]
        ],
    }


def _as_atom(feed: dict[str, Any]) -> bytes:
    """The feed as an Atom document (text escaped by the XML writer)."""
    root = Element("feed", {"xmlns": ATOM, "xml:lang": feed["lang"]})
    for key in ("title", "subtitle", "id", "updated"):
        SubElement(root, key).text = feed[key]
    for e in feed["entries"]:
        entry = SubElement(root, "entry", {"xml:lang": feed["lang"]})
        SubElement(entry, "title", {"type": "text"}).text = e["title"]
        for link in e["links"]:
            attrs = {"href": link["href"], "rel": "alternate", "type": link["type"]}
            SubElement(entry, "link", {**attrs, "hreflang": feed["lang"]})
        SubElement(entry, "id").text = e["id"]
        SubElement(entry, "updated").text = e["updated"]
        SubElement(entry, "summary", {"type": "text"}).text = e["summary"]
        status = e["distribution"]["status"]
        SubElement(entry, "category", {"scheme": "distribution", "term": status})
        if e["rxcui"]:
            SubElement(entry, "category", {"scheme": RXNORM, "term": e["rxcui"]})
    return tostring(root, encoding="utf-8", xml_declaration=True)
