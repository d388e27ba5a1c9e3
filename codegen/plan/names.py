"""Name conventions: checking them in plans and deriving safe identifiers and file names.

Wire names (what producers send) are never changed. Derived names (Python identifiers, class
names, file names) are computed here and only here, so every generator agrees on them.
"""

from __future__ import annotations

import builtins
import hashlib
import keyword
import re
import unicodedata
from functools import cache, lru_cache
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
    return list(_words(name))


@lru_cache(maxsize=1 << 16)  # every generator names the same fields again
def _words(name: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    return tuple(w.lower() for w in re.findall(r"[A-Za-z0-9]+", text))


def loose_key(name: str) -> str:
    """Equal for names that differ only in case and separators: ``cartId`` ~ ``cart_id``."""
    return "".join(words(name)) or name.lower()


def snake(name: str) -> str:
    """snake_case, possibly empty or starting with a digit: use :func:`python_name` for code."""
    return "_".join(words(name))


def pascal(name: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in words(name))


# Default code names avoid the names the Python SDK already uses, so a plan never needs a
# `code_name:` for them. The authority is the registry the SDK generator derives from its runtime
# templates (codegen/generators/pysdk/reserved.py), which checks every code name; these are the
# plan-level defaults it checks (tests/test_sdk_reserved.py asserts they cover the registry).
# A field: Python keywords, the arguments every tracker method has, pydantic BaseModel
# attributes, and builtin types generated annotations use (a field must not shadow them).
_TRACKER_ARGUMENTS = ("self", "user_id", "anonymous_id", "unplanned", "options")
_ANNOTATION_BUILTINS = (
    "bool",
    "bytes",
    "dict",
    "float",
    "int",
    "list",
    "object",
    "set",
    "str",
    "tuple",
)


@cache
def _reserved_field_names() -> frozenset[str]:
    from pydantic import BaseModel

    return frozenset({*keyword.kwlist, *_TRACKER_ARGUMENTS, *dir(BaseModel), *_ANNOTATION_BUILTINS})


# An event's method: methods and attributes of the generated Tracker.
RESERVED_METHOD_NAMES = frozenset(
    {
        "track",
        "identify",
        "flush",
        "shutdown",
        "for_segment",
        "for_customerio",
        "client",
        "mode",
        "on_violation",
        "plan_name",
        "plan_version",
        "user_id_pattern",
        "events",
    }
)


# Derived names become file names (events/<code_name>.py, schemas, docs pages): file systems
# refuse names over 255 bytes, so a longer derived name keeps its first words and ends with a
# short hash of the whole wire name, which keeps it unique and stable.
MAX_DERIVED = 60


def _capped(derived: str, wire: str) -> str:
    if len(derived) <= MAX_DERIVED:
        return derived
    digest = hashlib.sha256(wire.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return derived[: MAX_DERIVED - 9].rstrip("_") + "_" + digest


def python_name(name: str) -> str:
    """A snake_case Python identifier for a wire name, usable as a pydantic field and keyword
    argument: reserved names get a ``_`` suffix, names starting with a digit a ``field_`` prefix,
    names over 60 characters are shortened with a hash.
    """
    out = _capped(snake(name) or "field", name)
    if out[0].isdigit():
        out = "field_" + out
    if out in _reserved_field_names() or out.startswith("model_"):
        out += "_"
    return out


def event_code_name(name: str) -> str:
    """Default code name of an event: ``Order Completed`` → ``order_completed``."""
    out = _capped(snake(name) or "event", name)
    if out[0].isdigit():
        out = "event_" + out
    if keyword.iskeyword(out) or out in RESERVED_METHOD_NAMES:
        out += "_"
    return out


def class_name(name: str) -> str:
    out = pascal(name) or "Model"
    return "N" + out if out[0].isdigit() else out


def event_class(code_name: str) -> str:
    """Class of an event's properties: ``order_completed`` → ``OrderCompletedProperties``."""
    return class_name(code_name) + "Properties"


def file_stem(name: str) -> str:
    """A file name stem that cannot leave its folder: ``[a-z0-9_]`` only, never empty, never
    too long for a file system."""
    return _capped(snake(name) or "unnamed", name)
