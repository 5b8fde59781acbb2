"""The desk's own furniture: its interface language, its static files and the
API's documentation page.

The language switch and the static files (the desk's own stylesheet, script,
font and Swagger UI: program files, nothing of the clinic's) are open to
anyone, so the sign-in page can use them; the API's description is not."""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from leafletgen.web.auth import require
from leafletgen.web.pages import LANGUAGE_COOKIE
from leafletgen.web.security import DOCS_POLICY, local_target
from leafletgen.web.state import Desk

router = APIRouter()


@router.get("/language/{code}", include_in_schema=False)
def choose_language(desk: Desk, code: str, next: str = "/") -> Response:
    """Remember interface language ``code`` (a cookie) and go back to ``next``."""
    if code not in desk.interface.languages():
        raise HTTPException(404, f"the desk is not available in {code!r}")
    response = RedirectResponse(local_target(next), status_code=303)
    response.set_cookie(
        LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", httponly=True
    )
    return response


@router.get("/static/{name:path}", include_in_schema=False)
def static_file(desk: Desk, name: str) -> Response:
    """One of the files the desk serves as they are, by name."""
    path = desk.static.get(name)
    if path is None:
        raise HTTPException(404, f"no static file {name!r}")
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".ttf":
        kind = "font/ttf"
    return Response(path.read_bytes(), media_type=kind)


@router.get("/docs", include_in_schema=False, dependencies=[Depends(require("read_api"))])
def api_docs(request: Request) -> HTMLResponse:
    """The API's documentation (Swagger UI, served from this server)."""
    response = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="leafletgen API",
        swagger_js_url="/static/swagger/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger/swagger-ui.css",
        swagger_favicon_url="/static/swagger/favicon-32x32.png",
    )
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response


@router.get("/openapi.json", include_in_schema=False, dependencies=[Depends(require("read_api"))])
def openapi(request: Request) -> JSONResponse:
    """The API's OpenAPI description."""
    return JSONResponse(request.app.openapi())
