"""How the desk answers a request it refuses: an error page for a person, JSON
for the portal API, an ``OperationOutcome`` for a FHIR client."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from leafletgen.web.auth import auth_of
from leafletgen.web.fhirapi import issue_code, outcome
from leafletgen.web.pages import render_page
from leafletgen.web.state import state_of


def add_error_handlers(app: FastAPI) -> None:
    """Answer HTTP errors and invalid requests the desk's way."""
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, invalid_request)  # type: ignore[arg-type]


def wants_html(request: Request) -> bool:
    """Whether ``request`` is a person's browser asking for a page."""
    path = request.url.path
    return not path.startswith(("/api/", "/fhir/", "/openapi")) and "text/html" in (
        request.headers.get("accept", "text/html")
    )


async def http_error(request: Request, error: StarletteHTTPException) -> Response:
    """A 4xx or 5xx error: a page (403, 404, 409 in a browser; 401 goes to the
    sign-in page), FHIR's outcome, or JSON."""
    headers = getattr(error, "headers", None)
    if request.url.path.startswith("/fhir/"):
        answer = outcome(error.status_code, issue_code(error.status_code), str(error.detail))
        answer.headers.update(headers or {})
        return answer
    if (
        error.status_code == 401
        and wants_html(request)
        and auth_of(request).config.mode == "accounts"
    ):
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/signin?{urlencode({'next': here})}", status_code=303)
    if wants_html(request) and error.status_code in (403, 404, 409):
        return render_page(
            request,
            state_of(request),
            "error.html",
            status=error.status_code,
            detail=str(error.detail),
            response_status=error.status_code,
        )
    return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=headers)


async def invalid_request(request: Request, error: RequestValidationError) -> Response:
    """A request whose parameters or body do not validate: what is wrong, field by field."""
    problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
    if request.url.path.startswith("/fhir/"):
        return outcome(400, "invalid", "; ".join(problems))
    return JSONResponse({"detail": problems}, status_code=422)
