"""Signing in and out of the desk's own accounts, and the health check: the
only routes a person who has not signed in may reach (with the desk's
stylesheet and script, :mod:`.site`).

The sign-in form carries a CSRF token of its own, tied to a short-lived
cookie, so another site cannot sign a browser in under its own account.
Failed attempts are counted per user name and per client address; past the
limit the answer is 429 until the window has passed, whatever the password.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from leafletgen.accounts import Actor, check_password
from leafletgen.web.auth import (
    SESSION_COOKIE,
    DeskAuth,
    auth_of,
    client_address,
    is_https,
    note_event,
    require,
)
from leafletgen.web.pages import render_page
from leafletgen.web.security import LOOPBACK_HOSTS, local_target
from leafletgen.web.state import Desk

router = APIRouter()

SIGNIN_COOKIE = "desk_signin"  # ties the sign-in form's token to this browser
SIGNIN_MAX_AGE = 3600


def secure_cookie(request: Request) -> bool:
    """Whether cookies get ``Secure``: over https, and on loopback, where browsers
    treat plain http as secure and keep such cookies."""
    return is_https(request) or (request.url.hostname or "") in LOOPBACK_HOSTS


def _accounts_only(auth: DeskAuth) -> None:
    if auth.config.mode != "accounts":
        raise HTTPException(404, "this desk signs people in through the clinic's single sign-on")


@router.get("/healthz", include_in_schema=False)
def healthz() -> JSONResponse:
    """Whether the desk is up (for a load balancer; says nothing else)."""
    return JSONResponse({"status": "ok"})


@router.get("/signin", response_class=HTMLResponse, include_in_schema=False, name="signin_page")
def signin_page(request: Request, desk: Desk, next: str = "/") -> Response:
    """The sign-in form."""
    return _form(request, desk, next)


def _form(
    request: Request,
    desk: Desk,
    next: str,
    status: int = 200,
    problem: str = "",
    minutes: int = 0,
    name: str = "",
) -> HTMLResponse:
    auth = auth_of(request)
    _accounts_only(auth)
    browser = request.cookies.get(SIGNIN_COOKIE) or secrets.token_urlsafe(32)
    response = render_page(
        request,
        desk,
        "signin.html",
        status,
        next=local_target(next),
        signin_token=auth.keyed("signin", browser),
        problem=problem,  # "wrong" or "rate": the page says it in the interface language
        minutes=minutes,
        user_name=name,  # typed again, never the password
    )
    response.set_cookie(
        SIGNIN_COOKIE,
        browser,
        max_age=SIGNIN_MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=secure_cookie(request),
    )
    return response


@router.post("/signin", include_in_schema=False)
def signin(
    request: Request,
    desk: Desk,
    name: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check a user name and password; on success, a new session and back to ``next``."""
    auth = auth_of(request)
    _accounts_only(auth)
    browser = request.cookies.get(SIGNIN_COOKIE, "")
    if not browser or not hmac.compare_digest(auth.keyed("signin", browser), csrf_token):
        raise HTTPException(403, "the sign-in form has expired; reload it and sign in again")
    name = name.strip().lower()
    address = client_address(request)
    wait = max(auth.by_name.wait(f"name:{name}"), auth.by_address.wait(f"address:{address}"))
    if wait:
        note_event(auth, name, "signin_refused", {"address": address, "reason": "rate limit"})
        response = _form(request, desk, next, 429, "rate", int(wait // 60) + 1, name)
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    user = check_password(auth.accounts.users(), name, password)
    if user is None:
        auth.by_name.fail(f"name:{name}")
        auth.by_address.fail(f"address:{address}")
        note_event(auth, name, "signin_failed", {"address": address})
        return _form(request, desk, next, 401, "wrong", name=name)
    auth.by_name.clear(f"name:{name}")
    if previous := request.cookies.get(SESSION_COOKIE):
        auth.sessions.drop(previous)  # a new id at every sign-in: no session fixation
    session_id, _session = auth.sessions.create(user.name)
    note_event(auth, user.name, "signin", {"address": address})
    response = RedirectResponse(local_target(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(auth.config.lifetime_seconds),
        httponly=True,
        samesite="strict",
        secure=secure_cookie(request),
    )
    response.delete_cookie(SIGNIN_COOKIE)
    return response


@router.post("/signout", include_in_schema=False)
def signout(request: Request, actor: Annotated[Actor, Depends(require("view"))]) -> Response:
    """End this session and go back to the sign-in page."""
    auth = auth_of(request)
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        auth.sessions.drop(session_id)
    note_event(auth, actor.name, "signout", {"address": client_address(request)})
    target = "/signin" if auth.config.mode == "accounts" else "/"
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
