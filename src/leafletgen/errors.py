"""The project's error types: one base, one subclass per pipeline stage.

Every error knows the file (and, where it has one, the line) it is about, so
the command line can print ``path:line: message`` and stop. Any exception
that is not a :class:`LeafletError` is a bug and keeps its traceback.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable
from pathlib import Path


class LeafletError(Exception):
    """A problem with the user's input, reported as ``path[:line]: message``."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line

    def __reduce__(self):
        # Keep path and line when an error crosses to another process.
        return (self.__class__, (self.message, self.path, self.line))

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


class SourceError(LeafletError):
    """A source document or ``sources.yaml`` cannot be read."""


class DefinitionError(LeafletError):
    """A leaflet definition or ``clinic.yaml`` is invalid."""


class TranslationError(LeafletError):
    """A catalog is broken, or a translation a leaflet needs is missing or stale."""


class RenderError(LeafletError):
    """The leaflet could not be turned into a PDF."""


class PublishError(LeafletError):
    """The PDF or the manifest could not be written."""


class ErrorGroup(LeafletError):
    """Several problems found in one pass, reported together."""

    def __init__(self, errors: Iterable[LeafletError]):
        # Groups inside a group are flattened: every member is one problem
        # with its own file and line.
        self.errors = [
            member
            for error in errors
            for member in (error.errors if isinstance(error, ErrorGroup) else [error])
        ]
        first = self.errors[0]
        super().__init__(first.message, first.path, first.line)

    def __reduce__(self):
        return (self.__class__, (self.errors,))

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


def brief(value: object, width: int = 60) -> str:
    """``repr(value)`` cut to ``width`` characters: error messages quote what a
    file says without ever printing an unbounded value."""
    if isinstance(value, (list, dict, tuple, set)):
        kind = {list: "a list", tuple: "a list", set: "a set", dict: "a mapping"}
        return kind[next(t for t in kind if isinstance(value, t))]
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def shown(error: LeafletError, start: str | Path | None = None) -> str:
    """An error as the user sees it: its path relative to ``start`` (default:
    the current folder) when it lies inside it; each problem of a group on
    its own line."""
    if isinstance(error, ErrorGroup):
        return "\n".join(shown(member, start) for member in error.errors)
    if error.path and os.path.isabs(error.path):
        relative = os.path.relpath(error.path, start)
        if not relative.startswith(".."):
            error = copy.copy(error)
            error.path = relative
    return str(error)


def error_lines(error: LeafletError, start: str | Path | None = None) -> list[str]:
    """Every problem an error holds (one, or each of a group), as shown to the user."""
    return [shown(e, start) for e in getattr(error, "errors", [error])]


def raise_all(errors: list[LeafletError]) -> None:
    """Raise the one error, or all of them as an :class:`ErrorGroup`; do nothing if none."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ErrorGroup(errors)
