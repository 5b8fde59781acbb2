"""Choosing what a leaflet prints: ``select_sections(spec, documents) -> Leaflet``.

Every selector must match exactly one place; anything else is an error that
names the definition's file and line and lists what the source offers.
"""

from __future__ import annotations

from dataclasses import replace

from leafletgen.errors import DefinitionError, LeafletError, brief, raise_all
from leafletgen.model import Block, Document, Leaflet, LeafletSection, Passage, Section
from leafletgen.read.text import normalise
from leafletgen.select.definitions import LeafletSpec, Selector, kept_on_purpose
from leafletgen.select.label_sections import with_label
from leafletgen.select.passages import find_drug_passages, no_drug_passage, searchable_text


def select_sections(spec: LeafletSpec, documents: dict[str, Document]) -> Leaflet:
    """Resolve every selector of ``spec`` against the parsed documents.

    Raises a :class:`DefinitionError` for each selector that matches nothing
    or more than one place, all of them together.
    """
    errors: list[LeafletError] = []
    sections = []
    for section in spec.sections:
        passages: list[Passage] = []
        for selector in section.selectors:
            if selector.drug:
                passages += _drug_passages(spec, selector, documents, errors)
            elif passage := _passage(spec, selector, documents, errors):
                passages.append(passage)
        sections.append(
            LeafletSection(
                section.kind,
                section.heading,
                tuple(passages),
                section.class_name,
                section.drug_name,
            )
        )
    raise_all(errors)
    used_ids = dict.fromkeys(p.source for s in sections for p in s.passages)
    used = tuple(documents[source_id] for source_id in used_ids)
    leaflet = Leaflet(
        id=spec.id,
        title=spec.title,
        sections=tuple(sections),
        documents=used,
        description=spec.description,
        definition=spec.path,
    )
    # A drug printing its own label: its class's text only where the label is silent.
    return with_label(spec, leaflet) if spec.label else leaflet


def _drug_passages(
    spec: LeafletSpec,
    selector: Selector,
    documents: dict[str, Document],
    errors: list[LeafletError],
) -> list[Passage]:
    """Every printed passage naming the selector's drug (none is an error)."""
    assert selector.drug is not None
    # (a drug's passages come from sources in the leaflet's language only)
    same_language = {k: d for k, d in documents.items() if d.language == LEAFLET_LANGUAGE}
    found = [
        replace(passage, keep=selector.keep, line=selector.line)
        for passage in find_drug_passages(selector.drug, spec.drug_names, same_language)
    ]
    if not found:
        errors.append(
            DefinitionError(
                no_drug_passage(selector.drug, spec.drug_names, documents),
                spec.path,
                selector.line,
            )
        )
    try:
        _check_drug_keep(selector, found, documents)
    except LeafletError as error:
        errors.append(DefinitionError(error.message, spec.path, selector.line))
    return found


def _passage(
    spec: LeafletSpec,
    selector: Selector,
    documents: dict[str, Document],
    errors: list[LeafletError],
) -> Passage | None:
    """The one place of its source a selector matches (else an error at its line)."""
    document = documents.get(selector.source)
    if document is None:
        errors.append(
            DefinitionError(
                f"unknown source {selector.source!r}; known: {', '.join(sorted(documents))}",
                spec.path,
                selector.line,
            )
        )
        return None
    try:
        _check_language(selector, document)
        blocks = _resolve(selector, document)
        _check_keep(selector, blocks, document)
    except LeafletError as error:
        errors.append(DefinitionError(error.message, spec.path, selector.line))
        return None
    return Passage(
        selector.source, blocks, selector.keep, selector.line, language=document.language
    )


# The language leaflet definitions are written in (their text is translated
# through the catalogs from it).
LEAFLET_LANGUAGE = "en"


def _check_language(selector: Selector, document: Document) -> None:
    """A source in a language other than the leaflet's is taken only where the
    selector says so (``language:``), never by accident."""
    wanted = selector.language or LEAFLET_LANGUAGE
    if document.language == wanted:
        return
    if selector.language:
        raise DefinitionError(
            f"source {document.id!r} is in {document.language!r}, not {selector.language!r}"
        )
    raise DefinitionError(
        f"source {document.id!r} is in {document.language!r}, and this leaflet's text is "
        f"{LEAFLET_LANGUAGE!r} (translated through the catalogs); to print the source's own "
        f"words on purpose, say 'language: {document.language}' on the selector"
    )


def untranslatable(leaflet: Leaflet, lang: str) -> Passage | None:
    """The first passage that keeps the leaflet from being built in ``lang``:
    one printed as its publisher wrote it in another language than ``lang``
    (the catalogs translate only from the definitions' language)."""
    passages = (p for section in leaflet.sections for p in section.passages)
    return next((p for p in passages if p.language not in (lang, LEAFLET_LANGUAGE)), None)


def translated_into(leaflet: Leaflet, lang: str) -> bool:
    """Whether any passage prints translated into ``lang``. A leaflet whose
    every passage is its publisher's own words in ``lang`` credits no
    translation: "Translated from English" would say that of its medical text."""
    return any(p.language != lang for section in leaflet.sections for p in section.passages)


def not_built_in(leaflet: Leaflet, lang: str) -> DefinitionError | None:
    """Why the leaflet is not built in ``lang`` by choice, at the selector's
    line (shown as ``leaflets/x.yaml:7: prints 'id' as written in 'es'; built
    only in 'es'``), or ``None`` when it can be built in it."""
    passage = untranslatable(leaflet, lang)
    if passage is None:
        return None
    own = sorted({p.language for s in leaflet.sections for p in s.passages} - {LEAFLET_LANGUAGE})
    shown = " and ".join(map(repr, own))
    only = f"built only in {shown}" if len(own) == 1 else f"{shown} together: built in none"
    return DefinitionError(
        f"prints {passage.source!r} as written in {passage.language!r}; {only}",
        leaflet.definition,
        passage.line,
    )


def _check_keep(selector: Selector, blocks: tuple[Block, ...], document: Document) -> None:
    """Every ``keep:`` phrase must quote a flagged line of the selected text, so
    a stale or mistyped phrase never silently keeps nothing."""
    flagged = {(f.line, f.text) for f in document.furniture}
    units = [text for block in blocks for text, line in block.units if (line, text) in flagged]
    if (phrase := _unquoting(selector.keep, units)) is not None:
        shown = "; ".join(repr(t) for t in units) or "none"
        raise DefinitionError(
            f"keep phrase {phrase!r} quotes no flagged line of {selector.describe()} in "
            f"{document.id!r} (flagged lines there: {shown})"
        )


def _unquoting(keep: tuple[str, ...], quotable: list[str]) -> str | None:
    """The first ``keep:`` phrase that quotes none of ``quotable``."""
    return next((p for p in keep if not any(kept_on_purpose(t, (p,)) for t in quotable)), None)


def _check_drug_keep(
    selector: Selector, passages: list[Passage], documents: dict[str, Document]
) -> None:
    """A drug's ``keep:`` phrase must quote a flagged line of its passages or
    a passage opening that points back to text not printed."""
    quoted = []
    for passage in passages:
        flagged = {(f.line, f.text) for f in documents[passage.source].furniture}
        opening = {line for line, _withheld in passage.dangling}
        quoted += [
            text
            for block in passage.blocks
            for text, line in block.units
            if (line, text) in flagged or block.line in opening
        ]
    if (phrase := _unquoting(selector.keep, quoted)) is not None:
        shown = "; ".join(brief(t) for t in quoted) or "none"
        raise DefinitionError(
            f"keep phrase {phrase!r} quotes no flagged line or passage opening of "
            f"{selector.describe()} (lines to quote there: {shown})"
        )


def _outline(document: Document) -> str:
    return "; ".join(
        f"line {s.line}: {s.heading or '(no heading)'} [{s.kind}]" for s in document.sections
    )


def _resolve(selector: Selector, document: Document) -> tuple[Block, ...]:
    if selector.kind or selector.heading:
        if selector.kind:
            matches = [s for s in document.sections if s.kind == selector.kind]
        else:
            wanted = normalise(selector.heading or "").casefold()
            matches = [
                s
                for s in document.sections
                if s.heading and normalise(s.heading).casefold() == wanted
            ]
        if len(matches) == 1:
            return matches[0].blocks
        found = "nothing" if not matches else f"{len(matches)} sections"
        raise LeafletError(
            f"{selector.describe()} matches {found} in {document.id!r}; "
            f"its sections are: {_outline(document)}"
        )
    return _resolve_range(selector, document)


def _find_phrase(phrase: str, document: Document) -> tuple[Section, int]:
    wanted = normalise(phrase).casefold()
    hits = [
        (section, index)
        for section in document.sections
        for index, block in enumerate(section.blocks)
        if wanted in searchable_text(block)
    ]
    if len(hits) == 1:
        return hits[0]
    if hits:
        lines = ", ".join(str(section.blocks[i].line) for section, i in hits)
        raise LeafletError(
            f"phrase {phrase!r} occurs in {len(hits)} blocks of {document.id!r} "
            f"(lines {lines}); quote more of it"
        )
    raise LeafletError(
        f"phrase {phrase!r} is not in any printable block of {document.id!r}; "
        f"its sections are: {_outline(document)}"
    )


def _resolve_range(selector: Selector, document: Document) -> tuple[Block, ...]:
    assert selector.start is not None
    first_section, first = _find_phrase(selector.start, document)
    last_section, last = _find_phrase(selector.end or selector.start, document)
    if first_section is not last_section:
        raise LeafletError(
            f"'from' (line {first_section.blocks[first].line}) and 'to' "
            f"(line {last_section.blocks[last].line}) are in different sections of "
            f"{document.id!r}; select each section separately"
        )
    if last < first:
        raise LeafletError(
            f"'to' (line {last_section.blocks[last].line}) comes before 'from' "
            f"(line {first_section.blocks[first].line}) in {document.id!r}"
        )
    following = last_section.blocks[last + 1] if last + 1 < len(last_section.blocks) else None
    ending = first_section.blocks[last]
    if (
        following is not None
        and following.type == "list"
        and ending.type == "paragraph"
        and ending.text.rstrip().endswith(":")
    ):
        raise LeafletError(
            f"the range ends on a lead-in (line {ending.line}: {ending.text[-40:]!r}) "
            f"without its list (line {following.line}); quote the list's last item in 'to'"
        )
    return first_section.blocks[first : last + 1]
