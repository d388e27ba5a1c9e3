"""Name conventions: checking them in plans and deriving safe identifiers and file names.

Wire names (what producers send) are never changed. Derived names (Python identifiers, class
names, file names) are computed here and only here, so every generator agrees on them.
"""

from __future__ import annotations

import builtins
import keyword
import re
import unicodedata
from typing import Literal

Case = Literal["title", "snake", "camel", "pascal"]

_CASE_PATTERNS: dict[str, re.Pattern[str]] = {
    # "Order Completed", "Product Added to Cart": small words may stay lowercase.
    "title": re.compile(
        r"^[A-Z0-9][A-Za-z0-9]*( ([A-Z0-9][A-Za-z0-9]*|a|an|and|as|at|by|for|"
        r"from|in|of|on|or|the|to|via|with))*$"
    ),
    "snake": re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"),
    "camel": re.compile(r"^[a-z][a-zA-Z0-9]*$"),
    "pascal": re.compile(r"^[A-Z][a-zA-Z0-9]*$"),
}
_BUILTINS = frozenset(dir(builtins))


def matches_case(name: str, case: Case) -> bool:
    return bool(_CASE_PATTERNS[case].match(name))


def words(name: str) -> list[str]:
    """Split any name into lowercase ASCII words: ``OrderCompleted2 v`` → order, completed2, v."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    return [w.lower() for w in re.findall(r"[A-Za-z0-9]+", text)]


def loose_key(name: str) -> str:
    """Equal for names that differ only in case and separators: ``cartId`` ~ ``cart_id``."""
    return "".join(words(name)) or name.lower()


def snake(name: str) -> str:
    """snake_case, possibly empty or starting with a digit: use :func:`python_name` for code."""
    return "_".join(words(name))


def pascal(name: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in words(name))


def python_name(name: str) -> str:
    """A snake_case Python identifier for a wire name; keywords and builtins get a ``_`` suffix."""
    out = snake(name) or "field"
    if out[0].isdigit():
        out = "n" + out
    if keyword.iskeyword(out) or keyword.issoftkeyword(out) or out in _BUILTINS:
        out += "_"
    return out


def class_name(name: str) -> str:
    out = pascal(name) or "Model"
    return "N" + out if out[0].isdigit() else out


def file_stem(name: str) -> str:
    """A file name stem that cannot leave its folder: ``[a-z0-9_]`` only, never empty."""
    return snake(name) or "unnamed"
