"""What the desk checks on every request and adds to every response.

- the ``Host`` header, always: only the names the desk is served under
  (loopback names on loopback, else ``serve --allowed-host``), so a web page
  elsewhere cannot reach it through DNS rebinding (400 otherwise);
- the origin of a request that changes state (a build, a sign-in): a page of
  another site, or one whose origin is hidden (``Origin: null``: a sandboxed
  frame, a ``data:`` page), cannot send one (403);
- the size of a request's body: at most :data:`MAX_BODY` bytes, refused with
  413 before more is read, whether the body says its length or comes chunked;
- the response headers: ``nosniff``, a same-origin referrer policy and a
  Content-Security-Policy on every HTML page (the leaflet's HTML twin and the
  API page carry their own, narrower or wider, policies);
- a redirect target named in a request, kept on this server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, HTTPException, Request, Response
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]
MAX_BODY = 1024 * 1024  # a build request or a sign-in form is a few hundred bytes
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

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


def add_security(app: FastAPI, allowed_hosts: list[str], max_body: int = MAX_BODY) -> None:
    """Check the ``Host`` header, the origin and the body size; add the security headers.

    Middleware added last is the outer one: the header middleware wraps the
    others, so a request refused for its host still gets the headers.
    """
    if not allowed_hosts or "*" in allowed_hosts:
        raise ValueError("the desk needs the host names it is served under")
    app.add_middleware(BodyLimit, limit=max_body)
    app.middleware("http")(refuse_other_origins)
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
    """Refuse a state-changing request sent by a page of another site, or by
    one that hides its origin (``Origin: null``)."""
    origin = request.headers.get("origin")
    if origin is not None and (
        origin == "null" or urlsplit(origin).netloc != request.headers.get("host")
    ):
        raise HTTPException(403, "requests from other sites may not change anything here")
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise HTTPException(403, "requests from other sites may not change anything here")


async def refuse_other_origins(request: Request, call_next: CallNext) -> Response:
    """Every request but GET, HEAD and OPTIONS: refused (403) unless from this site."""
    if request.method not in SAFE_METHODS:
        try:
            same_origin(request)
        except HTTPException as refused:
            return _json(refused.status_code, str(refused.detail))
    return await call_next(request)


def _json(status: int, detail: str) -> Response:
    return Response(
        json.dumps({"detail": detail}), status_code=status, media_type="application/json"
    )


class BodyLimit:
    """Refuse (413) a request body over ``limit`` bytes before the app reads it.

    A declared ``Content-Length`` over the limit is refused before a byte of
    the body is read; a chunked body is read, at most ``limit`` bytes of it,
    and refused as soon as it passes the limit. A body within the limit is
    handed on to the app as it came.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length and (not re.fullmatch(rb"[0-9]{1,18}", length) or int(length) > self.limit):
            await self._refuse(send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break  # the client went away
            size += len(message.get("body", b""))
            if size > self.limit:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(messages, receive), send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": f"the request body is larger than {self.limit:,} bytes"})
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that gives the messages already read, then the real ones."""
    pending = list(messages)

    async def replayed() -> Any:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


def local_target(target: str) -> str:
    """``target`` if it is a path on this server, else the search page."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target:
        return "/"
    return target
