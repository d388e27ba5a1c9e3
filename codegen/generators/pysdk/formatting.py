"""Format generated Python: isort then black, checked stable (a second pass changes nothing)."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.metadata import version
from pathlib import Path

import black
import isort
from black.mode import TargetVersion
from black.parsing import InvalidInput

LINE_LENGTH = 100
_BLACK = black.Mode(target_versions={TargetVersion.PY311}, line_length=LINE_LENGTH)


@cache
def _isort(first_party: str) -> isort.Config:
    # Matches ruff's isort defaults, so `ruff check` on the generated package agrees.
    return isort.Config(
        profile="black",
        line_length=LINE_LENGTH,
        known_first_party=[first_party] if first_party else [],
    )


class FormatError(Exception):
    """Generated Python that black cannot parse or does not format stably: a codegen bug."""


@cache
def _versions() -> tuple[str, ...]:
    return (
        version("black"),
        version("isort"),
        hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
    )


def format_key(source: str, first_party: str) -> str:
    """Cache key of formatting ``source``: changes with the text, the tools and our rules."""
    return hashlib.sha256("\0".join((source, first_party, *_versions())).encode()).hexdigest()


def format_python(source: str, first_party: str = "") -> str:
    """``first_party``: the generated package's import name, sorted as ruff would sort it."""
    config = _isort(first_party)
    try:
        once = black.format_str(isort.code(source, config=config), mode=_BLACK)
    except InvalidInput as exc:
        raise FormatError(f"generated Python does not parse: {exc}\n{source}") from exc
    twice = black.format_str(isort.code(once, config=config), mode=_BLACK)
    if once != twice:
        raise FormatError("black/isort did not reach a stable format")
    return once
