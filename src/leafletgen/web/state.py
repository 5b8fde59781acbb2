"""What every route of the desk shares: one typed value per app.

:func:`~leafletgen.web.app.create_app` makes one :class:`DeskState` and keeps
it on the app; a route receives it as a parameter (``desk: Desk``), so routes
are plain module-level functions and two apps in one process never share
state. The lookups here are the ones several routes make, each answering a
request that names something the desk does not have with the same error.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, cast

from fastapi import Depends, HTTPException, Request

from leafletgen.batch.build import Project
from leafletgen.web.auth import AuthConfig, DeskAuth
from leafletgen.web.builds import BuildDesk, BuildJob
from leafletgen.web.fhirapi import FhirStore
from leafletgen.web.interface import Interface
from leafletgen.web.library import Copy, LeafletInfo, Library, variants_for


@dataclass(frozen=True)
class DeskState:
    """The project's leaflets, the desk's pages, its build queue, its files and who may sign in."""

    project: Project
    library: Library
    interface: Interface
    builds: BuildDesk
    static: dict[str, Path]  # the only files served as they are, by URL name
    fhir: FhirStore
    auth: DeskAuth

    @classmethod
    def open(
        cls,
        project: Project,
        out: Path,
        builds: BuildDesk | None = None,
        auth: AuthConfig | None = None,
    ) -> DeskState:
        """The desk for ``project`` over the output folder ``out``."""
        library = Library(project, out)
        return cls(
            auth=DeskAuth(auth or AuthConfig(), project.root),
            project=project,
            library=library,
            interface=Interface(project),
            builds=builds or BuildDesk(project, library.out),
            static=static_files(project),
            fhir=FhirStore(library),
        )

    def find(self, leaflet_id: str) -> LeafletInfo:
        """The leaflet ``leaflet_id``, or 404."""
        info = self.library.leaflet(leaflet_id)
        if info is None:
            raise HTTPException(404, f"no leaflet {leaflet_id!r}; search the desk for it")
        return info

    def copy_of(self, leaflet_id: str, lang: str, variant: str) -> tuple[LeafletInfo, Copy]:
        """A leaflet and its built copy in ``lang`` and ``variant``, or 404."""
        info = self.find(leaflet_id)
        copy = info.copy(lang, variant)
        if copy is None or copy.entry is None:
            raise HTTPException(
                404, f"leaflet {leaflet_id!r} has no {variant} PDF in {lang!r}; build it first"
            )
        return info, copy

    def job(self, job_id: str) -> BuildJob:
        """The requested build ``job_id``, or 404."""
        job = self.builds.job(job_id)
        if job is None:
            raise HTTPException(404, f"no build {job_id!r} (the server keeps recent builds only)")
        return job

    def start_build(self, leaflet_id: str, lang: str, variant: str, *, who: str) -> BuildJob:
        """Queue a build of a known leaflet, language and variant (or join one)."""
        info = self.find(leaflet_id)
        if info.skip_reason:
            raise HTTPException(409, f"leaflet {leaflet_id!r} is not built: {info.skip_reason}")
        if lang not in self.library.languages:
            known = ", ".join(self.library.languages)
            raise HTTPException(404, f"no catalog for language {lang!r}; known: {known}")
        known = variants_for(lang)
        if variant not in known:
            raise HTTPException(
                404, f"no variant {variant!r} in {lang!r}; known: {', '.join(known)}"
            )
        return self.builds.request(leaflet_id, lang, variant, who=who)


def static_files(project: Project) -> dict[str, Path]:
    """The only files served as they are: the desk's stylesheet and script, the
    leaflet font, and Swagger UI for the API page."""
    web = project.templates / "web"
    files = {name: web / name for name in ("desk.css", "desk.js")}
    for font in sorted((project.templates / "fonts").glob("*.ttf")):
        files[f"fonts/{font.name}"] = font
    spec = importlib.util.find_spec("swagger_ui")
    if spec and spec.submodule_search_locations:
        static = Path(next(iter(spec.submodule_search_locations))) / "static"
        for name in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
            files[f"swagger/{name}"] = static / name
    return {name: path for name, path in files.items() if path.is_file()}


def state_of(request: Request) -> DeskState:
    """The desk serving ``request``."""
    return cast(DeskState, request.app.state.desk_state)


async def _provide(request: Request) -> DeskState:
    # async, so FastAPI resolves it on the event loop rather than in a thread
    return state_of(request)


Desk = Annotated[DeskState, Depends(_provide)]
"""A route parameter receiving the :class:`DeskState` of the app it serves."""
