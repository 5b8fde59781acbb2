"""Babel catalogs: language codes, reading, checking, writing, updating and
compiling the ``.po`` files under ``locales/``.

Two gettext domains live under ``locales/``:

* ``messages``: the strings of the templates and the leaflet definitions;
* ``content``: every block of every source a leaflet uses, msgid = the
  normalised English block (each list item its own message), with its
  ``source file:line`` as the reference and a translator comment naming the
  source and section.

Catalogs are read from the ``.po`` files (the translators' files and the only
place the fuzzy flag lives); ``.mo`` files are compiled for other gettext
tools. Extraction is :mod:`leafletgen.translate.extract`, looking strings up
:mod:`leafletgen.translate.translator`.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterable
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po, write_po

from leafletgen import __version__
from leafletgen.errors import TranslationError, brief, raise_all
from leafletgen.files import MAX_CONFIG_BYTES, contained, read_regular, write_atomic

SOURCE_LANGUAGE = "en"
DOMAINS = ("messages", "content")

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
    write_atomic(path, po_bytes(catalog))


# Translations are checked like sources: no control characters, no invisible
# or direction-overriding characters (they make printed text read differently
# from the reviewed text), and no markup the English does not have. Marks that
# RTL and other scripts need (LRM, RLM, ALM, ZWJ, ZWNJ, isolates) are allowed.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_OVERRIDE = re.compile("[\u200b\u202a-\u202e\u2060-\u2064\ufeff]")
_MARKUP = re.compile(r"</?[A-Za-z!][^<>]{0,40}>?|&#?\w+;")


def text_problem(msgid: str, text: str) -> str | None:
    """What makes a translation of ``msgid`` unprintable as plain text, if anything."""
    if control := _CONTROL.search(text):
        return f"a control character (U+{ord(control[0]):04X}); remove it"
    if override := _OVERRIDE.search(text):
        return (
            f"an invisible or direction-overriding character (U+{ord(override[0]):04X}); remove it"
        )
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


def po_bytes(catalog: Catalog) -> bytes:
    """The ``.po``/``.pot`` file of a catalog, as leafletgen writes it."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=79, include_previous=True)
    return buffer.getvalue()


def template_is_current(catalog: Catalog, path: Path) -> bool:
    """Whether ``path`` already holds exactly this template."""
    return path.exists() and path.read_bytes() == po_bytes(catalog)


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
