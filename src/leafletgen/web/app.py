"""The leaflet desk: staff pages and a portal API over one project and its
output folder, as one ASGI app.

Pages are thin templates over the same values the JSON API returns
(:mod:`.library`); building goes through the same Python functions as the
command line (:mod:`.builds`); the FHIR endpoint is :mod:`.fhirapi`. Nothing
a request names is ever opened as a path: leaflet ids, languages and variants
are looked up in the manifest, static files in a fixed table.

The app is put together here from its parts: the shared state
(:mod:`.state`), sign-in and permissions (:mod:`.auth`), the security checks
and headers (:mod:`.security`), the error answers (:mod:`.handlers`) and one
router per resource (:mod:`.routes`). :func:`serve` refuses a set-up that
would let anyone on the network in.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import Depends, FastAPI

from leafletgen import __version__
from leafletgen.accounts import load_users
from leafletgen.batch.build import Project
from leafletgen.errors import LeafletError
from leafletgen.web import infobutton
from leafletgen.web.auth import AuthConfig, require
from leafletgen.web.builds import BuildDesk
from leafletgen.web.handlers import add_error_handlers
from leafletgen.web.routes import ROUTERS
from leafletgen.web.security import LOOPBACK_HOSTS, add_security, loopback
from leafletgen.web.state import DeskState

__all__ = ["LOOPBACK_HOSTS", "AuthConfig", "create_app", "loopback", "serve", "serve_problems"]

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
    auth: AuthConfig | None = None,
) -> FastAPI:
    """The desk for ``project``, serving what ``out`` holds.

    ``allowed_hosts`` are the only ``Host`` names answered (default: the
    loopback names), so a web page elsewhere cannot reach the desk through DNS
    rebinding. ``auth`` says how people sign in (default: the project's own
    accounts, ``desk/users.yaml``).
    """
    out = Path(out).resolve()  # like `build --out`: relative to the current folder
    state = DeskState.open(project, out, desk, auth)

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
        openapi_url=None,  # served by a route of its own, behind sign-in (.routes.site)
    )
    app.state.desk_state = state
    app.state.desk_auth = state.auth
    # for tests and tools that look inside the app
    app.state.library = state.library
    app.state.desk = state.builds
    app.state.interface = state.interface
    add_security(app, allowed_hosts or LOOPBACK_HOSTS)
    add_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(
        infobutton.make_router(state.library), dependencies=[Depends(require("read_api"))]
    )
    return app


def serve_problems(
    project: Project, host: str, auth: AuthConfig, allowed_hosts: list[str]
) -> list[str]:
    """Why the desk may not be served this way: off loopback, it needs sign-in
    (accounts with at least one user, or a single sign-on proxy) and the host
    names it answers to."""
    problems = []
    if auth.mode == "proxy" and not auth.trusted_proxies:
        problems.append("--auth proxy needs --trusted-proxy ADDRESS (the proxy's address)")
    if loopback(host):
        return problems
    if auth.mode == "accounts" and not any(
        not user.disabled for user in load_users(auth.root or project.root).values()
    ):
        problems.append(
            f"serving on {host} needs sign-in: add a desk user first "
            "('leafletgen users add NAME --role admin --full-name ...'), or use --auth proxy"
        )
    if not allowed_hosts:
        problems.append(
            f"serving on {host} needs the host names the desk is reached by: "
            "--allowed-host NAME (repeatable)"
        )
    return problems


def serve(
    project: Project,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    out: str = "out",
    auth: AuthConfig | None = None,
    allowed_hosts: list[str] | None = None,
) -> None:
    """Run the desk with uvicorn until interrupted; refuse an unsafe set-up
    (:func:`serve_problems`) with a :class:`LeafletError`."""
    import uvicorn

    auth = auth or AuthConfig()
    allowed_hosts = list(allowed_hosts or [])
    problems = serve_problems(project, host, auth, allowed_hosts)
    if problems:
        raise LeafletError("the desk will not start: " + "; ".join(problems))
    if loopback(host):
        allowed_hosts = [*LOOPBACK_HOSTS, host, *allowed_hosts]
    if auth.mode == "accounts" and not load_users(auth.root or project.root):
        print(
            "no desk users yet: nobody can sign in. Add the first admin with\n"
            "  leafletgen users add NAME --role admin --full-name 'FULL NAME'",
            file=sys.stderr,
            flush=True,
        )
    app = create_app(project, out, allowed_hosts=allowed_hosts, auth=auth)
    # proxy_headers off: the peer address is the one the connection came from;
    # forwarded headers are believed only from --trusted-proxy (.auth).
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)
