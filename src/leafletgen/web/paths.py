"""What the web shows of a file's place: a path relative to the project (or
the output folder's name and a path inside it), never the server's own
absolute paths, which tell a visitor how the server is laid out."""

from __future__ import annotations

import os
import re
from pathlib import Path

# An absolute path inside a message: "/" after a space, quote or the start, then
# at least one folder. Linear: no nested repetition.
ABSOLUTE = re.compile(r"(?<![\w.:/~-])/(?:[\w.@+-]+/)+([\w.@+-]*)")


def hide_paths(text: str, root: Path, out: Path | None = None) -> str:
    """``text`` with every absolute path made relative to the project ``root``
    (or shown as ``out``'s name and the path inside it); any other absolute
    path is cut to its file name."""
    places = {str(Path(root)): "", str(Path(root).resolve()): ""}
    if out is not None:
        for folder in (Path(out), Path(out).resolve()):
            places[str(folder)] = f"{Path(out).name}/"
    for folder in sorted(places, key=len, reverse=True):  # the deepest folder first
        text = text.replace(folder + os.sep, places[folder])
    return ABSOLUTE.sub(lambda found: found[1] or "…", text)
