"""How fast the leaflet desk answers, and what a build on request costs.

Not a test: prints numbers. Serves a fresh output folder (all leaflets built
in English and Spanish) through FastAPI's test client, in-process, so the
numbers are the app's own work without a network stack. Each route is asked
``--rounds`` times; a page preview is timed cold (first render of that page)
and warm (cached). A build on request is compared with the same build through
``build`` directly, paired and alternated, both forced.

    .venv/bin/python bench/bench_web.py --rounds 20
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from leafletgen.batch.build import build  # noqa: E402
from leafletgen.batch.plan import BuildOptions  # noqa: E402
from leafletgen.project import Project  # noqa: E402
from leafletgen.web import previews  # noqa: E402
from leafletgen.web.app import create_app  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROUTES = {
    "search page (all)": "/",
    "search page (rituximab)": "/?q=rituximab",
    "leaflet page (es)": "/leaflets/rituximab?lang=es",
    "PDF": "/leaflets/rituximab/es/standard.pdf",
    "GET /api/leaflets": "/api/leaflets",
    "FHIR search language=es": "/fhir/DocumentReference?language=es",
    "FHIR metadata": "/fhir/metadata",
}


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   n={len(ordered)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    project = Project(ROOT)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out"
        everything = BuildOptions((), ("en", "es"), out, include_drugs=True, jobs=2)
        results = build(project, everything)
        assert all(r.ok for r in results), [str(r.error) for r in results if not r.ok]
        client = TestClient(create_app(project, out))
        client.get("/")  # load the project's inputs once
        for name, url in ROUTES.items():
            samples = []
            for _ in range(args.rounds):
                samples.append(timed(lambda url=url: client.get(url).raise_for_status()))
            print(f"{name:<28} {summary(samples)}")

        cold, warm = [], []
        for page in range(1, 4):
            for leaflet in ("rituximab", "immunotherapy", "bevacizumab"):
                url = f"/leaflets/{leaflet}/en/standard/page-{page}.png"
                cold.append(timed(lambda url=url: client.get(url).raise_for_status()))
                warm.append(timed(lambda url=url: client.get(url).raise_for_status()))
        print(f"{'preview page, cold':<28} {summary(cold)}")
        print(f"{'preview page, cached':<28} {summary(warm)}")
        previews._cache.clear()

        desk = client.app.state.desk
        direct, requested = [], []
        for _ in range(max(2, args.rounds // 5)):
            direct.append(
                timed(
                    lambda: build(
                        project,
                        BuildOptions(("rituximab",), ("es",), out, include_drugs=True, force=True),
                    )
                )
            )

            def on_request() -> None:
                (out / "es" / "rituximab.pdf").unlink()  # missing: the desk builds it
                job = client.post("/api/leaflets/rituximab/builds", json={"lang": "es"}).json()
                assert desk.wait(desk.job(job["id"]), timeout=120)
                assert desk.job(job["id"]).state == "done", desk.job(job["id"]).errors

            requested.append(timed(on_request))
        print(f"{'build (forced)':<28} {summary(direct)}")
        print(f"{'build on request (POST)':<28} {summary(requested)}")
        desk.close()


if __name__ == "__main__":
    main()
