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

import hashlib
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

# A number as clinics write one: an optional leading "+", groups of digits
# (one may stand in parentheses before more digits: "(555) 010-0100", the
# trunk "(0)" of "+44 (0)20 ..."), separated by spaces, dots or hyphens, then
# optionally the capital letters of a vanity number after a hyphen
# ("1-800-4-CANCER"; "555-0100 FAX" is a word) and an extension. Anything
# else ("(24/7)", "/ 112", "OR 0199", "(FREE)", "option 2") means the text is
# more than one number, and it is printed without a link: a patient must
# never dial a number the clinic did not write.
_TOKENS = re.compile(r"(\+)|([0-9]+)|(\([0-9]{1,5}\))|([A-Z]+)|([ \t.\-]+)|(.)", re.DOTALL)
EXTENSION = re.compile(r"[\s,;]*(?:ext\.?|extension|x)\s*([0-9]{1,8})\s*$", re.IGNORECASE)
# The letters of a telephone keypad (ITU-T E.161).
KEYPAD = str.maketrans(
    {letter: str(digit) for digit, letters in {
        2: "ABC", 3: "DEF", 4: "GHI", 5: "JKL", 6: "MNO", 7: "PQRS", 8: "TUV", 9: "WXYZ"
    }.items() for letter in letters}
)  # fmt: skip


def _dialled(written: str) -> tuple[bool, str] | None:
    """``(international, the digits and vanity letters in order)`` of a text
    that is exactly one number, else ``None``."""
    international, groups, letters, pending_paren = False, [], False, False
    separator = ""
    for plus, digits, paren, vanity, between, other in _TOKENS.findall(written.strip()):
        if between:
            separator = between
            continue
        if other or (plus and (groups or international)):
            return None
        if plus:
            international = True
        elif digits or paren:
            if letters:  # digits after the letters: "555-0100 OR 0199"
                return None
            pending_paren = bool(paren)
            value = (paren or digits).strip("()")
            separator = ""
            if not (international and paren == "(0)"):  # the trunk prefix of +44 (0)20
                groups.append(value)
        elif vanity:
            if not groups or pending_paren or (separator and separator.strip(" \t") != "-"):
                return None  # "CALL 911", "555-0100 FAX": words, not a vanity number
            letters, separator = True, ""
            groups.append(vanity)
    if not groups or pending_paren:
        return None
    return international, "".join(groups)


def tel_uri(number: str) -> str | None:
    """The ``tel:`` URI (RFC 3966) that dials ``number`` as the clinic wrote it,
    or ``None`` when the text is more than one phone number.

    ``"(555) 010-0100"`` -> ``tel:5550100100``; ``"+44 (0)20 7946 0000"`` ->
    ``tel:+442079460000``; ``"1-800-4-CANCER"`` -> ``tel:18004226237``;
    ``"555 0100 ext. 12"`` -> ``tel:5550100;ext=12``; ``"911"`` -> ``tel:911``;
    ``"(555) 010-0100 (24/7)"``, ``"911 / 112"`` -> ``None``.
    A number without ``+`` stays as written: a local call, as on the page.
    """
    extension = EXTENSION.search(number)
    written = number[: extension.start()] if extension else number
    dialled = _dialled(written)
    if dialled is None:
        return None
    international, characters = dialled
    digits = characters.translate(KEYPAD)
    if len(re.findall("[0-9]", written)) < 2 or len(digits) > 15:  # E.164: at most 15
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


def page_digest(html: str) -> str:
    """SHA-256 of a web page without its language links: the publisher rewrites
    those when another language is built, and the desk serves its own, so the
    digest binds everything else the page says."""
    return hashlib.sha256(NAV.sub("", html, count=1).encode("utf-8")).hexdigest()


def link_order(langs: Iterable[str]) -> list[str]:
    """Languages in the order their links are listed: English (the original)
    first, then the translations by code."""
    return sorted(set(langs), key=lambda lang: (lang != "en", lang))


def relative_href(source: str, target: str) -> str:
    """The URL of ``target`` from ``source``, both relative to the output folder."""
    path = posixpath.relpath(target, posixpath.dirname(source) or ".")
    return quote(path)
