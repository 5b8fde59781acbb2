"""Looking a leaflet's strings up in one language, and what it still needs.

A build in another language than English needs every string it prints
translated and not fuzzy; :func:`check_translations` lists exactly what is
missing, :func:`translation_progress` counts it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog

from leafletgen.errors import TranslationError, raise_all
from leafletgen.model import Leaflet
from leafletgen.select.definitions import LeafletSpec
from leafletgen.translate.catalogs import (
    DOMAINS,
    SOURCE_LANGUAGE,
    check_catalog,
    language_code,
    po_path,
    project_relative,
    read_catalog,
)
from leafletgen.translate.extract import template_messages


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
        """Whether the language is the source language (English)."""
        return self.lang == SOURCE_LANGUAGE

    def _lookup(self, table: dict[str, Entry], text: str) -> str | None:
        entry = table.get(text)
        if entry is None or entry.fuzzy or not entry.text:
            return None
        return entry.text

    def gettext(self, message: str) -> str:
        """A ``messages`` string in the language (English while it has no usable translation)."""
        if self.is_source:
            return message
        return self._lookup(self.messages, message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The singular or plural ``messages`` string for ``n``."""
        return self.gettext(singular if n == 1 else plural)

    def content(self, text: str, language: str = SOURCE_LANGUAGE) -> tuple[str, bool]:
        """The translation of a source block, and whether it fell back to English.

        A block of a source in another language than English (``language``)
        is the publisher's own words: printed as it stands, never looked up.
        """
        if self.is_source or language != SOURCE_LANGUAGE:
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


def leaflet_needs(leaflet: Leaflet, spec: LeafletSpec, templates: Path, root: Path) -> list[Need]:
    """Every string the leaflet prints through the catalogs, with its origin
    (the text of a source in another language than English is printed as it
    stands, so it needs none)."""
    needs: list[Need] = []
    # templates/drug/ prints a drug's own label: needed only where one is printed.
    label = any(s.drug_name for s in leaflet.sections) or any(
        d.source.label and d.source.label.complete is False for d in leaflet.documents
    )
    drug = sorted((templates / "drug").glob("*.html")) if label else []
    for template in [*sorted(templates.glob("*.html")), *drug]:
        relative = project_relative(template, root)
        for message, line in template_messages(template.resolve(), template.stat().st_mtime):
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
            if passage.language != SOURCE_LANGUAGE:
                continue  # printed as its publisher wrote it: nothing to translate
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
        """Every distinct string the leaflet prints."""
        return self.translated + self.fuzzy + self.missing

    @property
    def complete(self) -> bool:
        """Nothing fuzzy and nothing missing."""
        return self.fuzzy == 0 and self.missing == 0


def translation_progress(needs: list[Need], translator: Translator) -> Progress:
    """How many of ``needs`` (each distinct string once) are translated, fuzzy, missing."""
    counts = {"translated": 0, "fuzzy": 0, "missing": 0}
    for domain, msgid in dict.fromkeys((n.domain, n.msgid) for n in needs):
        counts[translator.state(domain, msgid)] += 1
    return Progress(**counts)
