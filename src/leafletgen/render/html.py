"""Leaflet -> HTML: the Jinja2 template filled from a :class:`LeafletContext`.

One escaping rule: everything that comes from a file (source text, YAML,
catalogs) reaches the template as plain text and is escaped by autoescape
where it is printed (see :mod:`leafletgen.render.context`); text put into CSS
strings has ``<`` escaped. Templates are read only from inside the templates
folder.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from dataclasses import fields
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import (
    BaseLoader,
    BytecodeCache,
    Environment,
    FileSystemBytecodeCache,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
)
from jinja2.bccache import Bucket
from jinja2.ext import i18n as jinja_i18n

from leafletgen.errors import RenderError
from leafletgen.files import contained, read_regular
from leafletgen.model import Leaflet
from leafletgen.render import fonts, twin, webfonts
from leafletgen.render.bidi import isolate_ltr
from leafletgen.render.context import (
    LeafletContext,
    RenderOptions,
    gettext_callables,
    leaflet_context,
)
from leafletgen.select.clinic import Clinic
from leafletgen.translate.translator import Translator

TEMPLATE = "leaflet.html"
STYLESHEET = "leaflet.css"
MAX_TEMPLATE_BYTES = 1024 * 1024


def read_template_file(templates: Path, name: str, what: str = "template") -> tuple[str, Path]:
    """A file of the templates folder as text: inside the folder (links too), a
    regular file, UTF-8; anything else is a :class:`RenderError` at its line."""
    path = contained(templates, name, what=what, error=RenderError)
    data = read_regular(path, limit=MAX_TEMPLATE_BYTES, what=what, error=RenderError)
    try:
        return data.decode("utf-8"), path
    except UnicodeDecodeError as problem:
        line = data[: problem.start].count(b"\n") + 1
        raise RenderError(
            f"{what} is not valid UTF-8 (byte 0x{data[problem.start]:02x})", path, line
        ) from None


class _TemplateLoader(BaseLoader):
    """Loads templates only from inside the templates folder (see :func:`read_template_file`)."""

    def __init__(self, templates: Path) -> None:
        self.templates = templates

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        if (
            not (self.templates / template).exists()
            and not (self.templates / template).is_symlink()
        ):
            raise TemplateNotFound(template)
        source, path = read_template_file(self.templates, template)
        mtime = os.stat(path).st_mtime_ns

        def uptodate() -> bool:
            try:
                return os.stat(path).st_mtime_ns == mtime
            except OSError:
                return False

        return source, str(path), uptodate


class _CompiledTemplates(FileSystemBytecodeCache):
    """Jinja's file cache, where a file that cannot be read back (damaged) or
    written (a full or read-only disk) costs the compiling only."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # (pickle and marshal raise many kinds on damage)
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _bytecode_cache() -> BytecodeCache | None:
    """Jinja's cache of compiled templates, in the folder Jinja keeps for this
    user (``_jinja2-cache-UID`` in the temporary folder, refused unless this
    user owns it and it is closed to others): a new process loads the leaflet
    templates compiled instead of parsing and compiling them again (about
    0.1 s of a cold build). A template is used from it only while its
    source's checksum is the same. leafletgen's files are named apart from
    other programs' and by Jinja's version, since the compiled code also
    depends on this environment's settings. None where Jinja finds no safe
    folder."""
    try:
        return _CompiledTemplates(pattern=f"__leafletgen_jinja{jinja2.__version__}_%s.cache")
    except (OSError, RuntimeError):
        return None


@cache
def _environment(templates: Path) -> Environment:
    environment = Environment(
        loader=_TemplateLoader(templates),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=[jinja_i18n],
        keep_trailing_newline=True,
        bytecode_cache=_bytecode_cache(),
    )
    environment.filters["css_page_label"] = page_label_css
    environment.filters["css_string"] = css_string
    environment.filters["tel_uri"] = twin.tel_uri
    return environment


def css_string(text: str) -> str:
    """``text`` as a CSS string literal: quotes, backslashes, newlines and
    ``<``, ``>``, ``&`` escaped, so it can never end the ``<style>`` element."""
    escaped = "".join(
        ch if ch.isprintable() and ch not in '"\\<>&' else f"\\{ord(ch):x} " for ch in text
    )
    return f'"{escaped}"'


def page_label_css(pattern: str) -> str:
    """``"Page {page} of {pages}"`` -> CSS ``content`` with page counters."""
    parts: list[str] = []
    rest = pattern
    while rest:
        positions = [(rest.find(k), k) for k in ("{page}", "{pages}") if k in rest]
        if not positions:
            parts.append(css_string(rest))
            break
        index, key = min(positions)
        if index:
            parts.append(css_string(rest[:index]))
        parts.append(f"counter({key[1:-1]})")
        rest = rest[index + len(key) :]
    return " ".join(parts)


def _inline_css(templates: Path, lang: str, others: tuple[str, ...] = ()) -> str:
    """The stylesheet for a standalone page: its rules, with the font families
    of its language first (and of ``others``, the languages it links to). Its
    ``@font-face`` rules (files of the project) are dropped: the page embeds
    the faces instead (:func:`webfonts.web_font_css`)."""
    css, _path = read_template_file(templates, STYLESHEET, "stylesheet")
    css = re.sub(r"@font-face\s*\{[^{}]*\}\s*", "", css)
    css += "\n" + fonts.language_css((lang, "en", *others), fallback="sans-serif") + "\n"
    return css.replace("</", "<\\/")


def template_variables(context: LeafletContext) -> dict[str, Any]:
    """The context as the template's top-level names (the values themselves,
    not copies: the template reads their attributes)."""
    return {field.name: getattr(context, field.name) for field in fields(context)}


def _with_web_fonts(document: str, inline_css: str, templates: Path, options: RenderOptions) -> str:
    """A filled web page with its fonts embedded: the faces cut down to the
    characters the page prints (and the names of the languages it may link
    to), put in front of its stylesheet, wherever the template printed it."""
    names = [(lang, twin.language_name(lang)) for lang in options.languages]
    fonts_css = webfonts.web_font_css(document, templates, names, options.font_cache)
    # The stylesheet cannot occur in the page's text: there, quotes and < are escaped.
    return document.replace(inline_css, fonts_css + inline_css)


def render_html(
    leaflet: Leaflet,
    clinic: Clinic,
    translator: Translator,
    *,
    templates: str | Path,
    options: RenderOptions | None = None,
    companion: Translator | None = None,
) -> str:
    """The leaflet as one HTML document, in the translator's language (and, for a
    bilingual edition, with the ``companion`` language beside each part)."""
    options = options or RenderOptions(paper=clinic.paper)
    folder = Path(templates).resolve()
    environment = _environment(folder)
    try:
        template = environment.get_template(TEMPLATE)
        context = leaflet_context(leaflet, clinic, translator, options, Path(templates), companion)
        inline_css = (
            _inline_css(Path(templates), translator.lang, options.languages)
            if options.standalone
            else None
        )
        variables = template_variables(context) | gettext_callables(translator)
        document = template.render(variables | {"inline_css": inline_css})
    except TemplateError as error:
        raise RenderError(
            f"template error: {error}", Path(templates) / TEMPLATE, getattr(error, "lineno", None)
        ) from None
    if inline_css is not None:
        # Filled once: the fonts, cut down to the characters it prints, go in after.
        document = _with_web_fonts(document, inline_css, folder, options)
    if context.dir == "rtl":
        document = isolate_ltr(document)
    return document
