"""``[tool.codegen]`` in pyproject.toml: project settings the commands fall back on.

Found by walking up from the working directory to the first ``pyproject.toml`` that has a
``[tool.codegen]`` table. Precedence, one rule for every setting: a command-line flag, then an
environment variable (only ``$CODEGEN_CACHE_DIR`` exists), then ``[tool.codegen]``, then the
built-in default. Paths in the file are relative to the folder holding it. Reading never prints
and never exits: problems are :class:`ConfigError` with a located diagnostic, and the policy
turns them into exit 2.

.. code-block:: toml

    [tool.codegen]
    plans = ["plans"]            # files or folders, for generate/check/lint/status without PLAN
    out = "generated"            # -o
    templates = "templates"      # --templates
    cache-dir = ".codegen-cache" # --cache-dir
    strict = false               # --strict (lint, check-template)

    [tool.codegen.format]        # --format, per command
    lint = "github"

    [tool.codegen.lint]          # on top of every plan's own `lint:` block
    disable = ["docs/event-description"]
    levels = { "usage/unused-trait" = "error" }
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NoReturn

from ..checks.lint import RULES
from ..plan.diagnostics import Diagnostic, Level, Location
from ..plan.suggest import did_you_mean
from . import formats

FILE = "pyproject.toml"
TABLE = ("tool", "codegen")
KEYS = ("plans", "out", "templates", "cache-dir", "strict", "format", "lint")
LINT_KEYS = ("disable", "levels")


class ConfigError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.render())
        self.diagnostic = diagnostic


@dataclass(frozen=True)
class Settings:
    """What ``[tool.codegen]`` says; every field None/empty when there is no such table."""

    source: Path | None = None
    plans: tuple[Path, ...] = ()
    out: Path | None = None
    templates: Path | None = None
    cache_dir: Path | None = None
    strict: bool | None = None
    formats: Mapping[str, str] = field(default_factory=dict)
    disable: tuple[str, ...] = ()
    levels: Mapping[str, Level] = field(default_factory=dict)

    def format(self, command: str, given: str | None) -> str:
        """The flag's value, else the configured one, else ``text``."""
        return given or self.formats.get(command) or formats.TEXT

    def adjust(self, diagnostics: Sequence[Diagnostic]) -> tuple[Diagnostic, ...]:
        """Lint findings with the configured ``disable`` and ``levels`` applied; diagnostics
        that are not lint rules (a dangling reference, unreadable YAML) are never touched."""
        kept = []
        for d in diagnostics:
            if d.code in RULES and d.code in self.disable:
                continue
            if d.code in RULES and d.code in self.levels:
                d = replace(d, level=self.levels[d.code])
            kept.append(d)
        return tuple(sorted(kept))


def find(start: Path) -> Path | None:
    """The first pyproject.toml with a ``[tool.codegen]`` table, from ``start`` upwards."""
    for folder in (start, *start.parents):
        candidate = folder / FILE
        if candidate.is_file() and _has_table(candidate):
            return candidate
    return None


def _has_table(path: Path) -> bool:
    """Whether the file configures codegen. A broken pyproject.toml that is not ours is
    skipped; one with a ``[tool.codegen`` header is taken, so its error gets reported."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    try:
        tool = tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError:
        return re.search(r"^\s*\[\s*tool\.codegen\b", text, re.MULTILINE) is not None
    return isinstance(tool, dict) and "codegen" in tool


def load(start: Path) -> Settings:
    """The settings that apply in ``start`` (empty when no pyproject.toml configures codegen)."""
    path = find(start.resolve())
    return Settings() if path is None else read(path)


def read(path: Path) -> Settings:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = _error(Location(str(path)), "config/unreadable", f"cannot read: {exc}")
        raise ConfigError(problem) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, column = _position(str(exc))
        raise ConfigError(
            _error(Location(str(path), line, column), "config/unreadable", f"invalid TOML: {exc}")
        ) from None
    table = document.get("tool", {}).get("codegen", {})
    return _Reader(path, text).settings(table)


def _position(message: str) -> tuple[int, int]:
    found = re.search(r"line (\d+), column (\d+)", message)
    return (int(found[1]), int(found[2])) if found else (0, 0)


def _error(location: Location, code: str, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(location, code, Level.ERROR, message, hint)


@dataclass(frozen=True)
class _Reader:
    path: Path
    text: str

    def settings(self, table: object) -> Settings:
        table = self._table(table, ())
        for key in table:
            if key not in KEYS:
                self._fail((key,), f"unknown key `{key}`", did_you_mean(key, KEYS))
        strict = table.get("strict")
        if strict is not None and not isinstance(strict, bool):
            self._fail(("strict",), "`strict` must be true or false")
        lint = self._table(table.get("lint", {}), ("lint",))
        for key in lint:
            if key not in LINT_KEYS:
                self._fail(("lint", key), f"unknown key `{key}`", did_you_mean(key, LINT_KEYS))
        return Settings(
            source=self.path,
            plans=tuple(self.path.parent / p for p in self._strings("plans", table)),
            out=self._optional_path(table, "out"),
            templates=self._optional_path(table, "templates"),
            cache_dir=self._optional_path(table, "cache-dir"),
            strict=strict,
            formats=self._formats(self._table(table.get("format", {}), ("format",))),
            disable=tuple(
                self._rule(c, ("lint", "disable")) for c in self._strings("disable", lint)
            ),
            levels=self._levels(self._table(lint.get("levels", {}), ("lint", "levels"))),
        )

    def _table(self, value: object, where: tuple[str, ...]) -> dict[str, object]:
        if not isinstance(value, dict):
            self._fail(where, f"`{'.'.join(TABLE + where)}` must be a table")
        return value

    def _strings(self, key: str, table: Mapping[str, object]) -> list[str]:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self._fail((key,), f"`{key}` must be a list of strings")
        return value

    def _optional_path(self, table: Mapping[str, object], key: str) -> Path | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self._fail((key,), f"`{key}` must be a string (a path)")
        return self.path.parent / value

    def _formats(self, table: Mapping[str, object]) -> dict[str, str]:
        out = {}
        for command, value in table.items():
            if command not in formats.BY_COMMAND:
                hint = did_you_mean(command, formats.BY_COMMAND)
                self._fail(("format", command), f"`{command}` has no --format", hint)
            choices = formats.BY_COMMAND[command]
            if not isinstance(value, str) or formats.canonical(value) not in choices:
                self._fail(
                    ("format", command),
                    f"`{command}` formats are {', '.join(choices)}, not {value!r}",
                )
            out[command] = formats.canonical(value)
        return out

    def _rule(self, code: str, where: tuple[str, ...]) -> str:
        if code not in RULES:
            hint = did_you_mean(code, RULES) or "run `codegen lint --rules` for the list"
            self._fail(where, f"no lint rule `{code}`", hint)
        return code

    def _levels(self, table: Mapping[str, object]) -> dict[str, Level]:
        names = [str(level) for level in Level]
        out = {}
        for code, value in table.items():
            self._rule(code, ("lint", "levels"))
            if not isinstance(value, str) or value not in names:
                self._fail(("lint", "levels"), f"`{code}` level must be one of {', '.join(names)}")
            out[code] = Level[value.upper()]
        return out

    def _fail(self, where: tuple[str, ...], message: str, hint: str | None = None) -> NoReturn:
        line = self._line(where)
        location = Location(str(self.path), line, 1 if line else 0, (*TABLE, *where))
        raise ConfigError(_error(location, "config/invalid", message, hint))

    def _line(self, where: tuple[str, ...]) -> int:
        """The line of the key (or of its table header); 0 when not found. TOML gives no
        positions of its own, and a textual search is close enough for a pointer."""
        lines = self.text.splitlines()
        header = re.compile(r"^\s*\[\s*tool\.codegen(\.[\w.-]+)?\s*\]")
        start = next((i for i, line in enumerate(lines) if header.match(line)), None)
        if start is None:
            return 0
        key = re.escape(where[-1]) if where else None
        if key is not None:
            pattern = re.compile(rf"^\s*(\"{key}\"|{key})\s*=|^\s*\[\s*tool\.codegen\.{key}\s*\]")
            for i in range(start, len(lines)):
                if pattern.match(lines[i]):
                    return i + 1
        return start + 1
