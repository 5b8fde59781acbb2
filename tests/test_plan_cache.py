"""The plan cache: a no-op build planned from ``.cache/plan.json`` ends exactly
as one planned from the files, and any change to an input, the code or the
options plans afresh."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import child_env, copy_inputs
from leafletgen.batch import build as build_module
from leafletgen.batch import plancache
from leafletgen.batch.build import _planned_on, build_leaflets
from leafletgen.batch.plan import BuildOptions
from leafletgen.project import Project

TODAY = dt.date(2026, 12, 1)


def _key(project: Project, out: Path, **changed: object) -> str:
    defaults: dict = dict(langs=("en", "es"), out=out, include_drugs=True, today=TODAY)
    options = BuildOptions(**(defaults | changed)).checked(project)
    return plancache.plan_key(project, _planned_on(options))


def _kept_plan(project: Project, out: Path) -> tuple[str, plancache.Plan]:
    key = _key(project, out)
    plan = plancache.Plan(
        ("immunotherapy",),
        (plancache.PlannedJob("immunotherapy", "en", "standard", "a" * 64),),
        (),
    )
    plancache.save_plan(out, key, project, plan, [])
    return key, plan


@pytest.fixture
def planned(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times a build planned from the parsed inputs."""
    calls: list[int] = []
    real = build_module.derive_plan

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(build_module, "derive_plan", counted)
    return calls


# Each kind of input a leaflet depends on, and an edit that keeps it valid.
EDITS = {
    "source": ("sources/nci-immunotherapy.txt", b"\n"),
    "source catalogue": ("sources/sources.yaml", b"\n# edited\n"),
    "definition": ("leaflets/immunotherapy.yaml", b"\n# edited\n"),
    "drugs": ("leaflets/drugs.yaml", b"\n# edited\n"),
    "clinic": ("leaflets/clinic.yaml", b"\n# edited\n"),
    "catalog": ("locales/es/LC_MESSAGES/content.po", b"\n# edited\n"),
    "translation review": ("locales/es/reviews.yaml", b"\n# edited\n"),
    "template": ("templates/leaflet.css", b"\n/* edited */\n"),
    "font": ("templates/fonts/NotoSans-Regular.ttf", b"\0"),
    "drug label": ("sources/labels/labels.yaml", b"\n# edited\n"),
}


@pytest.mark.parametrize("kind", list(EDITS))
def test_an_edited_input_of_any_kind_is_a_new_key(kind, project_copy, tmp_path):
    out = tmp_path / "out"
    key, plan = _kept_plan(project_copy, out)
    assert plancache.load_plan(out, key, project_copy) == plan
    name, added = EDITS[kind]
    path = project_copy.root / name
    assert path.is_file(), name
    with path.open("ab") as handle:
        handle.write(added)
    new_key = _key(project_copy, out)
    assert new_key != key
    assert plancache.load_plan(out, new_key, project_copy) is None


def test_an_added_or_removed_file_the_code_and_the_options_are_new_keys(
    project_copy, tmp_path, monkeypatch
):
    out = tmp_path / "out"
    key, _ = _kept_plan(project_copy, out)
    review = project_copy.sources / "reviews.yaml"
    existed = review.exists()
    if existed:
        review.unlink()
    else:
        review.write_text("reviews: []\n")
    assert _key(project_copy, out) != key
    shutil.copy(project_copy.leaflets / "immunotherapy.yaml", project_copy.leaflets / "x.yaml")
    assert _key(project_copy, out) != key
    (project_copy.leaflets / "x.yaml").unlink()
    review.unlink() if not existed else review.write_text("")
    for changed in (
        {"today": TODAY + dt.timedelta(days=1)},
        {"langs": ("en",)},
        {"draft": True},
        {"large_print": True},
        {"ids": ("immunotherapy",)},
    ):
        assert _key(project_copy, out, **changed) != key, changed
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1")
    assert _key(project_copy, out) != key
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    plancache.code_digest.cache_clear()
    monkeypatch.setattr(plancache, "_PACKAGE", Path(plancache.__file__).parent)
    assert _key(project_copy, out) != key  # (a different tree of code)
    plancache.code_digest.cache_clear()


def test_a_file_read_outside_the_input_folders_is_checked_again(project_copy, tmp_path):
    out = tmp_path / "out"
    logo = project_copy.root / "logo.svg"
    shutil.copy(project_copy.templates / "logo.svg", logo)
    key = _key(project_copy, out)
    plan = plancache.Plan(("a",), (), ())
    plancache.save_plan(out, key, project_copy, plan, [logo])
    assert plancache.load_plan(out, key, project_copy) == plan
    logo.write_text(logo.read_text() + "\n")
    assert plancache.load_plan(out, key, project_copy) is None


@pytest.mark.parametrize(
    "damage",
    ["garbage", "truncated", "wrong format", "bad hash", "job and result", "escaping path"],
)
def test_a_malformed_cache_is_ignored(damage, project_copy, tmp_path):
    out = tmp_path / "out"
    key, _ = _kept_plan(project_copy, out)
    path = out / ".cache" / "plan.json"
    data = json.loads(path.read_bytes())
    if damage == "garbage":
        path.write_bytes(b"\x00\xff not json")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:-5])
    else:
        if damage == "wrong format":
            data["format"] = 99
        elif damage == "bad hash":
            data["jobs"][0][3] = "../../etc"
        elif damage == "job and result":
            data["jobs"][0][4] = "unchanged"
        else:
            data["outside"] = {"../secret": "x"}
        path.write_text(json.dumps(data))
    assert plancache.load_plan(out, key, project_copy) is None


def test_a_fifo_in_place_of_the_cache_is_ignored(project_copy, tmp_path):
    out = tmp_path / "out"
    (out / ".cache").mkdir(parents=True)
    os.mkfifo(out / ".cache" / "plan.json")
    assert plancache.load_plan(out, _key(project_copy, out), project_copy) is None


def test_a_plan_with_a_failure_is_not_kept(tmp_path, planned):
    project = copy_inputs(tmp_path / "p")
    definition = project.leaflets / "immunotherapy.yaml"
    definition.write_text(definition.read_text().replace("nci-immunotherapy", "no-such-source"))
    out = tmp_path / "out"
    results = build_leaflets(project, ["immunotherapy"], ["en"], out, today=TODAY)
    assert results and all(r.error for r in results)
    assert not (out / ".cache" / "plan.json").exists()
    build_leaflets(project, ["immunotherapy"], ["en"], out, today=TODAY)
    assert len(planned) == 2  # planned from the files again, the error reported again


def _cli_noop(project: Project, out: Path) -> tuple[int, str, str]:
    command = [sys.executable, "-m", "leafletgen", "build", "--all", "--lang", "en,es",
               "--project", str(project.root), "--out", str(out), "-j2"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env=child_env(), timeout=600)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.slow
def test_a_noop_ends_the_same_with_and_without_the_cache(project, demo, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(demo.out, out)
    cache = out / ".cache" / "plan.json"
    cache.unlink(missing_ok=True)
    manifest = (out / "manifest.json").read_bytes()
    without = _cli_noop(project, out)  # planned from the files; keeps the plan
    assert cache.is_file()
    kept = cache.read_bytes()
    with_cache = _cli_noop(project, out)  # planned from the cache
    assert cache.read_bytes() == kept
    assert with_cache == without
    assert without[0] == 0 and "skipped  immunotherapy [es]: unchanged" in without[1]
    assert "warning:" in without[2]  # the findings are printed from the cache too
    assert (out / "manifest.json").read_bytes() == manifest
    # A damaged PDF is still caught with the cache: currency is never cached.
    pdf = out / "en" / "immunotherapy.pdf"
    pdf.write_bytes(pdf.read_bytes() + b"%")
    code, stdout, _ = _cli_noop(project, out)
    assert code == 0 and "1 built" in stdout, stdout
