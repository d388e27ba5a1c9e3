"""The one Jinja environment, and the escaping filters each target needs.

Templates only ever receive :mod:`codegen.ir` objects and plain values derived from them. Plan
text reaches output only through a filter for its target (``py_str``, ``py_comment``, ``md``,
``md_cell``, ``md_code``, ``liquid_str``), never by concatenation.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache

from ..config import TOOL_NAME, TOOL_VERSION


def shipped_templates() -> Path:
    """The templates inside the installed wheel, or the repository's ``templates/``."""
    packaged = resources.files("codegen") / "templates"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "templates"


# Templates that produce Liquid use [[ ]] / [% %] / [# #], so Liquid's own {{ }} and {% %} are
# plain text in them; every other template uses Jinja's usual delimiters.
_LIQUID_DELIMITERS: dict[str, Any] = {
    "variable_start_string": "[[",
    "variable_end_string": "]]",
    "block_start_string": "[%",
    "block_end_string": "%]",
    "comment_start_string": "[#",
    "comment_end_string": "#]",
}


@lru_cache(maxsize=8)
def environment(overrides: Path | None = None, liquid: bool = False) -> jinja2.Environment:
    """Built once per override folder; a user's folder wins over ours by file name."""
    loaders: list[jinja2.BaseLoader] = []
    if overrides is not None:
        loaders.append(_FlatLoader(overrides))
    loaders.append(jinja2.FileSystemLoader(str(shipped_templates())))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        **(_LIQUID_DELIMITERS if liquid else {}),
    )
    env.filters.update(
        py_str=py_str,
        py_comment=py_comment,
        py_doc=py_doc,
        md=md,
        md_cell=md_cell,
        md_code=md_code,
        liquid_str=liquid_str,
        liquid_text=liquid_text,
        html=html_text,
        md_fence=md_fence,
        toml_str=toml_str,
        yaml_str=yaml_str,
        json=to_json,
        ts_str=ts_str,
        ts_doc=ts_doc,
        ts_comment=py_comment,  # a // line ends at the same characters a # line does
    )
    env.globals.update(tool_name=TOOL_NAME, tool_version=TOOL_VERSION)
    return env


class _FlatLoader(jinja2.FileSystemLoader):
    """Overrides are matched by file name, wherever the shipped template lives."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        return super().get_source(environment, template.rsplit("/", 1)[-1])


def render(template: str, overrides: Path | None = None, **context: Any) -> str:
    """Render a shipped (or overridden) template; ``*.liquid.j2`` use the Liquid-safe delimiters."""
    env = environment(overrides, liquid=template.endswith(".liquid.j2"))
    folder = _COMPILED.get()
    bytecode = _bytecode_cache(folder) if folder is not None else None
    if env.bytecode_cache is not bytecode:
        env.bytecode_cache = bytecode
    return env.get_template(template).render(**context)


# Where compiled templates are kept (inside the generation cache), while one is in use.
_COMPILED: ContextVar[Path | None] = ContextVar("codegen_compiled_templates", default=None)


@contextmanager
def compiled_templates_in(folder: Path | None) -> Iterator[None]:
    """Templates compiled in this block are kept in ``folder`` and read back by the next
    process (compiling every template costs a new process about 0.2 s)."""
    token = _COMPILED.set(folder)
    try:
        yield
    finally:
        _COMPILED.reset(token)


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache (keyed by template name and source checksum, written atomically),
    for which a folder that cannot be read or written, or an entry that is damaged, only costs
    time. The folder is per version of codegen's code (the caller's choice): compiled code
    depends on the environment's settings too."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # unreadable, torn or edited: a miss (Jinja compiles it again)
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with suppress(OSError):
            Path(self.directory).mkdir(parents=True, exist_ok=True)
            super().dump_bytecode(bucket)


@lru_cache(maxsize=8)
def _bytecode_cache(folder: Path) -> _BytecodeCache:
    return _BytecodeCache(str(folder))


# -- escaping, one filter per target ---------------------------------------------------------


@lru_cache(maxsize=4096)  # called for every character of plan text
def _unsafe(char: str) -> bool:
    """Characters no generated text file should carry raw: controls, line and paragraph
    separators (``str.splitlines`` and YAML break lines on them), surrogates, noncharacters."""
    return unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp", "Co", "Cn") or char in _BREAKS


# str.splitlines() breaks on these besides \n and \r (NEL among them, which crashed black).
_BREAKS = frozenset("\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\ufeff")


def _escape_code(char: str) -> str:
    point = ord(char)
    return f"\\u{point:04x}" if point <= 0xFFFF else f"\\U{point:08x}"


def py_str(value: object) -> str:
    """A Python string literal that evaluates to exactly ``value``, on one line, with every
    control or line-breaking character escaped."""
    body = json.dumps(str(value), ensure_ascii=False)[1:-1]
    return '"' + "".join(_escape_code(c) if _unsafe(c) else c for c in body) + '"'


def py_comment(value: object) -> str:
    """Text safe on a single ``#`` comment line."""
    return " ".join("".join(c for c in str(value) if not _unsafe(c) or c.isspace()).split())


def py_doc(value: object) -> str:
    """Text safe inside a triple-quoted docstring: quotes and backslashes escaped, line breaks
    kept, other controls and line separators written as escapes."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\r\n", "\n")
    text = "".join(
        _escape_code(c) if _unsafe(c) and c not in "\n\t" else c for c in text.replace("\r", "\n")
    )
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


# GFM: "_" inside a word never starts emphasis, so order_id stays readable unescaped.
_MD_INLINE = re.compile(r"([\\`*\[\]|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def md(value: object) -> str:
    """Inline Markdown text: HTML escaped, markup characters backslash-escaped, one line."""
    text = html.escape(" ".join(str(value).split()), quote=False)
    text = _MD_INLINE.sub(r"\\\1", text)
    text = re.sub(r"^(\d+)([.)])(?= |$)", r"\1\\\2", text)  # "1. x" would start a list
    return re.sub(r"^([#+=-])(?= |$)", r"\\\1", text)  # so would "- x"; "# x" is a heading


def md_cell(value: object) -> str:
    """A GitHub table cell: like :func:`md`, and never breaks the row."""
    return md(value) or " "


def md_code(value: object) -> str:
    """Inline code span that survives backticks and pipes in the value."""
    text = " ".join(str(value).split()).replace("|", "\\|")
    ticks = max((len(m) for m in re.findall(r"`+", text)), default=0) + 1
    fence = "`" * ticks
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def liquid_str(value: object) -> str:
    """A Liquid string literal; Liquid has no escapes, so pick the quote the text lacks."""
    text = str(value).replace("\n", " ")
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "'" + text.replace("'", "\u2019") + "'"


def liquid_text(value: object) -> str:
    """Plan text as literal Liquid output: it cannot open a tag or an output, one line."""
    text = " ".join(str(value).split())
    return re.sub(r"([{}%])(?=[{}%])", r"\1 ", text)


def html_text(value: object) -> str:
    """Plan text inside an HTML (email) template: escaped, then made inert for Liquid."""
    return liquid_text(html.escape(str(value), quote=True))


def md_fence(text: str, info: str = "") -> str:
    """A fenced code block longer than any backtick run inside ``text``."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip()}\n{fence}"


def toml_str(value: object) -> str:
    """A TOML basic string: quotes, backslashes and unsafe characters escaped (``\\UXXXXXXXX``
    beyond the BMP: TOML has no surrogate pairs)."""
    return _quoted(str(value))


def yaml_str(value: object) -> str:
    """A YAML double-quoted scalar: same escapes as TOML, which YAML 1.1 and 1.2 both read."""
    return _quoted(str(value))


def _quoted(text: str) -> str:
    out = []
    for char in text:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif 0xD800 <= ord(char) <= 0xDFFF:  # a lone surrogate is no Unicode scalar value
            out.append("\\uFFFD")
        elif _unsafe(char):
            out.append(_escape_code(char))
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def ts_str(value: object) -> str:
    """A TypeScript (JavaScript) string literal that evaluates to exactly ``value``, on one
    line: controls, line separators and lone surrogates escaped (``\\u{...}`` beyond the BMP)."""
    body = json.dumps(str(value), ensure_ascii=False)[1:-1]
    return '"' + "".join(f"\\u{{{ord(c):x}}}" if _unsafe(c) else c for c in body) + '"'


def ts_doc(value: object, indent: str = "", deprecated: str | None = None) -> str:
    """``value`` as a TSDoc block comment (``/** ... */``) at ``indent``: it cannot close the
    comment, and plan text cannot start a TSDoc tag; ``deprecated`` adds an ``@deprecated``."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("*/", "*\\/")
    lines = ["".join(c for c in line if not _unsafe(c)).rstrip() for line in text.split("\n")]
    lines = [re.sub(r"^(\s*)@", r"\1\\@", line) for line in lines if line or len(lines) > 1]
    if deprecated is not None:
        lines.append("@deprecated " + py_comment(deprecated).replace("*/", "*\\/"))
    body = "".join(f"{indent} *{' ' if line else ''}{line}\n" for line in lines)
    return f"/**\n{body}{indent} */"


def to_json(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, ensure_ascii=False, indent=indent)
