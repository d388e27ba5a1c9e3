"""The one Jinja environment, and the escaping filters each target needs.

Templates only ever receive :mod:`codegen.ir` objects and plain values derived from them. Plan
text reaches output only through a filter for its target (``py_str``, ``py_comment``, ``md``,
``md_cell``, ``md_code``, ``liquid_str``), never by concatenation.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

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
        json=to_json,
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
    return env.get_template(template).render(**context)


# -- escaping, one filter per target ---------------------------------------------------------


def py_str(value: object) -> str:
    """A Python string literal that evaluates to exactly ``value``."""
    return (
        json.dumps(str(value), ensure_ascii=False)
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
        .replace("\x85", "\\x85")  # str.splitlines() (black, isort) breaks lines there too
    )


def py_comment(value: object) -> str:
    """Text safe on a single ``#`` comment line."""
    return " ".join(str(value).split())


def py_doc(value: object) -> str:
    """Text safe inside a triple-quoted docstring: quotes and backslashes escaped, no controls."""
    text = _CONTROL.sub("", str(value)).replace("\\", "\\\\").replace('"', '\\"')
    return "\n".join(line.rstrip() for line in text.splitlines()).strip()


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
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
    """A TOML basic string: printable ASCII as is, everything else as ``\\uXXXX``/``\\UXXXXXXXX``
    (TOML has no surrogate-pair escapes, so JSON's ``\\ud83d\\ude00`` would be invalid)."""
    out = []
    for char in str(value):
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif 0xD800 <= code <= 0xDFFF:  # a lone surrogate is not a Unicode scalar value
            out.append("\\uFFFD")
        else:
            out.append(f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}")
    return '"' + "".join(out) + '"'


def to_json(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, ensure_ascii=False, indent=indent)
