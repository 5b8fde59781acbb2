"""The desk's HTML pages: each a template of :mod:`.interface`, in the
interface language the request asks for, with what every page shows (the
clinic, the project's problems, the language menu)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from leafletgen.permissions import allowed
from leafletgen.web.auth import actor_of, csrf_token
from leafletgen.web.interface import Interface
from leafletgen.web.paths import hide_paths
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
    """Template ``name`` filled with ``context`` as the response to ``request``.

    Every page also gets the signed-in ``actor`` (or ``None``), ``may(action)``
    (whether they may do it: :func:`leafletgen.permissions.allowed`) and the
    ``csrf_token`` every form that posts must carry.
    """
    interface = desk.interface
    lang = ui_lang(request, interface)
    actor = actor_of(request)
    html = interface.render(
        name,
        lang,
        request=request,
        actor=actor,
        may=lambda action: actor is not None and allowed(actor, action),
        csrf_token=csrf_token(request),
        ui_languages=interface.languages(),
        clinic=desk.library.clinic_name,
        problems=[hide_paths(line, desk.project.root) for line in desk.library.problems],
        here=local_target(str(request.url.path) + _query(request)),
        **context,
    )
    return HTMLResponse(html, status_code=status)


def _query(request: Request) -> str:
    """The request's query string with its ``?``, or nothing."""
    return f"?{request.url.query}" if request.url.query else ""
