"""What the command line shows on a terminal: a progress bar, and log
records as ``warning: <message>`` lines like the errors."""

from __future__ import annotations

import logging
import sys
from typing import TextIO


class Progress:
    """A one-line progress bar for a terminal."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream, self.width = stream, width

    def show(self, done: int, total: int, label: str) -> None:
        """Redraw the bar: ``done`` of ``total``, and what was done last."""
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done}/{total} {label[:40]:<40}")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line."""
        self.stream.write("\n")
        self.stream.flush()


class WarningFormatter(logging.Formatter):
    """``warning: <message>``, like the errors."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def setup_logging() -> None:
    """Send leafletgen's warnings to standard error, once, as ``warning: ...`` lines."""
    logger = logging.getLogger("leafletgen")
    if not any(getattr(h, "_leafletgen", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(WarningFormatter())
        handler._leafletgen = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(logging.WARNING)
