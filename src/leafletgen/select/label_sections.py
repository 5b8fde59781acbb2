"""A drug leaflet that prints its own FDA label: the label's sections first,
its class's text only where the label is silent, still headed as the class's.

To stay on one sheet a drug may leave class blocks out (``leave_out:`` in
drugs.yaml, each phrase quoting one block); nothing is cut silently: each
block left out is recorded on the leaflet (``Leaflet.left_out``) and
reported wherever the project reports what a leaflet prints. The leaflet
as it prints without the label (``Leaflet.without_label``) is kept for the
languages the label's text is not translated into
(:mod:`leafletgen.translate.editions`).
"""

from __future__ import annotations

from dataclasses import replace

from leafletgen.errors import DefinitionError, brief
from leafletgen.model import Block, Leaflet, LeafletSection, Passage
from leafletgen.read.text import normalise
from leafletgen.select.definitions import LeafletSpec
from leafletgen.select.passages import searchable_text


def with_label(spec: LeafletSpec, leaflet: Leaflet) -> Leaflet:
    """``leaflet`` (selected from ``spec``, a drug naming its label) with the
    class blocks ``spec.leave_out`` quotes left out and recorded, and the
    edition without the label beside it."""
    own = [s for s in leaflet.sections if s.drug_name]
    if not own:
        return leaflet
    without = _regathered(leaflet, tuple(s for s in leaflet.sections if not s.drug_name))
    sections = list(leaflet.sections)
    left_out: list[tuple[str, str]] = []
    for phrase, line in spec.leave_out:
        found = [
            (s, p, b)
            for s, section in enumerate(sections)
            if not section.drug_name
            for p, passage in enumerate(section.passages)
            for b, block in enumerate(passage.blocks)
            if normalise(phrase).casefold() in searchable_text(block)
        ]
        if len(found) != 1:
            how = "no block" if not found else f"{len(found)} blocks"
            raise DefinitionError(
                f"leave_out phrase {phrase!r} quotes {how} of the text leaflet {spec.id!r} "
                "prints beside its label; quote one block",
                spec.path,
                line,
            )
        s, p, b = found[0]
        section = sections[s]
        passage = section.passages[p]
        kept, dropped = _without_block(passage.blocks, b)
        document = leaflet.document(passage.source)
        first = dropped[0]
        opening = first.text or first.items[0]
        more = " and the list it introduces" if len(dropped) > 1 else ""
        more = " and its lead-in" if more and first.type == "list" else more
        left_out.append(
            (
                f"{spec.path}:{line}",
                f"leaflet {spec.id!r} leaves out {brief(opening, 70)}{more} "
                f"({document.path}:{first.line}) to stay on one sheet beside its FDA label",
            )
        )
        passages = list(section.passages)
        if kept:
            passages[p] = replace(passage, blocks=kept)
        else:
            del passages[p]
        sections[s] = replace(section, passages=tuple(passages))
    chosen = tuple(s for s in sections if s.passages)
    return replace(_regathered(leaflet, chosen), left_out=tuple(left_out), without_label=without)


def _without_block(blocks: tuple[Block, ...], index: int) -> tuple[tuple[Block, ...], list[Block]]:
    """``blocks`` without the one at ``index``, and what goes with it: a
    lead-in ("... include:") never stays without its list, nor a list
    without its lead-in."""
    gone = {index}
    block = blocks[index]
    following = blocks[index + 1] if index + 1 < len(blocks) else None
    lead_in = block.type == "paragraph" and block.text.rstrip().endswith(":")
    if lead_in and following is not None and following.type == "list":
        gone.add(index + 1)
    if block.type == "list" and index > 0:
        previous = blocks[index - 1]
        if previous.type == "paragraph" and previous.text.rstrip().endswith(":"):
            gone.add(index - 1)
    kept = tuple(b for i, b in enumerate(blocks) if i not in gone)
    return kept, [blocks[i] for i in sorted(gone)]


def _regathered(leaflet: Leaflet, sections: tuple[LeafletSection, ...]) -> Leaflet:
    """``leaflet`` printing ``sections``, its sources those they use, in order of first use."""
    used = dict.fromkeys(p.source for s in sections for p in s.passages)
    documents = tuple(leaflet.document(source_id) for source_id in used)
    return replace(leaflet, sections=sections, documents=documents)


def label_passages(leaflet: Leaflet) -> list[Passage]:
    """The passages a leaflet prints from a drug's own label."""
    return [p for s in leaflet.sections if s.drug_name for p in s.passages]
