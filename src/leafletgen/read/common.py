"""What every reader shares: decoding, publisher profiles, chrome removal and
turning a stream of tokens into sections of blocks.

A reader's own job is only to turn its format's lines into :class:`Token`
values; everything after that (artifact and lead-in checks, sections,
classification) happens here, the same way for every format.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml

from leafletgen.errors import SourceError
from leafletgen.model import Block, Furniture, Notice, Section
from leafletgen.read.classify import classify_body, classify_heading

MAX_SOURCE_BYTES = 4 * 1024 * 1024
# Every URL from data is a web address: a leaflet never links to a file, a
# script or anything else.
WEB_URL = re.compile(r"^https?://[^\s<>\"'\\]+$", re.IGNORECASE)

# Characters that change how text is displayed without being visible:
# zero-width joiners/spaces and bidirectional overrides (which can make a
# printed sentence read differently from the text that was reviewed).
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


@dataclass(frozen=True)
class DropRange:
    """A block of chrome: a start line, then either everything up to an end
    line (``end`` within ``within`` lines) or the run of lines that match
    ``while_`` (no blank line between them)."""

    start: re.Pattern[str]
    within: int
    end: re.Pattern[str] | None = None
    while_: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Profile:
    """A publisher's chrome rules (see ``data/profiles.yaml``)."""

    name: str
    publisher: str | None = None
    detect: tuple[re.Pattern[str], ...] = ()
    drop_lines: tuple[re.Pattern[str], ...] = ()
    drop_leading: tuple[re.Pattern[str], ...] = ()
    breadcrumb: re.Pattern[str] | None = None
    drop_ranges: tuple[DropRange, ...] = ()
    any_range: re.Pattern[str] | None = None  # every range's start, as one
    stop_at: tuple[re.Pattern[str], ...] = ()
    heading_lines: tuple[re.Pattern[str], ...] = ()
    review_dates: dict[str, tuple[tuple[re.Pattern[str], str], ...]] = field(default_factory=dict)
    nav_links: tuple[re.Pattern[str], ...] = ()
    nav_sentences: re.Pattern[str] | None = None
    inline_drop: tuple[re.Pattern[str], ...] = ()
    figure_credit: re.Pattern[str] | None = None
    not_headings: tuple[re.Pattern[str], ...] = ()
    artifacts: tuple[re.Pattern[str], ...] = ()
    lead_in: re.Pattern[str] | None = None
    leaning: re.Pattern[str] | None = None
    furniture: tuple[tuple[str, re.Pattern[str]], ...] = ()
    any_furniture: re.Pattern[str] | None = None  # all furniture patterns, as one


def _patterns(values: list[str] | None, flags: int = 0) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(value, flags) for value in values or ())


def _union(values: list[str] | None) -> tuple[re.Pattern[str], ...]:
    """Patterns tried on every line, as few alternations as possible: each
    stays linear, and one search a line is much cheaper than one a pattern.
    Patterns anchored at the start go into one ``^(?:...)`` alternation, which
    is only tried at the start of the line."""
    values = list(values or ())
    anchored = [v[1:] for v in values if v.startswith("^")]
    floating = [v for v in values if not v.startswith("^")]
    unions = []
    if anchored:
        unions.append(re.compile("^(?:" + "|".join(f"(?:{v})" for v in anchored) + ")"))
    if floating:
        unions.append(re.compile("|".join(f"(?:{v})" for v in floating)))
    return tuple(unions)


def _optional(value: str | None) -> re.Pattern[str] | None:
    return re.compile(value) if value else None


@cache
def load_profiles() -> dict[str, Profile]:
    """Read the packaged publisher profiles, each merged with the generic rules."""
    data = yaml.safe_load(resources.files("leafletgen.data").joinpath("profiles.yaml").read_text())
    generic = data["generic"]
    profiles = {"generic": _make_profile("generic", {}, generic)}
    for name, spec in data["profiles"].items():
        profiles[name] = _make_profile(name, spec, generic)
    return profiles


def _ranges(specs: list[dict]) -> tuple[DropRange, ...]:
    return tuple(
        DropRange(
            start=re.compile(r["start"]),
            within=int(r.get("within", 12)),
            end=_optional(r.get("end")),
            while_=_optional(r.get("while")),
        )
        for r in specs
    )


_DatePatterns = tuple[tuple[re.Pattern[str], str], ...]


def _review_patterns(spec: dict, generic: dict) -> dict[str, _DatePatterns]:
    """A publisher's own review-date patterns, then the generic ones."""
    found: dict[str, _DatePatterns] = {}
    for source in (spec.get("review_dates", {}), generic.get("review_dates", {})):
        for key, value in source.items():
            entries = value if isinstance(value, list) else [value]
            compiled = tuple((re.compile(e["pattern"]), e["format"]) for e in entries)
            found[key] = found.get(key, ()) + compiled
    return found


def _make_profile(name: str, spec: dict, generic: dict) -> Profile:
    def both(key: str) -> list:
        return list(generic.get(key, [])) + list(spec.get(key, []))

    return Profile(
        name=name,
        publisher=spec.get("publisher"),
        detect=_patterns(spec.get("detect"), re.MULTILINE),
        drop_lines=_union(both("drop_lines")),
        drop_leading=_union(both("drop_leading")),
        breadcrumb=_optional(spec.get("breadcrumb")),
        drop_ranges=_ranges(both("drop_ranges")),
        any_range=re.compile("|".join(f"(?:{r['start']})" for r in both("drop_ranges")) or "(?!)"),
        stop_at=_union(spec.get("stop_at")),
        heading_lines=_union(spec.get("heading_lines")),
        review_dates=_review_patterns(spec, generic),
        nav_links=_patterns(generic.get("nav_links")),
        nav_sentences=_optional("|".join(generic.get("nav_sentences", [])) or None),
        inline_drop=_patterns(generic.get("inline_drop")),
        figure_credit=_optional(generic.get("figure_credit")),
        not_headings=_union(generic.get("not_headings")),
        artifacts=tuple(
            re.compile(p.pattern, re.IGNORECASE) for p in _union(generic.get("artifacts"))
        ),
        lead_in=re.compile(generic["lead_in"]),
        leaning=re.compile(generic["leaning"]),
        furniture=tuple(
            (kind, re.compile(pattern))
            for kind, patterns in generic.get("furniture", {}).items()
            for pattern in patterns
        ),
        any_furniture=re.compile(
            "|".join(f"(?:{p})" for ps in generic.get("furniture", {}).values() for p in ps)
        ),
    )


def guess_profile(text: str) -> Profile:
    """The profile of the publisher whose markers appear in ``text``, else the generic one.

    A page can mention other publishers (a link to cancer.gov on a MedlinePlus
    page): the profile with the most distinct markers wins, ties going to the
    one whose first marker comes first.
    """
    best: tuple[int, int, Profile] | None = None
    for profile in load_profiles().values():
        positions = [m.start() for p in profile.detect if (m := p.search(text))]
        if not positions:
            continue
        key = (-len(positions), min(positions))
        if best is None or key < best[:2]:
            best = (*key, profile)
    return best[2] if best else load_profiles()["generic"]


def decode_source(data: bytes, path: Path) -> tuple[str, list[Notice]]:
    """Bytes of a source file -> text with Unix newlines, or a clear :class:`SourceError`."""
    if not data.strip():
        raise SourceError("source file is empty", path)
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(
            f"source file is {len(data):,} bytes, more than the {MAX_SOURCE_BYTES:,} a "
            "patient-education page can plausibly be",
            path,
        )
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise SourceError("binary file (NUL byte), not a text document", path, line)
    notices = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        text = _decode_legacy(data)
        if text is None:
            line = data[: error.start].count(b"\n") + 1
            raise SourceError(
                f"not valid UTF-8 (byte 0x{data[error.start]:02x}) and not recognisably "
                "Windows-1252/ISO-8859-1; save the page as UTF-8",
                path,
                line,
            ) from None
        line = data[: error.start].count(b"\n") + 1
        notices.append(Notice(line, "not UTF-8: decoded as Windows-1252 (ISO-8859-1)"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if control := _CONTROL.search(text):
        line = text.count("\n", 0, control.start()) + 1
        raise SourceError(
            f"control character U+{ord(control[0]):04X}: not a text document", path, line
        )
    for number, line_text in enumerate(text.split("\n"), start=1):
        if _INVISIBLE.search(line_text):
            notices.append(Notice(number, "invisible or direction-changing characters removed"))
    text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text))
    return text, notices


# Bytes a Windows-1252 / ISO-8859-1 page uses outside ASCII: accented letters,
# typographic quotes and dashes, no-break space, (c), (R), degree, middle dot.
_LEGACY_BYTES = frozenset([0x91, 0x92, 0x93, 0x94, 0x96, 0x97, 0xA0, 0xA9, 0xAE, 0xB0, 0xB7])
_LEGACY_BYTES |= frozenset(range(0xC0, 0x100)) - {0xD7, 0xF7}
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _decode_legacy(data: bytes) -> str | None:
    """Decode a page saved as Windows-1252, if that is clearly what it is.

    Clearly means: every non-ASCII byte is a letter or common typographic
    mark of that encoding and stands alone between ASCII bytes (other
    encodings, and broken UTF-8, come in runs of high bytes).
    """
    previous_high = False
    for byte in data:
        high = byte >= 0x80
        if high and (byte not in _LEGACY_BYTES or previous_high):
            return None
        previous_high = high
    return data.decode("cp1252")


_HEADING_MARK = re.compile(r"^#{1,6}\s*")
_BULLET_MARK = re.compile(r"^(?:[•·▪●◦‣]\s*(?:[-–*]\s+)?|[-*+]\s+)")
_MD_LINK = re.compile(r"(?<!!)\[([^\[\]]*)\]\([^()]*\)")
_MD_STRONG = re.compile(r"(\*\*|__)")


@lru_cache(maxsize=8192)
def visible(line: str) -> str:
    """What a reader sees of a line: no surrounding white space, Markdown
    heading marks, bullets, emphasis or link targets."""
    text = _BULLET_MARK.sub("", _HEADING_MARK.sub("", line.strip()))
    return _MD_STRONG.sub("", _MD_LINK.sub(r"\1", text)).strip()


def find_review_dates(
    lines: list[str], profile: Profile, path: Path | None = None
) -> dict[str, dt.date]:
    """Review dates printed on the page, by the profile's patterns; a date that
    is not a real one ("31 Feb 2028") is an error at its line.

    A label ending in ":" may carry its date on the next non-blank line
    ("Last reviewed:" / "11 Jan 2024"), as scrapes of some pages do.
    """
    shown = [visible(line) for line in lines]
    candidates: list[tuple[str, int]] = []
    for index, text in enumerate(shown):
        if not text:
            continue
        candidates.append((text, index + 1))
        if text.endswith(":"):
            following = next((t for t in shown[index + 1 : index + 3] if t), None)
            if following:
                candidates.append((f"{text} {following}", index + 1))
    found: dict[str, dt.date] = {}
    for key, patterns in profile.review_dates.items():
        invalid: tuple[str, int] | None = None  # a stamp no pattern's format can read
        for pattern, date_format in patterns:
            for text, number in candidates:
                match = pattern.match(text)
                if not match:
                    continue
                if day := _parse_date(match["date"], date_format):
                    found[key] = day
                    break
                invalid = invalid or (match["date"], number)
            if key in found:
                break
        if key not in found and invalid:
            what = "last review" if key == "last" else "next review"
            raise SourceError(
                f"{what} date {invalid[0][:40]!r} is not a real date", path, invalid[1]
            )
    return found


def _parse_date(text: str, date_format: str) -> dt.date | None:
    """The date, or None when the text is not one in this format ("26 Feb"
    for a full month name, or a 31 February)."""
    try:
        return dt.datetime.strptime(text, date_format).date()
    except ValueError:
        return None


_ENDS_SENTENCE = re.compile(r"[.!?:;][”\"’)]?$")
_WORD = re.compile(r"[a-z]{4,}")


def _shares_a_word(title: str, text: str) -> bool:
    """Whether a breadcrumb-or-title line names what the next sentences talk about."""
    opening = " ".join(_sentences(text)[:2]).casefold()
    words = {w.rstrip("s") for w in _WORD.findall(title.casefold())}
    return any(w.rstrip("s") in words for w in _WORD.findall(opening))


def strip_chrome(lines: list[str], profile: Profile) -> list[str]:
    """Blank out the lines that are site chrome; keep numbering intact.

    Dropped lines become empty strings so that every surviving line keeps its
    number and paragraph breaks stay where they were.
    """
    kept = list(lines)
    shown = [visible(line) for line in kept]
    for index, text in enumerate(shown):
        if any(p.search(text) for p in profile.stop_at):
            kept[index:] = [""] * (len(kept) - index)
            shown[index:] = [""] * (len(kept) - index)
            break
    content = [i for i, text in enumerate(shown) if text]
    dropped: set[int] = set()
    for position, index in enumerate(content):
        if index in dropped or not (profile.any_range and profile.any_range.search(shown[index])):
            continue
        for chrome in profile.drop_ranges:
            if chrome.start.search(shown[index]):
                dropped.add(index)
                dropped.update(_range_rest(chrome, content, position, shown))
                break
    in_ranges = set(dropped)
    dropped.update(i for i in content if any(p.search(shown[i]) for p in profile.drop_lines))
    _drop_figures(content, shown, dropped, in_ranges, profile)
    _drop_leading(content, shown, dropped, profile)
    return ["" if i in dropped else line for i, line in enumerate(kept)]


def _range_rest(chrome: DropRange, content: list[int], position: int, shown: list[str]) -> set[int]:
    """The lines after a range's start line that belong to it."""
    following = content[position + 1 : position + 1 + chrome.within]
    if chrome.end is not None:
        for count, later in enumerate(following):
            if chrome.end.search(shown[later]):
                return set(following[: count + 1])
        return set()  # no end marker: only the start line is chrome
    assert chrome.while_ is not None
    taken: set[int] = set()
    previous = content[position]
    for later in following:
        gap = any(not shown[i] for i in range(previous + 1, later))
        if (gap and taken) or not chrome.while_.search(shown[later]):
            break
        taken.add(later)
        previous = later
    return taken


def _drop_figures(
    content: list[int], shown: list[str], dropped: set[int], in_ranges: set[int], profile: Profile
) -> None:
    """A credit line, with the caption and the image's alternative text above it.

    An image's alternative text is a line that is not a sentence; without one
    above the caption, only the credit line is dropped (the line above may be
    the page's text). The first line of the page is never taken for one.
    """
    if profile.figure_credit is None:
        return
    for position, index in enumerate(content):
        if not profile.figure_credit.search(shown[index]):
            continue
        if index in in_ranges:
            continue  # a figure range already took it, with its caption
        dropped.add(index)
        above = [i for i in content[:position] if i not in dropped]
        if len(above) >= 3 and not _ENDS_SENTENCE.search(shown[above[-2]]):
            dropped.update(above[-2:])


def _drop_leading(
    content: list[int], shown: list[str], dropped: set[int], profile: Profile
) -> None:
    """Navigation before the first content line, and the breadcrumb trail."""
    trail: list[int] = []
    following = None
    for index in content:
        if index in dropped:
            continue
        text = shown[index]
        if any(p.search(text) for p in profile.drop_leading):
            dropped.add(index)
        elif profile.breadcrumb is not None and profile.breadcrumb.search(text):
            trail.append(index)
        else:
            following = index
            break
    if not trail:
        return
    dropped.update(trail[:-1])
    if len(trail) == 1 and not (following and _shares_a_word(shown[trail[0]], shown[following])):
        dropped.add(trail[0])


TokenKind = Literal["heading", "para", "item", "cont"]


@dataclass(frozen=True)
class Token:
    """One unit a reader found: a heading, a paragraph, a list item, or a
    continuation paragraph of the previous list item. ``level`` is a
    heading's Markdown level (0 in scrapes, which have none)."""

    kind: TokenKind
    text: str
    line: int
    level: int = 0


def normalise(text: str) -> str:
    """Collapse runs of white space to one space (a block's canonical form)."""
    return " ".join(text.split())


_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][”\"’)])\s+")


def _sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE_SPLIT.split(text) if part]


def _strip_inline(text: str, profile: Profile) -> str:
    for pattern in profile.inline_drop:
        text = pattern.sub("", text)
    return text


def _drop_nav_sentences(text: str, profile: Profile) -> str:
    """A paragraph without its sentences that only send the reader elsewhere."""
    if profile.nav_sentences is None:
        return text
    sentences = _sentences(text)
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

    for index, section in enumerate(raw):
        following = raw[index + 1].heading if index + 1 < len(raw) else None
        subsections_follow = following is not None and _is_subsection(section.heading, following)
        section.blocks = _drop_lead_ins(
            _drop_artifacts(section.blocks, profile, notices),
            profile,
            notices,
            subsections_follow,
        )
    _classify(raw, title)

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
    return sections, notices


def _is_subsection(heading: Token | None, following: Token) -> bool:
    """Whether ``following`` opens a subsection of ``heading``'s section: a
    deeper Markdown heading, or in a scrape a heading that is not a question
    (a page's own sections are usually questions, its subsections names)."""
    if following.level:
        return heading is not None and 0 < heading.level < following.level
    return not following.text.endswith("?")


def _first_sentence(blocks: list[Block]) -> str:
    if blocks and blocks[0].type == "paragraph":
        return _sentences(blocks[0].text)[0]
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
        for sentence in _sentences(block.text):
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
            sentences = _sentences(block.text)
            notices.append(
                Notice(block.line, f"lead-in without its list, not printed: {sentences[-1]!r}")
            )
            if len(sentences) > 1:
                kept.append(Block("paragraph", block.line, text=" ".join(sentences[:-1])))
            continue
        kept.append(block)
    return kept


def find_furniture(sections: tuple[Section, ...]) -> tuple[Furniture, ...]:
    """Every printed unit that looks like web furniture (a phone number, opening
    hours, chat, donate, subscribe, newsletter, cookie, share, sign up, a bare
    URL), once per unit, naming what it looks like. The patterns are the
    same for every publisher (``generic.furniture``)."""
    profile = load_profiles()["generic"]
    found = []
    for section in sections:
        for block in section.blocks:
            for text, line in block.units:
                if profile.any_furniture is None or not profile.any_furniture.search(text):
                    continue
                kinds = []
                for kind, pattern in profile.furniture:
                    if kind not in kinds and pattern.search(text):
                        kinds.append(kind)
                if kinds:
                    found.append(Furniture(line, tuple(kinds), text))
    return tuple(found)
