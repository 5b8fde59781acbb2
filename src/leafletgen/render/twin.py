"""The HTML twin: a leaflet as a page a patient opens on a portal or a phone.

The twin is the printed leaflet's text, laid out for a screen: it carries a
viewport, the leaflet's own font (subset to the characters it prints and
embedded, so it reads the same wherever the file is attached), the clinic's
phone numbers as ``tel:`` links, and a list of links to the same leaflet in
its other languages. What only makes sense on paper (running header and
footer, page numbers, "Printed by …") is left out.

Which languages a leaflet has is known only once a batch has published them:
the publisher's ``relink_twins`` rewrites the language links of every twin
in the output folder from the manifest, and the web app rewrites them again
with its own URLs (:func:`with_language_links`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from babel import Locale, UnknownLocaleError
from markupsafe import Markup

from leafletgen.render.bidi import text_direction
from leafletgen.render.fonts import bcp47

# --- phone numbers ------------------------------------------------------------------

# A number as clinics write one: digits, an optional leading "+", the usual
# separators, capital letters of a vanity number ("1-800-4-CANCER"), and an
# optional extension. Anything else in the string ("option 2", "ask for
# Maria") means the text is not only a number, and it is printed without a
# link: a patient must never dial a number the clinic did not write.
NUMBER = re.compile(
    r"\s*\+?[\s(]*[0-9][0-9A-Z\s().\-/]*"
)  # starts with a digit: "CALL 911" is words
EXTENSION = re.compile(r"[\s,;]*(?:ext\.?|extension|x)\s*([0-9]{1,8})\s*$", re.IGNORECASE)
# The letters of a telephone keypad (ITU-T E.161).
KEYPAD = str.maketrans(
    {letter: str(digit) for digit, letters in {
        2: "ABC", 3: "DEF", 4: "GHI", 5: "JKL", 6: "MNO", 7: "PQRS", 8: "TUV", 9: "WXYZ"
    }.items() for letter in letters}
)  # fmt: skip


def tel_uri(number: str) -> str | None:
    """The ``tel:`` URI (RFC 3966) that dials ``number`` as the clinic wrote it,
    or ``None`` when the text is more than a phone number.

    ``"(555) 010-0100"`` -> ``tel:5550100100``; ``"+44 (0)20 7946 0000"`` ->
    ``tel:+442079460000``; ``"1-800-4-CANCER"`` -> ``tel:18004226237``;
    ``"555 0100 ext. 12"`` -> ``tel:5550100;ext=12``; ``"911"`` -> ``tel:911``.
    A number without ``+`` stays as written: a local call, as on the page.
    """
    extension = EXTENSION.search(number)
    written = number[: extension.start()] if extension else number
    if NUMBER.fullmatch(written) is None or len(re.findall("[0-9]", written)) < 2:
        return None
    international = written.strip().startswith("+")
    if international:  # the trunk prefix written for callers at home: +44 (0)20 ...
        written = written.replace("(0)", "", 1)
    digits = re.sub("[^0-9A-Z]", "", written).translate(KEYPAD)
    if len(digits) > 15:  # E.164: at most 15 digits
        return None
    return f"tel:{'+' if international else ''}{digits}" + (
        f";ext={extension[1]}" if extension else ""
    )


# --- links to the other languages ---------------------------------------------------

MAX_TWIN_BYTES = 64 * 1024 * 1024  # a twin with embedded Chinese fonts is well under 1 MB


@dataclass(frozen=True)
class LanguageLink:
    """A link to the same leaflet in another language."""

    lang: str  # catalog code, e.g. zh_Hans
    href: str

    @property
    def name(self) -> str:
        """The language's own name for itself."""
        return language_name(self.lang)


def language_name(lang: str) -> str:
    """A language's own name, as a link to it reads ("Español", "العربية",
    "中文 (简体)"), from the Unicode CLDR; the code itself for a language CLDR
    does not know."""
    try:
        name = Locale.parse(lang).get_display_name(lang) or lang
    except (ValueError, UnknownLocaleError):
        return lang
    return name[:1].upper() + name[1:]


# The element the template prints and the rewrites below replace; nothing from
# a source or a catalog can contain it, since their text is escaped.
NAV = re.compile(r'<nav class="languages"[^>]*>.*?</nav>', re.DOTALL)


def language_nav(links: Sequence[LanguageLink]) -> Markup:
    """The twin's list of links to its other languages, each named in its own
    language (hidden when there are none)."""
    if not links:
        return Markup('<nav class="languages" hidden></nav>')
    items = "".join(
        Markup('<li><a href="{}" hreflang="{}" lang="{}" dir="{}">{}</a></li>').format(
            link.href, bcp47(link.lang), bcp47(link.lang), text_direction(link.lang), link.name
        )
        for link in links
    )
    return Markup('<nav class="languages"><ul>') + Markup(items) + Markup("</ul></nav>")


def with_language_links(html: str, links: Sequence[LanguageLink]) -> str:
    """``html`` (a twin) with its language links replaced by ``links``; a twin
    from a template without them is returned as it is."""
    return NAV.sub(lambda _match: str(language_nav(links)), html, count=1)


def link_order(langs: Iterable[str]) -> list[str]:
    """Languages in the order their links are listed: English (the original)
    first, then the translations by code."""
    return sorted(set(langs), key=lambda lang: (lang != "en", lang))


def relative_href(source: str, target: str) -> str:
    """The URL of ``target`` from ``source``, both relative to the output folder."""
    path = posixpath.relpath(target, posixpath.dirname(source) or ".")
    return quote(path)
