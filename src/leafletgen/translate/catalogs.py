"""Translation with Babel catalogs, and the rules that keep leaflets honest.

Two gettext domains live under ``locales/``:

* ``messages``: the strings of the templates and the leaflet definitions;
* ``content``: every block of every source a leaflet uses, msgid = the
  normalised English block (each list item its own message), with its
  ``source file:line`` as the reference and a translator comment naming the
  source and section.

A build in another language than English needs every string it prints
translated and not fuzzy; :func:`check_translations` lists exactly what is
missing. Catalogs are read from the ``.po`` files (the translators' files and
the only place the fuzzy flag lives); ``.mo`` files are compiled for other
gettext tools.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po, write_po

from leafletgen import __version__
from leafletgen.errors import LeafletError, TranslationError, brief, raise_all
from leafletgen.files import MAX_CONFIG_BYTES, contained, read_regular
from leafletgen.publish.unit import write_atomic
from leafletgen.select.leaflets import Leaflet, LeafletSpec
from leafletgen.text import unprintable
from leafletgen.yamlfile import LineDict, parse_yaml

SOURCE_LANGUAGE = "en"
DOMAINS = ("messages", "content")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
TEMPLATE_METHOD = "jinja2"


# A language code is a name, never a path: letters and digits in parts
# separated by "-" or "_" (no "@modifier", ".encoding", "/" or "..").
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}([_-][A-Za-z0-9]{2,8})*$")


def language_code(text: str) -> str:
    """The normalised form of a language code given by a user or a file:
    ``EN`` -> ``en``, ``pt-br`` -> ``pt_BR``, ``zh-hans`` -> ``zh_Hans``. Anything
    that is not a plain language code (a path, ``es@x``, ``es.UTF-8``) or not a
    language Babel knows is a :class:`TranslationError`."""
    if not text:
        raise TranslationError("empty language code")
    parts = re.split(r"[-_]", text)
    candidate = "_".join([parts[0].lower(), *parts[1:]])
    if len(text) > 35 or not LANGUAGE_CODE.match(candidate):
        raise TranslationError(
            f"invalid language code {brief(text, 40)}: use a code like 'es', 'pt-BR' or 'zh-Hans'"
        )
    try:
        Locale.parse(candidate)
    except (ValueError, UnknownLocaleError):
        raise TranslationError(f"unknown language code {text!r}") from None
    # Keep the user's parts, in Babel's case conventions (its own str() would
    # add a script or territory the user did not ask for).
    fixed = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            fixed.append(part.title())
        elif (len(part) == 2 and part.isalpha()) or part.isdigit():
            fixed.append(part.upper())
        else:
            fixed.append(part)
    return "_".join(fixed)


def parse_locale(lang: str) -> Locale:
    """A Babel locale for a language code, or a clear error."""
    return Locale.parse(language_code(lang))


def project_relative(path: str | Path, root: Path) -> str:
    """``path`` as written in catalog references and error lists: relative to the project."""
    return Path(path).resolve().relative_to(root.resolve()).as_posix()


def po_path(locales: Path, lang: str, domain: str) -> Path:
    """``locales/<lang>/LC_MESSAGES/<domain>.po``, which must stay inside
    ``locales`` (a language code is checked, and links are followed)."""
    return contained(
        locales,
        f"{language_code(lang)}/LC_MESSAGES/{domain}.po",
        what="catalog",
        error=TranslationError,
    )


_CHARSET = re.compile(rb"charset=([^\s\\\"]*)")


def _check_charset(data: bytes, path: Path) -> None:
    """The catalog's bytes must be in the charset its header declares; a
    catalog saved as UTF-8 but declaring another charset would print mojibake."""
    declared = _CHARSET.search(data[:4096])
    line = data[: declared.start()].count(b"\n") + 1 if declared else None
    name = declared[1].decode("ascii", "replace") if declared else "utf-8"
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise TranslationError(
            f"unknown charset {brief(name, 40)} in the catalog's Content-Type header", path, line
        ) from None
    try:
        data.decode(codec)
    except UnicodeDecodeError as error:
        bad = data[: error.start].count(b"\n") + 1
        raise TranslationError(
            f"not valid {name} (byte 0x{data[error.start]:02x}); save the catalog in the "
            "charset its header declares",
            path,
            bad,
        ) from None
    if codec != "utf-8" and any(byte >= 0x80 for byte in data):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return
        raise TranslationError(
            f"the catalog declares charset {name} but is saved as UTF-8; declare "
            "'charset=UTF-8' in its Content-Type header",
            path,
            line,
        )


def read_catalog(path: Path) -> Catalog:
    """Read a ``.po`` or ``.pot`` file (a regular file, in the charset it
    declares); a malformed one is an error at its line."""
    data = read_regular(path, limit=MAX_CONFIG_BYTES * 8, what="catalog", error=TranslationError)
    _check_charset(data, path)
    try:
        return read_po(io.BytesIO(data), abort_invalid=True)
    except PoFileError as error:
        # Babel counts lines from 0.
        line = error.lineno + 1 if getattr(error, "lineno", None) is not None else None
        reason = str(error).rsplit(" on ", 1)[0]
        raise TranslationError(f"malformed catalog: {reason[:200]}", path, line) from None
    except (ValueError, LookupError) as error:
        raise TranslationError(f"malformed catalog: {str(error)[:200]}", path) from None


def write_catalog(catalog: Catalog, path: Path) -> None:
    """Write a ``.po``/``.pot`` file (previous msgids kept for translators)."""
    write_atomic(path, _po_bytes(catalog))


# Translations are checked like every text that is printed (leafletgen.text:
# no control, invisible or direction-overriding characters) and have no
# markup the English does not have.
_MARKUP = re.compile(r"</?[A-Za-z!][^<>]{0,40}>?|&#?\w+;")


def text_problem(msgid: str, text: str) -> str | None:
    """What makes a translation of ``msgid`` unprintable as plain text, if anything."""
    if problem := unprintable(text):
        return problem
    for markup in _MARKUP.finditer(text):
        tag = markup[0] if markup[0].startswith("&") else re.match(r"</?[!\w]*", markup[0])[0]
        if tag not in msgid:
            shown = tag + (">" if tag.startswith("<") else "")
            return f"markup ({shown!r}) that the English does not have; translations are plain text"
    return None


def check_catalog(catalog: Catalog, path: Path) -> list[TranslationError]:
    """Babel's own checks (placeholders that differ from the msgid, plural
    forms), and every translation checked as text (see :func:`text_problem`)."""
    problems = []
    for message, errors in catalog.check():
        for error in errors:
            problems.append(TranslationError(f"{brief(message.id)}: {error}", path, message.lineno))
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        for text in strings:
            problem = text_problem(" ".join(ids), text or "")
            if problem:
                problems.append(
                    TranslationError(
                        f"the translation of {brief(ids[0])} contains {problem}",
                        path,
                        message.lineno,
                    )
                )
                break
    return problems


# --- extraction ----------------------------------------------------------------


def extract_yaml(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    """Babel extraction method for leaflet definitions (``leaflets/*.yaml``).

    Yields the title, description and section headings of a definition, and
    the licence names of ``sources.yaml``, each at its line.
    Registered as the ``leafletgen_yaml`` method, so ``pybabel extract``
    reads definitions too.
    """
    text = fileobj.read()
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    data = parse_yaml(text, getattr(fileobj, "name", "<definition>"))
    if not isinstance(data, LineDict):
        return
    for name, drug_class in (data.get("classes") or {}).items():
        if isinstance(drug_class, LineDict) and isinstance(drug_class.get("name"), str):
            yield (
                drug_class.line_of("name"),
                "_",
                drug_class["name"],
                [f"name of the drug class {name}, as used in headings after a preposition"],
            )
    for source in data.get("sources") or ():
        licence = source.get("licence") if isinstance(source, LineDict) else None
        if isinstance(licence, LineDict) and isinstance(licence.get("name"), str):
            yield licence.line_of("name"), "_", licence["name"], [f"licence of {source.get('id')}"]
    if "title" not in data:
        return
    for key in ("title", "description"):
        if isinstance(data.get(key), str):
            yield data.line_of(key), "_", data[key], [f"leaflet {key}"]
    for section in data.get("sections") or ():
        if isinstance(section, LineDict) and isinstance(section.get("heading"), str):
            yield section.line_of("heading"), "_", section["heading"], ["section heading"]


def _new_catalog(domain: str) -> Catalog:
    return Catalog(
        project="leafletgen",
        version=__version__,
        domain=domain,
        charset="utf-8",
        fuzzy=False,
        creation_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )


def extract_messages(root: Path) -> Catalog:
    """The ``messages`` template: strings of templates and definitions, per ``babel.cfg``."""
    config = root / "babel.cfg"
    data = read_regular(config, what="the extraction configuration", error=TranslationError)
    try:
        method_map, options_map = parse_mapping_cfg(io.StringIO(data.decode("utf-8")), "babel.cfg")
    except (ValueError, UnicodeDecodeError) as error:
        raise TranslationError(f"invalid extraction configuration: {error}", config) from None
    catalog = _new_catalog("messages")
    for filename, lineno, message, comments, context in extract_from_dir(
        root,
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def extract_content(root: Path, leaflets: Iterable[Leaflet]) -> Catalog:
    """The ``content`` template: every unit of every source block the leaflets print."""
    catalog = _new_catalog("content")
    for leaflet in leaflets:
        for document in leaflet.documents:
            where = {
                block.line: section.heading or "(text before the first heading)"
                for section in document.sections
                for block in section.blocks
            }
            used = [
                block
                for section in leaflet.sections
                for passage in section.passages
                if passage.source == document.id
                for block in passage.blocks
            ]
            relative = project_relative(document.path, root)
            for block in used:
                comment = f"{document.publisher}, “{document.title}” — {where.get(block.line, '')}"
                for text, line in block.units:
                    existing = catalog.get(text)
                    locations = [(relative, line)]
                    if existing is not None:
                        if (relative, line) in existing.locations:
                            continue
                        locations = [*existing.locations, (relative, line)]
                    catalog.add(text, None, locations, auto_comments=[comment])
    return catalog


def _po_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=79, include_previous=True)
    return buffer.getvalue()


def template_is_current(catalog: Catalog, path: Path) -> bool:
    """Whether ``path`` already holds exactly this template."""
    return path.exists() and path.read_bytes() == _po_bytes(catalog)


def write_template(catalog: Catalog, path: Path) -> bool:
    """Write a ``.pot`` file if it changed; whether it was written."""
    if template_is_current(catalog, path):
        return False
    write_catalog(catalog, path)
    return True


def update_catalogs(locales: Path, langs: Iterable[str]) -> list[tuple[Path, Catalog]]:
    """Merge each domain's ``.pot`` into ``<lang>/LC_MESSAGES/<domain>.po``.

    Existing translations are kept; a message whose English changed keeps
    its old translation marked fuzzy (Babel's fuzzy matching), so it is
    reviewed before it is printed again. Missing catalogs are created.
    """
    updated = []
    for domain in DOMAINS:
        template = read_catalog(locales / f"{domain}.pot")
        for lang in langs:
            locale = parse_locale(lang)
            lang = language_code(lang)
            path = po_path(locales, lang, domain)
            if path.exists():
                catalog = read_catalog(path)
            else:
                catalog = Catalog(
                    locale=locale,
                    domain=domain,
                    project="leafletgen",
                    version=__version__,
                    fuzzy=False,
                    charset="utf-8",
                )
            catalog.update(template, update_creation_date=False)
            write_catalog(catalog, path)
            updated.append((path, catalog))
    return updated


def compile_catalogs(locales: Path, langs: Iterable[str]) -> list[Path]:
    """Check every ``.po`` with Babel's checkers and write its ``.mo`` (fuzzy left out)."""
    written, errors = [], []
    for lang in langs:
        for domain in DOMAINS:
            path = po_path(locales, lang, domain)
            if not path.exists():
                continue
            catalog = read_catalog(path)
            problems = check_catalog(catalog, path)
            if problems:
                errors += problems
                continue
            buffer = io.BytesIO()
            write_mo(buffer, catalog, use_fuzzy=False)
            write_atomic(path.with_suffix(".mo"), buffer.getvalue())
            written.append(path.with_suffix(".mo"))
    raise_all(errors)
    return written


def catalog_languages(locales: Path) -> list[str]:
    """The languages that have a catalog folder under ``locales/``."""
    if not locales.is_dir():
        return []
    return sorted(
        p.name
        for p in locales.iterdir()
        if LANGUAGE_CODE.match(p.name) and (p / "LC_MESSAGES").is_dir()
    )


# --- translating -----------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A translation as the catalog has it."""

    text: str
    fuzzy: bool


@dataclass
class Translator:
    """Looks up a leaflet's strings in one language.

    In English every string is its own translation. Elsewhere a string with
    no usable translation falls back to English only in ``draft`` mode, and
    the fall-back is reported so it can be marked.
    """

    lang: str = SOURCE_LANGUAGE
    messages: dict[str, Entry] = field(default_factory=dict)
    content_entries: dict[str, Entry] = field(default_factory=dict)
    draft: bool = False
    catalog_paths: dict[str, Path] = field(default_factory=dict)

    @property
    def is_source(self) -> bool:
        return self.lang == SOURCE_LANGUAGE

    def _lookup(self, table: dict[str, Entry], text: str) -> str | None:
        entry = table.get(text)
        if entry is None or entry.fuzzy or not entry.text:
            return None
        return entry.text

    def gettext(self, message: str) -> str:
        if self.is_source:
            return message
        return self._lookup(self.messages, message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)

    def content(self, text: str) -> tuple[str, bool]:
        """The translation of a source block, and whether it fell back to English."""
        if self.is_source:
            return text, False
        translated = self._lookup(self.content_entries, text)
        if translated:
            return translated, False
        return text, True

    def state(self, domain: str, text: str) -> str:
        """``translated``, ``fuzzy`` or ``missing``."""
        if self.is_source:
            return "translated"
        table = self.messages if domain == "messages" else self.content_entries
        entry = table.get(text)
        if entry is None or not entry.text:
            return "missing"
        return "fuzzy" if entry.fuzzy else "translated"


def _entries(catalog: Catalog) -> dict[str, Entry]:
    return {
        message.id: Entry(message.string or "", message.fuzzy)
        for message in catalog
        if message.id and isinstance(message.id, str)
    }


def load_translator(locales: Path, lang: str, *, draft: bool = False) -> Translator:
    """A translator for ``lang`` from its ``.po`` catalogs (English needs none)."""
    lang = language_code(lang)
    if lang == SOURCE_LANGUAGE:
        return Translator(lang, draft=draft)
    paths = {domain: po_path(locales, lang, domain) for domain in DOMAINS}
    tables: dict[str, dict[str, Entry]] = {}
    for domain, path in paths.items():
        if not path.exists():
            if not draft:
                raise TranslationError(
                    f"no {domain} catalog for {lang!r}; run 'leafletgen i18n update --lang {lang}'",
                    path,
                )
            tables[domain] = {}
            continue
        catalog = read_catalog(path)
        raise_all(check_catalog(catalog, path))
        tables[domain] = _entries(catalog)
    return Translator(lang, tables["messages"], tables["content"], draft, paths)


@dataclass(frozen=True)
class Need:
    """One string a leaflet prints: its domain, msgid and where it comes from."""

    domain: str
    msgid: str
    where: str  # "file:line"


@cache
def _template_messages(template: Path, mtime: float) -> tuple[tuple[str, int], ...]:
    found = extract_from_file(TEMPLATE_METHOD, template, keywords=KEYWORDS)
    return tuple(
        (message, lineno)
        for lineno, message, _comments, _context in found
        if isinstance(message, str)
    )


def leaflet_needs(leaflet: Leaflet, spec: LeafletSpec, templates: Path, root: Path) -> list[Need]:
    """Every string the leaflet prints, with its origin."""
    needs: list[Need] = []
    for template in sorted(templates.glob("*.html")):
        relative = project_relative(template, root)
        for message, line in _template_messages(template.resolve(), template.stat().st_mtime):
            needs.append(Need("messages", message, f"{relative}:{line}"))
    definition = project_relative(spec.path, root)
    if not spec.drug:  # a drug leaflet's title is the drug's name, printed as it is
        needs.append(Need("messages", spec.title, definition))
    if spec.description:
        needs.append(Need("messages", spec.description, definition))
    for section in spec.sections:
        if section.heading:
            needs.append(Need("messages", section.heading, f"{definition}:{section.line}"))
        if section.class_name:
            needs.append(Need("messages", section.class_name, definition))
    for document in leaflet.documents:
        licence = document.source.licence
        if licence:
            needs.append(
                Need("messages", licence.name, f"sources/sources.yaml:{document.source.line}")
            )
    for section in leaflet.sections:
        for passage in section.passages:
            relative = project_relative(leaflet.document(passage.source).path, root)
            for block in passage.blocks:
                for text, line in block.units:
                    needs.append(Need("content", text, f"{relative}:{line}"))
    return needs


def check_translations(
    leaflet: Leaflet, spec: LeafletSpec, translator: Translator, templates: Path, root: Path
) -> None:
    """Fail, listing every missing or fuzzy string, unless the leaflet is fully translated."""
    if translator.is_source or translator.draft:
        return
    problems = []
    seen = set()
    for need in leaflet_needs(leaflet, spec, templates, root):
        state = translator.state(need.domain, need.msgid)
        if state != "translated" and (need.domain, need.msgid) not in seen:
            seen.add((need.domain, need.msgid))
            problems.append(f"  {need.where}: {state} [{need.domain}] {_shorten(need.msgid)!r}")
    if problems:
        raise TranslationError(
            f"leaflet {leaflet.id!r} cannot be built in {translator.lang!r}: "
            f"{len(problems)} string(s) missing or fuzzy (use --draft to preview):\n"
            + "\n".join(problems),
            translator.catalog_paths["content"].parent,
        )


def _shorten(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# --- reporting -------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """Counts of a leaflet's strings in one language."""

    translated: int = 0
    fuzzy: int = 0
    missing: int = 0

    @property
    def total(self) -> int:
        return self.translated + self.fuzzy + self.missing

    @property
    def complete(self) -> bool:
        return self.fuzzy == 0 and self.missing == 0


def translation_progress(needs: list[Need], translator: Translator) -> Progress:
    """How many of ``needs`` (each distinct string once) are translated, fuzzy, missing."""
    counts = {"translated": 0, "fuzzy": 0, "missing": 0}
    for domain, msgid in dict.fromkeys((n.domain, n.msgid) for n in needs):
        counts[translator.state(domain, msgid)] += 1
    return Progress(**counts)


__all__ = [
    "LeafletError",
    "Translator",
    "check_translations",
    "compile_catalogs",
    "extract_content",
    "extract_messages",
    "load_translator",
    "update_catalogs",
]
