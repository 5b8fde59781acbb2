"""The fonts a web page embeds: each face subset to the page's characters,
compressed to WOFF2, and cached on disk so that a batch makes each subset once.

A web page (the HTML twin) carries its fonts as ``data:`` URLs so that it
reads in the leaflet's own type wherever it is attached. Most of its faces
draw only the names of the languages it links to, and are the same on every
page of a batch; subsetting and compressing them again for every page was
most of what a web page cost. :func:`web_face` looks a subset up by a key
that names everything its bytes depend on (the font file's and the character
set's SHA-256, the subsetting options, the versions of HarfBuzz, fontTools and
Brotli, the compression quality), first in this process, then in a cache
folder shared by a build's worker processes.

A cache file is untrusted like any other file: it is read with a size bound
as a regular file, and its payload is used only if its SHA-256 matches the one
recorded in it; anything else (cut short, edited, another format) is made
again and written over, atomically. The subset's bytes are the same whether
they come from the cache or not, so a page is the same cold and warm. A font
file is checked for damage (:func:`~leafletgen.render.fonts._require_files`)
when a subset is to be made from it, not when its subset is found: the key
names the bytes that were checked.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
from collections import OrderedDict
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from leafletgen.errors import LeafletError, RenderError
from leafletgen.files import read_regular, write_atomic
from leafletgen.render.fonts import FACES, Face, _require_files, families_for, printed_text

# The name records an embedded face keeps: family and style names, version,
# and the copyright and licence (0, 13, 14) the SIL Open Font Licence asks for.
WEB_FONT_NAMES = (0, 1, 2, 3, 4, 5, 6, 13, 14)

# Brotli quality of the WOFF2 data. fontTools compresses at Brotli's default,
# 11, which was 93-98 % of a web page's cost. Measured on the faces of the
# immunotherapy page (bench/bench_fonts.py quality, see bench/RESULTS.md), CPU
# per page and bytes against 11: Chinese 1.54 s at 11, 0.58 s (+0.5 %) at 10,
# 0.22 s (+7.3 %) at 9, 0.07 s (+10.1 %) at 8, 0.06 s (+10.6 %) at 5; English
# 0.25 s at 11, 0.06 s (+6.6 %) at 8. Qualities 5 to 8 cost the same time and
# nearly the same bytes; 9 triples the time for 3 % fewer bytes, 10 and 11
# are slower than the whole PDF. 8 it is: the best compression at the speed of
# the fast qualities (a Chinese page is about 8 KB larger than at 9).
BROTLI_QUALITY = 8
# WOFF2's glyf transform (fontTools encodes it in Python, glyph by glyph) was
# then most of what is left: off, the English page's ten faces compress in
# 0.021 s instead of 0.073 s for 6 % more bytes (62.8 KB, not 59.2 KB); the
# Chinese faces (CFF outlines, no glyf) 0.034 s instead of 0.067 s, +0.7 %.
TRANSFORM_TABLES: tuple[str, ...] = ()

# Bumped when the cache file's layout changes: old files are then not found.
CACHE_FORMAT = "leafletgen-web-font 1"
MAGIC = b"LGWF1\n"  # then the payload's SHA-256 (32 bytes), then the WOFF2 bytes
MAX_CACHED_FONT = 16 * 1024 * 1024  # a Chinese subset of a long leaflet is under 1 MB
# Subsets kept in memory per process: the shared faces of every language.
MEMORY_ENTRIES = 48

_memory: OrderedDict[str, bytes] = OrderedDict()


class _QualityBrotli:
    """The ``brotli`` module as fontTools' WOFF2 writer calls it, compressing
    at :data:`BROTLI_QUALITY` (fontTools has no option for it)."""

    def __init__(self, module: Any) -> None:
        self._module = module

    def compress(self, data: bytes, **options: Any) -> bytes:
        """``brotli.compress`` at the chosen quality."""
        options.setdefault("quality", BROTLI_QUALITY)
        return self._module.compress(data, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


@cache
def _woff2_module() -> Any:
    """fontTools' WOFF2 writer, its Brotli compressing at :data:`BROTLI_QUALITY`
    (checked: a fontTools without the module-level ``brotli`` it calls fails here)."""
    from fontTools.ttLib import woff2

    if not hasattr(getattr(woff2, "brotli", None), "compress"):
        raise RuntimeError("fontTools' woff2 no longer calls a module-level brotli.compress")
    if not isinstance(woff2.brotli, _QualityBrotli):
        woff2.brotli = _QualityBrotli(woff2.brotli)
    return woff2


@cache
def _versions() -> str:
    """The versions of everything a subset's bytes depend on."""
    import brotli
    import fontTools
    import uharfbuzz

    return (
        f"fontTools {fontTools.version}; uharfbuzz {uharfbuzz.__version__}; "
        f"harfbuzz {uharfbuzz.version_string()}; brotli {brotli.__version__}"
    )


@lru_cache(maxsize=16)
def _font_file(path: Path, mtime_ns: int, size: int) -> tuple[bytes, str]:
    """A font file's bytes and SHA-256, read once per version of the file."""
    data = path.read_bytes()
    return data, hashlib.sha256(data).hexdigest()


def _font_of(face: Face, templates: Path) -> tuple[bytes, str]:
    path = face.path(templates)
    info = path.stat()
    return _font_file(path, info.st_mtime_ns, info.st_size)


@lru_cache(maxsize=256)
def _characters_digest(text: frozenset[int]) -> str:
    # Every page asks for the same sets of its seven shared faces: sorted and
    # hashed once per process (a frozenset keeps its own hash).
    characters = ",".join(f"{point:x}" for point in sorted(text))
    return hashlib.sha256(characters.encode()).hexdigest()


def cache_key(face: Face, templates: Path, text: frozenset[int]) -> str:
    """The key of ``face`` cut down to ``text``: a SHA-256 of the font file's
    and the character set's SHA-256 and of how the subset is made."""
    _data, font_digest = _font_of(face, templates)
    recipe = "\n".join(
        (
            CACHE_FORMAT,
            _versions(),
            f"quality {BROTLI_QUALITY}; transforms {TRANSFORM_TABLES}; names {WEB_FONT_NAMES}",
            f"face index {face.index}",
            f"font {font_digest}",
            f"characters {_characters_digest(text)}",
        )
    )
    return hashlib.sha256(recipe.encode()).hexdigest()


def make_web_face(face: Face, templates: Path, text: frozenset[int]) -> bytes:
    """``face`` cut down to the characters of ``text`` by HarfBuzz's subsetter,
    as WOFF2: the layout features a browser applies kept (Arabic joining, the
    Chinese glyph forms), and the name table's copyright and licence with it."""
    import uharfbuzz as hb

    source = hb.Face(hb.Blob(_font_of(face, templates)[0]), face.index)
    wanted = hb.SubsetInput()
    wanted.unicode_set.update(text)
    # HarfBuzz keeps by default the layout features shapers apply (Arabic
    # joining forms, locl, kerning, marks): all a browser uses for this text.
    wanted.name_id_set.update(WEB_FONT_NAMES)
    subset = hb.subset(source, wanted)
    if subset is None:
        raise RenderError(f"cannot subset the font for the web page: {face.file}", face.file)
    return compress_woff2(bytes(subset.blob.data))


def compress_woff2(sfnt: bytes) -> bytes:
    """An OpenType font as WOFF2, at :data:`BROTLI_QUALITY`, without table transforms."""
    data = io.BytesIO()
    # The subset keeps the font's own timestamp: the same text gives the same bytes.
    _woff2_module().compress(io.BytesIO(sfnt), data, transform_tables=TRANSFORM_TABLES)
    return data.getvalue()


def _read_cached(path: Path) -> bytes | None:
    """The WOFF2 bytes of a cache file, or None when it is missing or is not
    what was written (its recorded SHA-256 does not match)."""
    try:
        stored = read_regular(path, limit=MAX_CACHED_FONT + 64, what="cached web font")
    except LeafletError:
        return None
    digest, payload = stored[len(MAGIC) : len(MAGIC) + 32], stored[len(MAGIC) + 32 :]
    if not stored.startswith(MAGIC) or hashlib.sha256(payload).digest() != digest:
        return None
    return payload


def _write_cached(path: Path, payload: bytes) -> None:
    # Only into a cache folder the build made: a worker on another machine (a
    # Dask cluster) has none, and works without the cache.
    if not path.parent.is_dir():
        return
    # A cache that cannot be written (a read-only or full disk) costs time only.
    with contextlib.suppress(OSError):
        write_atomic(path, MAGIC + hashlib.sha256(payload).digest() + payload)


def web_face(face: Face, templates: Path, text: frozenset[int], cache: Path | None) -> bytes:
    """``face`` cut down to ``text`` as WOFF2 (:func:`make_web_face`), from this
    process's memory, else from the ``cache`` folder, else made and kept in both."""
    key = cache_key(face, templates, text)
    if key in _memory:
        _memory.move_to_end(key)
        return _memory[key]
    path = cache / f"{key}.woff2" if cache else None
    font = _read_cached(path) if path else None
    if font is None:
        # Only a face about to be subset is checked for damage: a cached subset
        # was made from these very bytes (its key holds their SHA-256), checked
        # then (the check costs a few milliseconds a face since HarfBuzz reads its
        # character map, but a page still needs no more).
        _require_files((face,), templates)
        font = make_web_face(face, templates, text)
        if path and len(font) <= MAX_CACHED_FONT:
            _write_cached(path, font)
    _memory[key] = font
    while len(_memory) > MEMORY_ENTRIES:
        _memory.popitem(last=False)
    return font


def web_font_css(
    html: str,
    templates: Path,
    extra: Iterable[tuple[str, str]] = (),
    cache: Path | None = None,
) -> str:
    """``@font-face`` rules that embed the leaflet's fonts in a web page, so
    that it reads in the same type as the PDF on any screen, with nothing
    fetched. Each family is subset to the characters of the text in the
    languages it prints: ``html``'s text and stylesheet strings, and the
    ``extra`` (language, text) pairs, text the page may print later (the names
    of its other languages). Subsets are kept in the ``cache`` folder."""
    wanted: dict[str, set[int]] = {}
    for lang, chunk in [*printed_text(html).texts, *extra]:
        for family in families_for(lang or "en"):
            wanted.setdefault(family, {ord("•")}).update(map(ord, chunk))
    faces = [face for face in FACES if face.family in wanted]
    if not all(face.path(templates).is_file() for face in faces):
        _require_files(faces, templates)  # names the missing files
    rules = []
    for face in faces:
        font = web_face(face, templates, frozenset(wanted[face.family]), cache)
        data = base64.b64encode(font).decode("ascii")
        rules.append(
            f'@font-face {{ font-family: "{face.family}"; font-weight: {face.weight};'
            f" font-style: {face.style}; font-display: swap;"
            f' src: url("data:font/woff2;base64,{data}") format("woff2"); }}'
        )
    return "\n".join(rules) + "\n"
