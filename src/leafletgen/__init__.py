"""leafletgen: print-ready, multilingual patient leaflets from trusted sources.

The pipeline, one module a stage: :mod:`~leafletgen.sources` reads documents,
:mod:`~leafletgen.leaflets` selects sections, :mod:`~leafletgen.i18n`
translates, :mod:`~leafletgen.render` makes the PDF and
:mod:`~leafletgen.publish` writes it. :func:`build_leaflets` runs them all.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("leafletgen")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"

from .errors import LeafletError
from .model import Block, Document, Section, SourceInfo
from .sources import load_sources, read_corpus, read_source

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
