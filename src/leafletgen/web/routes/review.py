"""Reviewing one leaflet in one language on the desk: its translation, string
by string, and the sources it prints from.

``GET /review/{leaflet}/{lang}`` shows both parts; each action is a POST
carrying the CSRF token, allowed only to the action's permission
(``review_translation`` to approve or send back a string, ``review_source``
to record a source review). The record names the signed-in desk user, the
qualification their user record holds, and the server's date (see
:mod:`leafletgen.translate.leaflet_review` and
:mod:`leafletgen.review.outline`); a refusal answers 403 with its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from leafletgen import audit
from leafletgen.accounts import Actor
from leafletgen.errors import LeafletError, error_lines
from leafletgen.project import Project, select_leaflets
from leafletgen.review import outline
from leafletgen.review.reasons import unreviewed
from leafletgen.translate import reviews
from leafletgen.translate.catalogs import project_relative
from leafletgen.translate.leaflet_review import (
    LeafletTranslation,
    ReviewRefused,
    approvable,
    approve_strings,
    leaflet_strings,
    own_strings,
    send_back,
)
from leafletgen.web.auth import actor_of, auth_of, require
from leafletgen.web.pages import render_page
from leafletgen.web.paths import hide_paths
from leafletgen.web.state import Desk, DeskState

router = APIRouter()
MAX_COMMENT = 2000


@dataclass(frozen=True)
class SourcePart:
    """One source a leaflet prints from, as its reviewer sees it."""

    id: str
    label: str  # publisher and title
    path: str  # project-relative
    outline: str  # every line beside what it prints, uncertain lines marked
    reviewed_by: str | None  # the review of its current text and outline, if any
    role: str | None
    date: str | None
    unsure: int  # lines the reader is unsure of


def source_parts(project: Project, leaflet_id: str) -> list[SourcePart]:
    """The sources ``leaflet_id`` prints from, each with its marked outline."""
    ((_spec, leaflet),) = select_leaflets(project, [leaflet_id], include_drugs=True)
    parts = []
    for document in leaflet.documents:
        source = outline.read_raw(project.sources, document.id)
        path = project_relative(source.raw.path, project.root)
        marked = outline.marked_outline(source, path)
        review = source.document.review
        current = review is not None and review.current and not unreviewed(source.document, path)
        unsure = re.search(r"^(\d+) line\(s\) the reader is unsure of", marked, re.M)
        parts.append(
            SourcePart(
                id=document.id,
                label=f"{document.publisher or document.id}, {document.title or document.id}",
                path=path,
                outline=marked,
                reviewed_by=review.by if current and review else None,
                role=review.role if current and review else None,
                date=review.date.isoformat() if current and review and review.date else None,
                unsure=int(unsure[1]) if unsure else 0,
            )
        )
    return parts


def _refused(desk: Desk, error: LeafletError) -> HTTPException:
    """The HTTP answer to a refused or impossible review: 403 when the actor may
    not, 404 for a leaflet, language or string the desk does not have, else 409."""
    message = "; ".join(hide_paths(line, desk.project.root) for line in error_lines(error))
    if isinstance(error, ReviewRefused):
        return HTTPException(403, message)
    return HTTPException(404 if "no " in message[:40] else 409, message)


def _translation(desk: Desk, leaflet_id: str, lang: str) -> LeafletTranslation:
    desk.find(leaflet_id)
    if lang not in desk.library.languages or lang == "en":
        raise HTTPException(404, f"no translation of {leaflet_id!r} in {lang!r} to review")
    try:
        return leaflet_strings(desk.project, leaflet_id, lang)
    except LeafletError as error:
        raise _refused(desk, error) from None


def _back(request: Request, leaflet_id: str, lang: str, part: str) -> RedirectResponse:
    url = request.url_for("review_page", leaflet_id=leaflet_id, lang=lang)
    return RedirectResponse(f"{url.path}#{part}", status_code=303)


@router.get(
    "/review/{leaflet_id}/{lang}",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(require("view"))],
)
def review_page(request: Request, desk: Desk, leaflet_id: str, lang: str) -> HTMLResponse:
    """The leaflet's translation, string by string, and its sources' outlines."""
    translation = _translation(desk, leaflet_id, lang)
    actor = actor_of(request)
    accounts = auth_of(request).accounts.root
    try:
        sources = source_parts(desk.project, leaflet_id)
    except LeafletError as error:
        raise _refused(desk, error) from None
    return render_page(
        request,
        desk,
        "review.html",
        info=desk.find(leaflet_id),
        translation=translation,
        lang=translation.lang,
        own=own_strings(desk.project, actor, translation, accounts) if actor else set(),
        passing=approvable(desk.project, actor, translation, accounts) if actor else [],
        sources=sources,
    )


@router.post("/review/{leaflet_id}/{lang}/approve", include_in_schema=False)
def approve(
    request: Request,
    desk: Desk,
    actor: Annotated[Actor, Depends(require("review_translation"))],
    leaflet_id: str,
    lang: str,
    key: Annotated[list[str] | None, Form()] = None,
    all_passing: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Approve one string (``key``) or every string shown that passes QA."""
    translation = _translation(desk, leaflet_id, lang)
    accounts = auth_of(request).accounts.root
    keys = list(key or [])
    if all_passing == "yes":
        keys = approvable(desk.project, actor, translation, accounts)
        if not keys:
            raise HTTPException(409, "no string shown passes QA and waits for approval")
    try:
        approve_strings(desk.project, leaflet_id, lang, actor, keys, accounts=accounts)
    except LeafletError as error:
        raise _refused(desk, error) from None
    _record(desk, actor, "i18n.review", {"leaflet": leaflet_id, "language": lang,
            "qualification": actor.qualification, "entries": keys})  # fmt: skip
    return _back(request, leaflet_id, lang, "strings")


@router.post("/review/{leaflet_id}/{lang}/send-back", include_in_schema=False)
def send_back_form(
    request: Request,
    desk: Desk,
    actor: Annotated[Actor, Depends(require("review_translation"))],
    leaflet_id: str,
    lang: str,
    key: Annotated[str, Form(max_length=64)],
    comment: Annotated[str, Form(max_length=MAX_COMMENT)],
) -> Response:
    """Send one string back to its translator with a comment."""
    _translation(desk, leaflet_id, lang)
    try:
        send_back(desk.project, leaflet_id, lang, actor, key, comment)
    except LeafletError as error:
        raise _refused(desk, error) from None
    _record(desk, actor, "i18n.send_back", {"leaflet": leaflet_id, "language": lang,
            "entry": key, "comment": comment})  # fmt: skip
    return _back(request, leaflet_id, lang, "strings")


@router.post("/review/{leaflet_id}/{lang}/sources/{source_id}", include_in_schema=False)
def review_source(
    request: Request,
    desk: Desk,
    actor: Annotated[Actor, Depends(require("review_source"))],
    leaflet_id: str,
    lang: str,
    source_id: str,
    role: Annotated[str, Form(max_length=200)],
    exclude: Annotated[str, Form(max_length=2000)] = "",
    keep: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Record the signed-in editor's review of what one of the leaflet's sources prints."""
    _translation(desk, leaflet_id, lang)
    if source_id not in {part.id for part in source_parts(desk.project, leaflet_id)}:
        raise HTTPException(404, f"leaflet {leaflet_id!r} prints nothing from {source_id!r}")
    try:
        outline.record_review(
            desk.project.sources,
            source_id,
            reviewer=actor.name,
            role=role,
            exclude=_lines(exclude),
            keep=_lines(keep),
        )
    except LeafletError as error:
        raise _refused(desk, error) from None
    what = {"source": source_id, "role": role, "exclude": exclude, "keep": keep}
    audit.append(desk.project.root, who=actor.name, via="desk", action="sources.review",
                 what=what, files=[desk.project.sources / "reviews.yaml"])  # fmt: skip
    return _back(request, leaflet_id, lang, "sources")


def _record(desk: DeskState, actor: Actor, action: str, what: dict[str, object]) -> None:
    """Append a translation review (or its sending back) to the audit trail,
    with the language's review record as it now stands."""
    record = reviews.record_path(desk.project.locales, str(what["language"]))
    audit.append(desk.project.root, who=actor.name, via="desk", action=action, what=what,
                 files=[record])  # fmt: skip


def _lines(text: str) -> list[int]:
    """Line numbers typed as "12, 14 20"."""
    found = text.replace(",", " ").split()
    if not all(word.isdigit() and len(word) <= 7 for word in found):
        raise HTTPException(400, "line numbers only, separated by spaces or commas")
    return [int(word) for word in found]
