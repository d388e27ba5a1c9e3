"""Format generated Python: isort then black, in process, with one mode built once.

Large modules (the tracker of a big plan: one method per event, 50,000 lines at 1000 events)
are formatted in pieces that black formats exactly as it formats the whole file: a piece starts
at a method of a top-level class whose previous sibling is a plain method (no decorator, no
comment between them, ending in a simple statement). Such a piece is formatted after a fixed
stub (``class _:`` / ``def _(self): pass``) that gives black the same context it sees in the
whole file (a method ending at the same depth), and the formatted stub is cut off again.
Pieces are independent: they run in parallel and are cached one by one, so a change to one
method reformats only its piece. Where the pieces start depends on the method names (a hash),
not on their positions, so adding an event does not move every later boundary.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import zlib
from functools import cache
from importlib.metadata import version
from pathlib import Path

import black
import isort
from black.mode import TargetVersion
from black.parsing import InvalidInput

LINE_LENGTH = 100
_BLACK = black.Mode(target_versions={TargetVersion.PY311}, line_length=LINE_LENGTH)

# Sources longer than this many lines are formatted in pieces; a piece starts at about one
# eligible method in PIECE_EVERY (chosen by a hash of the method's first line).
SPLIT_FROM_LINES = 1500
PIECE_EVERY = 12


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
def rules_digest() -> str:
    """Hash of this module's source (line endings normalised: a Windows checkout agrees)."""
    return hashlib.sha256(Path(__file__).read_bytes().replace(b"\r\n", b"\n")).hexdigest()


@cache
def _versions() -> tuple[str, ...]:
    return (version("black"), version("isort"), rules_digest())


def format_key(source: str, first_party: str, kind: str = "module") -> str:
    """Cache key of formatting ``source``: changes with the text, the tools and our rules."""
    payload = "\0".join((kind, source, first_party, *_versions()))
    return hashlib.sha256(payload.encode()).hexdigest()


def format_python(source: str, first_party: str = "") -> str:
    """``first_party``: the generated package's import name, sorted as ruff would sort it.

    Stable by construction: black's output is a fixed point of black (black's own guarantee,
    and tests/test_manifest.py re-formats every committed module); that isort leaves black's
    output alone is checked here, because the two tools disagreeing is the real risk.
    """
    config = _isort(first_party)
    try:
        once = black.format_str(isort.code(source, config=config), mode=_BLACK)
    except InvalidInput as exc:
        raise FormatError(f"generated Python does not parse: {exc}\n{source}") from exc
    if isort.code(once, config=config) != once:
        raise FormatError("black/isort did not reach a stable format")
    return once


# What black makes of the stub; a formatted piece must start with exactly this.
_STUB = "class _:\n    def _(self):\n        pass\n"


def split(source: str) -> list[str]:
    """``source`` cut before some methods of its top-level classes (see the module docstring);
    joined, the pieces are ``source``. One piece when the source is small or has no safe cut."""
    lines = source.splitlines(keepends=True)
    if len(lines) < SPLIT_FROM_LINES:
        return [source]
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [source]  # format_python reports it
    cuts = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or node.col_offset != 0:
            continue
        for before, method in zip(node.body, node.body[1:], strict=False):
            if _cut_before(before, method, lines) and _chosen(lines[method.lineno - 1]):
                cuts.append(method.lineno - 1)
    bounds = [0, *cuts, len(lines)]
    return ["".join(lines[a:b]) for a, b in itertools.pairwise(bounds)]


def _cut_before(before: ast.stmt, method: ast.stmt, lines: list[str]) -> bool:
    """True where black's view of ``method`` does not depend on what comes before it, beyond
    "a method of this class ended here"."""
    defs = (ast.FunctionDef, ast.AsyncFunctionDef)
    if not isinstance(before, defs) or not isinstance(method, defs):
        return False
    if before.decorator_list or method.decorator_list or before.end_lineno is None:
        return False
    if isinstance(
        before.body[-1],
        (
            *defs,
            ast.ClassDef,
            ast.If,
            ast.For,
            ast.While,
            ast.With,
            ast.Try,
            ast.AsyncFor,
            ast.AsyncWith,
            ast.Match,
        ),
    ):
        return False  # the stub ends with a simple statement; so must the method before
    between = lines[before.end_lineno : method.lineno - 1]
    return all(not line.strip() for line in between) and lines[method.lineno - 1].startswith(
        " " * method.col_offset + ("def " if isinstance(method, ast.FunctionDef) else "async ")
    )


def _chosen(line: str) -> bool:
    return zlib.crc32(line.strip().encode()) % PIECE_EVERY == 0


def format_piece(piece: str, first: bool, first_party: str = "") -> str:
    """One piece from :func:`split`, formatted as black formats it inside the whole file."""
    if first:
        return format_python(piece, first_party)
    indent = len(piece) - len(piece.lstrip(" "))
    stub = f"class _:\n{' ' * indent}def _(self):\n{' ' * (indent + 4)}pass\n\n"
    formatted = format_python(stub + piece, first_party)
    if not formatted.startswith(_STUB):
        raise FormatError(f"a piece did not format after the stub:\n{formatted[:500]}")
    return formatted[len(_STUB) :]
