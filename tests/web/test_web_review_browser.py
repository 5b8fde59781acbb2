"""Translation review in a real browser (Debian's Chromium, axe-core on every
page): a reviewer signs in and approves the strings of the Spanish pertuzumab
leaflet until it is cleared; a staff user cannot approve (403); a reviewer
cannot approve a string they translated, another reviewer can.

The users are clearly fictional and live in a throwaway accounts folder; the
project is a throwaway copy in which every other condition for clearing holds
(licence permissions, the clinic's source checks and source reviews)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from deskutil import build, desk_app, serving
from playwright.sync_api import Page, expect
from test_web_browser import browser, checked  # noqa: F401  (the Chromium fixture)

from clearing import record_clearing_inputs
from leafletgen import accounts
from leafletgen.batch.build import build_leaflets
from leafletgen.cli import main
from leafletgen.translate import reviews
from leafletgen.translate.leaflet_review import leaflet_strings
from leafletgen.web.auth import AuthConfig

pytestmark = pytest.mark.slow  # drives Chromium and builds PDFs

PASSWORD = "fictional review password"
USERS = {  # name: (roles, qualification)
    "rosa-reviewer": (["translation-reviewer"], "Medical translator (fictional)"),
    "tomas-reviewer": (["translation-reviewer"], "Medical interpreter (fictional)"),
    "sam-staff": (["staff"], None),
}


def clearable_but_for_translation(root: Path) -> None:
    """Record in a throwaway copy what clearing needs besides the translation:
    a permission for each licence that needs one, the clinic's check of each
    source, and a source review of each (all by fictional people)."""
    record_clearing_inputs(
        root,
        permission="Fictional test permission",
        checked_by="Fictional test pharmacist",
        editor="fictional-editor",
        role="pharmacist",
    )


@pytest.fixture
def desk(project_copy, tmp_path) -> Iterator[tuple[str, Path]]:
    """The desk over a copy in which the Spanish pertuzumab leaflet waits only
    for its translation review; its base URL and output folder."""
    root = project_copy.root
    clearable_but_for_translation(root)
    users = tmp_path / "accounts"
    users.mkdir()
    for name, (roles, qualification) in USERS.items():
        accounts.add_user(
            users, name, full_name=name.replace("-", " ").title(), roles=roles,
            password=PASSWORD, qualification=qualification,
        )  # fmt: skip
    out = tmp_path / "out"
    build(project_copy, out, ids=["pertuzumab"], langs=["es"])
    with serving(desk_app(project_copy, out, auth=AuthConfig(root=users))) as url:
        yield url, out


@pytest.fixture
def pages(browser) -> Iterator:  # noqa: F811
    """A new browser context (its own cookies) per user."""
    contexts = []

    def new_page() -> Page:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


def signed_in(page: Page, url: str, name: str) -> Page:
    page.goto(f"{url}/signin")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(name, exact=True)).to_be_visible()
    return page


def csrf(page: Page) -> str:
    return page.locator('input[name="csrf_token"]').first.get_attribute("value") or ""


def test_reviewers_approve_a_spanish_leaflet_until_it_is_cleared(desk, pages, project_copy, capsys):
    url, out = desk
    translation = leaflet_strings(project_copy, "pertuzumab", "es")
    fever = next(s for s in translation.strings if s.msgid == "Fever")
    record = reviews.load_record(project_copy.locales, "es")
    # Rosa translated one string herself
    reviews.write_record(reviews.set_translated(record, "translator", "Rosa Reviewer", {fever.key}))

    # Staff see the page but no way to approve, and a forged POST is refused
    staff = signed_in(pages(), url, "sam-staff")
    staff.goto(f"{url}/review/pertuzumab/es")
    expect(staff.get_by_role("heading", level=1)).to_have_text("Review: Pertuzumab")
    expect(staff.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)
    checked(staff, "review-staff")
    answer = staff.request.post(
        f"{url}/review/pertuzumab/es/approve",
        form={"all_passing": "yes", "csrf_token": csrf(staff)},
        headers={"Origin": url},
    )
    assert answer.status == 403

    # Rosa approves everything shown that passes QA: all but her own string
    rosa = signed_in(pages(), url, "rosa-reviewer")
    rosa.goto(f"{url}/leaflets/pertuzumab?lang=es")
    rosa.get_by_role("link", name="Review this translation and its sources").click()
    expect(rosa.get_by_role("heading", level=1)).to_have_text("Review: Pertuzumab")
    expect(
        rosa.get_by_text("Strings you translated are left for another reviewer.")
    ).to_be_visible()
    checked(rosa, "review-before")
    total = len(translation.strings)
    rosa.get_by_role("button", name=f"Approve all {total - 1} shown that pass QA").click()
    expect(rosa.locator('tr[data-status="approved"]')).to_have_count(total - 1)
    own_row = rosa.locator(f'tr[data-key="{fever.key}"]')
    expect(own_row).to_have_attribute("data-status", "unreviewed")
    expect(own_row.get_by_role("button", name="Approve")).to_have_count(0)
    answer = rosa.request.post(
        f"{url}/review/pertuzumab/es/approve",
        form={"key": fever.key, "csrf_token": csrf(rosa)},
        headers={"Origin": url},
    )
    assert answer.status == 403 and "another reviewer approves it" in answer.text()
    checked(rosa, "review-after")

    # Tomas approves the one string Rosa translated
    tomas = signed_in(pages(), url, "tomas-reviewer")
    tomas.goto(f"{url}/review/pertuzumab/es")
    row = tomas.locator(f'tr[data-key="{fever.key}"]')
    row.get_by_role("button", name="Approve").click()
    expect(tomas.locator('tr[data-status="approved"]')).to_have_count(total)
    expect(tomas.locator(f'tr[data-key="{fever.key}"]')).to_contain_text(
        "Approved by tomas-reviewer"
    )

    # The leaflet is now cleared: its next build's manifest entry and check say so
    (result,) = build_leaflets(project_copy, ["pertuzumab"], ["es"], out, include_drugs=True)
    assert result.entry is not None and result.entry.distribution == {
        "status": "cleared",
        "reasons": [],
    }
    reviewers = {r.name for r in result.entry.reviewers}
    assert reviewers == {"rosa-reviewer", "tomas-reviewer"}
    capsys.readouterr()
    args = ["check", "pertuzumab", "--lang", "es", "--out", str(out)]
    assert main([*args, "--project", str(project_copy.root)]) == 0
    assert re.search(
        r"1 leaflet x language outputs? checked .*: 1 cleared", capsys.readouterr().out
    )
    # ... and the audit trail shows who signed in and who approved what, on the desk
    trail = project_copy.root / "desk" / "audit.jsonl"
    records = [json.loads(line) for line in trail.read_text(encoding="utf-8").splitlines()]
    done = [(r["who"], r["via"], r["action"]) for r in records]
    for name in ("sam-staff", "rosa-reviewer", "tomas-reviewer"):
        assert (name, "desk", "desk.signin") in done
    assert ("rosa-reviewer", "desk", "i18n.review") in done
    assert ("tomas-reviewer", "desk", "i18n.review") in done
    assert not any(r["action"] == "i18n.review" and r["who"] == "sam-staff" for r in records)
    approved = [r for r in records if r["action"] == "i18n.review"]
    assert all(list(r["files"]) == ["locales/es/reviews.yaml"] for r in approved)
    assert main(["audit", "verify", "--project", str(project_copy.root)]) == 0
