"""Translation: Babel catalogs for template strings and source content.

Two gettext domains live under ``locales/``: ``messages`` for the strings of
templates and leaflet definitions, ``content`` for the blocks of the source
documents (msgid = the normalised English block). English needs neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SOURCE_LANGUAGE = "en"


@dataclass
class Translator:
    """Looks up a leaflet's strings in one language and remembers what was missing.

    In English every string is its own translation.
    """

    lang: str = SOURCE_LANGUAGE
    messages: dict[str, str] = field(default_factory=dict)
    content_strings: dict[str, str] = field(default_factory=dict)
    draft: bool = False

    def gettext(self, message: str) -> str:
        if self.lang == SOURCE_LANGUAGE:
            return message
        return self.messages.get(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)

    def content(self, text: str) -> tuple[str, bool]:
        """The translation of a source block, and whether it fell back to English."""
        if self.lang == SOURCE_LANGUAGE:
            return text, False
        translated = self.content_strings.get(text)
        if translated:
            return translated, False
        return text, True
