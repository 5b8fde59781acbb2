"""The desk's own pages: Jinja2 templates under ``templates/web/``, their
strings translated through the project's ``messages`` catalogs.

Each interface language has its own template environment with its
translations installed, so concurrent requests in different languages never
share one. A language is offered once its catalog translates every string of
the desk's templates; English always is.
"""

from __future__ import annotations

import datetime as dt
import threading
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale, negotiate_locale
from babel.dates import format_date
from babel.messages.extract import extract_from_file
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2.ext import i18n as jinja_i18n

from leafletgen.errors import LeafletError
from leafletgen.project import WEB_TEMPLATES, Project
from leafletgen.translate.catalogs import DOMAINS, catalog_languages, po_path
from leafletgen.translate.extract import KEYWORDS, TEMPLATE_METHOD
from leafletgen.translate.translator import load_translator

SOURCE_LANGUAGE = "en"
# The leaflet's own partials the desk uses, so a status reads the same on the
# page as on the leaflet (the reasons a leaflet is not cleared).
SHARED_TEMPLATES = ("distribution.html",)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns)


class Interface:
    """Renders the desk's pages in one of the languages its catalogs cover."""

    def __init__(self, project: Project) -> None:
        self.templates = project.templates / WEB_TEMPLATES
        if not (self.templates / "base.html").is_file():
            raise LeafletError("the web app's templates are missing", self.templates / "base.html")
        self.locales = project.locales
        self._lock = threading.Lock()
        self._environments: dict[str, tuple[Any, Environment]] = {}
        self._offered: tuple[Any, list[str]] | None = None

    # languages ---------------------------------------------------------------------

    def strings(self) -> set[str]:
        """Every message of the desk's templates."""
        found = set()
        shared = [self.templates.parent / name for name in SHARED_TEMPLATES]
        for template in [*sorted(self.templates.glob("*.html")), *shared]:
            if not template.is_file():
                continue
            for _line, message, _comments, _context in extract_from_file(
                TEMPLATE_METHOD, template, keywords=KEYWORDS
            ):
                if isinstance(message, str):
                    found.add(message)
                elif isinstance(message, tuple):
                    found.update(m for m in message if m)
        return found

    def languages(self) -> list[str]:
        """English, and every language whose catalog translates all of the desk's strings."""
        stamp = tuple(
            (lang, _stamp(po_path(self.locales, lang, "messages")))
            for lang in catalog_languages(self.locales)
        ) + tuple((p.name, _stamp(p)) for p in sorted(self.templates.glob("*.html")))
        with self._lock:
            if self._offered and self._offered[0] == stamp:
                return self._offered[1]
        strings = self.strings()
        offered = [SOURCE_LANGUAGE]
        for lang, _ in stamp:
            if lang == SOURCE_LANGUAGE or "." in lang:
                continue
            try:
                translator = load_translator(self.locales, lang, draft=True)
            except LeafletError:
                continue
            if all(translator.state("messages", s) == "translated" for s in strings):
                offered.append(lang)
        with self._lock:
            self._offered = (stamp, offered)
        return offered

    def choose(self, cookie: str | None, accept_language: str | None) -> str:
        """The interface language: the one chosen on the page, else the browser's."""
        offered = self.languages()
        if cookie in offered:
            return cookie
        wanted = [
            part.split(";")[0].strip().replace("-", "_")
            for part in (accept_language or "").split(",")
            if part.strip()
        ]
        return negotiate_locale(wanted, offered, sep="_") or SOURCE_LANGUAGE

    # rendering ---------------------------------------------------------------------

    def environment(self, lang: str) -> Environment:
        """The template environment of interface language ``lang``, made afresh
        when its catalogs change."""
        stamp = tuple(_stamp(po_path(self.locales, lang, d)) for d in DOMAINS)
        with self._lock:
            known = self._environments.get(lang)
            if known and known[0] == stamp:
                return known[1]
        translator = load_translator(self.locales, lang, draft=True)
        environment = Environment(
            loader=FileSystemLoader([self.templates, self.templates.parent]),
            autoescape=True,
            undefined=StrictUndefined,
            extensions=[jinja_i18n],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        environment.install_gettext_callables(  # type: ignore[attr-defined]
            translator.gettext, translator.ngettext, newstyle=True
        )
        locale = Locale.parse(lang)
        environment.globals |= {
            "ui_lang": lang,
            "ui_dir": "rtl" if locale.character_order == "right-to-left" else "ltr",
            "language_name": lambda code: language_name(code, lang),
            "language_in_text": lambda code: language_name(code, lang, capitalize=False),
            "endonym": endonym,
            "N_": str,  # the not-cleared band's strings (notice/band.html), as the leaflet has them
        }
        environment.filters["date"] = lambda value: _date(value, lang)
        environment.filters["bcp47"] = lambda code: code.replace("_", "-")  # zh_Hans -> zh-Hans
        environment.filters["kilobytes"] = lambda n: format_decimal(round(n / 1024), locale=locale)
        with self._lock:
            self._environments[lang] = (stamp, environment)
        return environment

    def render(self, name: str, ui: str, **context: Any) -> str:
        """Template ``name`` in interface language ``ui``."""
        return self.environment(ui).get_template(name).render(context)


@cache
def language_name(code: str, in_lang: str, *, capitalize: bool = True) -> str:
    """A language's name in the interface language: "Spanish", "Español" (or, for
    use inside a sentence, as the language writes it there: "español")."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(in_lang) or code
    except (ValueError, TypeError):
        return code
    return name[:1].upper() + name[1:] if capitalize else name


def endonym(code: str) -> str:
    """A language's name in itself: "Español"."""
    return language_name(code, code)


def _date(value: str | None, lang: str) -> str:
    """An ISO date as the interface language writes it in full; else as it is."""
    if not value:
        return ""
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        return value
    return format_date(day, format="long", locale=lang)
