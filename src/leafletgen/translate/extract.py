"""Message extraction: the ``messages`` template (templates and leaflet
definitions, per ``babel.cfg``) and the ``content`` template (every source
block the leaflets print).

:func:`extract_yaml` is registered with Babel as the ``leafletgen_yaml``
extraction method (``pyproject.toml``, ``babel.extractors``).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Collection, Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file

from leafletgen import __version__
from leafletgen.errors import TranslationError
from leafletgen.files import read_regular
from leafletgen.model import Leaflet
from leafletgen.translate.catalogs import SOURCE_LANGUAGE, project_relative
from leafletgen.yamlfile import LineDict, parse_yaml

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
TEMPLATE_METHOD = "jinja2"


def extract_yaml(
    fileobj: IO[bytes] | IO[str],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str, str, list[str]]]:
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
    # Babel's command-line module, only for this (a build does not pay for it).
    from babel.messages.frontend import parse_mapping_cfg

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
    """The ``content`` template: every unit of every English source block the
    leaflets print (a source in another language is printed as it stands),
    a drug's leaflet with its label and as it prints without it."""
    catalog = _new_catalog("content")
    for leaflet in (e for chosen in leaflets for e in (chosen, chosen.without_label) if e):
        for document in leaflet.documents:
            if document.language != SOURCE_LANGUAGE:
                continue  # printed as its publisher wrote it, never translated
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


@cache
def template_messages(template: Path, mtime: float) -> tuple[tuple[str, int], ...]:
    """The messages of a template with their lines (extracted once per version of the file)."""
    found = extract_from_file(TEMPLATE_METHOD, template, keywords=KEYWORDS)
    return tuple(
        (message, lineno)
        for lineno, message, _comments, _context in found
        if isinstance(message, str)
    )
