"""The damage check of the pinned font files: a file that is not a font, is cut
short or has a damaged table is refused with one error naming it; the
character map is read through HarfBuzz, as the renderer and the web page's
subsetter read it, and holds the same code points fontTools finds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from leafletgen.errors import RenderError
from leafletgen.render import fonts, webfonts
from leafletgen.render.fonts import FACES

REGULAR = FACES[0]  # Atkinson Hyperlegible, a file of the project


@pytest.fixture
def templates(project, tmp_path: Path) -> Path:
    """A copy of the project's font files, to damage."""
    folder = tmp_path / "templates"
    shutil.copytree(project.templates / "fonts", folder / "fonts")
    return folder


def _table_span(path: Path, tag: str) -> tuple[int, int]:
    with TTFont(path, lazy=True) as font:
        entry = font.reader.tables[tag]
        return entry.offset, entry.length


def _overwrite_table(path: Path, tag: str, fill: bytes) -> None:
    """Write ``fill`` over the bytes of one table, the table directory intact."""
    offset, length = _table_span(path, tag)
    data = path.read_bytes()
    path.write_bytes(data[:offset] + (fill * length)[:length] + data[offset + length :])


@pytest.mark.parametrize("face", FACES, ids=lambda face: f"{Path(face.file).name}#{face.index}")
def test_harfbuzz_reads_the_code_points_fonttools_reads(project, face):
    path = face.path(project.templates)
    info = path.stat()
    with TTFont(path, fontNumber=face.index, lazy=True) as font:
        expected = frozenset(font.getBestCmap())
    assert fonts._character_map(path, face.index, info.st_mtime_ns, info.st_size) == expected
    assert fonts._font_problem(path, face.index, info.st_mtime_ns, info.st_size) is None


@pytest.mark.parametrize(
    "fill",
    [b"\0", b"\xff", bytes(range(7, 256, 13))],
    ids=["zeroed", "all-ones", "garbled"],
)
def test_a_damaged_character_map_is_refused_naming_the_file(templates, fill):
    path = REGULAR.path(templates)
    _overwrite_table(path, "cmap", fill)
    with pytest.raises(RenderError) as caught:
        fonts.font_css(("en",), templates)
    assert str(caught.value) == (
        f"{path}: font file is damaged (it maps no character to a glyph); restore it"
    )


def test_a_damaged_character_map_is_refused_before_the_web_page_subsets_it(
    templates, tmp_path, monkeypatch
):
    made: list[object] = []
    monkeypatch.setattr(webfonts, "make_web_face", lambda *args: made.append(args))
    webfonts._memory.clear()
    path = REGULAR.path(templates)
    _overwrite_table(path, "cmap", b"\xff")
    cache = tmp_path / "cache"
    cache.mkdir()
    page = '<html lang="en"><body><p>Call your care team</p></body></html>'
    with pytest.raises(RenderError, match="font file is damaged \\(it maps no character"):
        webfonts.web_font_css(page, templates, (), cache)
    assert made == [] and list(cache.iterdir()) == []
    webfonts._memory.clear()


def test_the_character_map_is_read_again_when_its_file_changes(templates):
    # Kept per version of the file: a face replaced by another (here Noto Sans
    # over Atkinson Hyperlegible) is read again, not taken from memory.
    path = REGULAR.path(templates)

    def read() -> frozenset[int]:
        info = path.stat()
        return fonts._character_map(path, REGULAR.index, info.st_mtime_ns, info.st_size)

    assert ord("ơ") not in read()  # Atkinson Hyperlegible has no Vietnamese
    shutil.copyfile(templates / "fonts/NotoSans-Regular.ttf", path)
    assert ord("ơ") in read()
