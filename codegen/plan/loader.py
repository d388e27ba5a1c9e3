"""Load a plan file: YAML to plain JSON-like data plus a source map of line/column per path.

PyYAML silently keeps the last of two duplicate keys, expands aliases without limit and turns
``on``/``no`` into booleans. We compose the node graph with the safe (C) loader and build the data
ourselves so that each of those becomes a located diagnostic instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import yaml

from .diagnostics import Diagnostic, Level, Location, Path, format_path

MAX_PLAN_BYTES = 5_000_000
MAX_ALIAS_NODES = 10_000
MAX_DEPTH = 64

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_KEEP_AS_TEXT = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"}

try:
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment,unused-ignore]
except AttributeError:  # pragma: no cover - pyyaml built without libyaml
    _Loader = yaml.SafeLoader


@dataclass(frozen=True)
class Document:
    """A loaded plan: JSON-compatible data and where each path came from."""

    file: str
    data: Any
    marks: dict[Path, tuple[int, int]] = field(repr=False)

    def locate(self, path: Path) -> Location:
        """Location of ``path``, or of its nearest ancestor that is in the file."""
        probe = tuple(path)
        while probe and probe not in self.marks:
            probe = probe[:-1]
        line, column = self.marks.get(probe, (0, 0))
        return Location(self.file, line, column, tuple(path))


class _AbortError(Exception):
    """Stops building the document (alias bomb, cycle, depth): the rest is not trustworthy."""


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.marks: dict[Path, tuple[int, int]] = {}
        self.diagnostics: list[Diagnostic] = []
        self.alias_nodes = 0
        self.seen: dict[int, int] = {}  # node id -> times constructed (alias use when > 1)
        self.stack: set[int] = set()
        self.scalars = yaml.constructor.SafeConstructor()

    def error(self, node: yaml.Node, path: Path, code: str, message: str, hint: str) -> None:
        loc = Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1, path)
        self.diagnostics.append(Diagnostic(loc, code, Level.ERROR, message, hint))

    def build(self, node: yaml.Node, path: Path, merge_key: yaml.Node | None = None) -> Any:
        """Plain data for ``node``; ``merge_key`` is the ``<<`` key when ``node`` is merged (a
        merge is an alias use, reported where the ``<<`` stands)."""
        site = merge_key or node
        if len(path) > MAX_DEPTH:
            self.error(
                node,
                path,
                "load/too-deep",
                f"nesting deeper than {MAX_DEPTH} levels",
                "flatten the plan; reusable types keep nesting shallow",
            )
            raise _AbortError
        key = id(node)
        if key in self.stack:
            if merge_key is not None:
                self.error(
                    site,
                    path,
                    "load/recursive-merge",
                    "a merge key (`<<`) merges a mapping that contains it",
                    "remove the `<<:` that merges its own anchor",
                )
            else:
                self.error(
                    node,
                    path,
                    "load/recursive-alias",
                    "an alias refers to a node that contains it",
                    "remove the recursive alias; use `ref:` or a reusable type instead",
                )
            raise _AbortError
        uses = self.seen.get(key, 0)
        self.seen[key] = uses + 1
        if uses:
            self.alias_nodes += _count(node)
            if self.alias_nodes > MAX_ALIAS_NODES:
                self.error(
                    site,
                    path,
                    "load/alias-bomb",
                    f"aliases expand to more than {MAX_ALIAS_NODES} nodes",
                    "this looks like an alias bomb; write the values out or use `ref:`",
                )
                raise _AbortError
        self.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        self.stack.add(key)
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            return self.scalar(node, path)
        finally:
            self.stack.discard(key)

    def scalar(self, node: yaml.Node, path: Path) -> Any:
        if node.tag in _KEEP_AS_TEXT:
            return str(node.value)
        try:
            value = self.scalars.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            self.error(
                node,
                path,
                "load/yaml-tag",
                f"unsupported YAML value: {exc.problem}",
                "use plain strings, numbers, booleans, lists and mappings",
            )
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.error(
                node,
                path,
                "load/not-json",
                f"`{node.value}` is not a finite number",
                "JSON Schema and Segment payloads cannot carry infinity or NaN",
            )
            return None
        return value

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                sources = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                merged.extend((key_node, source) for source in sources)
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR:
                shown = getattr(key_node, "value", "?")
                self.error(
                    key_node,
                    path,
                    "load/non-string-key",
                    f"key `{shown}` is not a string (YAML reads it as {_yaml_kind(key_node)})",
                    f'quote it: "{shown}": ...',
                )
                continue
            key = str(key_node.value)
            child = (*path, key)
            if key in result:
                first = self.marks.get(child, (0, 0))
                self.error(
                    key_node,
                    child,
                    "load/duplicate-key",
                    f"duplicate key `{key}` (first defined at line {first[0]})",
                    "YAML keeps only the last value; remove or rename one of them",
                )
                continue
            self.marks[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.build(value_node, child)
        for merge_key, source in merged:
            if not isinstance(source, yaml.MappingNode):
                self.error(
                    source,
                    path,
                    "load/bad-merge",
                    "`<<` must merge a mapping",
                    "merge a mapping anchor: `<<: *name`",
                )
                continue
            # Through build(): a merge is an alias use, so it is counted against the alias
            # budget (a merge of merges grows like an alias bomb) and checked for recursion.
            for merged_key, merged_value in self.build(source, path, merge_key).items():
                result.setdefault(merged_key, merged_value)
        return result


def _count(node: yaml.Node) -> int:
    if isinstance(node, yaml.MappingNode):
        return 1 + sum(_count(k) + _count(v) for k, v in node.value)
    if isinstance(node, yaml.SequenceNode):
        return 1 + sum(_count(v) for v in node.value)
    return 1


def _yaml_kind(node: yaml.Node) -> str:
    return {
        "tag:yaml.org,2002:bool": "a boolean",
        "tag:yaml.org,2002:int": "an integer",
        "tag:yaml.org,2002:float": "a number",
        "tag:yaml.org,2002:null": "null",
    }.get(node.tag, "a collection" if not isinstance(node, yaml.ScalarNode) else node.tag)


def load_text(text: str, file: str) -> tuple[Document | None, list[Diagnostic]]:
    """Parse YAML text into a :class:`Document`; never raises on bad input."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_PLAN_BYTES:
        return None, [
            Diagnostic(
                Location(file),
                "load/too-large",
                Level.ERROR,
                f"the plan is larger than {MAX_PLAN_BYTES:,} bytes",
                "split the plan or raise the limit deliberately",
            )
        ]
    try:
        nodes = list(_compose_all(text))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        return None, [
            Diagnostic(
                loc,
                "load/yaml-syntax",
                Level.ERROR,
                f"invalid YAML: {what}",
                "check indentation and quoting around this line",
            )
        ]
    except yaml.YAMLError as exc:
        return None, [
            Diagnostic(
                Location(file), "load/yaml-syntax", Level.ERROR, f"invalid YAML: {exc}", None
            )
        ]
    if len(nodes) != 1:
        return None, [
            Diagnostic(
                Location(file, 1, 1),
                "load/documents",
                Level.ERROR,
                f"expected one YAML document, found {len(nodes)}",
                "a plan is a single mapping; remove extra `---` separators",
            )
        ]
    builder = _Builder(file)
    try:
        data = builder.build(nodes[0], ())
    except _AbortError:
        return None, builder.diagnostics
    if builder.diagnostics:
        return None, builder.diagnostics
    return Document(file, data, builder.marks), []


def _compose_all(text: str) -> Iterator[yaml.Node]:
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                yield node
    finally:
        loader.dispose()


def load_file(path: FsPath, display: str | None = None) -> tuple[Document | None, list[Diagnostic]]:
    """Read and parse a plan file; unreadable files become a diagnostic, not an exception."""
    name = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_PLAN_BYTES:
            return load_text("x" * (MAX_PLAN_BYTES + 1), name)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [
            Diagnostic(
                Location(name), "load/unreadable", Level.ERROR, f"cannot read the plan: {exc}", None
            )
        ]
    return load_text(text, name)


__all__ = ["Document", "format_path", "load_file", "load_text"]
