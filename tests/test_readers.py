"""Each real source document yields the outline a person reading it sees."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from leafletgen.errors import SourceError
from leafletgen.read.sources import read_source

# (heading, kind, [list item counts in order]) per document.
OUTLINES = {
    "nci-monoclonal-antibodies": [
        ("How do monoclonal antibodies work against cancer?", "how_it_works", []),
        ("Which cancers are treated with monoclonal antibodies?", "other", []),
        ("What are the side effects of monoclonal antibodies?", "side_effects", [6, 7, 5, 7]),
    ],
    "cleveland-clinic-monoclonal-antibodies": [
        (None, "other", []),
        ("What are monoclonal antibodies?", "what_it_is", []),
        ("What diseases can monoclonal antibodies treat?", "other", []),
        ("How do monoclonal antibody treatments work?", "how_it_works", [7]),
        ("What happens during monoclonal antibody treatment?", "what_to_expect", []),
        ("What are the potential benefits of monoclonal antibodies?", "other", []),
        ("What are the disadvantages of monoclonal antibodies?", "side_effects", [7]),
        ("When should I call my healthcare provider?", "when_to_call", []),
        ("Are monoclonal antibodies chemotherapy?", "other", []),
        ("A note from Cleveland Clinic", "other", []),
    ],
    "cruk-monoclonal-antibodies": [
        (None, "other", [4, 2, 4, 6]),
    ],
    "nci-immunotherapy": [
        (None, "other", []),
        ("How does immunotherapy work against cancer?", "how_it_works", [3]),
        ("What are the types of immunotherapy?", "other", [5]),
        ("Which cancers are treated with immunotherapy?", "other", []),
        ("What are the side effects of immunotherapy?", "side_effects", []),
        ("How is immunotherapy given?", "what_to_expect", [4]),
        ("Where do you go for immunotherapy?", "what_to_expect", []),
        ("How often do you receive immunotherapy?", "what_to_expect", [3]),
        ("How can you tell if immunotherapy is working?", "what_to_expect", []),
        ("What is the current research in immunotherapy?", "other", [4]),
        ("How do you find clinical trials that are testing immunotherapy?", "other", []),
    ],
    "cleveland-clinic-immunotherapy": [
        (None, "other", []),
    ],
}

REVIEW_DATES = {
    "nci-monoclonal-antibodies": (dt.date(2025, 12, 30), dt.date(2026, 3, 30)),
    "cleveland-clinic-monoclonal-antibodies": (dt.date(2025, 12, 10), None),
    "cruk-monoclonal-antibodies": (dt.date(2025, 2, 26), dt.date(2028, 2, 26)),
    "nci-immunotherapy": (None, None),
    "cleveland-clinic-immunotherapy": (dt.date(2025, 8, 12), None),
}

# Site chrome and web-only furniture that must never reach a block.
CHROME = [
    "Cleveland Clinic logo",
    "Advertisement",
    "Advertising on our site helps support our mission",
    "Care at Cleveland Clinic",
    "primary care providers offer lifelong medical care",
    "Cancer Answer Line",
    "Medically Reviewed",
    "Last reviewed",
    "Health Library",
    "Cleveland Clinic is here to help",
    "Skip to main content",
    "An official website of the United States government",
    "Español",
    "Credit: National Cancer Institute",
    "Enlarge Image",
    "](",
    "![",
    "/sites/g/files",
    "Play the audio-described version",
    "How Monoclonal Antibodies Treat Cancer",
    "Learn more",
    "Read more",
    "Read about",
    "Find out more",
    "Below is a video",
    "following video",
    "Dangoor",
    "freephone",
    "Next review due",
    "Targeted cancer drugs and immunotherapy",
]

# Dropped-link artifacts and lead-ins whose list was lost: reported, never printed.
NOT_PRINTED = {
    "cruk-monoclonal-antibodies": [
        (2, "made by the ."),
        (7, "carrying cancer drugs or to cancer cells"),
        (27, "immune cells called and cancer cells"),
        (35, "certain proteins or ."),
        (41, "paracetamol, a and an drug"),
    ],
    "cleveland-clinic-monoclonal-antibodies": [
        (22, "But they’re also used to treat:"),
        (54, "These include:"),
    ],
    "cleveland-clinic-immunotherapy": [
        (9, "Types of immunotherapy drugs used for cancer include:"),
        (13, "Here are the two main treatment types and what’s involved:"),
        (19, "Here’s how different immunomodulators work in cancer treatment:"),
        (22, "You may get:"),
        (28, "Questions to ask may include:"),
    ],
}


def all_text(document) -> str:
    return "\n".join(
        text for section in document.sections for block in section.blocks for text, _ in block.units
    )


@pytest.mark.parametrize("source_id", sorted(OUTLINES))
def test_outline(corpus, source_id):
    document = corpus[source_id]
    outline = [
        (s.heading, s.kind, [len(b.items) for b in s.blocks if b.type == "list"])
        for s in document.sections
    ]
    assert outline == OUTLINES[source_id]


@pytest.mark.parametrize("source_id", sorted(REVIEW_DATES))
def test_review_dates(corpus, source_id):
    document = corpus[source_id]
    assert (document.last_reviewed, document.next_review) == REVIEW_DATES[source_id]


@pytest.mark.parametrize("source_id", sorted(OUTLINES))
def test_no_chrome_reaches_a_block(corpus, source_id):
    text = all_text(corpus[source_id])
    leaked = [chrome for chrome in CHROME if chrome in text]
    assert leaked == []


@pytest.mark.parametrize("source_id", sorted(NOT_PRINTED))
def test_artifacts_and_lost_lists_are_reported_not_printed(corpus, source_id):
    document = corpus[source_id]
    text = all_text(document)
    for line, phrase in NOT_PRINTED[source_id]:
        assert phrase not in text
        assert any(w.line == line and phrase[:20] in w.message for w in document.warnings), (
            line,
            phrase,
            document.warnings,
        )


def test_lost_lead_in_keeps_the_rest_of_its_paragraph(corpus):
    document = corpus["cleveland-clinic-monoclonal-antibodies"]
    section = next(
        s
        for s in document.sections
        if s.heading == "What diseases can monoclonal antibodies treat?"
    )
    assert section.blocks[0].text == (
        "Monoclonal antibodies are most often used to treat cancer, autoimmune diseases "
        "and inflammatory conditions."
    )


def test_markdown_links_become_text_and_navigation_links_go(corpus):
    document = corpus["nci-monoclonal-antibodies"]
    how = document.sections[0]
    assert how.blocks[1].text.endswith("designed to interact with specific targets.")
    assert "An example is blinatumomab (Blincyto®), which binds to both CD19" in how.blocks[3].text
    assert "a protein on the surface of T cells" in how.blocks[3].text


def test_bullet_continuation_paragraphs_stay_with_their_item(corpus):
    document = corpus["nci-immunotherapy"]
    given = next(s for s in document.sections if s.heading == "How is immunotherapy given?")
    items = given.blocks[1].items
    assert items[0] == "intravenous (IV)\nThe immunotherapy goes directly into a vein."
    types = next(
        s for s in document.sections if s.heading == "What are the types of immunotherapy?"
    )
    transfer = types.blocks[1].items[1]
    assert transfer.endswith(
        "\nT-cell transfer therapy may also be called adoptive cell therapy, adoptive "
        "immunotherapy, or immune cell therapy."
    )
    assert "Learn more" not in transfer


def test_bare_line_lists_after_a_lead_in(corpus):
    document = corpus["cruk-monoclonal-antibodies"]
    lists = [b for b in document.sections[0].blocks if b.type == "list"]
    assert lists[2].items == (
        "breathlessness or difficulty breathing",
        "fever and chills",
        "an itchy rash",
        "flushes and faintness",
    )
    assert lists[2].item_lines == (43, 44, 45, 46)


def test_blocks_keep_their_source_lines(corpus):
    document = corpus["nci-monoclonal-antibodies"]
    side_effects = document.sections[2]
    assert [b.line for b in side_effects.blocks][:5] == [65, 67, 69, 71, 73]
    assert document.sections[0].line == 37  # the heading under the empty "##" on line 35


def test_titles_and_metadata(corpus):
    assert corpus["nci-monoclonal-antibodies"].title == "Monoclonal Antibodies"
    assert corpus["nci-immunotherapy"].publisher == "National Cancer Institute (NCI)"
    assert corpus["cruk-monoclonal-antibodies"].url.startswith("https://www.cancerresearchuk.org/")


@pytest.mark.parametrize(
    ("name", "publisher", "title"),
    [
        (
            "nci-immunotherapy.txt",
            "National Cancer Institute (NCI)",
            "Immunotherapy to Treat Cancer",
        ),
        ("cleveland-clinic-monoclonal-antibodies.txt", "Cleveland Clinic", "Monoclonal Antibodies"),
        ("cruk-monoclonal-antibodies.txt", "Cancer Research UK", None),
        (
            "nci-monoclonal-antibodies.md",
            "National Cancer Institute (NCI)",
            "Monoclonal Antibodies",  # the page's own heading, not the export's "… - NCI"
        ),
    ],
)
def test_unlisted_file_guesses_its_publisher(project, tmp_path, name, publisher, title):
    copy = tmp_path / name
    shutil.copy(project.sources / name, copy)
    document = read_source(copy)
    assert document.publisher == publisher
    assert document.title == title
    assert "Advertisement" not in all_text(document)


def test_unlisted_file_from_unknown_publisher_uses_generic_rules(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text("Clinic page\n\nWhat is it?\n\nIt is a thing.\n\nLearn more about things\n")
    document = read_source(page)
    assert document.publisher is None
    assert [(s.heading, [b.text for b in s.blocks]) for s in document.sections] == [
        ("What is it?", ["It is a thing."])
    ]


@pytest.mark.parametrize(
    ("content", "message", "line"),
    [
        (b"", "source file is empty", None),
        (b"Title\n\nText\x00more\n", "binary file", 3),
        (b"Title\n\nCaf\xc3\xa9 \xe9\xe9 lait.\n", "not valid UTF-8", 3),
        (b"Title\n\nBell \x07 here.\n", "control character U+0007", 3),
        (b"---\ntitle: [unclosed\nurl: x\n---\n\n# T\n", "front matter is not valid YAML", 3),
    ],
)
def test_unreadable_sources_name_file_and_line(tmp_path, content, message, line):
    page = tmp_path / "page.md"
    page.write_bytes(content)
    with pytest.raises(SourceError) as caught:
        read_source(page)
    assert message in caught.value.message
    assert caught.value.path == str(page)
    assert caught.value.line == line


def test_invisible_characters_are_removed_and_reported(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text("Heading\n\nSafe \u202etext\u200b here.\n", encoding="utf-8")
    document = read_source(page)
    assert document.sections[0].blocks[0].text == "Safe text here."
    assert document.warnings[0].line == 3


def test_windows_1252_page_is_decoded_and_reported(tmp_path):
    page = tmp_path / "page.txt"
    page.write_bytes("Título\n\nLa inyección “subcutánea” – sí.\n".encode("cp1252"))
    document = read_source(page)
    assert document.sections[0].blocks[0].text == "La inyección “subcutánea” – sí."
    assert document.warnings[0].message.startswith("not UTF-8: decoded as Windows-1252")


def test_huge_source_refused_before_reading(tmp_path):
    page = tmp_path / "huge.txt"
    page.write_bytes(b"Heading\n\n" + b"A sentence of text.\n" * 420_000)  # 8 MB
    with pytest.raises(SourceError, match=r"8,400,009 bytes, more than the 4,194,304"):
        read_source(page)


# --- patterns, not files: small pages in the shapes the corpus showed -------


def outline_of(tmp_path, text: str, name: str = "page.txt"):
    page = tmp_path / name
    page.write_text(text, encoding="utf-8")
    document = read_source(page)
    return document, [
        (s.heading, s.kind, [len(b.items) for b in s.blocks if b.type == "list"])
        for s in document.sections
    ]


def test_headings_after_a_list_and_up_to_twelve_words(tmp_path):
    _, outline = outline_of(
        tmp_path,
        "Looking after yourself\n\nIt can help to:\n\n  • rest\n  • drink water\n"
        "Ways to look after your skin and hair while it grows back\n\n"
        "Be gentle with it.\n",
    )
    assert outline == [
        (None, "other", [2]),
        ("Ways to look after your skin and hair while it grows back", "other", []),
    ]


def test_headings_in_a_page_without_blank_lines(tmp_path):
    document, outline = outline_of(
        tmp_path,
        "Having treatment\nYou usually have treatment as a day patient.\n"
        "Before treatment\nYou have a blood test.\nDuring treatment\nIt can take a few hours.\n"
        "You might want to bring:\n- something to read\n- a snack\nWho to contact\n"
        "Contact the advice line straight away if you feel unwell.\n",
    )
    assert document.title == "Having treatment"
    assert outline == [
        (None, "other", []),
        ("Before treatment", "what_to_expect", []),
        ("During treatment", "what_to_expect", [2]),
        ("Who to contact", "when_to_call", []),
    ]


@pytest.mark.parametrize("bullet", ["•", "-", "*", "• -", "     *"])
def test_bullet_shapes(tmp_path, bullet):
    _, outline = outline_of(
        tmp_path, f"Title\n\nSigns include:\n{bullet} a fever\n{bullet} chills\n\nMore text.\n"
    )
    assert outline == [(None, "other", [2])]


def test_credits_labels_and_box_titles_are_never_headings(tmp_path):
    document, outline = outline_of(
        tmp_path,
        "Page title\n\nIntro text here.\n\nillustration of a cell\n\nA cell dividing.\n\n"
        "Credit: Some Artist\n\nHave Questions?\n\nPhone: 555 0100\n\nMore about cells\n\n"
        "Cells divide.\n",
    )
    assert outline == [(None, "other", []), ("More about cells", "other", [])]
    assert "illustration" not in all_text(document) and "A cell dividing" not in all_text(document)


def test_a_heading_with_nothing_under_it_is_reported(tmp_path):
    document, outline = outline_of(
        tmp_path, "Title\n\nIntro.\n\nEmpty part\n\nWhat happens next?\n\nYou go home.\n"
    )
    assert [h for h, _, _ in outline] == [None, "What happens next?"]
    assert any(w.line == 5 and "nothing under it" in w.message for w in document.warnings)


def test_kinds_from_first_sentence_and_how_it_works(tmp_path):
    _, outline = outline_of(
        tmp_path,
        "Title\n\nIntro.\n\nKnow the signs of trouble\n\nCall your doctor right away if you "
        "notice a fever.\n\nHow the treatment works\n\nIt helps the immune system.\n",
    )
    assert [k for _, k, _ in outline] == ["other", "when_to_call", "how_it_works"]


def test_subsections_of_side_effects_are_side_effects(tmp_path):
    _, outline = outline_of(
        tmp_path,
        "Title\n\nIntro.\n\nPossible side effects\n\nThe most common ones are:\n\n"
        "Tiredness\n\nYou may feel tired.\n\nSore skin\n\nYour skin may be red.\n\n"
        "Who can have it?\n\nMost people.\n",
    )
    assert outline == [
        (None, "other", []),
        ("Possible side effects", "side_effects", []),
        ("Tiredness", "side_effects", []),
        ("Sore skin", "side_effects", []),
        ("Who can have it?", "other", []),
    ]


def test_lead_in_before_a_question_heading_is_a_lost_list(tmp_path):
    document, _ = outline_of(
        tmp_path, "Title\n\nIntro.\n\nSide effects\n\nThese include:\n\nIs it safe?\n\nYes.\n"
    )
    assert "These include:" not in all_text(document)
    assert any("lead-in without its list" in w.message for w in document.warnings)


def test_link_text_inside_sentences_is_removed(tmp_path):
    document, _ = outline_of(
        tmp_path, "Title\n\nFor relapsed Open a glossary item lymphoma Open a glossary item only.\n"
    )
    assert all_text(document) == "For relapsed lymphoma only."


def test_damaged_sentence_withheld_with_the_sentences_leaning_on_it(tmp_path):
    document, _ = outline_of(
        tmp_path,
        "Title\n\nYour team checks on you. You might have a and an drug first. This helps. "
        "It is quick. Then you go home later in the day after the nurse checks.\n",
    )
    assert all_text(document) == "Your team checks on you."
    warning = document.warnings[0]
    assert warning.line == 3
    assert "You might have a and an drug first. This helps." in warning.message


def test_title_is_never_a_section_question(tmp_path):
    document, outline = outline_of(
        tmp_path, "Skip to main content\n\nWhen should I call the doctor?\n\nCall if unwell.\n"
    )
    assert document.title is None
    assert outline == [("When should I call the doctor?", "when_to_call", [])]


def test_review_date_on_the_line_after_its_label(tmp_path):
    document, _ = outline_of(
        tmp_path,
        "Cancer Research UK logo.\nSearchDonate\nTitle\nText.\nLast reviewed: \n11 Jan 2024\n",
    )
    assert document.publisher == "Cancer Research UK"
    assert document.last_reviewed == dt.date(2024, 1, 11)


def test_syndicated_nci_page_is_recognised(tmp_path):
    document, _ = outline_of(
        tmp_path,
        "Hospital logo\nSome Topic\nText about it.\nan image\nA caption.\n"
        "Credit: National Cancer Institute\nMore text.\n",
    )
    assert document.publisher == "National Cancer Institute (NCI)"
    assert "caption" not in all_text(document)


def test_a_sub_list_stays_with_its_item(tmp_path):
    document, outline = outline_of(
        tmp_path,
        "Title\n\nTell your nurse if you:\n\n  • are pregnant\n  • have other problems:\n"
        "    • kidney disease\n    • liver disease\n\nMore text.\n",
    )
    assert outline == [(None, "other", [2])]
    items = document.sections[0].blocks[1].items
    assert items[1] == "have other problems:\nkidney disease\nliver disease"


def test_navigation_sentences_and_browser_notices_are_chrome(tmp_path):
    document, _ = outline_of(
        tmp_path,
        "Title\n\nThis site is best viewed with a modern browser.\n\nReal text.\n\n"
        "Read more tips to help fight fatigue.\n",
    )
    assert all_text(document) == "Real text."


def test_review_stamp_of_an_unknown_publisher_is_read_not_printed(tmp_path):
    document, outline = outline_of(
        tmp_path,
        "Some page\n\nText of the page.\n\nLast reviewed: \n11 Jan 2024\n"
        "Next review due: \n11 Jan 2027\n",
    )
    assert outline == [(None, "other", [])]
    assert all_text(document) == "Text of the page."
    assert (document.last_reviewed, document.next_review) == (
        dt.date(2024, 1, 11),
        dt.date(2027, 1, 11),
    )


def test_sentences_that_only_send_the_reader_elsewhere_are_dropped(tmp_path):
    document, _ = outline_of(
        tmp_path,
        "Title\n\nIntro.\n\nSkin changes\n\nYour skin may change. Find out more about skin care.\n",
    )
    assert all_text(document) == "Intro.\nYour skin may change."


def test_site_name_and_breadcrumb_above_the_title(tmp_path):
    document, outline = outline_of(
        tmp_path,
        "Example Health\n\nHealth Library Home>Article\n\nLooking After Your Port\n\n"
        "Keep the area clean.\n\nAt home\n\nCheck the skin.\n",
    )
    assert document.title == "Looking After Your Port"
    assert outline == [(None, "other", []), ("At home", "other", [])]


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("Last reviewed: 26 Feb 2025", dt.date(2025, 2, 26)),
        ("Last reviewed: 26 February 2025", dt.date(2025, 2, 26)),
        ("Last reviewed: February 26, 2025", dt.date(2025, 2, 26)),
        ("Last reviewed: 31 February 2025", None),  # not a date: an error at its line
    ],
)
def test_review_stamp_forms(tmp_path, stamp, expected):
    if expected is None:
        with pytest.raises(SourceError, match=r":5: last review date '31 February 2025' is not"):
            outline_of(tmp_path, f"Page\n\nText.\n\n{stamp}\n")
        return
    document, _ = outline_of(tmp_path, f"Page\n\nText.\n\n{stamp}\n")
    assert document.last_reviewed == expected


def test_an_abbreviated_month_is_read_by_the_pattern_that_fits_it(tmp_path):
    # "Feb" has the shape of a full month name too; that pattern must not fail
    # the page, the abbreviated-month pattern reads it.
    document, _ = outline_of(
        tmp_path, "Some page\n\nText of the page.\n\nPage last updated: 26 Feb 2025\n"
    )
    assert document.last_reviewed == dt.date(2025, 2, 26)


# Rules of page shape (issue 21): each on a small page of its own.


def test_title_is_the_heading_the_text_follows_past_menus_and_metadata(tmp_path):
    document, outline = outline_of(
        tmp_path,
        "Skip to main content\nSite Name\nHome\nAbout Us\nHome > Care > Port\nYour Port\n"
        "Author: Editorial Team\nLast Reviewed: March 11, 2024\n"
        "A port is a small device under the skin.\nWhen to call\nCall us if you have a fever.\n",
    )
    assert document.title == "Your Port"
    assert outline == [(None, "other", []), ("When to call", "when_to_call", [])]
    assert document.last_reviewed == dt.date(2024, 3, 11)
    assert (7, "Author: Editorial Team") in document.metadata
    assert "Site Name" not in all_text(document)
    assert any("before the title" in w.message for w in document.warnings)


def test_a_section_name_above_the_text_is_a_section_not_the_title(tmp_path):
    document, outline = outline_of(
        tmp_path,
        "Skip to main content\n\nChemotherapy: Care Instructions\n\nYour Care Instructions\n\n"
        "Chemotherapy is a treatment for cancer that uses medicines.\n",
    )
    assert document.title == "Chemotherapy: Care Instructions"
    assert outline == [("Your Care Instructions", "what_it_is", [])]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The side effects of your treatment can be different for each person. " * 3, "en"),
        ("Los efectos secundarios de la inmunoterapia son distintos en cada persona. " * 3, "es"),
        ("Hola", "en"),  # too few words to tell: English
    ],
)
def test_language_is_read_from_the_text(text, language):
    from leafletgen.read.language import detect_language

    assert detect_language(text) == language


def test_a_spanish_page_is_read_with_spanish_rules(tmp_path):
    document, outline = outline_of(
        tmp_path,
        "Ir al contenido principal\n\nInmunoterapia\n\nLa inmunoterapia es un tipo de "
        "tratamiento del cáncer que usa las defensas del cuerpo.\n\n"
        "¿Qué efectos secundarios pueden aparecer?\n\nLos efectos secundarios son distintos "
        "en cada persona.\n\nCuándo llamar a su equipo de atención médica\n\n"
        "Llame de inmediato si tiene fiebre.\n\nActualización más reciente: 1 de febrero de 2024\n",
    )
    assert document.language == "es"
    assert document.title == "Inmunoterapia"
    assert outline == [
        (None, "other", []),
        ("¿Qué efectos secundarios pueden aparecer?", "side_effects", []),
        ("Cuándo llamar a su equipo de atención médica", "when_to_call", []),
    ]
    assert document.last_reviewed == dt.date(2024, 2, 1)


@pytest.mark.parametrize(
    "stamp",
    [
        "Actualizado al: 2 de abril, 2024",
        "Actualizado el 2 de abril de 2024",
        "Revisado: 2 de abril de 2024",
        "Última actualización: 2 de abril, 2024",
    ],
)
def test_spanish_review_stamps_with_a_day_are_read(tmp_path, stamp):
    document, _ = outline_of(
        tmp_path,
        "Quimioterapia\n\nLa quimioterapia es un tipo de tratamiento del cáncer que usa "
        "medicamentos para destruir las células cancerosas.\n\nCuándo llamar a su equipo de "
        f"atención médica\n\nLlame de inmediato si tiene fiebre.\n\n{stamp}\n",
    )
    assert document.last_reviewed == dt.date(2024, 4, 2)


def test_label_headings_and_glued_back_to_top(tmp_path):
    _, outline = outline_of(
        tmp_path,
        "Nivolumab\nThis page is about one medicine.\nDrug Type:\nYour team can tell you.\n"
        "Side Effects of Nivolumab:Back to top\nSide effects differ.\n"
        "Call your care team right away if:\n- you have a fever\n- you feel faint\n",
    )
    assert outline == [
        (None, "other", []),
        ("Drug Type:", "other", []),
        ("Side Effects of Nivolumab:", "side_effects", [2]),
    ]


def test_unbulleted_lists_under_labels_as_medication_guides_print_them(tmp_path):
    document, outline = outline_of(
        tmp_path,
        "Guide\n\nRead this guide.\n\nWhat is the most important information I should know "
        "about X?\n\nCall your healthcare provider right away if you have:\n\n"
        "Lung problems.\n\nnew cough\nchest pain\n\nLiver problems.\n\nyellow skin\ndark urine\n",
    )
    assert outline == [
        (None, "other", []),
        ("What is the most important information I should know about X?", "most_important", [2]),
    ]
    items = document.sections[1].blocks[-1].items
    assert items == (
        "Lung problems.\nnew cough\nchest pain",
        "Liver problems.\nyellow skin\ndark urine",
    )
    assert not any("lead-in" in w.message for w in document.warnings)


def test_nested_lists_stay_nested_and_lists_apart_stay_apart(tmp_path):
    document, outline = outline_of(
        tmp_path,
        "Title\n\nSome text here.\n\nQuestions\n\n"
        "  • Get help right away if you have:\n  • hives\n  • itching\n  • Another item.\n\n"
        "  • One more.\n  • And another.\n",
    )
    assert outline == [(None, "other", []), ("Questions", "other", [2, 2])]
    assert (
        document.sections[1].blocks[0].items[0]
        == "Get help right away if you have:\nhives\nitching"
    )


def test_link_sentences_in_any_language_are_dropped(tmp_path):
    document, _ = outline_of(
        tmp_path,
        "Title\n\nIntro text here. See Managing symptoms for some tips.\n\n"
        "Obtenga más información sobre los ensayos clínicos.\n\nMore text.\n",
    )
    assert all_text(document) == "Intro text here.\nMore text."


def test_banners_above_the_title_and_the_footer_below_the_text_are_not_printed(tmp_path):
    document, outline = outline_of(
        tmp_path,
        "We use cookies to give you the best experience.\n\nSite Name\n\nHair loss\n\n"
        "Some treatments make your hair fall out.\n\nWoman sitting at computer\n\n"
        "Support services\n\nCancer information\n\nView our publications\n",
    )
    assert document.title == "Hair loss"
    assert outline == [(None, "other", [])]
    assert all_text(document) == "Some treatments make your hair fall out."
    assert any("site footer" in w.message for w in document.warnings)


def test_a_medication_guide_without_blank_lines(tmp_path):
    document, outline = outline_of(
        tmp_path,
        "MEDICATION GUIDE\nWhat is the most important information I should know about X?\n"
        "X can cause problems. Call your healthcare provider right away if you have:\n"
        "Lung problems\ncough\nchest pain\nLiver problems\ndark urine\nWhat is X?\n"
        "X is a prescription medicine.\nBefore receiving X, tell your healthcare provider "
        "about all of your medical conditions, including if you:\nare pregnant\nhave had a "
        "transplant\nHow will I receive X?\nInto a vein.\n",
    )
    assert document.title == "MEDICATION GUIDE"
    assert outline == [
        ("What is the most important information I should know about X?", "most_important", [2]),
        ("What is X?", "what_it_is", []),
        (
            "Before receiving X, tell your healthcare provider about all of your medical "
            "conditions, including if you:",
            "before_treatment",
            [2],
        ),
        ("How will I receive X?", "what_to_expect", []),
    ]
    assert document.sections[0].blocks[-1].items[0] == "Lung problems\ncough\nchest pain"


def test_a_sites_name_above_a_title_that_names_a_kind_is_not_the_title(tmp_path):
    document, outline = outline_of(
        tmp_path,
        "Skip to content\n\nCancer Council NSW\n\nSide effects of immunotherapy\n\n"
        "Immunotherapy can cause side effects.\n\nRadiation therapy\n\nOverview\n\nText.\n",
    )
    assert document.title == "Side effects of immunotherapy"
    assert outline[0] == (None, "side_effects", [])
