"""Chrome removal: the lines of a page that are the site's, not the text's
(navigation, breadcrumbs, figure credits, a publisher's own ranges)."""

from __future__ import annotations

import re

from leafletgen.read.profiles import DropRange, Profile
from leafletgen.read.text import split_sentences, visible

_ENDS_SENTENCE = re.compile(r"[.!?:;][”\"’)]?$")
_WORD = re.compile(r"[a-z]{4,}")
# A line that ends a page ("Reviewed by ...") in the first part of it (the
# first third of its lines) is a byline under the title: dropped, the page goes on.
_BYLINE_SHARE = 3
_NOT_ALT_TEXT = re.compile(r"[:\d]")


def _alt_text(text: str) -> bool:
    """An image's alternative text: three or more words, no label, date or number."""
    return len(text.split()) >= 3 and not _NOT_ALT_TEXT.search(text)


def _shares_a_word(title: str, text: str) -> bool:
    """Whether a breadcrumb-or-title line names what the next sentences talk about."""
    opening = " ".join(split_sentences(text)[:2]).casefold()
    words = {w.rstrip("s") for w in _WORD.findall(title.casefold())}
    return any(w.rstrip("s") in words for w in _WORD.findall(opening))


def strip_chrome(lines: list[str], profile: Profile) -> list[str]:
    """Blank out the lines that are site chrome; keep numbering intact.

    Dropped lines become empty strings so that every surviving line keeps its
    number and paragraph breaks stay where they were.
    """
    kept = list(lines)
    shown = [visible(line) for line in kept]
    dropped: set[int] = set()
    filled = [i for i, text in enumerate(shown) if text]
    for position, index in enumerate(filled):
        if any(p.search(shown[index]) for p in profile.stop_at):
            if position * _BYLINE_SHARE < len(filled):
                dropped.add(index)  # a byline under the title, not the page's end
                continue
            kept[index:] = [""] * (len(kept) - index)
            shown[index:] = [""] * (len(kept) - index)
            break
    content = [i for i, text in enumerate(shown) if text]
    for position, index in enumerate(content):
        if index in dropped or not (profile.any_range and profile.any_range.search(shown[index])):
            continue
        for chrome in profile.drop_ranges:
            if chrome.start.search(shown[index]):
                dropped.add(index)
                dropped.update(_range_rest(chrome, content, position, shown))
                break
    in_ranges = set(dropped)
    dropped.update(i for i in content if any(p.search(shown[i]) for p in profile.drop_lines))
    dropped.update(i for i in content if any(p.search(shown[i]) for p in profile.metadata))
    _drop_figures(content, shown, dropped, in_ranges, profile)
    _drop_leading(content, shown, dropped, profile)
    return ["" if i in dropped else line for i, line in enumerate(kept)]


def _range_rest(chrome: DropRange, content: list[int], position: int, shown: list[str]) -> set[int]:
    """The lines after a range's start line that belong to it."""
    following = content[position + 1 : position + 1 + chrome.within]
    if chrome.end is not None:
        for count, later in enumerate(following):
            if chrome.end.search(shown[later]):
                return set(following[: count + 1])
        return set()  # no end marker: only the start line is chrome
    assert chrome.while_ is not None
    taken: set[int] = set()
    previous = content[position]
    for later in following:
        gap = any(not shown[i] for i in range(previous + 1, later))
        if (gap and taken) or not chrome.while_.search(shown[later]):
            break
        taken.add(later)
        previous = later
    return taken


def _drop_figures(
    content: list[int], shown: list[str], dropped: set[int], in_ranges: set[int], profile: Profile
) -> None:
    """A credit line, with the caption and the image's alternative text above it.

    An image's alternative text is a line that is not a sentence; without one
    above the caption, only the credit line is dropped (the line above may be
    the page's text). The first line of the page is never taken for one.
    """
    if profile.figure_credit is None:
        return
    for position, index in enumerate(content):
        if not profile.figure_credit.search(shown[index]):
            continue
        if index in in_ranges:
            continue  # a figure range already took it, with its caption
        dropped.add(index)
        if position and content[position - 1] in dropped:
            continue  # the image's text is already gone: nothing more to take
        below = content[position + 1] if position + 1 < len(content) else None
        if below in dropped and _alt_text(shown[below]):
            continue  # the image's text is below the credit: the lines above are the page's
        above = [i for i in content[:position] if i not in dropped]
        if len(above) >= 3 and not _ENDS_SENTENCE.search(shown[above[-2]]):
            dropped.update(above[-2:])


def _drop_leading(
    content: list[int], shown: list[str], dropped: set[int], profile: Profile
) -> None:
    """Navigation before the first content line, and the breadcrumb trail."""
    trail: list[int] = []
    following = None
    for index in content:
        if index in dropped:
            continue
        text = shown[index]
        if any(p.search(text) for p in profile.drop_leading):
            dropped.add(index)
        elif profile.breadcrumb is not None and profile.breadcrumb.search(text):
            trail.append(index)
        else:
            following = index
            break
    if not trail:
        return
    dropped.update(trail[:-1])
    if len(trail) == 1 and not (following and _shares_a_word(shown[trail[0]], shown[following])):
        dropped.add(trail[0])
