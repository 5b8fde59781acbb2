"""The desk's routes, one router per resource, in the order the app includes them.

Each route is a module-level function that receives the app's
:class:`~leafletgen.web.state.DeskState` as its ``desk`` parameter, and
declares the action it performs with ``Depends(require(ACTION))``
(:mod:`leafletgen.web.auth`); only :mod:`.signin`'s routes and the static
files of :mod:`.site` are open to anyone.
"""

from __future__ import annotations

from fastapi import APIRouter

from leafletgen.web.routes import api, builds, fhir, leaflets, review, signin, site

# The order matters only to the OpenAPI page (paths listed as routes come) and
# to FHIR's catch-all for unsupported types, which must come last.
ROUTERS: tuple[APIRouter, ...] = (
    signin.router,
    leaflets.router,
    builds.router,
    review.router,
    site.router,
    api.router,
    fhir.router,
)
