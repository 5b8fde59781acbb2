"""Source readers, chosen from a registry keyed by format.

``read_document(path, info)`` is the one entry point: it decodes the file,
picks the reader for its format and the profile for its publisher, and
returns a :class:`~leafletgen.model.Document`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from leafletgen.errors import SourceError
from leafletgen.files import read_regular
from leafletgen.model import Document, LabelIdentity, Notice, SourceInfo
from leafletgen.read.chrome import strip_chrome
from leafletgen.read.dates import find_review_dates
from leafletgen.read.decode import MAX_SOURCE_BYTES, decode_source
from leafletgen.read.furniture import find_furniture
from leafletgen.read.language import detect_language
from leafletgen.read.markdown import read_front_matter, review_from_front_matter, tokenise_markdown
from leafletgen.read.outline import assemble
from leafletgen.read.prelude import split_footer, split_prelude
from leafletgen.read.profiles import Profile, guess_profile, load_profiles
from leafletgen.read.scrape import tokenise_scrape
from leafletgen.read.spl import read_spl
from leafletgen.read.text import WEB_URL, Token, visible

__all__ = ["FORMATS", "READERS", "XML_READERS", "guess_format", "read_document"]


class _Parsed:
    """What a format reader hands back to :func:`read_document`."""

    def __init__(
        self,
        tokens: list[Token],
        dates: dict[str, dt.date],
        meta: dict,
        title: str | None,
        notices: list[Notice] | None = None,
        label: LabelIdentity | None = None,
    ) -> None:
        self.tokens, self.dates, self.meta, self.title = tokens, dates, meta, title
        self.notices = notices or []
        self.label = label  # an FDA label's identity, as the file itself states it


def _read_markdown(text: str, path: Path, profile: Profile) -> _Parsed:
    lines = text.split("\n")
    front = read_front_matter(lines, path)
    body = [""] * front.body_start + lines[front.body_start :]
    dates = find_review_dates(body, profile, path) | review_from_front_matter(front.data, path)
    tokens, title = tokenise_markdown(strip_chrome(body, profile), front.body_start, profile)
    notices: list[Notice] = []
    if title is None:
        title, tokens, notices = split_prelude(tokens, body, profile)
    front_title = front.data.get("title")
    return _Parsed(tokens, dates, front.data, title or _text(front_title), notices)


def _read_scrape(text: str, path: Path, profile: Profile) -> _Parsed:
    lines = text.split("\n")
    dates = find_review_dates(lines, profile, path)
    tokens = tokenise_scrape(strip_chrome(lines, profile), profile)
    title, tokens, notices = split_prelude(tokens, lines, profile)
    return _Parsed(tokens, dates, {}, title, notices)


def _text(value: object) -> str | None:
    """A value of a page's front matter, if it is text (a list or a mapping is ignored)."""
    return value if isinstance(value, str) else None


def _read_spl(data: bytes, path: Path) -> tuple[_Parsed, list[Notice]]:
    """An FDA label as HL7 SPL: its patient sections, title, author and identity."""
    spl = read_spl(data, path)
    dates = {"last": spl.label.effective} if spl.label.effective else {}
    meta = {"source": spl.publisher} if spl.publisher else {}
    return _Parsed(list(spl.tokens), dates, meta, spl.title, label=spl.label), list(spl.notices)


READERS: dict[str, Callable[[str, Path, Profile], _Parsed]] = {
    "markdown": _read_markdown,
    "scrape": _read_scrape,
}
# Formats read from the file's bytes (XML declares its own encoding).
XML_READERS: dict[str, Callable[[bytes, Path], tuple[_Parsed, list[Notice]]]] = {
    "spl": _read_spl,
}
FORMATS: tuple[str, ...] = (*READERS, *XML_READERS)


def guess_format(path: Path, text: str) -> str:
    """SPL for ``.xml`` files, Markdown for ``.md`` files and text opening
    with front matter, else a scrape."""
    if path.suffix.lower() == ".xml":
        return "spl"
    if path.suffix.lower() in (".md", ".markdown") or text.startswith("---\n"):
        return "markdown"
    return "scrape"


def read_document(path: str | Path, info: SourceInfo | None = None) -> Document:
    """Read one source file into a :class:`Document`.

    ``info`` is its ``sources.yaml`` entry; without one, the format is guessed
    from the file and the publisher from the page's own markers.
    """
    path = Path(path)
    _check_size(path)
    data = read_regular(path, limit=MAX_SOURCE_BYTES, what="source", error=SourceError)
    fmt = info.format if info else guess_format(path, "")
    if fmt in XML_READERS:  # parsed from bytes: XML declares its own encoding
        parsed, notices = XML_READERS[fmt](data, path)
        text = ""
        language = (info.language if info else None) or "en"
        profile = _profile(info, text, path, language)
    else:
        text, notices = decode_source(data, path)
        fmt = info.format if info else guess_format(path, text)
        if fmt not in READERS:
            raise SourceError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}", path)
        language = (info.language if info else None) or detect_language(text)
        profile = _profile(info, text, path, language)
        parsed = READERS[fmt](text, path, profile)
    title, tokens = _title(parsed, info)
    tokens, footer = split_footer(tokens)
    sections, dropped = assemble(tokens, profile, title)
    if info is None:
        info = _guessed_info(path, fmt, profile, title, parsed.meta, text)
    label, mismatch = _label(parsed, info)
    warnings = sorted(
        (*notices, *parsed.notices, *footer, *dropped, *mismatch), key=lambda n: n.line
    )
    return Document(
        source=info,
        path=str(path),
        title=title,
        sections=tuple(sections),
        last_reviewed=parsed.dates.get("last"),
        next_review=parsed.dates.get("next"),
        warnings=tuple(Notice(n.line, n.message) for n in warnings),
        furniture=find_furniture(tuple(sections)),
        language=language,
        metadata=_metadata(text, profile),
        label=label,
    )


def _label(parsed: _Parsed, info: SourceInfo) -> tuple[LabelIdentity | None, list[Notice]]:
    """An FDA label's identity: the file's own (SPL), else ``sources.yaml``'s;
    a ``sources.yaml`` entry naming another label or version is reported."""
    if parsed.label and info.label and parsed.label.conflicts_with(info.label):
        message = (
            f"sources.yaml says label {info.label.describe()}; the document is "
            f"{parsed.label.describe()} (the document's is used)"
        )
        return parsed.label, [Notice(1, message)]
    return parsed.label or info.label, []


def _metadata(text: str, profile: Profile) -> tuple[tuple[int, str], ...]:
    """The lines that describe the page, with their line numbers."""
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        shown = visible(line)
        if shown and any(p.search(shown) for p in profile.metadata):
            found.append((number, shown))
    return tuple(found)


def _check_size(path: Path) -> None:
    """A file too large to be a patient-education page fails before it is read."""
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            raise SourceError(
                f"source file is {size:,} bytes, more than the {MAX_SOURCE_BYTES:,} a "
                "patient-education page can plausibly be",
                path,
            )
    except OSError as error:
        raise SourceError(f"cannot read source: {error.strerror}", path) from None


def _profile(info: SourceInfo | None, text: str, path: Path, language: str) -> Profile:
    """The publisher profile ``sources.yaml`` names, else the one the page's
    markers suggest, with the chrome rules of the page's language."""
    profiles = load_profiles(language)
    if info and info.profile:
        if info.profile not in profiles:
            raise SourceError(
                f"unknown publisher profile {info.profile!r}; known: {', '.join(profiles)}",
                path,
            )
        return profiles[info.profile]
    return guess_profile(text, language)


def _title(parsed: _Parsed, info: SourceInfo | None) -> tuple[str | None, list[Token]]:
    """The document's title (``sources.yaml``'s, else the page's), and the
    tokens without the page title printed above the text (once or twice)."""
    page_title = parsed.title
    title = (info.title if info else None) or page_title
    tokens = parsed.tokens
    first = tokens[0] if tokens and tokens[0].kind == "heading" else None
    named = info.title.casefold() if info and info.title else None
    if page_title is None and first and first.text.casefold() == named:
        page_title, tokens = first.text, tokens[1:]
    while page_title and tokens and tokens[0].kind == "heading":
        if tokens[0].text.casefold() != str(page_title).casefold():
            break
        tokens = tokens[1:]  # the title printed twice (breadcrumb end, page header)
    return (str(title) if title else None), tokens


def _guessed_info(
    path: Path, fmt: str, profile: Profile, title: str | None, front: dict, text: str
) -> SourceInfo:
    """What a source outside ``sources.yaml`` says about itself."""
    meta = {key: value for key, value in front.items() if isinstance(value, str)}
    return SourceInfo(
        id=path.stem,
        file=path.name,
        format=fmt,
        publisher=profile.publisher or meta.get("source") or _publisher_line(text, profile),
        profile=profile.name,
        title=title,
        url=meta.get("url") if WEB_URL.match(meta.get("url", "")) else None,
        language=meta.get("language"),
    )


def _publisher_line(text: str, profile: Profile) -> str | None:
    """Who the page says publishes it ("© 2024 X", a label's labeler line)."""
    for pattern in profile.publisher_lines:
        if match := pattern.search(text):
            return match["publisher"].strip() or None
    return None
