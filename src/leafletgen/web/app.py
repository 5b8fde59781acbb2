"""The leaflet desk: staff pages and a portal API over one project and its
output folder, as one ASGI app.

Pages are thin templates over the same values the JSON API returns
(:mod:`.library`); building goes through the same Python functions as the
command line (:mod:`.builds`); the FHIR endpoint is :mod:`.fhirapi`. Nothing
a request names is ever opened as a path: leaflet ids, languages and variants
are looked up in the manifest, static files in a fixed table.

The app is put together here from its parts: the shared state
(:mod:`.state`), the security checks and headers (:mod:`.security`), the error
answers (:mod:`.handlers`) and one router per resource (:mod:`.routes`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI

from leafletgen import __version__
from leafletgen.batch.build import Project
from leafletgen.web import infobutton
from leafletgen.web.builds import BuildDesk
from leafletgen.web.handlers import add_error_handlers
from leafletgen.web.routes import ROUTERS
from leafletgen.web.security import LOOPBACK_HOSTS, add_security, loopback
from leafletgen.web.state import DeskState

__all__ = ["LOOPBACK_HOSTS", "create_app", "loopback", "serve"]

DESCRIPTION = (
    "Patient leaflets of one clinic: search them, fetch their PDFs, build a "
    "missing or out-of-date one, and a read-only FHIR R4 endpoint "
    "(DocumentReference, Binary) for patient portals. Only files listed in the "
    "build's manifest are ever served."
)


def create_app(
    project: Project,
    out: str | Path = "out",
    *,
    allowed_hosts: list[str] | None = None,
    desk: BuildDesk | None = None,
) -> FastAPI:
    """The desk for ``project``, serving what ``out`` holds.

    ``allowed_hosts`` restricts the ``Host`` header (the server passes the
    loopback names when it listens on loopback, so a web page elsewhere cannot
    reach it through DNS rebinding).
    """
    out = Path(out).resolve()  # like `build --out`: relative to the current folder
    state = DeskState.open(project, out, desk)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """Run the app; on shutdown, stop the build queue."""
        yield
        await asyncio.to_thread(state.builds.close)  # the build under way finishes first

    app = FastAPI(
        lifespan=lifespan,
        title="leafletgen leaflet desk",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
    )
    app.state.desk_state = state
    # for tests and tools that look inside the app
    app.state.library = state.library
    app.state.desk = state.builds
    app.state.interface = state.interface
    add_security(app, allowed_hosts)
    add_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(infobutton.make_router(state.library))
    return app


def serve(project: Project, *, host: str = "127.0.0.1", port: int = 8000, out: str = "out") -> None:
    """Run the desk with uvicorn until interrupted."""
    import uvicorn

    app = create_app(
        project, out, allowed_hosts=[*LOOPBACK_HOSTS, host] if loopback(host) else None
    )
    uvicorn.run(app, host=host, port=port, log_level="info")
