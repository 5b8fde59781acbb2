"""Drug passages: every printed passage of the corpus that names a drug,
with the earlier blocks it leans on, and the ones that point back to text
the source does not print."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from leafletgen.errors import brief
from leafletgen.model import Block, Document, Leaflet, Passage, Section
from leafletgen.read.text import normalise
from leafletgen.select.definitions import kept_on_purpose

# A passage that starts like this leans on the block before it.
_LEANS_BACK = re.compile(r"^(this|these|as these|such|it|they|examples of these)\b", re.IGNORECASE)
# "The mAb finds ...": a definite noun at the start points back to the block
# before it when that block names the same thing.
_DEFINITE = re.compile(r"^the\s+(\w+)", re.IGNORECASE)
# A first sentence naming a drug like this refers to what came before it.
_REFERS_BACK = re.compile(r"\b(this type|this way|these)\b", re.IGNORECASE)
# A term a reader needs defined: an abbreviation with two capitals or a
# lower-case start ("VEGF", "CD20", "BiTEs", "mAb").
_TERM = re.compile(r"\b(?:[A-Z][a-z]*[A-Z]|[a-z]+[A-Z])[A-Za-z0-9]*\b")


def _name_spans(text: str, name: str, names: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where ``name`` stands in ``text`` as a whole name, not inside a longer drug name."""
    longer = [n for n in names if len(n) > len(name) and name.lower() in n.lower()]
    covered = [m.span() for n in longer for m in re.finditer(rf"\b{re.escape(n)}\b", text, re.I)]
    return [
        m.span()
        for m in re.finditer(rf"\b{re.escape(name)}\b", text, re.I)
        if not any(start <= m.start() and m.end() <= end for start, end in covered)
    ]


def find_drug_passages(
    name: str, names: tuple[str, ...], documents: dict[str, Document]
) -> list[Passage]:
    """Every printed passage that names the drug, one per source, in corpus order.

    A passage is the block naming the drug, plus the earlier blocks it depends
    on: the ones just before it that it points back to ("Pertuzumab is an
    example of this type of mAb." needs the paragraphs describing "this
    type"; "The mAb finds ..." needs the block that introduced the mAbs), and
    the block that defines a term it uses ("VEGF" needs "... vascular
    endothelial growth factor (VEGF)."). It never reaches across text that
    was left out of the document. FDA labels are not searched.
    """
    passages = []
    for document in documents.values():
        if document.label is not None:
            # An FDA label is the drug's own text, not a page explaining it:
            # its title lines ("(rituximab)") are no passage.
            continue
        dropped = {w.line for w in document.warnings}
        chosen: dict[tuple[int, int], Block] = {}
        for s_index, section in enumerate(document.sections):
            for b_index, block in enumerate(section.blocks):
                units = [text for text, _ in block.units]
                if not any(_name_spans(text, name, names) for text in units):
                    continue
                first = _sentence_with(block, name, names)
                refers = first is not None and bool(_REFERS_BACK.search(first))
                start = _lean_back(section, b_index, dropped, refers=refers)
                for index in range(start, b_index + 1):
                    chosen[(s_index, index)] = section.blocks[index]
        for key in _definitions_needed(document, chosen, dropped):
            chosen[key] = document.sections[key[0]].blocks[key[1]]
        if chosen:
            blocks = tuple(chosen[key] for key in sorted(chosen))
            dangling = _dangling(document, chosen, dropped, name, names)
            passages.append(Passage(document.id, blocks, dangling=dangling))
    return passages


def _dangling(
    document: Document,
    chosen: dict[tuple[int, int], Block],
    dropped: set[int],
    name: str,
    names: tuple[str, ...],
) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """The chosen blocks that open a run by pointing back to text left out of
    the document ("This type of mAb ..." after a withheld sentence), with the
    lines left out: printed as published, but never without saying so."""
    found = []
    for s, b in sorted(chosen):
        if b == 0 or (s, b - 1) in chosen:
            continue
        block, previous = chosen[(s, b)], document.sections[s].blocks[b - 1]
        first = _sentence_with(block, name, names)
        refers = first is not None and bool(_REFERS_BACK.search(first))
        if not (refers or _leans_on_previous(block, previous)):
            continue
        lines = tuple(sorted(line for line in dropped if previous.line < line < block.line))
        if lines:
            found.append((block.line, lines))
    return tuple(found)


def _cut(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def dangling_references(leaflet: Leaflet) -> list[tuple[str, str]]:
    """Where a leaflet prints a passage that points back to text its source
    left out (withheld as damaged), as ``(file:line, message)``: the reader
    would meet "This type of ..." with nothing before it."""
    found = []
    for section in leaflet.sections:
        for passage in section.passages:
            if not passage.dangling:
                continue
            document = leaflet.document(passage.source)
            notices = {notice.line: notice.message for notice in document.warnings}
            for line, withheld in passage.dangling:
                block = next(b for b in passage.blocks if b.line == line)
                if any(kept_on_purpose(text, passage.keep) for text, _ in block.units):
                    continue  # read and kept on purpose by the definition
                opening = block.units[0][0]
                opening = re.split(r"(?<=[.!?])\s+", opening, maxsplit=1)[0]
                why = "; ".join(f"line {n}: {_cut(notices[n])}" for n in withheld if n in notices)
                found.append(
                    (
                        f"{document.path}:{line}",
                        f"leaflet {leaflet.id!r} prints {brief(opening, 90)}, which points back "
                        f"to text the source does not print ({why}); read the passage: quote it "
                        "under the drug's 'keep:' in drugs.yaml if it reads right as it is, "
                        "or hold the leaflet back with 'build: false' and a 'reason'",
                    )
                )
    return found


def _leans_on_previous(block: Block, previous: Block) -> bool:
    """Whether ``block``'s first words point back to ``previous``."""
    text = block.text or block.items[0]
    if _LEANS_BACK.match(text):
        return True
    definite = _DEFINITE.match(text)
    if not definite:
        return False
    noun = re.escape(
        definite.group(1).rstrip("s") if len(definite.group(1)) > 3 else definite.group(1)
    )
    return bool(re.search(rf"\b{noun}s?\b", searchable_text(previous), re.IGNORECASE))


def _lean_back(section: Section, index: int, dropped: set[int], *, refers: bool = False) -> int:
    """The first block of the run ending at ``index`` that the block there leans on."""
    start = index
    while start > 0:
        current, previous = section.blocks[start], section.blocks[start - 1]
        if not (refers or _leans_on_previous(current, previous)):
            break
        if any(previous.line < line < current.line for line in dropped):
            break  # what it leans on was not printed: go no further
        start -= 1
        refers = False
    return start


def _defines(block: Block, term: str) -> bool:
    """Whether ``block`` introduces ``term``: "... growth factor (VEGF)", "called CD20"."""
    quoted = re.escape(term.removesuffix("s"))
    pattern = rf"\(\s*{quoted}s?\s*\)|\bcalled\s+(?:an?\s+)?{quoted}s?\b"
    return any(re.search(pattern, text) for text, _ in block.units)


def _definitions_needed(
    document: Document, chosen: dict[tuple[int, int], Block], dropped: set[int]
) -> list[tuple[int, int]]:
    """The earlier blocks of ``document`` that define the terms the chosen blocks
    use without defining them, with the blocks those lean on in turn."""
    if not chosen:
        return []
    first = min(chosen)
    terms = dict.fromkeys(
        term for block in chosen.values() for text, _ in block.units for term in _TERM.findall(text)
    )
    needed: list[tuple[int, int]] = []
    for term in terms:
        if any(_defines(block, term) for block in chosen.values()):
            continue
        earlier = [
            (s, b)
            for s, section in enumerate(document.sections)
            for b, block in enumerate(section.blocks)
            if (s, b) < first and _defines(block, term)
        ]
        if not earlier:
            continue  # the source never spells it out: nothing to bring
        s, b = earlier[-1]
        section = document.sections[s]
        needed += [(s, index) for index in range(_lean_back(section, b, dropped), b + 1)]
    return needed


def _sentence_with(block: Block, name: str, names: tuple[str, ...]) -> str | None:
    """The block's first sentence, if that is the sentence naming the drug."""
    if block.type != "paragraph":
        return None
    first = re.split(r"(?<=[.!?])\s+", block.text, maxsplit=1)[0]
    return first if _name_spans(first, name, names) else None


def no_drug_passage(name: str, names: tuple[str, ...], documents: dict[str, Document]) -> str:
    """Why a drug has no "How it works": where the sources name it without printing it."""
    seen = []
    for document in documents.values():
        try:
            lines = Path(document.path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(lines, start=1):
            if _name_spans(line, name, names):
                seen.append(f"{Path(document.path).name}:{number}")
    where = f"; the sources name it only in text that is not printed ({', '.join(seen)})"
    return f"no printed passage of any source names {name!r}" + (where if seen else "")


@lru_cache(maxsize=65536)
def searchable_text(block: Block) -> str:
    """A block's text as phrases are searched in it: one line, case folded."""
    # Every definition with a phrase range searches the same blocks: each
    # block's searchable text is made once.
    return normalise(" ".join(text for text, _ in block.units)).casefold()
