"""Reader for FDA drug labels as HL7 Structured Product Labeling (SPL) XML.

DailyMed publishes each label as an SPL document: a ``document`` with a set
id (the label's stable identity), a version number and an effective time,
and a body of ``section`` elements, each with a LOINC code. The patient text
is found by its code, never by its wording: the Medication Guide (42231-1),
else the patient package insert (42230-3), the patient medication
information (68498-5) or the information for patients (34076-0).

The reader turns that section into the same tokens the text readers make
(headings with their nesting level, paragraphs, list items and the
paragraphs and sub-lists inside an item), so the outline is assembled,
withheld and classified exactly as for a page's text. A table becomes a list
of its rows, and says so.

The XML is untrusted: it is parsed with defusedxml, and any document type
declaration is refused (so no entity can expand or fetch anything), whatever
the file's encoding, because expat checks it after decoding; element nesting
is bounded; the file's size is bounded by the caller (``read_regular``).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException, DTDForbidden
from defusedxml.ElementTree import DefusedXMLParser

from leafletgen.errors import SourceError
from leafletgen.model import LabelIdentity, Notice
from leafletgen.read.text import Token, normalise

__all__ = ["MAX_DEPTH", "PATIENT_SECTIONS", "SplDocument", "read_spl"]

HL7 = "{urn:hl7-org:v3}"
LOINC = "2.16.840.1.113883.6.1"
# Patient-directed sections, most wanted first (a label with a Medication
# Guide also has section 17's counselling text, which is written for prescribers).
PATIENT_SECTIONS = {
    "42231-1": "Medication Guide",
    "42230-3": "patient package insert",
    "68498-5": "patient medication information",
    "34076-0": "information for patients",
}
# Deeper than any real label (sections, lists and inline markup together
# stay well under 50); a deeper file is an attack on the reader, not a label.
MAX_DEPTH = 200
_BLOCKS = {"paragraph", "list", "table"}
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_HL7_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})")


@dataclass(frozen=True)
class SplDocument:
    """What an SPL file says: its patient text as tokens, its title, author
    and label identity, and what the reader left out or changed."""

    tokens: tuple[Token, ...]
    title: str | None
    publisher: str | None
    label: LabelIdentity
    codes: tuple[str, ...]  # the LOINC codes of the patient sections read
    notices: tuple[Notice, ...] = field(default=())


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _Target:
    """A tree builder that remembers each element's line and refuses to nest
    deeper than :data:`MAX_DEPTH`."""

    def __init__(self) -> None:
        self.builder = TreeBuilder()
        self.depth = 0
        self.lines: dict[Element, int] = {}
        self.expat = None  # set once the parser exists

    def line(self) -> int:
        return self.expat.CurrentLineNumber if self.expat is not None else 1

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _TooDeep(self.line())
        element = self.builder.start(tag, attrs)
        self.lines[element] = self.line()
        return element

    def end(self, tag: str) -> Element:
        self.depth -= 1
        return self.builder.end(tag)

    def data(self, data: str) -> None:
        self.builder.data(data)

    def close(self) -> Element:
        return self.builder.close()


def _parse(data: bytes, path: Path) -> tuple[Element, dict[Element, int]]:
    """The XML tree and each element's line, or one clear :class:`SourceError`."""
    if not data.strip():
        raise SourceError("source file is empty", path)
    target = _Target()
    parser = DefusedXMLParser(target=target, forbid_dtd=True)
    target.expat = parser.parser
    try:
        parser.feed(data)
        root = parser.close()
    except DTDForbidden:
        raise SourceError(
            "XML document type declaration (DOCTYPE) refused: an SPL label has none, and "
            "its entities could expand without end or read other files",
            path,
            target.line(),
        ) from None
    except DefusedXmlException as problem:  # entities or external references
        raise SourceError(
            f"XML entity refused ({type(problem).__name__})", path, target.line()
        ) from None
    except _TooDeep as problem:
        raise SourceError(
            f"XML elements nested more than {MAX_DEPTH} deep: not a label", path, problem.line
        ) from None
    except ParseError as problem:
        line = problem.position[0] if problem.position else None
        raise SourceError(f"not well-formed XML: {problem}", path, line) from None
    except (ValueError, LookupError) as problem:  # an encoding expat cannot decode
        raise SourceError(f"cannot decode the XML: {problem}", path, target.line()) from None
    return root, target.lines


def read_spl(data: bytes, path: Path) -> SplDocument:
    """An SPL file's bytes -> its patient sections as tokens, with the label's identity."""
    root, lines = _parse(data, path)
    if root.tag != HL7 + "document":
        raise SourceError(
            f"not an HL7 SPL document: the root element is {_local(root.tag)!r}, "
            "not 'document' in the urn:hl7-org:v3 namespace",
            path,
            lines.get(root),
        )
    codes, sections = _patient_sections(root)
    if not sections:
        body = root.find(f"{HL7}component/{HL7}structuredBody")
        present = sorted({c for s in root.iter(HL7 + "section") if (c := _code(s))})
        wanted = ", ".join(f"{code} ({name})" for code, name in PATIENT_SECTIONS.items())
        raise SourceError(
            f"no patient section in this SPL label: none of the LOINC codes {wanted}; "
            f"section codes present: {', '.join(present) or 'none'}",
            path,
            lines.get(body if body is not None else root),
        )
    walker = _Walker(lines)
    for section in sections:
        walker.section(section, 1)
    return SplDocument(
        tokens=tuple(walker.tokens),
        title=_inline(root.find(HL7 + "title")) or None,
        publisher=_publisher(root),
        label=_identity(root),
        codes=codes,
        notices=tuple(walker.notices),
    )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _code(section: Element) -> str | None:
    """A section's LOINC code (a code of another system is none)."""
    code = section.find(HL7 + "code")
    if code is None or code.get("codeSystem", LOINC) != LOINC:
        return None
    return code.get("code")


def _patient_sections(root: Element) -> tuple[tuple[str, ...], list[Element]]:
    """The sections of the most wanted patient code present, in document order,
    without those inside another one taken."""
    sections = list(root.iter(HL7 + "section"))
    for code in PATIENT_SECTIONS:
        found = [s for s in sections if _code(s) == code]
        if found:
            inner = {d for s in found for d in s.iter(HL7 + "section") if d is not s}
            return (code,), [s for s in found if s not in inner]
    return (), []


def _inline(element: Element | None) -> str:
    """All the text of an element, white space collapsed."""
    return normalise("".join(element.itertext())) if element is not None else ""


def _publisher(root: Element) -> str | None:
    path = f"{HL7}author/{HL7}assignedEntity/{HL7}representedOrganization/{HL7}name"
    return _inline(root.find(path)) or None


def _identity(root: Element) -> LabelIdentity:
    """The set id, version and effective time the document states (each or none)."""
    set_id = root.find(HL7 + "setId")
    version = root.find(HL7 + "versionNumber")
    effective = root.find(HL7 + "effectiveTime")
    return LabelIdentity(
        set_id=(set_id.get("root") or None) if set_id is not None else None,
        version=(version.get("value") or None) if version is not None else None,
        effective=_hl7_date(effective.get("value")) if effective is not None else None,
    )


def _hl7_date(value: str | None) -> dt.date | None:
    """An HL7 TS value (``YYYYMMDD[hhmmss...]``) as a date, or none if it is not one."""
    match = _HL7_DATE.match(value or "")
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


class _Walker:
    """Patient sections -> tokens, in document order.

    ``next`` is the kind the next piece of text gets: a paragraph outside a
    list; inside a top-level list item, the item itself first, then
    continuations (its paragraphs and sub-lists), as the text readers make them.
    """

    def __init__(self, lines: dict[Element, int]) -> None:
        self.lines = lines
        self.tokens: list[Token] = []
        self.notices: list[Notice] = []
        self.next = "para"
        self.items = 0  # list items open around the text being read

    def clean(self, text: str, line: int) -> str:
        cleaned = _INVISIBLE.sub("", text)
        if cleaned != text:
            self.notices.append(Notice(line, "invisible or direction-changing characters removed"))
        return normalise(unicodedata.normalize("NFC", cleaned))

    def emit(self, text: str, line: int) -> None:
        if cleaned := self.clean(text, line):
            self.tokens.append(Token(self.next, cleaned, line))  # type: ignore[arg-type]
            self.next = "cont" if self.items else "para"

    def open_item(self) -> None:
        if not self.items:
            self.next = "item"
        self.items += 1

    def close_item(self) -> None:
        self.items -= 1
        if not self.items:
            self.next = "para"

    def section(self, section: Element, level: int) -> None:
        """A section's title (a heading at its nesting level), text and subsections."""
        title = section.find(HL7 + "title")
        if title is not None and (heading := self.clean(_inline(title), self.lines[title])):
            self.tokens.append(Token("heading", heading, self.lines[title], level))
        text = section.find(HL7 + "text")
        if text is not None:
            self.flow(text)
        for child in section.iterfind(f"{HL7}component/{HL7}section"):
            self.section(child, level + 1)

    def flow(self, parent: Element) -> None:
        """A container's mixed content: its loose text, paragraphs, lists and tables."""
        pieces, line = [parent.text or ""], self.lines[parent]
        for child in parent:
            name = _local(child.tag)
            if name in _BLOCKS:
                self.emit("".join(pieces), line)
                pieces.clear()
                self.block(child)
                line = self.lines[child]
            elif name == "renderMultiMedia":
                self.notices.append(Notice(self.lines[child], "image not printed"))
            else:
                pieces.append("".join(child.itertext()))
            pieces.append(child.tail or "")
        self.emit("".join(pieces), line)

    def block(self, element: Element) -> None:
        """A paragraph, a list (each item, with what is inside it) or a table."""
        name = _local(element.tag)
        caption = element.find(HL7 + "caption")
        if name != "paragraph" and caption is not None:
            self.emit(_inline(caption), self.lines[caption])
        if name == "paragraph":
            self.flow(element)
        elif name == "list":
            for item in element.iterfind(HL7 + "item"):
                self.open_item()
                self.flow(item)
                self.close_item()
        else:
            self.table(element)

    def table(self, table: Element) -> None:
        """A table as a list of its rows (cells joined by " | ")."""
        rows = [
            row
            for part in ("thead", "tbody", "tfoot")
            for group in table.iterfind(HL7 + part)
            for row in group.iterfind(HL7 + "tr")
        ] + list(table.iterfind(HL7 + "tr"))
        for row in rows:
            cells = [_inline(cell) for cell in row if _local(cell.tag) in ("td", "th")]
            self.open_item()
            self.emit(" | ".join(c for c in cells if c), self.lines[row])
            self.close_item()
        what = "table read as a list: one item per row, cells separated by ' | '"
        self.notices.append(Notice(self.lines[table], what))
