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


# Names a generated field cannot take get a trailing underscore: Python keywords, the keyword
# arguments every tracker method has, pydantic BaseModel attributes, and builtin types that
# generated annotations use (a field must not shadow them inside its class).
_TRACKER_ARGUMENTS = ("self", "user_id", "anonymous_id", "options")
_BASEMODEL_ATTRIBUTES = (
    "construct",
    "copy",
    "dict",
    "fields",
    "from_orm",
    "json",
    "parse_file",
    "parse_obj",
    "parse_raw",
    "schema",
    "schema_json",
    "update_forward_refs",
    "validate",
)
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
RESERVED_FIELD_NAMES = frozenset(
    {*keyword.kwlist, *_TRACKER_ARGUMENTS, *_BASEMODEL_ATTRIBUTES, *_ANNOTATION_BUILTINS}
)
# Methods and attributes of the generated Tracker that an event's method must not replace.
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
    }
)


def python_name(name: str) -> str:
    """A snake_case Python identifier for a wire name, usable as a pydantic field and keyword
    argument: reserved names get a ``_`` suffix, names starting with a digit a ``field_`` prefix.
    """
    out = snake(name) or "field"
    if out[0].isdigit():
        out = "field_" + out
    if out in RESERVED_FIELD_NAMES or out.startswith("model_"):
        out += "_"
    return out


def event_code_name(name: str) -> str:
    """Default code name of an event: ``Order Completed`` → ``order_completed``."""
    out = snake(name) or "event"
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


def nested_class(scope: str, code_name: str) -> str:
    """Class of an inline object: its owner's class scope plus the field's name."""
    return scope + class_name(code_name)


def file_stem(name: str) -> str:
    """A file name stem that cannot leave its folder: ``[a-z0-9_]`` only, never empty."""
    return snake(name) or "unnamed"
