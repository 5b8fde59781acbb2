"""Outline assembly: a reader's tokens -> classified sections of blocks.

Everything after tokenising happens here, the same way for every format:
dropped-link artifacts, lead-ins whose list was lost, headings with nothing
under them, and each section's kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from leafletgen.model import Block, Notice, Section
from leafletgen.read.classify import classify_body, classify_heading
from leafletgen.read.profiles import Profile
from leafletgen.read.text import Token, split_sentences


def _strip_inline(text: str, profile: Profile) -> str:
    for pattern in profile.inline_drop:
        text = pattern.sub("", text)
    return text


def _drop_nav_sentences(text: str, profile: Profile) -> str:
    """A paragraph without its sentences that only send the reader elsewhere."""
    if profile.nav_sentences is None:
        return text
    sentences = split_sentences(text)
    kept = [s for s in sentences if not profile.nav_sentences.match(s)]
    return text if len(kept) == len(sentences) else " ".join(kept)


@dataclass
class _Raw:
    """A section being assembled."""

    heading: Token | None
    blocks: list[Block]
    kind: str = "other"


def assemble(
    tokens: list[Token], profile: Profile, title: str | None = None
) -> tuple[list[Section], list[Notice]]:
    """Tokens -> classified sections, dropping what must never be printed.

    Dropped-link artifacts, lead-ins whose list was lost and headings with
    nothing under them are left out and reported as notices with their line.
    ``title`` is the page's title: on a side-effects page, subsections are
    side effects.
    """
    notices: list[Notice] = []
    raw = _gather(tokens, profile)
    _withhold(raw, profile, notices)
    _classify(raw, title)
    return _sections(raw, notices), notices


def _gather(tokens: list[Token], profile: Profile) -> list[_Raw]:
    """Tokens -> sections of blocks: items join the list before them, a
    continuation joins the last item."""
    raw: list[_Raw] = [_Raw(None, [])]
    for token in tokens:
        text = _strip_inline(token.text, profile)
        blocks = raw[-1].blocks
        if token.kind == "heading":
            raw.append(_Raw(Token("heading", text, token.line, token.level), []))
        elif token.kind == "item":
            if blocks and blocks[-1].type == "list":
                last = blocks[-1]
                blocks[-1] = Block(
                    "list",
                    last.line,
                    items=(*last.items, text),
                    item_lines=(*last.item_lines, token.line),
                )
            else:
                blocks.append(Block("list", token.line, items=(text,), item_lines=(token.line,)))
        elif token.kind == "cont" and blocks and blocks[-1].type == "list":
            last = blocks[-1]
            items = (*last.items[:-1], f"{last.items[-1]}\n{text}")
            blocks[-1] = Block("list", last.line, items=items, item_lines=last.item_lines)
        else:
            text = _drop_nav_sentences(text, profile)
            if text:
                blocks.append(Block("paragraph", token.line, text=text))
    return raw


def _withhold(raw: list[_Raw], profile: Profile, notices: list[Notice]) -> None:
    """Each section without its dropped-link artifacts and lost lead-ins."""
    for index, section in enumerate(raw):
        following = raw[index + 1].heading if index + 1 < len(raw) else None
        subsections_follow = following is not None and _is_subsection(section.heading, following)
        section.blocks = _drop_lead_ins(
            _drop_artifacts(section.blocks, profile, notices),
            profile,
            notices,
            subsections_follow,
        )


def _sections(raw: list[_Raw], notices: list[Notice]) -> list[Section]:
    """The sections with something under them; a heading with nothing under
    it (and no subsections) is a notice."""
    sections = []
    for index, section in enumerate(raw):
        if not section.blocks:
            heading = section.heading
            following = raw[index + 1].heading if index + 1 < len(raw) else None
            parent = heading and following and heading.level and following.level > heading.level
            if heading is not None and not parent:
                notices.append(
                    Notice(
                        heading.line,
                        f"heading with nothing under it, not printed: {heading.text!r}",
                    )
                )
            continue
        sections.append(
            Section(
                heading=section.heading.text if section.heading else None,
                kind=section.kind,
                line=section.heading.line if section.heading else section.blocks[0].line,
                blocks=tuple(section.blocks),
            )
        )
    return sections


def _is_subsection(heading: Token | None, following: Token) -> bool:
    """Whether ``following`` opens a subsection of ``heading``'s section: a
    deeper Markdown heading, or in a scrape a heading that is not a question
    (a page's own sections are usually questions, its subsections names)."""
    if following.level:
        return heading is not None and 0 < heading.level < following.level
    return not following.text.endswith("?")


def _first_sentence(blocks: list[Block]) -> str:
    if blocks and blocks[0].type == "paragraph":
        return split_sentences(blocks[0].text)[0]
    return ""


def _classify(raw: list[_Raw], title: str | None) -> None:
    """Each section's kind: from its heading, else its first sentence; and
    side effects for the subsections of a side-effects section or page."""
    side_effects_page = bool(title) and classify_heading(title) == "side_effects"
    open_level: int | None = None  # Markdown level of the side-effects section still open
    open_scrape = False  # a scrape's side-effects section announced subsections
    for section in raw:
        heading = section.heading
        if heading is None:
            section.kind = "side_effects" if side_effects_page else "other"
            continue
        own = classify_heading(heading.text)
        if own == "other":
            own = classify_body(_first_sentence(section.blocks))
        question = heading.text.endswith("?")
        if heading.level and open_level is not None and heading.level <= open_level:
            open_level = None
        inherits = own == "other" and (
            (heading.level and open_level is not None)
            or (not question and (side_effects_page or (open_scrape and not heading.level)))
        )
        section.kind = "side_effects" if inherits else own
        if own == "side_effects":
            if heading.level:
                open_level = heading.level
            ends_in_lead_in = bool(section.blocks) and section.blocks[-1].text.rstrip().endswith(
                ":"
            )
            open_scrape = not section.blocks or ends_in_lead_in
        elif own != "other" or question:
            open_scrape = False


def _is_artifact(text: str, profile: Profile) -> bool:
    return any(p.search(text) for p in profile.artifacts)


def _drop_artifacts(blocks: list[Block], profile: Profile, notices: list[Notice]) -> list[Block]:
    """Withhold each damaged sentence, and the sentences right after it that
    lean on it ("This can help ..."); the rest of the paragraph is printed."""
    assert profile.leaning is not None
    kept = []
    for block in blocks:
        if block.type == "list":
            units = []
            for item, line in block.units:
                if _is_artifact(item, profile):
                    notices.append(Notice(line, f"dropped-link artifact, not printed: {item!r}"))
                else:
                    units.append((item, line))
            if units:
                items, lines = zip(*units, strict=True)
                kept.append(Block("list", lines[0], items=items, item_lines=lines))
            continue
        if not _is_artifact(block.text, profile):
            kept.append(block)
            continue
        printed, withheld, leaning_on_withheld = [], [], False
        for sentence in split_sentences(block.text):
            if _is_artifact(sentence, profile):
                withheld.append(sentence)
                leaning_on_withheld = True
            elif leaning_on_withheld and profile.leaning.search(sentence):
                withheld.append(sentence)
            else:
                printed.append(sentence)
                leaning_on_withheld = False
        if withheld:
            notices.append(
                Notice(
                    block.line,
                    f"dropped-link artifact, not printed: {' '.join(withheld)!r}",
                )
            )
        if printed:
            kept.append(Block("paragraph", block.line, text=" ".join(printed)))
    return kept


def _drop_lead_ins(
    blocks: list[Block], profile: Profile, notices: list[Notice], subsections_follow: bool
) -> list[Block]:
    """Withhold a lead-in ("These include:") whose list the scrape lost.

    A lead-in that ends its section, with subsection headings after it, is
    not a lost list: the subsections are what it announces.
    """
    assert profile.lead_in is not None
    kept = []
    for index, block in enumerate(blocks):
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        lost_list = (following is None and not subsections_follow) or (
            following is not None and following.type != "list"
        )
        if block.type == "paragraph" and profile.lead_in.search(block.text) and lost_list:
            sentences = split_sentences(block.text)
            notices.append(
                Notice(block.line, f"lead-in without its list, not printed: {sentences[-1]!r}")
            )
            if len(sentences) > 1:
                kept.append(Block("paragraph", block.line, text=" ".join(sentences[:-1])))
            continue
        kept.append(block)
    return kept
