"""The desk's HTML pages: each a template of :mod:`.interface`, in the
interface language the request asks for, with what every page shows (the
clinic, the project's problems, the language menu)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from leafletgen.web.interface import Interface
from leafletgen.web.security import local_target
from leafletgen.web.state import DeskState

LANGUAGE_COOKIE = "desk_lang"


def ui_lang(request: Request, interface: Interface) -> str:
    """The interface language: the one chosen on the desk, else the browser's."""
    return interface.choose(
        request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
    )


def render_page(
    request: Request, desk: DeskState, name: str, status: int = 200, **context: Any
) -> HTMLResponse:
    """Template ``name`` filled with ``context`` as the response to ``request``."""
    interface = desk.interface
    lang = ui_lang(request, interface)
    html = interface.render(
        name,
        lang,
        request=request,
        ui_languages=interface.languages(),
        clinic=desk.library.clinic_name,
        problems=desk.library.problems,
        here=local_target(str(request.url.path) + _query(request)),
        **context,
    )
    return HTMLResponse(html, status_code=status)


def _query(request: Request) -> str:
    """The request's query string with its ``?``, or nothing."""
    return f"?{request.url.query}" if request.url.query else ""
