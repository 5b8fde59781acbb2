"""What the leaflet template prints, as typed values: a leaflet, its
translator and render options -> :class:`LeafletContext`.

Every text is translated here and reaches the template as plain text, which
autoescape escapes where it is printed. Translations are never markup (the
gettext callables return plain strings, and only ``%(name)s`` placeholders are
filled: a ``%`` anywhere else prints as ``%``).
"""

from __future__ import annotations

import base64
import datetime as dt
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from babel.dates import format_date
from markupsafe import Markup

from leafletgen import __version__
from leafletgen.model import CLASS_HEADINGS, Block, Leaflet, LeafletSection
from leafletgen.read.text import WEB_URL
from leafletgen.render import fonts, twin
from leafletgen.render.bidi import text_direction
from leafletgen.render.columns import PrintColumns, column_width, print_columns, screen_columns
from leafletgen.render.qr import LeafletLink, leaflet_link
from leafletgen.select.clinic import Clinic
from leafletgen.translate.catalogs import SOURCE_LANGUAGE
from leafletgen.translate.translator import Translator


@dataclass(frozen=True)
class RenderOptions:
    """How to print: paper size, large print, draft marking, fixed creation date."""

    paper: str = "letter"
    large_print: bool = False
    draft: bool = False
    created: dt.datetime | None = None
    issued: dt.date | None = None  # the leaflet's own dates, printed on it
    review_by: dt.date | None = None
    standalone: bool = False  # the HTML twin: a web page, stylesheet, fonts and logo inlined
    # The languages a twin may come to link to: their names are in its fonts.
    languages: tuple[str, ...] = ()
    # Why the leaflet is not cleared for distribution ({"code", "subject"}), printed
    # on every page; empty when cleared.
    distribution: tuple[dict[str, str], ...] = ()
    # Who translated and reviewed the text (translations only), for the credits.
    translation_credit: dict[str, Any] | None = None
    # Where a twin's font subsets are kept between pages (see render.webfonts).
    font_cache: Path | None = None


# --- the typed context ----------------------------------------------------------------


@dataclass(frozen=True)
class ListItem:
    """One list item: its lines (a term and its continuation lines)."""

    lines: tuple[str, ...]
    fallback: bool  # printed in English: no translation yet (a draft)
    companion: tuple[str, ...] | None  # the lines in the companion language


@dataclass(frozen=True)
class ListBlock:
    """A list, set in columns when its items are short: ``columns`` is the CSS
    a screen lays out; ``width`` the widest item's width in em (see
    :mod:`~leafletgen.render.columns`), from which print lays out a grid."""

    items: tuple[ListItem, ...]
    columns: str | None
    type: str = "list"
    width: float | None = None

    def on_paper(self, paper: str, large_print: bool, boxed: bool) -> PrintColumns | None:
        """The list's columns on paper (``boxed``: inside the call box), or None."""
        if self.width is None:
            return None
        return print_columns(len(self.items), self.width, paper, large_print, boxed)


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of source text, translated."""

    text: str
    fallback: bool
    companion: str | None
    lead_in: bool  # introduces a list: kept on the page with it
    type: str = "paragraph"


@dataclass(frozen=True)
class Passage:
    """Consecutive blocks of one source, credited once."""

    ref: int
    publisher: str
    blocks: tuple[ListBlock | Paragraph, ...]
    # The source's own language where it is printed as written and is not the
    # leaflet's (tagged on the passage); None when it is the leaflet's.
    lang: str | None = None
    # Only part of a drug's FDA label (an excerpt): the drug's name, for the
    # notice printed beside it; None for any other source.
    excerpt_of: str | None = None


@dataclass(frozen=True)
class SectionContext:
    """A section: its kind, own or class heading, and passages."""

    kind: str
    heading: str | None
    class_name: str | None
    companion_heading: str | None
    passages: tuple[Passage, ...]
    drug_name: str | None = None  # from the drug's own label: headed as the drug's


@dataclass(frozen=True)
class SourceCredit:
    """One entry of the Sources block."""

    ref: int
    publisher: str
    title: str
    language: str
    url: str
    last_reviewed: str | None
    licence: str | None


@dataclass(frozen=True)
class ClinicContext:
    """The clinic as the header, contact box and footer print it."""

    name: str
    phone: str
    after_hours_phone: str | None
    emergency_number: str
    logo: str | None  # a URL: the file, or inlined as data on a web page
    logo_alt: str | None
    leaflet_contact: str | None = None  # whom staff ask about a not-cleared copy


@dataclass(frozen=True)
class Companion:
    """The second language of a bilingual edition."""

    lang: str
    title: str
    gettext: Callable[..., str]


@dataclass(frozen=True)
class NotCleared:
    """A reason the leaflet is not cleared, as printed: code and publisher."""

    code: str
    subject: str


@dataclass(frozen=True)
class TranslatorCredit:
    """Who translated, and how (translator, machine, publisher)."""

    method: str
    by: str


@dataclass(frozen=True)
class ReviewCredit:
    """A qualified review of the translation, its date formatted for the leaflet."""

    name: str
    qualification: str
    date: str


@dataclass(frozen=True)
class TranslationCredit:
    """The credits' translation line."""

    translators: tuple[TranslatorCredit, ...]
    reviews: tuple[ReviewCredit, ...]


@dataclass(frozen=True)
class LeafletContext:
    """Every value the leaflet template prints, every text already translated."""

    lang: str
    dir: str
    title: str
    companion: Companion | None
    description: str
    keywords: tuple[str, ...]
    clinic: ClinicContext
    sections: tuple[SectionContext, ...]
    sources: tuple[SourceCredit, ...]
    paper: str
    large_print: bool
    draft: bool
    created: str | None
    standalone: bool
    # The other languages are known once the batch has published them
    # (twin.relink_twins fills this in).
    language_nav: Markup
    version: str
    issued: str | None
    review_by: str | None
    untranslated: bool  # a draft says English stands in only where it does
    not_cleared: tuple[NotCleared, ...]
    translation_credit: TranslationCredit | None
    # A printed leaflet's QR code to its current page on the clinic's portal.
    portal: LeafletLink | None = None


# --- template strings -----------------------------------------------------------------


_PLACEHOLDER = re.compile(r"%%|%\((\w+)\)s")


def _substitute(text: str, variables: dict[str, Any]) -> str:
    """Fill ``%(name)s`` placeholders (``%%`` is a percent sign); every other
    ``%`` is left as it is. Never Python's ``%`` operator: a translation or a
    licence name is text, not a format."""
    if not variables:
        return text
    return _PLACEHOLDER.sub(lambda m: "%" if m[0] == "%%" else str(variables.get(m[1], m[0])), text)


def gettext_callables(translator: Translator) -> dict[str, Callable[..., str]]:
    """``_``, ``gettext`` and ``ngettext`` for the template: plain strings out
    (autoescape escapes them like any other text), placeholders filled."""

    def gettext(message: str, **variables: Any) -> str:
        return _substitute(translator.gettext(message), variables)

    def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
        return _substitute(translator.ngettext(singular, plural, n), {"num": n, **variables})

    # N_ marks a string for the catalogs without translating it (the not-cleared band).
    return {"_": gettext, "gettext": gettext, "ngettext": ngettext, "N_": str}


# --- building the context -------------------------------------------------------------


def _companion_heading(section: LeafletSection, companion: Translator | None) -> str | None:
    """A section's own or class heading in the companion language, if it has one."""
    if companion is None:
        return None
    if section.heading:
        return companion.gettext(section.heading)
    if section.class_name and section.kind in CLASS_HEADINGS:
        name = companion.gettext(section.class_name)
        return companion.gettext(CLASS_HEADINGS[section.kind]) % {"class_name": name}
    return None


@dataclass(frozen=True)
class _Texts:
    """Translates a leaflet's source text, and (a bilingual edition) gives it
    in the companion language beside."""

    translator: Translator
    companion: Translator | None
    templates: Path

    def beside(self, text: str, fallback: bool, language: str) -> str | None:
        # A block already printed in the source language needs no second copy;
        # a publisher's own words in another language have no translation.
        if self.companion is None or fallback or language != SOURCE_LANGUAGE:
            return None
        translated, missing = self.companion.content(text)
        return None if missing and not self.companion.is_source else translated

    def item(self, text: str, language: str) -> ListItem:
        translated, fallback = self.translator.content(text, language)
        other = self.beside(text, fallback, language)
        return ListItem(
            tuple(translated.split("\n")), fallback, tuple(other.split("\n")) if other else None
        )

    def block(
        self, block: Block, next_block: Block | None, language: str = SOURCE_LANGUAGE
    ) -> ListBlock | Paragraph:
        if block.type == "list":
            items = tuple(self.item(item, language) for item in block.items)
            width = column_width([item.lines for item in items], self.templates)
            return ListBlock(items, screen_columns(width), width=width)
        text, fallback = self.translator.content(block.text, language)
        return Paragraph(
            text,
            fallback,
            self.beside(block.text, fallback, language),
            # A paragraph introducing a list stays on the page with it.
            lead_in=next_block is not None and next_block.type == "list",
        )


def _passages(
    section: LeafletSection, leaflet: Leaflet, texts: _Texts, refs: dict[str, int]
) -> tuple[Passage, ...]:
    """A section's passages, consecutive passages of one source as one."""
    passages: list[Passage] = []
    for passage in section.passages:
        pairs = zip(passage.blocks, (*passage.blocks[1:], None), strict=True)
        blocks = tuple(texts.block(b, n, passage.language) for b, n in pairs)
        if passages and passages[-1].ref == refs[passage.source]:
            # One credit line for consecutive passages of one source.
            last = passages[-1]
            passages[-1] = replace(last, blocks=last.blocks + blocks)
            continue
        document, ref = leaflet.document(passage.source), refs[passage.source]
        # English is translated into the leaflet's language; any other is printed as written.
        own = passage.language not in (SOURCE_LANGUAGE, texts.translator.lang)
        lang = fonts.bcp47(passage.language) if own else None
        label = document.source.label
        excerpt = None
        if label and label.complete is False:  # only part of a label: said beside it
            excerpt = section.drug_name or document.title
        passages.append(Passage(ref, document.publisher or document.id, blocks, lang, excerpt))
    return tuple(passages)


def _sections(leaflet: Leaflet, texts: _Texts, refs: dict[str, int]) -> tuple[SectionContext, ...]:
    gettext = texts.translator.gettext
    return tuple(
        SectionContext(
            kind=section.kind,
            heading=gettext(section.heading) if section.heading else None,
            class_name=gettext(section.class_name) if section.class_name else None,
            companion_heading=_companion_heading(section, texts.companion),
            passages=_passages(section, leaflet, texts, refs),
            drug_name=section.drug_name,
        )
        for section in leaflet.sections
    )


def _date(date: dt.date | None, lang: str) -> str | None:
    return format_date(date, "long", locale=lang) if date else None


def _sources(
    leaflet: Leaflet, translator: Translator, refs: dict[str, int]
) -> tuple[SourceCredit, ...]:
    lang = translator.lang
    return tuple(
        SourceCredit(
            ref=refs[document.id],
            publisher=document.publisher or document.id,
            title=document.title or document.id,
            language=document.language,
            url=document.url if document.url and WEB_URL.match(document.url) else "",
            last_reviewed=_date(document.last_reviewed, lang),
            licence=translator.gettext(document.source.licence.name)
            if document.source.licence
            else None,
        )
        for document in leaflet.documents
    )


def _credit(credit: dict[str, Any] | None, lang: str) -> TranslationCredit | None:
    if not credit:
        return None
    return TranslationCredit(
        tuple(TranslatorCredit(t["method"], t["by"]) for t in credit["translators"]),
        tuple(
            ReviewCredit(r["name"], r["qualification"], format_date(r["date"], "long", locale=lang))
            for r in credit["reviews"]
        ),
    )


def _logo_url(logo: Path, *, inline: bool) -> str:
    if not inline:
        return logo.as_uri()
    kind = mimetypes.guess_type(logo.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(logo.read_bytes()).decode('ascii')}"


def _clinic(clinic: Clinic, options: RenderOptions) -> ClinicContext:
    return ClinicContext(
        name=clinic.name,
        phone=clinic.phone,
        after_hours_phone=clinic.after_hours_phone,
        emergency_number=clinic.emergency_number,
        logo=_logo_url(clinic.logo, inline=options.standalone) if clinic.logo else None,
        logo_alt=clinic.logo_alt,
        leaflet_contact=clinic.leaflet_contact,
    )


def _untranslated(sections: tuple[SectionContext, ...]) -> bool:
    """Whether any block prints English in place of a missing translation."""
    return any(
        block.fallback
        if isinstance(block, Paragraph)
        else any(item.fallback for item in block.items)
        for section in sections
        for passage in section.passages
        for block in passage.blocks
    )


def leaflet_context(
    leaflet: Leaflet,
    clinic: Clinic,
    translator: Translator,
    options: RenderOptions,
    templates: Path,
    companion: Translator | None = None,
) -> LeafletContext:
    """The values the template prints, every text already translated.

    With a ``companion`` translator (a bilingual edition), each heading, block
    and list item also carries its text in the companion's language.
    """
    refs = {document.id: number for number, document in enumerate(leaflet.documents, start=1)}
    lang = translator.lang
    sections = _sections(leaflet, _Texts(translator, companion, templates), refs)
    title = translator.gettext(leaflet.title)
    return LeafletContext(
        lang=fonts.bcp47(lang),
        dir=text_direction(lang),
        title=title,
        companion=Companion(
            fonts.bcp47(companion.lang),
            companion.gettext(leaflet.title),
            gettext_callables(companion)["gettext"],
        )
        if companion
        else None,
        description=translator.gettext(leaflet.description) if leaflet.description else "",
        keywords=(title, *(d.publisher or d.id for d in leaflet.documents), clinic.name),
        clinic=_clinic(clinic, options),
        sections=sections,
        sources=_sources(leaflet, translator, refs),
        paper=options.paper,
        large_print=options.large_print,
        draft=options.draft,
        created=options.created.isoformat() if options.created else None,
        standalone=options.standalone,
        language_nav=twin.language_nav(()),
        version=__version__,
        issued=_date(options.issued, lang),
        review_by=_date(options.review_by, lang),
        untranslated=_untranslated(sections),
        not_cleared=tuple(NotCleared(r["code"], r["subject"]) for r in options.distribution),
        translation_credit=_credit(options.translation_credit, lang),
        portal=None if options.standalone else leaflet_link(clinic.portal_url, leaflet.id, lang),
    )
