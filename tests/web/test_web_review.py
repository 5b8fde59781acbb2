"""The review page of one leaflet in one language: who may see it, approve,
send back and record a source review, each as a POST with the CSRF token."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

from deskutil import ROLE_USERS, make_client

from leafletgen.review.sources import load_book
from leafletgen.translate import reviews
from leafletgen.translate.leaflet_review import leaflet_strings

HTML = {"Accept": "text/html"}
PAGE = "/review/rituximab/es"
REVIEWER = ROLE_USERS["translation-reviewer"]  # test-translator, a fictional user


def keys_on(page: str) -> list[str]:
    """The fingerprints of the strings the page lists."""
    return [k for k in re.findall(r'data-key="([^"]*)"', page) if k]


def test_the_page_lists_every_string_with_its_english_and_place(project, built_out):
    client = make_client(project, built_out, role="translation-reviewer")
    page = client.get(PAGE, headers=HTML)
    assert page.status_code == 200
    text = unescape(page.text)
    translation = leaflet_strings(project, "rituximab", "es")
    assert len(keys_on(page.text)) == len(translation.strings)
    assert '<td lang="en" dir="ltr" id="en-' in text and ">Fever</td>" in text
    assert ">Fiebre</td>" in text and "When to call your care team" in text
    assert "Approve all" in text and 'name="csrf_token"' in text
    # the second part: the sources' outlines, uncertain lines counted
    assert "2. Sources: what each one prints" in text
    assert "line(s) the reader is unsure of" in text
    assert "Record my review of this source" not in text  # a translation reviewer reviews no source


def test_a_staff_user_sees_but_cannot_approve(project_copy, out_copy):
    client = make_client(project_copy, out_copy, role="staff")
    page = client.get(PAGE, headers=HTML).text
    assert "Approve all" not in page and "Send back" not in page
    key = keys_on(page)[0]
    response = client.post(f"{PAGE}/approve", data={"key": key})
    assert response.status_code == 403
    assert reviews.load_record(project_copy.locales, "es").reviews == ()
    assert make_client(project_copy, out_copy, role=None).get(PAGE).status_code == 401


def test_a_reviewer_approves_all_that_pass_qa(project_copy, out_copy):
    client = make_client(project_copy, out_copy, role="translation-reviewer")
    no_token = make_client(project_copy, out_copy, role="translation-reviewer")
    del no_token.headers["X-CSRF-Token"]
    assert no_token.post(f"{PAGE}/approve", data={"all_passing": "yes"}).status_code == 403
    response = client.post(f"{PAGE}/approve", data={"all_passing": "yes"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith(f"{PAGE}#strings")
    (review,) = reviews.load_record(project_copy.locales, "es").reviews
    assert (review.reviewer, review.qualification, review.date) == (
        REVIEWER,
        "fictional test qualification",
        dt.date.today(),
    )
    page = client.get(PAGE, headers=HTML).text
    assert 'data-status="unreviewed"' not in page
    assert f"Approved by {REVIEWER} on {dt.date.today().isoformat()}" in page


def test_a_reviewer_cannot_approve_their_own_translation(project_copy, out_copy):
    key = leaflet_strings(project_copy, "rituximab", "es").strings[0].key
    record = reviews.load_record(project_copy.locales, "es")
    reviews.write_record(reviews.set_translated(record, "translator", REVIEWER, {key}))
    client = make_client(project_copy, out_copy, role="translation-reviewer")
    response = client.post(f"{PAGE}/approve", data={"key": key})
    assert response.status_code == 403
    assert "another reviewer approves it" in response.text
    page = client.get(PAGE, headers=HTML).text
    assert "Strings you translated are left for another reviewer." in page
    assert reviews.load_record(project_copy.locales, "es").reviews == ()


def test_send_back_shows_the_comment(project_copy, out_copy):
    client = make_client(project_copy, out_copy, role="translation-reviewer")
    key = keys_on(client.get(PAGE, headers=HTML).text)[3]
    response = client.post(
        f"{PAGE}/send-back", data={"key": key, "comment": "Plainer words, please."}
    )
    assert response.status_code == 200  # followed back to the page
    assert "Sent back by test-translator" in response.text
    assert "<blockquote>Plainer words, please.</blockquote>" in response.text
    (back,) = reviews.load_record(project_copy.locales, "es").sent_back
    assert (back.entry, back.reviewer) == (key, REVIEWER)
    assert client.post(f"{PAGE}/approve", data={"key": key}).status_code == 403


def test_an_editor_records_a_source_review_but_approves_no_translation(project_copy, out_copy):
    client = make_client(project_copy, out_copy, role="editor")
    page = client.get(PAGE, headers=HTML).text
    assert "Approve all" not in page and "Record my review of this source" in page
    source = re.search(r'action="/review/rituximab/es/sources/([\w-]+)"', page)[1]
    assert client.post(f"{PAGE}/approve", data={"all_passing": "yes"}).status_code == 403
    response = client.post(
        f"{PAGE}/sources/{source}",
        data={"role": "oncology nurse educator (fictional)"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    (review,) = load_book(project_copy.sources).of(source)
    assert (review.reviewer, review.role) == (
        ROLE_USERS["editor"],
        "oncology nurse educator (fictional)",
    )
    page = unescape(client.get(PAGE, headers=HTML).text)
    assert f"Reviewed as it now stands by {ROLE_USERS['editor']}" in page
    assert client.post(f"{PAGE}/sources/not-a-source", data={"role": "x"}).status_code == 404
