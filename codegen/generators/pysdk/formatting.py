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
import re
import warnings
import zlib
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path

import black
import isort
import isort.exceptions
from black.mode import TargetVersion
from black.parsing import InvalidInput
from black.strings import str_width

LINE_LENGTH = 100
_BLACK = black.Mode(target_versions={TargetVersion.PY311}, line_length=LINE_LENGTH)

# Sources longer than this many lines are formatted in pieces; a piece starts at about one
# eligible method in PIECE_EVERY (chosen by a hash of the method's first line).
SPLIT_FROM_LINES = 1500
_ID = r"[A-Za-z_][A-Za-z0-9_]*"
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
    try:
        once = _black_eliding(_isorted(source, first_party))
    except InvalidInput as exc:
        raise FormatError(f"generated Python does not parse: {exc}\n{source}") from exc
    if _isorted(once, first_party) != once:
        raise FormatError("black/isort did not reach a stable format")
    return once


# isort's STATEMENT_DECLARATIONS: the first code line after the imports decides, by its start
# alone, whether isort leaves two blank lines after them or one.
_DECLARATION = re.compile(r"^(?:def |cdef |cpdef |class |@|async def)", re.MULTILINE)
_ISORT_LATER = re.compile(r"import|isort")
# isort's output for the part of a module before its first class or function, by
# (first_party, that part, the declaration word after it): a plan's model modules share a few.
_heads: dict[tuple[str, str, str], str] = {}


def _isorted(source: str, first_party: str) -> str:
    """``isort.code(source)`` for our configuration. isort sorts the import block and copies
    every line after it as it is; when nothing after the first class or function mentions an
    import (or isort), only the part before it goes through isort, once per distinct part (with
    a line starting like the declaration, from which isort counts the blank lines)."""
    config = _isort(first_party)
    try:
        return _isorted_head(source, first_party, config)
    except isort.exceptions.FileSkipComment:
        # "isort: skip_file" in the text (a plan's description): isort leaves such a file
        # alone, and so do we
        return source


def _isorted_head(source: str, first_party: str, config: isort.Config) -> str:
    first = _DECLARATION.search(source)
    if first is None or _ISORT_LATER.search(source, first.start()):
        return isort.code(source, config=config)
    head, word = source[: first.start()], first.group()
    done = _heads.get((first_party, head, word))
    if done is None:
        probe = f"{word}_codegen_probe:\n"
        done = isort.code(head + probe, config=config)
        if not done.endswith("\n" + probe) or "_codegen_probe" in head:
            return isort.code(source, config=config)
        done = done[: -len(probe)]
        if len(_heads) >= 256:
            _heads.clear()
        _heads[(first_party, head, word)] = done
    return done + source[first.start() :]


# Lines black leaves as they are wherever they stand in a run of lines like them: entries of an
# exploded dict or list (the tracker's ``events``, the package's ``_EXPORTS`` and ``__all__``)
# and short imports, top-level ones (a model module's import block, after isort; single blank
# lines between them, which black keeps) and indented relative ones (``if TYPE_CHECKING:``).
# A run (of one kind) is handed to black as its first line only and put back after.
_IMPORTED = rf"{_ID}(?: as {_ID})?(?:, {_ID}(?: as {_ID})?)*"
_RUN_KINDS = (
    re.compile(r'        "[^"\\]*": \("[^"\\]*", (?:True|False)\),'),
    re.compile(r'    "[^"\\]*": "[^"\\]*",'),
    re.compile(r'    "[^"\\]*",'),
    re.compile(rf"    from \.{_ID}(?:\.{_ID})* import {_IMPORTED}"),
    re.compile(rf"(?:from \.*{_ID}(?:\.{_ID})*|from \.+) import {_IMPORTED}"),
)
_TOP_IMPORT = _RUN_KINDS[-1]


def _run(lines: list[str], i: int, shape: _Shape) -> list[str]:
    """The run of lines of one kind starting at ``lines[i]`` (see above), or ``[]``; none of
    them the text of a string."""
    kind = next((k for k in _RUN_KINDS if k.fullmatch(lines[i])), None)
    if kind is None:
        return []
    end = i
    while end < len(lines) and _width_ok(lines[end]) and end not in shape.inside_strings:
        if kind.fullmatch(lines[end]):
            end += 1
        elif (  # one blank line between two top-level imports
            kind is _TOP_IMPORT
            and lines[end] == ""
            and end + 1 < len(lines)
            and kind.fullmatch(lines[end + 1])
            and _width_ok(lines[end + 1])
            and end + 1 not in shape.inside_strings
        ):
            end += 2
        else:
            break
    return lines[i:end]


_FIELD = re.compile(rf"    {_ID}: (?P<annotation>.+?)(?: = (?:None|MISSING))?")


# A single-quoted string with no quote or backslash inside: black writes it double-quoted.
_SINGLE_QUOTED = re.compile(r"'([^'\"\\\n]*)'")


def _field_as_black_writes(line: str) -> str | None:
    """A one-line field of a class body as black writes it, when that does not depend on the
    lines around it; ``None`` for anything else."""
    if not line.startswith("    ") or line.startswith("     ") or ": " not in line:
        return None
    if "'" in line:
        line = _SINGLE_QUOTED.sub(r'"\1"', line)
    field = _FIELD.fullmatch(line)
    if field is None or not _width_ok(line) or not _annotation_stable(field["annotation"]):
        return None
    return line


_CALL_OPEN = re.compile(rf"    {_ID} = {_ID}\(")
_KEYWORD = re.compile(rf"        {_ID}=(?P<value>.+),")


def _statement(lines: list[str], i: int, shape: _Shape) -> list[str] | None:
    """The class-body statement starting at ``lines[i]`` as black writes it, when that does
    not depend on what surrounds it: a field on one line, or an assignment of a call written
    one keyword argument a line with a magic trailing comma (``model_config = ConfigDict(``);
    with the string after it, if any (a field's description, an attribute docstring to
    datamodel-code-generator but a plain string to black, which leaves its text alone)."""
    statement = _simple_statement(lines, i)
    if statement is None or any(k in shape.inside_strings for k in range(i, i + len(statement))):
        return None
    return statement + _attribute_doc(lines, i + len(statement), shape)


_DOC_QUOTES = '    """'


def _attribute_doc(lines: list[str], i: int, shape: _Shape) -> list[str]:
    """The triple-quoted string statement at ``lines[i]`` written as datamodel-code-generator
    writes a field's description (quotes on their own lines), or ``[]``: one string statement
    by the syntax tree, nothing in its text that black normalises in a string (a backslash),
    printable only."""
    if i >= len(lines) or lines[i] != _DOC_QUOTES or i not in shape.starts:
        return []
    end = shape.strings.get(i)
    if end is None or end == i + 1 or lines[end] != _DOC_QUOTES:
        return []
    text = lines[i + 1 : end]
    if any('"""' in line or "\\" in line or not line.isprintable() for line in text):
        return []
    return lines[i : end + 1]


def _simple_statement(lines: list[str], i: int) -> list[str] | None:
    if not _CALL_OPEN.fullmatch(lines[i]):
        line = _field_as_black_writes(lines[i])
        return None if line is None else [line]
    block = [lines[i]]
    for line in lines[i + 1 :]:
        if line == "    )":
            return [*block, line] if len(block) > 1 else None
        if "'" in line:
            line = _SINGLE_QUOTED.sub(r'"\1"', line)
        keyword = _KEYWORD.fullmatch(line)
        if keyword is None or not _width_ok(line) or not _annotation_stable(keyword["value"]):
            return None
        block.append(line)
    return None


# Comments that make black leave lines as they are (or that other formatters honour): a module
# with one goes to black whole.
_DIRECTIVE = re.compile(r"#\s*(?:fmt|yapf)\s*:")
_CLASS_LINE = re.compile(r"class [^\n]*:")


def _parse(source: str) -> ast.Module:
    """``ast.parse`` without the warnings it gives for text that black keeps as it is (an
    invalid escape in a description is a SyntaxWarning from Python 3.12 on)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)


@dataclass(frozen=True)
class _Shape:
    """Where a module's statements start and which lines are the text of a string (0-based
    line indices), from its syntax tree: the shortcuts read only lines that are code."""

    starts: frozenset[int]
    inside_strings: frozenset[int]
    strings: dict[int, int]  # first line of a string spanning lines: its last line

    @staticmethod
    def of(source: str) -> _Shape | None:
        try:
            tree = _parse(source)
        except (SyntaxError, ValueError):
            return None
        starts: set[int] = set()
        inside: set[int] = set()
        strings: dict[int, int] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.stmt):
                starts.add(node.lineno - 1)
            elif isinstance(node, ast.JoinedStr) or (
                isinstance(node, ast.Constant) and isinstance(node.value, str | bytes)
            ):
                end = node.end_lineno or node.lineno
                if end > node.lineno:
                    inside.update(range(node.lineno, end))
                    strings[node.lineno - 1] = end - 1
        return _Shape(frozenset(starts), frozenset(inside), strings)


def _black_eliding(source: str) -> str:
    """black on ``source`` with what black would write unchanged left out: a run of dict
    entries or imports is handed over as its first line, a run of class-body statements
    (:func:`_statement`) as one placeholder field; both are put back afterwards. Fields black
    would rewrite (:func:`_loose_statement`: too long, quotes it changes) join the run too and
    are formatted on their own, after a stub class (:func:`_format_loose`): then black writes
    the rest unchanged and formats it once (black formats again whatever it changed)."""
    if "_codegen_" in source or _DIRECTIVE.search(source):
        # our placeholders would be ambiguous; black leaves `fmt: off` regions as they are
        return black.format_str(source, mode=_BLACK)
    shape = _Shape.of(source)
    if shape is None:
        return black.format_str(source, mode=_BLACK)  # black says what does not parse
    lines = source.split("\n")
    kept: list[str] = []
    runs: dict[str, list[str | int]] = {}  # first line or placeholder: lines, or loose index
    loose: list[str] = []
    i = 0
    while i < len(lines):
        if i in shape.inside_strings:
            kept.append(lines[i])  # text of a string: never read as code
            i += 1
            continue
        run = _run(lines, i, shape)
        if len(run) >= 2 and run[0] not in runs:
            runs[run[0]] = list(run)
            kept.append(run[0])
            i += len(run)
            continue
        consumed, parts, any_loose = 0, list[str | int](), False
        while i + consumed < len(lines) and i + consumed in shape.starts:
            statement = _statement(lines, i + consumed, shape)
            if statement is None:
                statement = _loose_statement(lines, i + consumed, shape)
                if statement is None:
                    break
                parts.append(len(loose))
                loose.append(statement[0])
                any_loose = True
                parts += statement[1:]
            else:
                parts += statement
            consumed += len(statement)
        if consumed >= 2 or any_loose:
            placeholder = f"    _codegen_kept_{len(runs)}: int"
            runs[placeholder] = parts
            kept.append(placeholder)
            i += consumed
            continue
        kept.append(lines[i])
        if i in shape.starts and _CLASS_LINE.fullmatch(lines[i]):
            doc = _attribute_doc(lines, i + 1, shape)
            after = i + 1 + len(doc)
            if doc and after in shape.starts and lines[after].startswith("    "):
                # the blank line black puts after a class docstring, put there first: the
                # skeleton is then black's own output and black formats it once, not twice
                kept += [*doc, ""]
                i = after
                continue
        i += 1
    if not runs:
        return black.format_str(source, mode=_BLACK)
    formatted_loose = _format_loose(loose)
    if formatted_loose is None:
        return black.format_str(source, mode=_BLACK)
    text = "\n".join(kept)
    formatted = (text if _stable_skeleton(kept) else black.format_str(text, mode=_BLACK)).split(
        "\n"
    )
    for first, parts in runs.items():
        if formatted.count(first) != 1 or kept.count(first) != 1:
            # not where we can tell (black joined the run's collection, or the line stands
            # elsewhere too): all of it
            return black.format_str(source, mode=_BLACK)
        at = formatted.index(first)
        formatted[at : at + 1] = [
            line
            for part in parts
            for line in (formatted_loose[part] if isinstance(part, int) else [part])
        ]
    return "\n".join(formatted)


_LOOSE = re.compile(rf"    {_ID}: [^#\\]+")


def _loose_statement(lines: list[str], i: int, shape: _Shape) -> list[str] | None:
    """A field of a class body on one line that :func:`_statement` does not vouch for (too
    long, quotes black changes), with its description string if any, or ``None``. black
    formats such a line the same wherever it stands in a class body: nothing of its layout
    depends on the lines around it (no comment, no continuation, one logical line)."""
    line = lines[i]
    if not _LOOSE.fullmatch(line) or '"""' in line or "'''" in line:
        return None
    try:
        tree = _parse(line[4:])
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.AnnAssign):
        return None
    if i + 1 < len(lines) and i + 1 in shape.inside_strings:
        return None  # the line opens a string that goes on
    return [line, *_attribute_doc(lines, i + 1, shape)]


def _format_loose(statements: list[str]) -> list[list[str]] | None:
    """black's lines for each class-body statement, formatted together in one stub class
    between fixed fields (which black leaves alone), or ``None`` if they cannot be told apart
    again."""
    if not statements:
        return []
    marks = [f"    _codegen_cut_{k}: int" for k in range(len(statements) + 1)]
    body = [line for mark, line in zip(marks, statements, strict=False) for line in (mark, line)]
    stub = "\n".join(["class _:", *body, marks[-1], ""])
    lines = black.format_str(stub, mode=_BLACK).split("\n")
    if lines[0] != "class _:" or lines[-2:] != [marks[-1], ""]:
        return None
    out: list[list[str]] = []
    at = 1
    for k in range(len(statements)):
        if lines[at] != marks[k]:
            return None
        end = lines.index(marks[k + 1], at + 1)
        out.append(lines[at + 1 : end])
        at = end
    return out


_COMMENT = re.compile(r"# [^\\]*[^\\ ]|#")
_CLASS = re.compile(rf"class {_ID}\({_ID}(?:\.{_ID})*\):")
_PLACEHOLDER = re.compile(r"    _codegen_kept_[0-9]+: int")
_CLASS_DOC_LINE = re.compile(r'    [^ "\\][^"\\]*[^ "\\]|    [^ "\\]')


def _stable_skeleton(lines: list[str]) -> bool:
    """True when what is left of a model module once its runs are elided is exactly what black
    writes, so black need not see it: header comments, one blank line, the import block's
    first line, then classes two blank lines apart, each a ``class Name(Base):`` line, maybe a
    docstring (quotes on their own lines, plain text lines at the class's indentation, one
    blank line after it) and a body of placeholders and single-line fields :func:`_statement`
    vouches for. Anything else, black formats. tests/test_sdk_speed.py holds it to black."""
    if not lines or lines[-1] != "":
        return False
    i, n = 0, len(lines) - 1
    while i < n and _COMMENT.fullmatch(lines[i]) and lines[i].isprintable():
        i += 1
    if i and not (i < n and lines[i] == ""):
        return False
    i += 1 if i else 0
    if not (i < n and _TOP_IMPORT.fullmatch(lines[i]) and _width_ok(lines[i])):
        return False
    i += 1
    classes = 0
    while i < n:
        if lines[i : i + 2] != ["", ""] or not (i + 2 < n and _CLASS.fullmatch(lines[i + 2])):
            return False
        if not _width_ok(lines[i + 2]):
            return False
        i += 3
        if i < n and lines[i] == '    """':
            end = i + 1
            while end < n and _CLASS_DOC_LINE.fullmatch(lines[end]) and lines[end].isprintable():
                end += 1
            if (
                end == i + 1
                or end >= n
                or lines[end] != '    """'
                or lines[end + 1 : end + 2] != [""]
            ):
                return False
            i = end + 2
        body = i
        while i < n and (
            _PLACEHOLDER.fullmatch(lines[i]) or _field_as_black_writes(lines[i]) == lines[i]
        ):
            i += 1
        if i == body:
            return False
        classes += 1
    return classes > 0


# What black makes of the stub; a formatted piece must start with exactly this.
_STUB = "class _:\n    def _(self):\n        pass\n"


def split(source: str) -> list[str]:
    """``source`` cut before some methods of its top-level classes (see the module docstring);
    joined, the pieces are ``source``. One piece when the source is small or has no safe cut."""
    lines = source.splitlines(keepends=True)
    if len(lines) < SPLIT_FROM_LINES or _DIRECTIVE.search(source):
        return [source]  # small, or black leaves regions alone: whole
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [source]  # format_python reports it
    cuts = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or node.col_offset != 0:
            continue
        first = True  # the first cut in a class is always taken: a small first piece
        for before, method in zip(node.body, node.body[1:], strict=False):
            if _cut_before(before, method, lines) and (first or _chosen(lines[method.lineno - 1])):
                cuts.append(method.lineno - 1)
                first = False
    bounds = [0, *cuts, len(lines)]
    return ["".join(lines[a:b]) for a, b in itertools.pairwise(bounds)]


_COMPOUND = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.If,
    ast.For,
    ast.While,
    ast.With,
    ast.Try,
    ast.TryStar,
    ast.AsyncFor,
    ast.AsyncWith,
    ast.Match,
)


def _cut_before(before: ast.stmt, method: ast.stmt, lines: list[str]) -> bool:
    """True where black's view of ``method`` does not depend on what comes before it, beyond
    "a method of this class ended here"."""
    defs = (ast.FunctionDef, ast.AsyncFunctionDef)
    if not isinstance(before, defs) or not isinstance(method, defs):
        return False
    if before.decorator_list or method.decorator_list or before.end_lineno is None:
        return False
    if isinstance(before.body[-1], _COMPOUND):
        return False  # the stub ends with a simple statement; so must the method before
    between = lines[before.end_lineno : method.lineno - 1]
    # at least one blank line: black keeps methods written with none together in some cases
    # (one-line stubs, as overloads are written), where the stub context would add one
    return (
        bool(between)
        and all(not line.strip() for line in between)
        and lines[method.lineno - 1].startswith(
            " " * method.col_offset + ("def " if isinstance(method, ast.FunctionDef) else "async ")
        )
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


# Methods that are black-stable as rendered. The tracker template writes every method the
# way black writes it (one parameter a line, magic trailing commas, the dict of values
# exploded); a piece made only of such methods is returned as black would return it without
# running black (black needs about a millisecond a line; the tracker has 50 a method). The
# grammar below is deliberately narrow: whatever it does not accept (a line over the length
# limit, a string black would re-quote, a backslash anywhere, any other construct) is
# formatted by black as before. tests/test_sdk_speed.py holds it to black's own output.
_STR = r'"[^"\\]*"'
_NAME = re.compile(rf"{_ID}(?:\.{_ID})*")
_ANNOTATION_TOKEN = re.compile(
    rf"{_ID}=|{_ID}(?:\.{_ID})*|{_STR}|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?|[][()]|, | \| "
)
_PARAM = re.compile(rf"        {_ID}: (?P<annotation>.+?)(?: = (?:None|MISSING))?,")
_DOC_FIRST = re.compile(r'        """[^ "\\][^"\\]*')
_DOC_LINE = re.compile(r'(?:        |            )[^ "\\][^"\\]*|')
_SIMPLE_CODE = {
    "def": re.compile(rf"    def {_ID}\("),
    "import": re.compile(rf"        from \.{_ID}(?:\.{_ID})* import {_ID}"),
    "arg": re.compile(rf"            (?:{_STR}|{_ID}),"),
    "entry": re.compile(rf"                    {_STR}: {_ID},"),
}
_CALL_TAIL = (
    "            user_id,",
    "            anonymous_id,",
    "            options,",
    "        )",
)


def _annotation_stable(text: str) -> bool:
    """Written as black writes it: names, plain double-quoted strings and decimal numbers,
    subscripts, calls with keyword arguments, lists, ``, `` and `` | ``, and nothing else (no
    trailing comma before a closing bracket: black would explode it)."""
    stack: list[str] = []
    position, previous = 0, ""
    operand_expected = ("", "[", "(", ", ", " | ", "=")
    while position < len(text):
        match = _ANNOTATION_TOKEN.match(text, position)
        if match is None:
            return False
        token = match.group()
        if token in ("[", "("):
            subscript_or_call = token == "(" or previous not in operand_expected
            if subscript_or_call and not _NAME.fullmatch(previous):  # they follow a name
                return False
            subscript = token == "[" and previous not in operand_expected
            stack.append(("]s" if subscript else "]") if token == "[" else ")")
        elif token in ("]", ")"):
            expected = stack.pop() if stack else ""
            if expected[:1] != token or previous in (", ", " | ", "="):
                return False
            if expected == "]s" and previous == "[":
                return False  # an empty subscript does not parse
        elif token in (", ", " | "):
            if previous in operand_expected:
                return False
        elif token.endswith("="):
            if previous not in ("(", ", ") or not stack or stack[-1] != ")":
                return False
            token = "="
        elif previous not in operand_expected:
            return False  # two operands in a row
        previous, position = token, match.end()
    return not stack and previous not in operand_expected


def _width_ok(line: str) -> bool:
    return (len(line) if line.isascii() else str_width(line)) <= LINE_LENGTH


def stable_methods(piece: str) -> bool:
    """True when ``piece`` is one or more tracker methods exactly as black formats them inside
    the class (see the comment above): then :func:`format_piece` would return it unchanged
    apart from the blank line between methods, which black moves to the next piece."""
    lines = piece.split("\n")
    if lines[-1] != "":
        return False
    lines.pop()
    if lines and lines[-1] == "":
        lines.pop()  # the blank line before the next piece's first method
    position = 0
    while position < len(lines):
        if position and lines[position] != "":
            return False
        position = _method(lines, position + 1 if position else 0)
        if position < 0:
            return False
    return bool(lines)


def _method(lines: list[str], i: int) -> int:
    """Index after the method starting at ``lines[i]``, or -1 if it is not a stable one."""
    n = len(lines)

    def at(k: int) -> str:
        return lines[k] if k < n else "\0"

    if not _SIMPLE_CODE["def"].fullmatch(at(i)) or not _width_ok(at(i)):
        return -1
    if at(i + 1) != "        self," or at(i + 2) != "        *,":
        return -1
    i += 3
    while at(i) != "    ) -> None:":
        match = _PARAM.fullmatch(at(i))
        if match is None or not _width_ok(at(i)) or not _annotation_stable(match["annotation"]):
            return -1
        i += 1
    i += 1
    if not _DOC_FIRST.fullmatch(at(i)) or not at(i).isprintable() or at(i) != at(i).rstrip():
        return -1
    i += 1
    # black re-indents a docstring by its least indented line after the first: one must be at
    # the method body's indentation; and with no line after the first it joins the quotes
    indents = set()
    while at(i) != '        """':
        if not _DOC_LINE.fullmatch(at(i)) or not at(i).isprintable() or at(i) != at(i).rstrip():
            return -1
        if at(i):
            indents.add(len(at(i)) - len(at(i).lstrip(" ")))
        i += 1
    if 8 not in indents:
        return -1
    i += 1
    if not (_SIMPLE_CODE["import"].fullmatch(at(i)) and _width_ok(at(i))):
        return -1
    if at(i + 1) != "" or at(i + 2) != "        self._track(":
        return -1
    i += 3
    for _ in range(2):  # the event name and the model class
        if not (_SIMPLE_CODE["arg"].fullmatch(at(i)) and _width_ok(at(i))):
            return -1
        i += 1
    if at(i) == "            self._with_extra(":
        if at(i + 1) != "                {":
            return -1
        i += 2
        if at(i) == "                },":
            return -1  # black writes an empty dict as {}
        while at(i) != "                },":
            if not (_SIMPLE_CODE["entry"].fullmatch(at(i)) and _width_ok(at(i))):
                return -1
            i += 1
        if at(i + 1) != "                unplanned," or at(i + 2) != "            ),":
            return -1
        i += 3
    elif at(i) == "            self._with_extra({}, unplanned),":
        i += 1
    else:
        return -1
    if at(i) not in ("            True,", "            False,"):
        return -1
    i += 1
    for expected in _CALL_TAIL:
        if at(i) != expected:
            return -1
        i += 1
    return i


def as_formatted(piece: str) -> str:
    """What :func:`format_piece` returns for a piece that :func:`stable_methods` accepts."""
    return "\n" + (piece[:-1] if piece.endswith("\n\n") else piece)


# Verdicts of the last stable_tail call, by method text (one tracker's methods at most).
_verdicts: dict[str, bool] = {}


def stable_tail(source: str) -> tuple[str, str]:
    """``source`` as ``(head, tail)``: ``tail`` the longest run of methods at its end that
    :func:`stable_methods` accepts (found from the text, without parsing the whole module),
    ``head`` the rest. ``("", source)`` is never returned: the head holds the class they
    belong to, which :func:`tail_fits` checks before the tail is used as it stands."""
    lines = source.split("\n")
    if lines[-1] != "":
        return source, ""
    starts = [
        i for i in range(1, len(lines)) if lines[i - 1] == "" and lines[i].startswith("    def ")
    ]
    global _verdicts
    seen, _verdicts = _verdicts, {}
    cut = None
    for start in reversed(starts):
        end = len(lines) - 1 if cut is None else cut - 1
        # Whether _method ends exactly at `end` depends on lines[start:end] alone (it reads
        # on past `end` only to fail): a method unchanged since the last tracker is not read.
        text = "\n".join(lines[start:end])
        stable = seen.get(text)
        if stable is None:
            stable = _method(lines, start) == end
        _verdicts[text] = stable
        if not stable:
            break
        cut = start
    if cut is None:
        return source, ""
    return "\n".join(lines[:cut]) + "\n", "\n".join(lines[cut:])


def tail_fits(head: str) -> bool:
    """The head ends with a plain method of a top-level class, as a stable tail's first method
    expects (the context :func:`format_piece` gives a piece with its stub)."""
    try:
        tree = ast.parse(head)
    except SyntaxError:
        return False
    if not tree.body or not isinstance(last := tree.body[-1], ast.ClassDef):
        return False
    method = last.body[-1]
    return (
        last.col_offset == 0
        and isinstance(method, ast.FunctionDef)
        and not method.decorator_list
        and not isinstance(method.body[-1], _COMPOUND)
        and method.end_lineno == head.rstrip("\n").count("\n") + 1
    )
