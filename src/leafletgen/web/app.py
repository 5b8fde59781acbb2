"""The leaflet desk: staff pages and a portal API over one project and its
output folder, as one ASGI app.

Pages are thin templates over the same values the JSON API returns
(:mod:`.library`); building goes through the same Python functions as the
command line (:mod:`.builds`); the FHIR endpoint is :mod:`.fhirapi`. Nothing
a request names is ever opened as a path: leaflet ids, languages and variants
are looked up in the manifest, static files in a fixed table.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import mimetypes
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Form, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from leafletgen import __version__
from leafletgen.batch.build import Project
from leafletgen.publish import fhir
from leafletgen.render.twin import LanguageLink, link_order, with_language_links
from leafletgen.web import infobutton
from leafletgen.web.builds import BuildDesk, BuildJob
from leafletgen.web.fhirapi import make_router, outcome
from leafletgen.web.files import pdf_response
from leafletgen.web.interface import Interface
from leafletgen.web.library import Copy, LeafletInfo, Library, search, variants_for
from leafletgen.web.previews import page_png

LOGGER = logging.getLogger(__name__)
LANGUAGE_COOKIE = "desk_lang"
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; frame-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'self'"
)
# The HTML twin has its stylesheet inline, its fonts and logo as data: URLs, and
# no script.
TWIN_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'"
)
# Swagger UI starts itself with an inline script.
DOCS_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)


# --- JSON shapes (documented on the OpenAPI page) ----------------------------------


class ReasonModel(BaseModel):
    code: str = Field(description="e.g. translation-not-reviewed, licence-permission")
    message: str = Field(description="for the clinic, in English")
    subject: str = Field("", description="the publisher a source reason is about")


class DistributionModel(BaseModel):
    status: str = Field(description="cleared, not-cleared, or not-assessed (none recorded)")
    reasons: list[ReasonModel] = Field(default_factory=list)


class CopyModel(BaseModel):
    lang: str
    variant: str = Field(description="standard, large-print, or bilingual-en (with English)")
    state: str = Field(description="current, stale (inputs changed), missing, or unknown")
    title: str | None = None
    distribution: DistributionModel
    issued: str | None = Field(None, description="the leaflet's issue date, YYYY-MM-DD")
    review_by: str | None = Field(None, description="review the leaflet by, YYYY-MM-DD")
    pages: int | None = None
    bytes: int | None = None
    sha256: str | None = None
    created: str | None = None
    pdf: str | None = Field(None, description="URL of the PDF")
    html: str | None = Field(None, description="URL of the accessible HTML twin, if built")
    document_reference: str | None = Field(None, description="URL of its FHIR DocumentReference")


class LeafletModel(BaseModel):
    id: str
    title: str
    titles: dict[str, str] = Field(description="the title in each language")
    description: str | None = None
    drug: str | None = None
    drug_class: str | None = None
    skip_reason: str | None = Field(None, description="why a listed drug is not built")
    problems: list[str] = Field(default_factory=list, description="file:line: message")
    languages: list[str] = Field(description="the languages it has a PDF in")
    copies: list[CopyModel] = Field(description="every language and variant, built or not")
    page: str = Field(description="URL of the leaflet's page on the desk")


class BuildRequest(BaseModel):
    lang: str = "en"
    variant: str = "standard"


class BuildModel(BaseModel):
    id: str
    leaflet: str
    lang: str
    variant: str
    state: str = Field(description="queued, running, done or failed")
    done: int
    total: int
    position: int = Field(description="builds that will run before this one")
    elapsed: float
    outcomes: list[str]
    errors: list[str] = Field(description="as the command line prints them: file:line: message")
    shared_by: int = Field(description="requests sharing this build")
    status: str = Field(description="URL of this build's status")


# --- the app -------------------------------------------------------------------------


def _static_files(project: Project) -> dict[str, Path]:
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
    library = Library(project, out)
    interface = Interface(project)
    desk = desk or BuildDesk(project, library.out)
    static = _static_files(project)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        await asyncio.to_thread(desk.close)  # the build under way finishes first

    app = FastAPI(
        lifespan=lifespan,
        title="leafletgen leaflet desk",
        version=__version__,
        description=(
            "Patient leaflets of one clinic: search them, fetch their PDFs, build a "
            "missing or out-of-date one, and a read-only FHIR R4 endpoint "
            "(DocumentReference, Binary) for patient portals. Only files listed in the "
            "build's manifest are ever served."
        ),
        docs_url=None,
        redoc_url=None,
    )
    app.state.library, app.state.desk, app.state.interface = library, desk, interface
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        return response

    # helpers ---------------------------------------------------------------------

    def ui_lang(request: Request) -> str:
        return interface.choose(
            request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
        )

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        lang = ui_lang(request)
        html = interface.render(
            name,
            lang,
            request=request,
            ui_languages=interface.languages(),
            clinic=library.clinic_name,
            problems=library.problems,
            here=_local_target(str(request.url.path) + _query(request)),
            **context,
        )
        return HTMLResponse(html, status_code=status)

    def find(leaflet_id: str) -> LeafletInfo:
        info = library.leaflet(leaflet_id)
        if info is None:
            raise HTTPException(404, f"no leaflet {leaflet_id!r}; search the desk for it")
        return info

    def copy_of(leaflet_id: str, lang: str, variant: str) -> tuple[LeafletInfo, Copy]:
        info = find(leaflet_id)
        copy = info.copy(lang, variant)
        if copy is None or copy.entry is None:
            raise HTTPException(
                404, f"leaflet {leaflet_id!r} has no {variant} PDF in {lang!r}; build it first"
            )
        return info, copy

    def copy_model(request: Request, copy: Copy) -> CopyModel:
        entry = copy.entry or {}
        urls: dict[str, str | None] = {"pdf": None, "html": None, "document_reference": None}
        if copy.entry is not None:
            ids = {"leaflet_id": copy.leaflet_id, "lang": copy.lang, "variant": copy.variant}
            urls["pdf"] = str(request.url_for("leaflet_pdf", **ids))
            if library.file_of(copy.entry, ".html"):
                urls["html"] = str(request.url_for("leaflet_html", **ids))
            urls["document_reference"] = str(
                request.url_for("read_reference", resource_id=fhir.resource_id(copy.entry))
            )
        return CopyModel(
            lang=copy.lang,
            variant=copy.variant,
            state=copy.state,
            title=copy.title,
            distribution=DistributionModel(
                status=copy.distribution, reasons=[ReasonModel(**r) for r in copy.reasons]
            ),
            issued=copy.issued,
            review_by=copy.review_by,
            pages=copy.pages,
            bytes=copy.bytes,
            sha256=entry.get("sha256"),
            created=entry.get("created"),
            **urls,
        )

    def leaflet_model(request: Request, info: LeafletInfo) -> LeafletModel:
        return LeafletModel(
            id=info.id,
            title=info.title,
            titles=info.titles,
            description=info.description,
            drug=info.drug,
            drug_class=info.class_title,
            skip_reason=info.skip_reason,
            problems=list(info.problems),
            languages=info.built_languages,
            copies=[copy_model(request, c) for c in info.copies],
            page=str(request.url_for("leaflet_page", leaflet_id=info.id)),
        )

    def build_model(request: Request, job: BuildJob) -> BuildModel:
        return BuildModel(
            id=job.id,
            leaflet=job.leaflet_id,
            lang=job.lang,
            variant=job.variant,
            state=job.state,
            done=job.done,
            total=job.total,
            position=desk.position(job),
            elapsed=job.elapsed(),
            outcomes=job.outcomes,
            errors=job.errors,
            shared_by=job.requests,
            status=str(request.url_for("build_status", job_id=job.id)),
        )

    def start_build(leaflet_id: str, lang: str, variant: str) -> BuildJob:
        info = find(leaflet_id)
        if info.skip_reason:
            raise HTTPException(409, f"leaflet {leaflet_id!r} is not built: {info.skip_reason}")
        if lang not in library.languages:
            known = ", ".join(library.languages)
            raise HTTPException(404, f"no catalog for language {lang!r}; known: {known}")
        known = variants_for(lang)
        if variant not in known:
            raise HTTPException(
                404, f"no variant {variant!r} in {lang!r}; known: {', '.join(known)}"
            )
        return desk.request(leaflet_id, lang, variant)

    # errors ------------------------------------------------------------------------

    def wants_html(request: Request) -> bool:
        path = request.url.path
        return not path.startswith(("/api/", "/fhir/", "/openapi")) and "text/html" in (
            request.headers.get("accept", "text/html")
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        if request.url.path.startswith("/fhir/"):
            return outcome(error.status_code, "not-found", str(error.detail))
        if wants_html(request) and error.status_code in (403, 404, 409):
            return page(
                request,
                "error.html",
                status=error.status_code,
                detail=str(error.detail),
                response_status=error.status_code,
            )
        return JSONResponse({"detail": error.detail}, status_code=error.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError):
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        if request.url.path.startswith("/fhir/"):
            return outcome(400, "invalid", "; ".join(problems))
        return JSONResponse({"detail": problems}, status_code=422)

    # pages -------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False, name="search_page")
    def search_page(request: Request, q: str = "") -> HTMLResponse:
        leaflets = search(library.leaflets(), q)
        return page(request, "search.html", query=q.strip(), results=leaflets)

    @app.get(
        "/leaflets/{leaflet_id}",
        response_class=HTMLResponse,
        include_in_schema=False,
        name="leaflet_page",
    )
    def leaflet_page(
        request: Request, leaflet_id: str, lang: str | None = None, variant: str = "standard"
    ) -> HTMLResponse:
        info = find(leaflet_id)
        languages = info.languages or list(library.languages)
        chosen = lang if lang in languages else None
        if chosen is None:
            preferred = ui_lang(request)
            chosen = preferred if preferred in languages else languages[0]
        if variant not in {c.variant for c in info.copies}:
            variant = "standard"
        return page(
            request,
            "leaflet.html",
            info=info,
            lang=chosen,
            variant=variant,
            languages=languages,
            copies=[c for c in info.copies if c.lang == chosen],
            shown=info.copy(chosen, variant),
        )

    @app.post("/leaflets/{leaflet_id}/build", include_in_schema=False)
    def build_form(
        request: Request,
        leaflet_id: str,
        lang: Annotated[str, Form()],
        variant: Annotated[str, Form()] = "standard",
    ) -> Response:
        _same_origin(request)
        job = start_build(leaflet_id, lang, variant)
        return RedirectResponse(request.url_for("build_page", job_id=job.id), status_code=303)

    @app.get("/builds/{job_id}", response_class=HTMLResponse, include_in_schema=False)
    def build_page(request: Request, job_id: str) -> HTMLResponse:
        job = _job(job_id)
        info = library.leaflet(job.leaflet_id)
        return page(request, "build.html", job=job, position=desk.position(job), info=info)

    @app.get("/builds/{job_id}/status", response_class=HTMLResponse, include_in_schema=False)
    def build_fragment(request: Request, job_id: str) -> HTMLResponse:
        job = _job(job_id)
        return page(request, "build_status.html", job=job, position=desk.position(job))

    def _job(job_id: str) -> BuildJob:
        job = desk.job(job_id)
        if job is None:
            raise HTTPException(404, f"no build {job_id!r} (the server keeps recent builds only)")
        return job

    @app.get("/language/{code}", include_in_schema=False)
    def choose_language(request: Request, code: str, next: str = "/") -> Response:
        if code not in interface.languages():
            raise HTTPException(404, f"the desk is not available in {code!r}")
        response = RedirectResponse(_local_target(next), status_code=303)
        response.set_cookie(
            LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", httponly=True
        )
        return response

    # files -------------------------------------------------------------------------

    @app.get(
        "/leaflets/{leaflet_id}/{lang}/{variant}.pdf",
        name="leaflet_pdf",
        summary="A leaflet's PDF",
        response_class=Response,
        responses={200: {"content": {"application/pdf": {}}}},
        tags=["leaflets"],
    )
    def leaflet_pdf(
        request: Request, leaflet_id: str, lang: str, variant: str, download: bool = False
    ) -> Response:
        """A leaflet's PDF, as listed in the manifest (``download=true``: as an
        attachment). Its ETag is the PDF's SHA-256."""
        _info, copy = copy_of(leaflet_id, lang, variant)
        data = library.read(copy.entry)
        if data is None:
            raise HTTPException(409, "the PDF no longer matches the manifest; rebuild it")
        suffix = "" if variant == "standard" else f"-{variant}"
        name = f"{leaflet_id}-{lang}{suffix}.pdf"
        return pdf_response(request, data, copy.entry["sha256"], name, download=download)

    @app.get(
        "/leaflets/{leaflet_id}/{lang}/{variant}.html",
        name="leaflet_html",
        summary="A leaflet's accessible HTML twin",
        tags=["leaflets"],
    )
    def leaflet_html(request: Request, leaflet_id: str, lang: str, variant: str) -> HTMLResponse:
        """A leaflet's accessible HTML twin, if the build wrote one (``build --html``),
        linking to its web pages in the other languages served here."""
        info, copy = copy_of(leaflet_id, lang, variant)
        path = library.file_of(copy.entry, ".html")
        if path is None:
            raise HTTPException(404, f"leaflet {leaflet_id!r} has no web page in {lang!r}")
        draft = bool(copy.entry.get("draft"))
        others = {
            other.lang
            for other in info.copies
            if other.variant == variant
            and other.lang != lang
            and other.entry is not None
            and bool(other.entry.get("draft")) == draft
            and library.file_of(other.entry, ".html") is not None
        }
        links = [
            LanguageLink(
                other,
                request.url_for(
                    "leaflet_html", leaflet_id=leaflet_id, lang=other, variant=variant
                ).path,
            )
            for other in link_order(others)
        ]
        html = with_language_links(path.read_text(encoding="utf-8"), links)
        response = HTMLResponse(html)
        response.headers["Content-Security-Policy"] = TWIN_POLICY
        return response

    @app.get(
        "/leaflets/{leaflet_id}/{lang}/{variant}/page-{number}.png",
        name="leaflet_preview",
        include_in_schema=False,
    )
    def leaflet_preview(leaflet_id: str, lang: str, variant: str, number: int) -> Response:
        _info, copy = copy_of(leaflet_id, lang, variant)
        data = library.read(copy.entry)
        if data is None:
            raise HTTPException(409, "the PDF no longer matches the manifest; rebuild it")
        png = page_png(data, copy.entry["sha256"], number)
        if png is None:
            raise HTTPException(404, f"the leaflet has no page {number}")
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-cache"})

    @app.get("/static/{name:path}", include_in_schema=False)
    def static_file(name: str) -> Response:
        path = static.get(name)
        if path is None:
            raise HTTPException(404, f"no static file {name!r}")
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".ttf":
            kind = "font/ttf"
        return Response(path.read_bytes(), media_type=kind)

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        response = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="leafletgen API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )
        response.headers["Content-Security-Policy"] = DOCS_POLICY
        return response

    # JSON API ------------------------------------------------------------------------

    @app.get("/api/leaflets", summary="List or search the leaflets", tags=["leaflets"])
    def api_leaflets(
        request: Request,
        q: Annotated[str, Query(description="drug, brand or topic; empty: all")] = "",
    ) -> list[LeafletModel]:
        """Every leaflet (or those matching ``q``), with its copies in each language and
        variant: state, distribution status, issued and review-by dates, URLs."""
        return [leaflet_model(request, info) for info in search(library.leaflets(), q)]

    @app.get("/api/leaflets/{leaflet_id}", summary="One leaflet", tags=["leaflets"])
    def api_leaflet(request: Request, leaflet_id: str) -> LeafletModel:
        """One leaflet, as in the list."""
        return leaflet_model(request, find(leaflet_id))

    @app.post(
        "/api/leaflets/{leaflet_id}/builds",
        status_code=202,
        summary="Build a leaflet (in the background)",
        tags=["builds"],
    )
    def api_build(request: Request, leaflet_id: str, body: BuildRequest) -> BuildModel:
        """Build a leaflet in one language and variant, in the background.

        A request for a copy that is already waiting or being built joins that
        build. Poll the returned ``status`` URL until ``state`` is ``done`` or
        ``failed``; a failed build leaves the previous PDF in place.
        """
        _same_origin(request)
        return build_model(request, start_build(leaflet_id, body.lang, body.variant))

    @app.get(
        "/api/builds/{job_id}", name="build_status", summary="A build's progress", tags=["builds"]
    )
    def api_build_status(request: Request, job_id: str) -> BuildModel:
        """A requested build: queued, running, done or failed, with its errors."""
        return build_model(request, _job(job_id))

    app.include_router(make_router(library))
    app.include_router(infobutton.make_router(library))
    return app


def _same_origin(request: Request) -> None:
    """Refuse a state-changing request sent by a page of another site."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(403, "requests from other sites may not build leaflets")
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise HTTPException(403, "requests from other sites may not build leaflets")


def _local_target(target: str) -> str:
    """``target`` if it is a path on this server, else the search page."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target:
        return "/"
    return target


def _query(request: Request) -> str:
    return f"?{request.url.query}" if request.url.query else ""


def loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def serve(project: Project, *, host: str = "127.0.0.1", port: int = 8000, out: str = "out") -> None:
    """Run the desk with uvicorn until interrupted."""
    import uvicorn

    app = create_app(
        project, out, allowed_hosts=[*LOOPBACK_HOSTS, host] if loopback(host) else None
    )
    uvicorn.run(app, host=host, port=port, log_level="info")
