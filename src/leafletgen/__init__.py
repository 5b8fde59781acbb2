"""leafletgen: print-ready, multilingual patient leaflets from trusted sources.

The pipeline, one package a stage: :mod:`~leafletgen.read` reads documents,
:mod:`~leafletgen.select` selects a leaflet's sections, :mod:`~leafletgen.translate`
translates, :mod:`~leafletgen.clearance` decides whether it may go to patients,
:mod:`~leafletgen.render` makes the HTML and the PDF, :mod:`~leafletgen.publish`
writes them, and :mod:`~leafletgen.batch` runs them all for many leaflets.
:mod:`~leafletgen.report` holds what a run found; :mod:`~leafletgen.cli` prints it.
"""

# The one place the version is written: pyproject.toml reads it from here (so a
# command does not import importlib.metadata to learn it, about 0.05 s).
__version__ = "0.1.0"

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
