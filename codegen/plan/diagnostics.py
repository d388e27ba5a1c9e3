"""Diagnostics are data: every stage returns them, only the CLI prints them."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

PathPart = str | int
Path = tuple[PathPart, ...]


class Level(enum.IntEnum):
    """Severity, ordered from least to most severe."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=True)
class Location:
    """Where in a plan file something is: file, 1-based line and column, path in the plan."""

    file: str
    line: int = 0
    column: int = 0
    path: Path = ()

    @property
    def dotted(self) -> str:
        """The plan path as users read it: ``events.Order Completed.properties.revenue``."""
        return format_path(self.path)

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem found in a plan (or an input checked against it)."""

    location: Location
    code: str
    level: Level
    message: str
    hint: str | None = None
    related: tuple[Location, ...] = field(default=())

    def render(self) -> str:
        """Plain text, one problem: ``file:line:col: error[code] path: message (hint)``."""
        text = f"{self.location}: {self.level}[{self.code}]"
        if self.location.path:
            text += f" {self.location.dotted}:"
        text += f" {self.message}"
        for other in self.related:
            text += f"\n    see also {other}" + (f" ({other.dotted})" if other.path else "")
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.level is Level.ERROR for d in diagnostics)
