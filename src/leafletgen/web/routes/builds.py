"""Building a leaflet from the desk: the form that asks for a build, and the
page (and its self-refreshing fragment) that follows it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from leafletgen.accounts import Actor
from leafletgen.web.auth import require
from leafletgen.web.pages import render_page
from leafletgen.web.state import Desk

router = APIRouter()


@router.post("/leaflets/{leaflet_id}/build", include_in_schema=False)
def build_form(
    request: Request,
    desk: Desk,
    actor: Annotated[Actor, Depends(require("build"))],
    leaflet_id: str,
    lang: Annotated[str, Form()],
    variant: Annotated[str, Form()] = "standard",
) -> Response:
    """Queue the build the form asks for and show its page."""
    job = desk.start_build(leaflet_id, lang, variant, who=actor.name)
    return RedirectResponse(request.url_for("build_page", job_id=job.id), status_code=303)


@router.get(
    "/builds/{job_id}",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(require("view"))],
)
def build_page(request: Request, desk: Desk, job_id: str) -> HTMLResponse:
    """A requested build's page: queued, running, done or failed."""
    job = desk.job(job_id)
    info = desk.library.leaflet(job.leaflet_id)
    return render_page(
        request, desk, "build.html", job=job, position=desk.builds.position(job), info=info
    )


@router.get(
    "/builds/{job_id}/status",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(require("view"))],
)
def build_fragment(request: Request, desk: Desk, job_id: str) -> HTMLResponse:
    """The part of a build's page that the page's script refreshes."""
    job = desk.job(job_id)
    info = desk.library.leaflet(job.leaflet_id)
    return render_page(
        request, desk, "build_status.html", job=job, position=desk.builds.position(job), info=info
    )
