"""leafletgen: print-ready, multilingual patient leaflets from trusted sources.

The pipeline, one module a stage: :mod:`~leafletgen.read.sources` reads documents,
:mod:`~leafletgen.select.leaflets` selects sections, :mod:`~leafletgen.translate.catalogs`
translates, :mod:`~leafletgen.render.pdf` makes the PDF and
:mod:`~leafletgen.publish.writer` writes it. :func:`~leafletgen.batch.build.build`
runs them all.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("leafletgen")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"

from leafletgen.errors import LeafletError
from leafletgen.model import Block, Document, Section, SourceInfo
from leafletgen.read.sources import load_sources, read_corpus, read_source

__all__ = [
    "Block",
    "Document",
    "LeafletError",
    "Section",
    "SourceInfo",
    "__version__",
    "load_sources",
    "read_corpus",
    "read_source",
]
