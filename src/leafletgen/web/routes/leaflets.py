"""The leaflets: the search page, a leaflet's page, and its files (the PDF, the
accessible HTML twin, pictures of its pages). Files are only ever those the
manifest lists, read while their bytes match it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from leafletgen.render.twin import LanguageLink, link_order, with_language_links
from leafletgen.web.auth import require
from leafletgen.web.files import intact_page, pdf_response
from leafletgen.web.library import Copy, LeafletInfo, search
from leafletgen.web.pages import render_page, ui_lang
from leafletgen.web.previews import page_png
from leafletgen.web.security import TWIN_POLICY
from leafletgen.web.state import Desk, DeskState

router = APIRouter()

# The PDF route's ``review_copy`` once the user has confirmed that a copy not
# cleared for distribution is a review copy, not for a patient.
REVIEW_COPY = "yes"
ACTIONS = ("open", "download", "print")


@router.get(
    "/",
    response_class=HTMLResponse,
    include_in_schema=False,
    name="search_page",
    dependencies=[Depends(require("view"))],
)
def search_page(request: Request, desk: Desk, q: str = "") -> HTMLResponse:
    """The search page: every leaflet, or those matching ``q``."""
    leaflets = search(desk.library.leaflets(), q)
    return render_page(request, desk, "search.html", query=q.strip(), results=leaflets)


@router.get(
    "/leaflets/{leaflet_id}",
    response_class=HTMLResponse,
    include_in_schema=False,
    name="leaflet_page",
    dependencies=[Depends(require("view"))],
)
def leaflet_page(
    request: Request,
    desk: Desk,
    leaflet_id: str,
    lang: str | None = None,
    variant: str = "standard",
) -> HTMLResponse:
    """A leaflet's page: its copies in one language (``lang``, else the interface
    language, else its first) and a preview of one variant."""
    info = desk.find(leaflet_id)
    languages = info.languages or list(desk.library.languages)
    chosen = lang if lang in languages else None
    if chosen is None:
        preferred = ui_lang(request, desk.interface)
        chosen = preferred if preferred in languages else languages[0]
    if variant not in {c.variant for c in info.copies}:
        variant = "standard"
    return render_page(
        request,
        desk,
        "leaflet.html",
        info=info,
        lang=chosen,
        variant=variant,
        languages=languages,
        copies=[c for c in info.copies if c.lang == chosen],
        shown=info.copy(chosen, variant),
    )


@router.get(
    "/leaflets/{leaflet_id}/{lang}/{variant}.pdf",
    name="leaflet_pdf",
    summary="A leaflet's PDF",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}},
        403: {"description": "not cleared for distribution: the page asking to confirm"},
    },
    tags=["leaflets"],
    dependencies=[Depends(require("read_api"))],
)
def leaflet_pdf(
    request: Request,
    desk: Desk,
    leaflet_id: str,
    lang: str,
    variant: str,
    download: bool = False,
    review_copy: str = "",
) -> Response:
    """A leaflet's PDF, as listed in the manifest (``download=true``: as an
    attachment). Its ETag is the PDF's SHA-256.

    A copy not cleared for distribution is a review copy: without
    ``review_copy=yes`` the answer is the page that says so and asks to
    confirm (403), never the PDF."""
    info, copy = desk.copy_of(leaflet_id, lang, variant)
    if copy.distribution != "cleared" and review_copy != REVIEW_COPY:
        action = "download" if download else "open"
        return _review_copy(request, desk, info, copy, action, status=403)
    data = _pdf(desk, copy)
    suffix = "" if variant == "standard" else f"-{variant}"
    name = f"{leaflet_id}-{lang}{suffix}.pdf"
    return pdf_response(request, data, copy.entry.sha256, name, download=download)


@router.get(
    "/leaflets/{leaflet_id}/{lang}/{variant}/review-copy",
    response_class=HTMLResponse,
    include_in_schema=False,
    name="review_copy_page",
    dependencies=[Depends(require("view"))],
)
def review_copy_page(
    request: Request, desk: Desk, leaflet_id: str, lang: str, variant: str, action: str = "open"
) -> Response:
    """Before a not-cleared copy's PDF is opened, downloaded or printed: the
    page that says it is not for patients, why, and whom to ask. A cleared
    copy has nothing to confirm and goes straight to its PDF."""
    info, copy = desk.copy_of(leaflet_id, lang, variant)
    action = action if action in ACTIONS else "open"
    if copy.distribution == "cleared":
        pdf = _pdf_path(request, copy)
        return RedirectResponse(pdf + ("?download=true" if action == "download" else ""), 303)
    return _review_copy(request, desk, info, copy, action)


def _review_copy(
    request: Request, desk: DeskState, info: LeafletInfo, copy: Copy, action: str, status: int = 200
) -> HTMLResponse:
    """The page asking to confirm that ``copy`` is a review copy, not for a patient."""
    reasons = copy.reasons or [{"code": copy.distribution, "subject": ""}]
    back = request.url_for("leaflet_page", leaflet_id=info.id).path
    return render_page(
        request,
        desk,
        "review_copy.html",
        status,
        info=info,
        copy=copy,
        action=action,
        reasons=reasons,
        contact=desk.library.inputs().contact or "",
        lang=ui_lang(request, desk.interface),
        pdf=_pdf_path(request, copy),
        back=f"{back}?lang={copy.lang}&variant={copy.variant}",
    )


def _pdf_path(request: Request, copy: Copy) -> str:
    """The path of ``copy``'s PDF on this desk."""
    return request.url_for(
        "leaflet_pdf", leaflet_id=copy.leaflet_id, lang=copy.lang, variant=copy.variant
    ).path


@router.get(
    "/leaflets/{leaflet_id}/{lang}/{variant}.html",
    name="leaflet_html",
    summary="A leaflet's accessible HTML twin",
    tags=["leaflets"],
    dependencies=[Depends(require("read_api"))],
)
def leaflet_html(
    request: Request, desk: Desk, leaflet_id: str, lang: str, variant: str
) -> HTMLResponse:
    """A leaflet's accessible HTML twin, if the build wrote one (``build --html``),
    linking to its web pages in the other languages served here."""
    info, copy = desk.copy_of(leaflet_id, lang, variant)
    path = desk.library.file_of(copy.entry, ".html")
    if path is None:
        raise HTTPException(404, f"leaflet {leaflet_id!r} has no web page in {lang!r}")
    html = intact_page(path, copy.entry.html_sha256)
    if html is None:
        raise HTTPException(409, "the web page no longer matches the manifest; rebuild it")
    links = [
        LanguageLink(
            other,
            request.url_for(
                "leaflet_html", leaflet_id=leaflet_id, lang=other, variant=variant
            ).path,
        )
        for other in link_order(_twin_languages(desk, info, copy))
    ]
    html = with_language_links(html, links)
    response = HTMLResponse(html)
    response.headers["Content-Security-Policy"] = TWIN_POLICY
    return response


@router.get(
    "/leaflets/{leaflet_id}/{lang}/{variant}/page-{number}.png",
    name="leaflet_preview",
    include_in_schema=False,
    dependencies=[Depends(require("view"))],
)
def leaflet_preview(desk: Desk, leaflet_id: str, lang: str, variant: str, number: int) -> Response:
    """Page ``number`` of a leaflet's PDF as a picture."""
    _info, copy = desk.copy_of(leaflet_id, lang, variant)
    data = _pdf(desk, copy)
    png = page_png(data, copy.entry.sha256, number)
    if png is None:
        raise HTTPException(404, f"the leaflet has no page {number}")
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-cache"})


def _pdf(desk: DeskState, copy: Copy) -> bytes:
    """The PDF of a built copy, or 409 if its bytes no longer match the manifest."""
    data = desk.library.read(copy.entry)
    if data is None:
        raise HTTPException(409, "the PDF no longer matches the manifest; rebuild it")
    return data


def _twin_languages(desk: DeskState, info: LeafletInfo, copy: Copy) -> set[str]:
    """The other languages with a web page of the same variant and draft state as ``copy``."""
    draft = bool(copy.entry.draft)
    return {
        other.lang
        for other in info.copies
        if other.variant == copy.variant
        and other.lang != copy.lang
        and other.entry is not None
        and bool(other.entry.draft) == draft
        and desk.library.file_of(other.entry, ".html") is not None
    }
