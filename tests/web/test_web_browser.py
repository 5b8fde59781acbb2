"""The desk in a real browser: Debian's Chromium driven by Playwright, every
page checked with axe-core.

Playwright's own browser download is not used: the browser is the one
``scripts/install-system-packages`` installs (``/usr/bin/chromium``). Set
``LEAFLETGEN_SCREENSHOTS`` to a folder to keep a screenshot of every page.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from deskutil import PASSWORD, ROLE_USERS, build, desk_app, serving
from playwright.sync_api import Browser, Page, expect, sync_playwright
from pypdf import PdfReader

pytestmark = pytest.mark.slow  # drives Chromium

CHROMIUM = os.environ.get("LEAFLETGEN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found: run scripts/install-system-packages (Debian chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="en-US"
    )
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def checked(page: Page, name: str) -> None:
    """axe-core finds nothing on the page; keep a screenshot if asked to."""
    page.wait_for_load_state("networkidle")
    results = Axe().run(page)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"
    folder = os.environ.get("LEAFLETGEN_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def sign_in_with_form(page: Page, url: str, role: str = "staff") -> None:
    """Sign in through the desk's sign-in page as the test user of ``role``."""
    page.goto(f"{url}/signin")
    page.get_by_label("User name").fill(ROLE_USERS[role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a leaflet")


def test_nurse_confirms_a_review_copy_before_downloading_a_not_cleared_leaflet(
    page, live_url, tmp_path
):
    page.goto(live_url)
    # nobody signed in yet: the sign-in page, which comes back to the search page
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    checked(page, "00-signin")
    page.get_by_label("User name").fill("test-staff")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a leaflet")
    expect(page.get_by_text("test-staff")).to_be_visible()
    checked(page, "01-search")

    page.get_by_label("Drug or topic").fill("Rituxan")  # the brand, as a nurse asks
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", level=2, name=re.compile("Leaflets found"))).to_be_visible()
    checked(page, "02-results")

    page.get_by_role("link", name="Rituximab (RITUXAN®)", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rituximab (RITUXAN®)")
    checked(page, "03-leaflet-en")

    page.get_by_role("navigation", name="Patient's language").get_by_role(
        "link", name=re.compile("^Spanish")
    ).click()
    expect(page.get_by_role("heading", name="Leaflet in Spanish")).to_be_visible()
    standard = page.get_by_role("article", name="Standard print")
    # one status, not "Ready" beside "Not cleared"
    expect(standard.get_by_text("Not cleared for distribution")).to_be_visible()
    expect(standard.get_by_text("Ready")).to_have_count(0)
    expect(page.get_by_role("img", name=re.compile(r"^Page 1 of \d$"))).to_be_visible()
    checked(page, "04-leaflet-es")

    # Download asks first: a review copy, not for a patient, why, and whom to ask
    standard.get_by_role("link", name="Download PDF").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Not for patients yet.")
    notice = page.locator(".review-notice")
    expect(notice).to_contain_text("Not cleared for distribution: translation not reviewed")
    expect(notice).to_contain_text("Ask: Riverside Cancer Center")
    expect(page.get_by_text("This is a review copy for staff.")).to_be_visible()
    checked(page, "04-review-copy-es")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the review copy").click()
    download = download_info.value
    assert download.suggested_filename == "rituximab-es.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    reader = PdfReader(saved)
    assert reader.trailer["/Root"]["/Lang"] == "es"
    first = reader.pages[0].extract_text()
    assert "Rituximab" in first and "Cómo funciona" in first
    assert "How it works" not in first
    assert "Not for patients yet." in first  # the band says it on the page too


def test_keyboard_only_with_the_interface_in_spanish(page, live_url):
    sign_in_with_form(page, live_url)
    page.goto(live_url)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    page.get_by_role("navigation", name="Language of these pages").get_by_role(
        "link", name="Español"
    ).click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Buscar un folleto")
    checked(page, "05-search-es")

    page.get_by_label("Medicamento o tema").focus()
    page.keyboard.type("Blincyto")
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("heading", level=2, name=re.compile("Folletos encontrados"))
    ).to_be_visible()
    for _ in range(40):  # Tab to the result, as someone without a mouse would
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Blinatumomab (Blincyto®)":
            break
    else:
        pytest.fail("the search result cannot be reached with the Tab key")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Blinatumomab (Blincyto®)")
    expect(page.get_by_role("heading", name="Idioma del paciente")).to_be_visible()
    checked(page, "06-not-built-es")  # blinatumomab is not built in this output folder


def test_building_a_leaflet_from_its_page(page, project_copy, tmp_path):
    out = tmp_path / "desk"
    build(project_copy, out, ids=["immunotherapy"], langs=["en"])
    with serving(desk_app(project_copy, out)) as url:
        sign_in_with_form(page, url, role="editor")
        page.goto(f"{url}/leaflets/immunotherapy")
        large = page.get_by_role("article", name="Large print")
        expect(large.get_by_text("Not built yet")).to_be_visible()
        large.get_by_role("button", name="Build this leaflet").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Building Immunotherapy for cancer"
        )
        checked(page, "07-building")
        # the page follows the build by itself (no reload)
        built = page.get_by_text(re.compile("^Built: Not cleared for distribution \\("))
        expect(built).to_be_visible(timeout=120_000)
        checked(page, "08-built")
        page.get_by_role("link", name="Open the leaflet").click()
        large = page.get_by_role("article", name="Large print")
        expect(large.get_by_text("Not cleared for distribution")).to_be_visible()
        expect(page.get_by_role("heading", name="Pages: Large print")).to_be_visible()
        checked(page, "09-large-print")

        # "Print" of a copy not cleared asks first; then it prints the PDF from
        # the page: it is loaded into a frame of the page
        page.get_by_role("article", name="Standard print").get_by_role("link", name="Print").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Not for patients yet.")
        page.get_by_role("link", name="Print the review copy").click()
        frame = page.locator("#print-frame iframe")
        expect(frame).to_have_attribute(
            "src", "/leaflets/immunotherapy/en/standard.pdf?review_copy=yes", timeout=30_000
        )

        page.goto(f"{url}/leaflets/aspirin")
        expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
        checked(page, "10-not-found")


# --- the HTML twin, as a patient opens it on a phone -----------------------------------

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def twin_out(project, tmp_path_factory) -> Path:
    """immunotherapy in English, Spanish and Arabic, with its web pages."""
    out = tmp_path_factory.mktemp("twins")
    build(project, out, ids=["immunotherapy"], langs=["en", "es", "ar"], html_twin=True)
    return out


@pytest.fixture
def phone(browser) -> Iterator[Page]:
    context = browser.new_context(**PHONE, locale="en-US")
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.refused = []  # what the page's policy blocked
    page.on(
        "console",
        lambda message: page.refused.append(message.text) if "Refused" in message.text else None,
    )
    yield page
    context.close()


def reads_well_on_a_phone(page: Page, lang: str) -> None:
    """The page is laid out for the phone's width (its viewport), in the
    leaflet's own font, with the clinic's numbers ready to dial."""
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert page.evaluate("window.innerWidth") == 390  # 980 without a viewport
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    family = "Noto Sans Arabic" if lang == "ar" else "Atkinson Hyperlegible"
    heading = page.get_by_role("heading", level=1)
    loaded = page.evaluate(
        'async ([family, text]) => (await document.fonts.load(`bold 28px "${family}"`, text))'
        ".map(face => face.status)",
        [family, heading.inner_text()],
    )
    assert loaded == ["loaded"], f"{family} did not load: {loaded} {page.refused}"
    assert heading.evaluate("h => getComputedStyle(h).fontFamily").startswith(f'"{family}"')
    call = page.get_by_role("link", name="(555) 010-0100")
    expect(call).to_have_attribute("href", "tel:5550100100")
    assert call.bounding_box()["height"] >= 24  # a target a finger can hit
    expect(page.get_by_role("link", name="911")).to_have_attribute("href", "tel:911")
    assert page.refused == []


def test_patient_reads_the_web_page_on_a_phone_and_switches_language(phone, twin_out):
    page = phone
    page.goto((twin_out / "en/immunotherapy.html").as_uri())
    reads_well_on_a_phone(page, "en")
    expect(page.get_by_text("Printed by", exact=False)).to_have_count(0)
    # Each language is named in its own words and type, from the page's own fonts.
    arabic = page.get_by_role("link", name="العربية")
    assert arabic.evaluate("a => getComputedStyle(a).fontFamily").startswith('"Noto Sans Arabic"')
    loaded = page.evaluate(
        "async () => (await document.fonts.load('bold 16px \"Noto Sans Arabic\"', 'العربية'))"
        ".map(face => face.status)"
    )
    assert loaded == ["loaded"]
    checked(page, "11-twin-en-phone")

    page.get_by_role("link", name="Español").click()
    reads_well_on_a_phone(page, "es")
    assert page.url.endswith("/es/immunotherapy.html")
    checked(page, "12-twin-es-phone")

    page.get_by_role("link", name="العربية").click()
    reads_well_on_a_phone(page, "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    checked(page, "13-twin-ar-phone")

    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_web_page_served_by_the_desk_keeps_its_fonts_and_links(phone, project, twin_out):
    page = phone
    with serving(desk_app(project, twin_out)) as url:
        sign_in_with_form(page, url)
        page.goto(f"{url}/leaflets/immunotherapy/es/standard.html")
        reads_well_on_a_phone(page, "es")  # fonts allowed by the page's policy
        page.get_by_role("link", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        assert page.url == f"{url}/leaflets/immunotherapy/en/standard.html"
        reads_well_on_a_phone(page, "en")
        checked(page, "14-twin-en-served")
