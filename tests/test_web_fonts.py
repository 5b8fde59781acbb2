"""The web page's font subsets, made once and kept: a subset is made again only
when its font file or its characters change; a cache file that is not what
was written is made again; a page is the same bytes with a cold cache and a
warm one."""

from __future__ import annotations

import base64
import io
import shutil
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from leafletgen.batch.build import build_leaflets
from leafletgen.errors import RenderError
from leafletgen.project import OutputLayout
from leafletgen.render import fonts, webfonts
from leafletgen.render.fonts import FACES

REGULAR = FACES[0]  # Atkinson Hyperlegible, a file of the project
TEXT = frozenset(map(ord, "Call your care team"))


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[frozenset[int]]:
    """The character sets subset in this test (a spy on the subsetter), with
    this process's memory of subsets emptied before and after."""
    calls: list[frozenset[int]] = []
    real = webfonts.make_web_face

    def spy(face, templates, text):
        calls.append(text)
        return real(face, templates, text)

    monkeypatch.setattr(webfonts, "make_web_face", spy)
    webfonts._memory.clear()
    yield calls
    webfonts._memory.clear()


@pytest.fixture
def templates(project, tmp_path: Path) -> Path:
    """A copy of the project's font files, to change."""
    folder = tmp_path / "templates"
    shutil.copytree(project.templates / "fonts", folder / "fonts")
    return folder


def cold(face, templates: Path, text: frozenset[int], cache: Path | None) -> bytes:
    """A subset as a new worker process gets it: nothing in memory yet."""
    webfonts._memory.clear()
    return webfonts.web_face(face, templates, text, cache)


def test_a_subset_is_made_once_and_read_back(made, templates, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    first = cold(REGULAR, templates, TEXT, cache)
    assert made == [TEXT]
    files = list(cache.iterdir())
    assert [f.name for f in files] == [f"{webfonts.cache_key(REGULAR, templates, TEXT)}.woff2"]
    assert cold(REGULAR, templates, TEXT, cache) == first  # from the file
    assert webfonts.web_face(REGULAR, templates, TEXT, cache) == first  # from memory
    assert made == [TEXT]
    font = TTFont(io.BytesIO(first))
    assert font.flavor == "woff2" and set(font.getBestCmap()) >= TEXT - {ord(" ")}


def test_other_characters_or_another_font_file_make_a_new_subset(made, templates, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    first = cold(REGULAR, templates, TEXT, cache)
    more = TEXT | {ord("Z")}
    assert cold(REGULAR, templates, more, cache) != first
    assert made == [TEXT, more]
    # The same file name, other bytes (a newer release of the font).
    bold = FACES[1].path(templates).read_bytes()
    REGULAR.path(templates).write_bytes(bold)
    changed = cold(REGULAR, templates, TEXT, cache)
    assert made == [TEXT, more, TEXT] and changed != first
    assert len(list(cache.iterdir())) == 3


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut short
        lambda data: data[:-1] + bytes([data[-1] ^ 1]),  # one bit changed
        lambda data: b"",  # empty
        lambda data: b"not a cache file at all",
    ],
)
def test_a_damaged_cache_file_is_made_again(made, templates, tmp_path, damage):
    cache = tmp_path / "cache"
    cache.mkdir()
    first = cold(REGULAR, templates, TEXT, cache)
    (path,) = cache.iterdir()
    path.write_bytes(damage(path.read_bytes()))
    assert cold(REGULAR, templates, TEXT, cache) == first
    assert made == [TEXT, TEXT]
    assert cold(REGULAR, templates, TEXT, cache) == first  # repaired: read back
    assert made == [TEXT, TEXT]


def test_no_cache_folder_no_cache_files(made, templates, tmp_path):
    cache = tmp_path / "not-made"  # a worker on a machine without the output folder
    first = cold(REGULAR, templates, TEXT, cache)
    assert not cache.exists()
    assert cold(REGULAR, templates, TEXT, None) == first
    assert made == [TEXT, TEXT]


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The font files checked for damage in this test (a spy on the check)."""
    calls: list[Path] = []
    real = fonts._font_problem.__wrapped__  # uncached: every check is seen

    def spy(path, index, mtime_ns, size):
        calls.append(path)
        return real(path, index, mtime_ns, size)

    monkeypatch.setattr(fonts, "_font_problem", spy)
    return calls


def test_only_a_face_to_be_subset_is_checked_for_damage(made, checked, templates, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    first = cold(REGULAR, templates, TEXT, cache)
    assert checked == [REGULAR.path(templates)]
    # From the cache file: made from these very bytes, checked then.
    assert cold(REGULAR, templates, TEXT, cache) == first
    assert checked == [REGULAR.path(templates)] and made == [TEXT]


def test_a_damaged_font_file_is_named_before_it_is_subset(made, checked, templates, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    cold(REGULAR, templates, TEXT, cache)
    path = REGULAR.path(templates)
    path.write_bytes(path.read_bytes()[:20000])  # cut short: other bytes, a new key
    with pytest.raises(RenderError, match="font file is damaged \\(cut short"):
        cold(REGULAR, templates, TEXT, cache)
    assert made == [TEXT]  # never subset
    path.write_bytes(b"")
    with pytest.raises(RenderError, match="font file is damaged"):
        cold(REGULAR, templates, TEXT, cache)


def test_a_missing_font_file_is_named_though_its_subsets_are_cached(made, templates, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    page = '<html lang="en"><body><p>Call your care team</p></body></html>'
    css = webfonts.web_font_css(page, templates, (), cache)
    webfonts._memory.clear()
    assert webfonts.web_font_css(page, templates, (), cache) == css  # every face cached
    FACES[1].path(templates).unlink()
    with pytest.raises(RenderError, match=r"font file not found.*AtkinsonHyperlegible-Bold"):
        webfonts.web_font_css(page, templates, (), cache)


@pytest.mark.slow
def test_web_pages_are_the_same_cold_and_warm(made, project, tmp_path):
    out = tmp_path / "out"
    langs = ["en", "es"]
    build_leaflets(project, ["immunotherapy"], langs, out, html_twin=True, jobs=1)
    pages = {lang: (out / lang / "immunotherapy.html").read_bytes() for lang in langs}
    cache = OutputLayout(out).web_font_cache
    # Ten faces a page: English and Spanish share the seven that only print the
    # names of the other languages, and each has its own three.
    assert len(list(cache.glob("*.woff2"))) == len(made) == 13
    fonts = [
        base64.b64decode(face.split('"', 1)[0])
        for face in pages["es"].decode().split("data:font/woff2;base64,")[1:]
    ]
    assert len(fonts) == 10 and all(font[:4] == b"wOF2" for font in fonts)

    webfonts._memory.clear()  # a new process: every subset from the cache files
    build_leaflets(project, ["immunotherapy"], langs, out, html_twin=True, jobs=1, force=True)
    assert len(made) == 13
    assert {lang: (out / lang / "immunotherapy.html").read_bytes() for lang in langs} == pages

    shutil.rmtree(cache)  # and without the cache: the same bytes
    webfonts._memory.clear()
    build_leaflets(project, ["immunotherapy"], langs, out, html_twin=True, jobs=1, force=True)
    assert len(made) == 26
    assert {lang: (out / lang / "immunotherapy.html").read_bytes() for lang in langs} == pages
