"""The page's title, and the site chrome printed above it.

A saved page opens with whatever the site prints before its text: skip
links, the site's name, menus, a breadcrumb, a section label, then the
title, perhaps a byline or a date, then the text. The rule, the same for
every publisher: the body starts at the first sentence of text; the title
is the heading the body follows, looking back past what is not a title
(metadata, dates, section questions, links); everything before the title is
the site's, not printed, and reported in one notice.

Where the last heading before the body names a section ("Overview", "Your
Care Instructions" over a definition) it is the page's first section, and
the title is the heading above it when that is the only other one and the
section's name is one no page is titled (``section_names``) or shares a word
with it ("Chemotherapy: Care Instructions"; a site's name does not); where
the same heading stood earlier too, the lines between are the page's
contents list, and the title is above them.
"""

from __future__ import annotations

import re

from leafletgen.model import Notice
from leafletgen.read.classify import classify_body, classify_heading
from leafletgen.read.profiles import Profile
from leafletgen.read.text import Token, split_sentences, visible

_SENTENCE_END = re.compile(r"[.!?:;][”\"’)]?$")
_CLOSING = re.compile(r"[.!:;][”\"’)]?$")  # a title may be a question, not a sentence
_MIN_BODY_WORDS = 1
_MAX_TITLE_WORDS = 15
# A breadcrumb trail on one line: "Home > Treatment > Immunotherapy", "Home » Support »",
# "Home / Patient information / Radiotherapy" (a slash between spaces).
_BREADCRUMB = re.compile(r"^[^.!?]{1,80}?\s(?:[>›»]|/(?=\s))(?:\s[^.!?]{0,160})?$")
# A page title is not a section question: "When should I call the doctor?" at
# the top of a scrape is a heading whose page title the scrape lost.
SECTION_QUESTION = re.compile(
    r"^¿|^(what|how|when|why|who|where|which|can|could|should|is|are|do|does|will)\b.*\?$",
    re.IGNORECASE,
)


def can_be_title(text: str) -> bool:
    """Whether a heading could be a page's title (a section question cannot)."""
    return not SECTION_QUESTION.match(text)


def _is_body(token: Token, profile: Profile) -> bool:
    """The first text of the page: a sentence of a few words, not a link."""
    if token.kind not in ("para", "item") or not _SENTENCE_END.search(token.text):
        return False
    if token.kind == "item" and token.text.endswith(":"):
        return False
    first = split_sentences(token.text)[0]
    if profile.nav_sentences is not None and profile.nav_sentences.match(first):
        return False
    if profile.any_furniture is not None and profile.any_furniture.search(token.text):
        return False  # a cookie, donation or helpline banner above the title
    return len(token.text.split()) >= _MIN_BODY_WORDS


# A field and its value ("Review due: 12 March 2026", "ID: 9999 v.1"): the
# page's metadata, never its title ("Radiotherapy: looking after yourself" is).
_FIELD = re.compile(r"^[^\W\d_][\w ]{0,30}: ?\d")


def _title_like(token: Token) -> bool:
    text = token.text
    if token.kind not in ("heading", "para") or not text or not can_be_title(text):
        return False
    if _FIELD.match(text):
        return False
    if not (text[0].isupper() or text[0].isdigit()) or _CLOSING.search(text):
        return False
    return len(text.split()) <= _MAX_TITLE_WORDS and not _BREADCRUMB.match(text)


def _kind_of(tokens: list[Token], index: int, language: str) -> str:
    """The kind a heading names, or the first sentence under it names."""
    kind = classify_heading(tokens[index].text, language)
    if kind == "other" and index + 1 < len(tokens) and tokens[index + 1].kind == "para":
        kind = classify_body(split_sentences(tokens[index + 1].text)[0], language)
    return kind


_WORD = re.compile(r"[^\W\d_]{4,}")


def _words(text: str) -> set[str]:
    """The longer words of a line, singular, to compare two headings."""
    return {word.rstrip("s") for word in _WORD.findall(text.casefold())}


def _choose(
    tokens: list[Token], candidates: list[int], profile: Profile, after_crumb: bool
) -> tuple[int, int]:
    """Which candidate heading is the title (see the module), and the token
    the text resumes at after it (past a contents list, or past the labels
    printed under a title that a breadcrumb leads to)."""
    last = candidates[-1]
    text = tokens[last].text.casefold()
    earlier = [i for i in candidates[:-1] if tokens[i].text.casefold() == text]
    if earlier and earlier[-1] == last - 1:  # the title twice: the page's, then its heading
        return last, last + 1
    if earlier:  # a contents list: the title stands above it
        before = [i for i in candidates if i < earlier[0]]
        return (before[-1], last) if before else (last, last + 1)

    def names_section(index: int) -> bool:
        named = any(p.search(tokens[index].text) for p in profile.section_names)
        return named or _kind_of(tokens, index, profile.language) != "other"

    if after_crumb and len(candidates) > 1:
        # the breadcrumb leads to the title; the lines under it are labels
        # ("Patient information leaflet"), the last one perhaps a section
        return candidates[0], last if names_section(last) else last + 1
    unnamed = [
        i for i in candidates if not any(p.search(tokens[i].text) for p in profile.section_names)
    ]
    if len(candidates) > 2 and unnamed and unnamed[-1] != last and names_section(last):
        return unnamed[-1], last  # "Title", "Overview", "Key points": sections under it
    first, text = tokens[candidates[0]].text, tokens[last].text
    if len(candidates) == 2 and _kind_of(tokens, last, profile.language) != "other":
        named = any(p.search(text) for p in profile.section_names)
        if named or _words(first) & _words(text):  # a site's name shares no word
            return candidates[0], last
    return last, last + 1


def split_prelude(
    tokens: list[Token], lines: list[str], profile: Profile
) -> tuple[str | None, list[Token], list[Notice]]:
    """The page title, the tokens from the title on, and a notice for the
    chrome before it; ``(None, tokens, [])`` when no line before the body can
    be the title."""
    body = next((i for i, t in enumerate(tokens) if _is_body(t, profile)), len(tokens))
    crumb = _after_breadcrumb(tokens[:body], lines)
    start = crumb or 0
    levels = [i for i in range(start, body) if tokens[i].kind == "heading" and tokens[i].level == 1]
    if levels:
        chosen, resume, candidates = levels[0], levels[0] + 1, levels
    else:
        candidates = [i for i in range(start, body) if _title_like(tokens[i])]
        if not candidates:
            return None, tokens, []
        chosen, resume = _choose(tokens, candidates, profile, crumb is not None)
    notices = []
    if chosen:
        first, last = tokens[0].line, tokens[chosen - 1].line
        notices.append(
            Notice(
                first,
                f"site navigation before the title, not printed (lines {first}-{last}): "
                f"{', '.join(repr(t.text[:40]) for t in tokens[:chosen][:6])}"
                + (", ..." if chosen > 6 else ""),
            )
        )
    if resume > chosen + 1:
        after = tokens[resume].text.casefold() if resume < len(tokens) else None
        listed = any(tokens[i].text.casefold() == after for i in range(chosen + 1, resume))
        what = "the page's list of contents" if listed else "labels between the title and the text"
        notices.append(Notice(tokens[chosen + 1].line, f"{what}, not printed"))
    rest = tokens[resume:]
    question = bool(rest) and rest[0].text.endswith("?") and len(rest[0].text.split()) <= 15
    if rest and rest[0].kind == "para" and (resume == candidates[-1] or question):
        # the heading the text follows, where the scrape's layout hid it
        rest[0] = Token("heading", rest[0].text, rest[0].line, rest[0].level)
    return tokens[chosen].text, rest, notices


def _after_breadcrumb(prelude: list[Token], lines: list[str]) -> int | None:
    """The first token after the last breadcrumb line before the body (the
    breadcrumb itself may be chrome, already gone from the tokens); ``None``
    when there is no breadcrumb."""
    if not prelude:
        return None
    end = prelude[-1].line
    crumbs = [n for n in range(1, end) if _BREADCRUMB.match(visible(lines[n - 1]))]
    if not crumbs:
        return None
    return next((i for i, t in enumerate(prelude) if t.line > crumbs[-1]), len(prelude))


_MAX_FOOTER_WORDS = 10


def split_footer(tokens: list[Token]) -> tuple[list[Token], list[Notice]]:
    """The tokens without the site's footer: the run of short lines that are
    not sentences ("Support services", "View our publications") and headings
    over nothing else, after the page's last sentence or list; reported in
    one notice."""
    end = len(tokens)
    while end and _is_footer(tokens[end - 1]):
        end -= 1
    if end == len(tokens) or not end:
        return tokens, []
    footer = tokens[end:]
    shown = ", ".join(repr(t.text[:40]) for t in footer[:6]) + (", ..." if len(footer) > 6 else "")
    notice = Notice(footer[0].line, f"site footer after the text, not printed: {shown}")
    return tokens[:end], [notice]


def _is_footer(token: Token) -> bool:
    if token.kind == "heading":
        return True
    return (
        token.kind == "para"
        and len(token.text.split()) <= _MAX_FOOTER_WORDS
        and not _SENTENCE_END.search(token.text)
    )
