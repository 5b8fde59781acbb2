"""The portal API: the leaflets and their copies as JSON, and builds requested
and followed the same way the desk's pages do."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from leafletgen.accounts import Actor
from leafletgen.web.auth import require
from leafletgen.web.library import search
from leafletgen.web.models import BuildModel, BuildRequest, LeafletModel, build_model, leaflet_model
from leafletgen.web.state import Desk

router = APIRouter()


@router.get(
    "/api/leaflets",
    summary="List or search the leaflets",
    tags=["leaflets"],
    dependencies=[Depends(require("read_api"))],
)
def api_leaflets(
    request: Request,
    desk: Desk,
    q: Annotated[str, Query(description="drug, brand or topic; empty: all")] = "",
) -> list[LeafletModel]:
    """Every leaflet (or those matching ``q``), with its copies in each language and
    variant: state, distribution status, issued and review-by dates, URLs."""
    leaflets = search(desk.library.leaflets(), q)
    return [leaflet_model(request, desk.library, info) for info in leaflets]


@router.get(
    "/api/leaflets/{leaflet_id}",
    summary="One leaflet",
    tags=["leaflets"],
    dependencies=[Depends(require("read_api"))],
)
def api_leaflet(request: Request, desk: Desk, leaflet_id: str) -> LeafletModel:
    """One leaflet, as in the list."""
    return leaflet_model(request, desk.library, desk.find(leaflet_id))


@router.post(
    "/api/leaflets/{leaflet_id}/builds",
    status_code=202,
    summary="Build a leaflet (in the background)",
    tags=["builds"],
)
def api_build(
    request: Request,
    desk: Desk,
    actor: Annotated[Actor, Depends(require("build"))],
    leaflet_id: str,
    body: BuildRequest,
) -> BuildModel:
    """Build a leaflet in one language and variant, in the background.

    A request for a copy that is already waiting or being built joins that
    build. Poll the returned ``status`` URL until ``state`` is ``done`` or
    ``failed``; a failed build leaves the previous PDF in place.
    """
    job = desk.start_build(leaflet_id, body.lang, body.variant, who=actor.name)
    return build_model(request, desk.builds, job)


@router.get(
    "/api/builds/{job_id}",
    name="build_status",
    summary="A build's progress",
    tags=["builds"],
    dependencies=[Depends(require("read_api"))],
)
def api_build_status(request: Request, desk: Desk, job_id: str) -> BuildModel:
    """A requested build: queued, running, done or failed, with its errors."""
    return build_model(request, desk.builds, desk.job(job_id))
