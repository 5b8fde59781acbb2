"""One truth for desk and batch: a desk build gives back every copy a batch
published, and the desk serves every PDF while a batch runs in another
process (it reads the batch's journal, not only ``manifest.json``)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from deskutil import build, make_client
from pypdf import PdfReader

from leafletgen.errors import PublishError
from leafletgen.web.builds import BuildDesk

REVIEW = {"review_copy": "yes"}  # confirmed: a review copy, not for a patient
HTML = {"Accept": "text/html"}
PHONE, NEW_PHONE = "(555) 010-0100", "(555) 010-0177"


def listed(out: Path) -> dict[str, dict]:
    """The manifest's entries by path."""
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {item["path"]: item for item in data["leaflets"]}


def new_phone(project) -> None:
    """A changed input every leaflet prints: each copy is out of date, and its
    rebuilt PDF has other bytes."""
    clinic = project.leaflets / "clinic.yaml"
    clinic.write_text(clinic.read_text(encoding="utf-8").replace(PHONE, NEW_PHONE), "utf-8")


def pdf_text(data: bytes) -> str:
    """The text of a PDF's pages."""
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.slow
def test_a_desk_build_gives_back_every_copy_the_batch_published(project_copy):
    out = project_copy.root / "out"
    build(project_copy, out, ids=["rituximab"], html_twin=True, large_print=True)
    published = set(listed(out))
    assert published == {
        f"{lang}/rituximab{suffix}.pdf" for lang in ("en", "es") for suffix in ("", ".large")
    }
    new_phone(project_copy)
    client = make_client(project_copy, out)
    # "Update this leaflet" on the Spanish standard copy
    response = client.post("/leaflets/rituximab/build", data={"lang": "es"}, follow_redirects=False)
    desk = client.app.state.desk
    job = desk.job(response.headers["location"].rsplit("/", 1)[1])
    assert desk.wait(job, timeout=300)
    assert job.state == "done", job.errors
    for path in published:  # every copy rebuilt by this one request
        assert any(o.startswith(f"built {path} (") for o in job.outcomes), job.outcomes
    now = listed(out)
    assert set(now) == published
    for path, item in now.items():
        lang, name = path.split("/")
        variant = "large-print" if ".large." in name else "standard"
        assert item["html"] == path.removesuffix(".pdf") + ".html"
        page = client.get(f"/leaflets/rituximab/{lang}/{variant}.html")
        assert page.status_code == 200 and f'<html lang="{lang}"' in page.text
        pdf = client.get(f"/leaflets/rituximab/{lang}/{variant}.pdf", params=REVIEW)
        assert pdf.status_code == 200
        assert NEW_PHONE in pdf_text(pdf.content)  # rebuilt, not skipped
    copies = client.get("/api/leaflets/rituximab").json()["copies"]
    states = {(c["lang"], c["variant"]): c["state"] for c in copies if c["state"] != "missing"}
    assert set(states.values()) == {"current"}, states


PAUSED_BATCH = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from leafletgen.batch.build import build_leaflets
    from leafletgen.project import Project

    root, out, paused, release = map(Path, sys.argv[1:5])

    def pause(result, done, total):
        # after the first PDF is in place (and in the journal): wait for the test
        if done == 1:
            paused.write_text(result.entry.path if result.entry else "failed")
            deadline = time.monotonic() + 120
            while not release.exists() and time.monotonic() < deadline:
                time.sleep(0.05)

    results = build_leaflets(
        Project(root), ["rituximab", "immunotherapy"], ["en", "es"], out,
        include_drugs=True, jobs=1, force=True, on_result=pause,
    )
    print(sum(r.entry is not None for r in results), [str(r.error) for r in results if r.error])
    """
)


def served(client, out: Path) -> dict[str, bytes]:
    """Every PDF the manifest lists, as the desk hands it out, by path."""
    found = {}
    for path in listed(out):
        lang, name = path.split("/")
        variant = "large-print" if ".large." in name else "standard"
        response = client.get(f"/leaflets/{name.split('.')[0]}/{lang}/{variant}.pdf", params=REVIEW)
        assert response.status_code == 200, (path, response.status_code)
        found[path] = response.content
    return found


@pytest.mark.slow
def test_the_desk_serves_every_pdf_while_a_batch_runs(project_copy, out_copy, tmp_path):
    client = make_client(project_copy, out_copy)
    before = served(client, out_copy)  # the desk has read the manifest before the batch
    documents = client.get("/fhir/DocumentReference").json()["total"]
    assert documents == len(before) == 4
    manifest = (out_copy / "manifest.json").read_bytes()
    new_phone(project_copy)
    paused, release = tmp_path / "paused", tmp_path / "release"
    batch = subprocess.Popen(
        [sys.executable, "-c", PAUSED_BATCH, project_copy.root, out_copy, paused, release],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while not paused.exists() and batch.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert paused.exists(), batch.communicate(timeout=5)
        replaced = paused.read_text()
        # mid-batch: one PDF replaced, manifest.json not yet rewritten
        assert (out_copy / "manifest.json").read_bytes() == manifest
        assert (out_copy / replaced).read_bytes() != before[replaced]
        during = served(client, out_copy)
        assert during[replaced] == (out_copy / replaced).read_bytes()
        assert NEW_PHONE in pdf_text(during[replaced])
        assert all(during[p] == before[p] for p in before if p != replaced)
        search = client.get("/fhir/DocumentReference").json()
        assert search["total"] == documents
        lang, name = replaced.split("/")
        copies = client.get(f"/api/leaflets/{name.split('.')[0]}").json()["copies"]
        reference = next(c for c in copies if c["lang"] == lang and c["variant"] == "standard")
        rid = reference["document_reference"].rsplit("/", 1)[1]
        assert rid in {e["resource"]["id"] for e in search["entry"]}
        assert client.get(f"/fhir/Binary/{rid}").content == during[replaced]
    finally:
        release.write_text("go")
        output, errors = batch.communicate(timeout=300)
    assert batch.returncode == 0, errors
    assert output.startswith("4 []"), output
    after = served(client, out_copy)
    assert all(NEW_PHONE in pdf_text(data) for data in after.values())
    assert client.get("/fhir/DocumentReference").json()["total"] == documents


def test_a_build_error_names_project_relative_paths_only(project_copy, tmp_path_factory):
    out = tmp_path_factory.mktemp("elsewhere") / "out"  # outside the project
    outside = Path("/srv/leaflets/private/notes.txt")

    def failing(project, options, on_result):
        raise PublishError(
            f"cannot write {out / 'es' / 'rituximab.html'}: a folder stands there "
            f"(see {outside} and {project.root / 'leaflets' / 'clinic.yaml'})",
            out / "es" / "rituximab.html",
        )

    desk = BuildDesk(project_copy, out, builder=failing)
    client = make_client(project_copy, out, desk=desk)
    job_id = client.post("/api/leaflets/rituximab/builds", json={"lang": "es"}).json()["id"]
    assert desk.wait(desk.job(job_id), timeout=30)
    errors = client.get(f"/api/builds/{job_id}").json()["errors"]
    assert errors == [
        "out/es/rituximab.html: cannot write out/es/rituximab.html: a folder stands there "
        "(see notes.txt and leaflets/clinic.yaml)"
    ]
    page = client.get(f"/builds/{job_id}", headers=HTML).text
    assert "out/es/rituximab.html: cannot write" in page
    for private in (str(out.parent), str(project_copy.root), "/srv/"):
        assert private not in page
    desk.close()
