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
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml

from ..errors import SourceError
from ..model import Block, Notice, Section
from ..sections import classify_heading

MAX_SOURCE_BYTES = 4 * 1024 * 1024
# Every URL from data is a web address: a leaflet never links to a file, a
# script or anything else.
WEB_URL = re.compile(r"^https?://[^\s<>\"'\\]+$", re.IGNORECASE)

# Characters that change how text is displayed without being visible:
# zero-width joiners/spaces and bidirectional overrides (which can make a
# printed sentence read differently from the text that was reviewed).
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


@dataclass(frozen=True)
class Profile:
    """A publisher's chrome rules (see ``data/profiles.yaml``)."""

    name: str
    publisher: str | None = None
    detect: tuple[re.Pattern[str], ...] = ()
    drop_lines: tuple[re.Pattern[str], ...] = ()
    drop_leading: tuple[re.Pattern[str], ...] = ()
    drop_ranges: tuple[tuple[re.Pattern[str], re.Pattern[str], int], ...] = ()
    stop_at: tuple[re.Pattern[str], ...] = ()
    review_dates: dict[str, tuple[re.Pattern[str], str]] = field(default_factory=dict)
    nav_links: tuple[re.Pattern[str], ...] = ()
    artifacts: tuple[re.Pattern[str], ...] = ()
    lead_in: re.Pattern[str] | None = None


def _patterns(values: list[str] | None, flags: int = 0) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(value, flags) for value in values or ())


@cache
def load_profiles() -> dict[str, Profile]:
    """Read the packaged publisher profiles, each merged with the generic rules."""
    data = yaml.safe_load(resources.files("leafletgen.data").joinpath("profiles.yaml").read_text())
    generic = data["generic"]
    profiles = {"generic": _make_profile("generic", {}, generic)}
    for name, spec in data["profiles"].items():
        profiles[name] = _make_profile(name, spec, generic)
    return profiles


def _make_profile(name: str, spec: dict, generic: dict) -> Profile:
    return Profile(
        name=name,
        publisher=spec.get("publisher"),
        detect=_patterns(spec.get("detect"), re.MULTILINE),
        drop_lines=_patterns(generic.get("drop_lines", []) + spec.get("drop_lines", [])),
        drop_leading=_patterns(spec.get("drop_leading")),
        drop_ranges=tuple(
            (re.compile(r["start"]), re.compile(r["end"]), int(r["within"]))
            for r in spec.get("drop_ranges", [])
        ),
        stop_at=_patterns(spec.get("stop_at")),
        review_dates={
            key: (re.compile(value["pattern"]), value["format"])
            for key, value in spec.get("review_dates", {}).items()
        },
        nav_links=_patterns(generic.get("nav_links")),
        artifacts=_patterns(generic.get("artifacts"), re.IGNORECASE),
        lead_in=re.compile(generic["lead_in"]),
    )


def guess_profile(text: str) -> Profile:
    """The profile of the publisher whose markers appear in ``text``, else the generic one."""
    profiles = load_profiles()
    for profile in profiles.values():
        if any(pattern.search(text) for pattern in profile.detect):
            return profile
    return profiles["generic"]


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


def find_review_dates(
    lines: list[str], profile: Profile, path: Path | None = None
) -> dict[str, dt.date]:
    """Review dates printed on the page, by the profile's patterns; a date that
    is not a real one ("31 Feb 2028") is an error at its line."""
    found: dict[str, dt.date] = {}
    for key, (pattern, date_format) in profile.review_dates.items():
        for number, line in enumerate(lines, start=1):
            match = pattern.match(line.strip())
            if match:
                try:
                    found[key] = dt.datetime.strptime(match["date"], date_format).date()
                except ValueError:
                    what = "last review" if key == "last" else "next review"
                    raise SourceError(
                        f"{what} date {match['date'][:40]!r} is not a real date", path, number
                    ) from None
                break
    return found


def strip_chrome(lines: list[str], profile: Profile) -> list[str]:
    """Blank out the lines that are site chrome; keep numbering intact.

    Dropped lines become empty strings so that every surviving line keeps its
    number and paragraph breaks stay where they were.
    """
    kept = list(lines)
    for index, line in enumerate(kept):
        if any(p.search(line.strip()) for p in profile.stop_at):
            kept[index:] = [""] * (len(kept) - index)
            break
    content = [i for i, line in enumerate(kept) if line.strip()]
    dropped: set[int] = set()
    for position, index in enumerate(content):
        if index in dropped:
            continue
        stripped = kept[index].strip()
        for start, end, within in profile.drop_ranges:
            if start.search(stripped):
                dropped.add(index)
                for later in content[position + 1 : position + 1 + within]:
                    dropped.add(later)
                    if end.search(kept[later].strip()):
                        break
                else:
                    # No end marker: only the start line is chrome.
                    dropped -= set(content[position + 1 : position + 1 + within])
                break
        if any(p.search(stripped) for p in profile.drop_lines):
            dropped.add(index)
    for index in content:
        if index in dropped:
            continue
        if not any(p.search(kept[index].strip()) for p in profile.drop_leading):
            break
        dropped.add(index)
    return ["" if i in dropped else line for i, line in enumerate(kept)]


TokenKind = Literal["heading", "para", "item", "cont"]


@dataclass(frozen=True)
class Token:
    """One unit a reader found: a heading, a paragraph, a list item, or a
    continuation paragraph of the previous list item."""

    kind: TokenKind
    text: str
    line: int


def normalise(text: str) -> str:
    """Collapse runs of white space to one space (a block's canonical form)."""
    return " ".join(text.split())


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][”\"’)])\s+")


def _sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE_END.split(text) if part]


def assemble(tokens: list[Token], profile: Profile) -> tuple[list[Section], list[Notice]]:
    """Tokens -> classified sections, dropping what must never be printed.

    Dropped-link artifacts and lead-ins whose list was lost are left out and
    reported as notices with their line.
    """
    notices: list[Notice] = []
    raw: list[tuple[Token | None, list[Block]]] = [(None, [])]
    for token in tokens:
        blocks = raw[-1][1]
        if token.kind == "heading":
            raw.append((token, []))
        elif token.kind == "item":
            if blocks and blocks[-1].type == "list":
                last = blocks[-1]
                blocks[-1] = Block(
                    "list",
                    last.line,
                    items=(*last.items, token.text),
                    item_lines=(*last.item_lines, token.line),
                )
            else:
                blocks.append(
                    Block("list", token.line, items=(token.text,), item_lines=(token.line,))
                )
        elif token.kind == "cont" and blocks and blocks[-1].type == "list":
            last = blocks[-1]
            items = (*last.items[:-1], f"{last.items[-1]}\n{token.text}")
            blocks[-1] = Block("list", last.line, items=items, item_lines=last.item_lines)
        else:
            blocks.append(Block("paragraph", token.line, text=token.text))

    sections = []
    for heading, blocks in raw:
        cleaned = _drop_lead_ins(_drop_artifacts(blocks, profile, notices), profile, notices)
        if not cleaned:
            continue
        sections.append(
            Section(
                heading=heading.text if heading else None,
                kind=classify_heading(heading.text) if heading else "other",
                line=heading.line if heading else cleaned[0].line,
                blocks=tuple(cleaned),
            )
        )
    return sections, notices


def _is_artifact(text: str, profile: Profile) -> bool:
    return any(p.search(text) for p in profile.artifacts)


def _drop_artifacts(blocks: list[Block], profile: Profile, notices: list[Notice]) -> list[Block]:
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
        broken = [s for s in _sentences(block.text) if _is_artifact(s, profile)]
        if broken:
            # The whole paragraph goes: its other sentences often lean on the
            # broken one ("This can help..."), and a leaflet must not print
            # a sentence whose meaning the scrape lost.
            notices.append(
                Notice(
                    block.line,
                    f"dropped-link artifact {broken[0]!r}: paragraph not printed",
                )
            )
        else:
            kept.append(block)
    return kept


def _drop_lead_ins(blocks: list[Block], profile: Profile, notices: list[Notice]) -> list[Block]:
    assert profile.lead_in is not None
    kept = []
    for index, block in enumerate(blocks):
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        lost_list = following is None or following.type != "list"
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
