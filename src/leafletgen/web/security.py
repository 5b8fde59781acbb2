"""What the desk checks on every request and adds to every response.

- the ``Host`` header (when the desk listens on loopback, only loopback names,
  so a web page elsewhere cannot reach it through DNS rebinding);
- the origin of a request that changes state (a build), so a page of another
  site cannot start one;
- the response headers: ``nosniff``, a same-origin referrer policy and a
  Content-Security-Policy on every HTML page (the leaflet's HTML twin and the
  API page carry their own, narrower or wider, policies);
- a redirect target named in a request, kept on this server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import FastAPI, HTTPException, Request, Response
from starlette.middleware.trustedhost import TrustedHostMiddleware

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

CallNext = Callable[[Request], Awaitable[Response]]


def loopback(host: str) -> bool:
    """Whether ``host`` names this machine's loopback interface."""
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def add_security(app: FastAPI, allowed_hosts: list[str] | None) -> None:
    """Check the ``Host`` header (if ``allowed_hosts``) and add the security headers.

    The header middleware is added last, so it is the outer one: a request
    refused for its host still gets the headers.
    """
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    app.middleware("http")(security_headers)


async def security_headers(request: Request, call_next: CallNext) -> Response:
    """The response, with ``nosniff``, the referrer policy and, on HTML, the page policy."""
    response = await call_next(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.headers.get("content-type", "").startswith("text/html"):
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
    return response


def same_origin(request: Request) -> None:
    """Refuse a state-changing request sent by a page of another site."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(403, "requests from other sites may not build leaflets")
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise HTTPException(403, "requests from other sites may not build leaflets")


def local_target(target: str) -> str:
    """``target`` if it is a path on this server, else the search page."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target:
        return "/"
    return target
