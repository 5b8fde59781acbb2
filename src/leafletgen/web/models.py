"""The JSON shapes of the portal API (documented on its OpenAPI page), and how
the desk's values become them."""

from __future__ import annotations

from fastapi import Request
from pydantic import BaseModel, Field

from leafletgen.publish import fhir
from leafletgen.web.builds import BuildDesk, BuildJob
from leafletgen.web.library import Copy, LeafletInfo, Library

# The models have comments, not docstrings: Pydantic would publish a docstring
# as the schema's description on the OpenAPI page.


# Why a copy is not cleared for distribution.
class ReasonModel(BaseModel):
    code: str = Field(description="e.g. translation-not-reviewed, licence-permission")
    message: str = Field(description="for the clinic, in English")
    subject: str = Field("", description="the publisher a source reason is about")


# A copy's distribution status and the reasons behind it.
class DistributionModel(BaseModel):
    status: str = Field(description="cleared, not-cleared, or not-assessed (none recorded)")
    reasons: list[ReasonModel] = Field(default_factory=list)


# One language and variant of a leaflet, built or not.
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


# A leaflet with every copy the desk knows of.
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


# The copy a build request asks for.
class BuildRequest(BaseModel):
    lang: str = "en"
    variant: str = "standard"


# A requested build and how far it got.
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


def copy_model(request: Request, library: Library, copy: Copy) -> CopyModel:
    """A copy as the API shows it, with the URLs of its files if it was built."""
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
        sha256=copy.entry.sha256 if copy.entry else None,
        created=copy.entry.created if copy.entry else None,
        **urls,
    )


def leaflet_model(request: Request, library: Library, info: LeafletInfo) -> LeafletModel:
    """A leaflet as the API shows it."""
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
        copies=[copy_model(request, library, c) for c in info.copies],
        page=str(request.url_for("leaflet_page", leaflet_id=info.id)),
    )


def build_model(request: Request, builds: BuildDesk, job: BuildJob) -> BuildModel:
    """A requested build as the API shows it."""
    return BuildModel(
        id=job.id,
        leaflet=job.leaflet_id,
        lang=job.lang,
        variant=job.variant,
        state=job.state,
        done=job.done,
        total=job.total,
        position=builds.position(job),
        elapsed=job.elapsed(),
        outcomes=job.outcomes,
        errors=job.errors,
        shared_by=job.requests,
        status=str(request.url_for("build_status", job_id=job.id)),
    )
