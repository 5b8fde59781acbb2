"""YAML files that remember where each value was written.

Mappings load as :class:`LineDict` and sequences as :class:`LineList`, which
carry the 1-based line of the value and of each key, so that any problem can
be reported as ``file:line``.

The loader does bounded work whatever the file says: aliases (``*name``,
the "billion laughs") are refused, nesting is limited, keys must be plain
scalars, and dates stay text (each reader checks its own dates and says
which line is wrong).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

from leafletgen.errors import LeafletError, brief
from leafletgen.files import MAX_CONFIG_BYTES, read_regular
from leafletgen.text import unprintable

MAX_DEPTH = 40  # nesting of mappings and lists


class LineDict(dict):
    """A YAML mapping with the line it starts on and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A YAML sequence with the line it starts on and the line of each item."""

    line: int = 0
    item_lines: list[int]


# libyaml's parser where PyYAML was built with it (about 5x faster on
# definitions), else the pure-Python one; both construct values only through
# the safe constructors below. Aliases and nesting are bounded by a scan of the
# tokens first (libyaml's composer would follow them in C).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPEN = (
    yaml.BlockMappingStartToken,
    yaml.BlockSequenceStartToken,
    yaml.FlowMappingStartToken,
    yaml.FlowSequenceStartToken,
)
_CLOSE = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


def package_data(name: str) -> Any:
    """One of leafletgen's own data files (``leafletgen/data/NAME``), parsed by
    libyaml's safe loader where PyYAML has it: the reader's patterns are
    several thousand lines, about 0.1 s of a cold start in pure Python."""
    from importlib import resources

    text = resources.files("leafletgen.data").joinpath(name).read_text(encoding="utf-8")
    return yaml.load(text, Loader=_SafeLoader)


class _Loader(_SafeLoader):  # type: ignore[misc, valid-type]
    """Safe loader that records line numbers, rejects duplicate keys and
    non-scalar keys, and leaves dates as text."""


class _Unprintable(Exception):
    """A value (or key) with text that must never be printed or recorded."""

    def __init__(self, problem: str, line: int):
        super().__init__(problem)
        self.line = line


def _check_tokens(text: str) -> None:
    """Refuse aliases, deep nesting and unprintable text (every key and value,
    escapes included: :func:`leafletgen.text.unprintable`) before anything is
    composed."""
    depth = 0
    for token in yaml.scan(text, Loader=_SafeLoader):
        if isinstance(token, yaml.ScalarToken) and (problem := unprintable(token.value)):
            raise _Unprintable(problem, token.start_mark.line + 1)
        if isinstance(token, yaml.AliasToken):
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed; write the value out", token.start_mark
            )
        if isinstance(token, _OPEN):
            depth += 1
            if depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", token.start_mark
                )
        elif isinstance(token, _CLOSE):
            depth -= 1


# Dates are read by the code that needs them (with a message naming the line),
# never by YAML's timestamp resolver, whose errors have no line.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if not tag.endswith(":timestamp")]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            kind = "a list" if isinstance(key_node, yaml.SequenceNode) else "a mapping"
            raise yaml.constructor.ConstructorError(
                None, None, f"a key must be plain text, not {kind}", key_node.start_mark
            )
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {brief(key)}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    sequence = LineList(loader.construct_object(child, deep=True) for child in node.value)
    sequence.line = node.start_mark.line + 1
    sequence.item_lines = [child.start_mark.line + 1 for child in node.value]
    return sequence


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def parse_yaml(text: str, path: str | Path, error: type[LeafletError] = LeafletError) -> Any:
    """Parse YAML text; a syntax error becomes ``error`` at its file and line."""
    try:
        _check_tokens(text)
        return yaml.load(text, Loader=_Loader)
    except _Unprintable as problem:
        raise error(f"text with {problem}", path, problem.line) from None
    except yaml.reader.ReaderError as problem:  # (a character YAML refuses: its line, not offset)
        line = text.count("\n", 0, problem.position) + 1
        raise error(f"invalid YAML: {str(problem).splitlines()[0][:300]}", path, line) from None
    except yaml.MarkedYAMLError as problem:
        mark = problem.problem_mark or problem.context_mark
        line = mark.line + 1 if mark else None
        message = problem.problem or "invalid YAML"
        if problem.context:
            message = f"{message} ({problem.context})"
        raise error(f"invalid YAML: {message[:300]}", path, line) from None
    except yaml.YAMLError as problem:
        raise error(f"invalid YAML: {str(problem)[:300]}", path) from None
    except (ValueError, TypeError, RecursionError) as problem:  # a value YAML cannot build
        raise error(f"invalid YAML: {str(problem)[:300]}", path) from None


def load_yaml(path: str | Path, error: type[LeafletError] = LeafletError) -> LineDict:
    """Read a YAML file whose top level must be a mapping."""
    path = Path(path)
    data = read_regular(path, limit=MAX_CONFIG_BYTES, what="YAML file", error=error)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        line = data[: problem.start].count(b"\n") + 1
        raise error("not valid UTF-8", path, line) from None
    root = parse_yaml(text, path, error)
    if not isinstance(root, LineDict):
        raise error("expected a mapping of keys to values at the top level", path, 1)
    return root


# Configuration text is short: a name, a title, a phone number. A value
# thousands of characters long is a mistake, and would take minutes to lay out.
MAX_TEXT = 200

_TYPE_NAMES = {
    str: "text",
    bool: "true or false",
    dict: "a mapping",
    list: "a list",
    int: "a number",
}


def require_keys(
    mapping: Any,
    schema: dict[str, type | tuple[type, ...]],
    required: set[str],
    path: str | Path,
    error: type[LeafletError] = LeafletError,
    *,
    what: str = "entry",
    max_length: dict[str, int] | None = None,
) -> list[LeafletError]:
    """Every problem with one mapping: not a mapping, unknown keys (with the
    closest valid one suggested), missing keys, values of the wrong type and
    text longer than ``max_length[key]`` (default :data:`MAX_TEXT`) characters."""
    max_length = max_length or {}
    if not isinstance(mapping, LineDict):
        line = getattr(mapping, "line", None)
        return [error(f"each {what} must be a mapping of keys to values", path, line)]
    problems: list[LeafletError] = []
    for key in mapping:
        if key not in schema:
            close = difflib.get_close_matches(str(key), schema, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(schema)}"
            problems.append(
                error(f"unknown key {brief(key)} in {what}{hint}", path, mapping.line_of(key))
            )
            continue
        expected = schema[key]
        value = mapping[key]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            types = expected if isinstance(expected, tuple) else (expected,)
            names = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)
            problems.append(
                error(f"{key!r} must be {names}, not {brief(value)}", path, mapping.line_of(key))
            )
        elif isinstance(value, str) and len(value) > (limit := max_length.get(key, MAX_TEXT)):
            problems.append(
                error(
                    f"{key!r} is {len(value):,} characters long; at most {limit:,} are allowed",
                    path,
                    mapping.line_of(key),
                )
            )
    for key in sorted(required - set(mapping)):
        problems.append(error(f"{what} is missing {key!r}", path, mapping.line))
    return problems
