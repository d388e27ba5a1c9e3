"""Names in the TypeScript package: the policy that derives a tracker method from an event's
code name (:func:`method_name`: camelCase, and a JavaScript reserved word or ``Object.prototype``
member gets a ``_`` suffix, as a Python keyword does on the Python side), and the check on the
model plan that interface and method names are free (not a name the runtime templates already
bind) and unique. Wire names need no check: they stay as they are, quoted where needed.

The registry is read from the rendered templates (exports, class members, module-level
imports), never copied by hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from ...plan import ir
from ...plan.diagnostics import Diagnostic, Level, Location
from ..render import render
from . import modelplan, package  # modules, not names: modelplan imports this one back

_CODE = "naming/code-collision"
# ECMAScript reserved words (strict mode), and what every object inherits: a method with one of
# these names gets a ``_`` suffix (see method_name).
JS_RESERVED = frozenset(
    [
        "await",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "function",
        "if",
        "implements",
        "import",
        "in",
        "instanceof",
        "interface",
        "let",
        "new",
        "null",
        "package",
        "private",
        "protected",
        "public",
        "return",
        "static",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
        "yield",
        "arguments",
        "eval",
        "constructor",
        "toString",
        "valueOf",
        "hasOwnProperty",
        "isPrototypeOf",
        "propertyIsEnumerable",
        "toLocaleString",
    ]
)


def camel(code_name: str) -> str:
    """``order_completed`` → ``orderCompleted``, ``step_2_done`` → ``step2Done``; an underscore
    not followed by a letter or digit stays (``class_`` keeps the suffix Python gave it)."""
    return re.sub(r"_([a-z0-9])", lambda m: m[1].upper(), code_name)


def method_name(code_name: str) -> str:
    """The tracker method (and event module function) of an event: ``case`` → ``case_``,
    ``to_string`` → ``toString_``. The event's wire name is unchanged."""
    out = camel(code_name)
    return out + "_" if out in JS_RESERVED else out


# Global types the generated annotations name: an interface must not shadow them.
ANNOTATION_GLOBALS = frozenset({"Array", "Date", "Record"})
_BOUND = re.compile(
    r"^(?:export\s+)?(?:declare\s+)?(?:const|let|function|class|interface|type)\s+"
    r"([A-Za-z_$][\w$]*)",
    re.M,
)
_IMPORTED = re.compile(r"^import\s+(?:type\s+)?\{([^}]*)\}|^import\s+([A-Za-z_$][\w$]*)", re.M)
_MEMBER = re.compile(r"^  (?:readonly |private |static )*([A-Za-z_$][\w$]*)\s*[(:=]", re.M)


@cache
def reserved() -> tuple[frozenset[str], frozenset[str]]:
    """``(taken module-level names, taken tracker members)`` from the rendered templates."""
    empty = ir.Plan(
        "Reserved",
        "reserved",
        "0.0.0",
        ir.Doc(),
        "",
        ir.Identity(None, None, ()),
        (),
        (),
        (),
        (),
        (),
        (),
    )
    context = package.template_context(empty)
    sample = modelplan.TsEvent("E", "e", "EProperties", "e", True, "", None, Location(""))
    sources = [
        render(f"typescript/{name}", None, **context)
        for name in ("runtime.ts.j2", "tracker.ts.j2", "identify.ts.j2", "index.ts.j2")
    ]
    sources.append(render("typescript/event.ts.j2", None, **context, e=sample))
    names: set[str] = set()
    for source in sources:
        names |= set(_BOUND.findall(source))
        for listed, default in _IMPORTED.findall(source):
            names |= {n.split(" as ")[-1].replace("type ", "").strip() for n in listed.split(",")}
            names.add(default)
    names -= {"", "e", "EProperties", modelplan.TRAITS_INTERFACE}
    members = {m for source in sources[:2] for m in _MEMBER.findall(_class_bodies(source))}
    return frozenset(names), frozenset(members)


def _class_bodies(source: str) -> str:
    """The text of every top-level ``class`` in ``source`` (members sit two spaces in)."""
    return "\n".join(
        re.findall(r"^export class (?:TrackerBase|Tracker)\b.*?^}", source, re.M | re.S)
    )


def check(plan: ir.Plan) -> list[Diagnostic]:
    names = modelplan.build(plan)
    module_names, members = reserved()
    return [
        *_unique(
            ((i.name, i.owner, i.location) for i in names.interfaces),
            "TypeScript interface",
            module_names | ANNOTATION_GLOBALS,
        ),
        *_unique(
            ((e.method, f"event `{e.event}`", e.location) for e in names.events),
            "tracker method",
            module_names | members | JS_RESERVED,  # a renamed method can still clash
        ),
    ]


def _unique(
    items: Iterator[tuple[str, str, Location]], what: str, taken: frozenset[str]
) -> Iterator[Diagnostic]:
    seen: dict[str, tuple[str, Location]] = {}
    for name, owner, location in items:
        if name in taken:
            yield Diagnostic(
                location,
                _CODE,
                Level.ERROR,
                f"{owner} would be the {what} `{name}`, a name the TypeScript package already "
                "uses (its runtime, a JavaScript reserved word or an Object member)",
                "set `code_name:` on the event or property it comes from, or rename the type",
            )
        elif name in seen:
            first, where = seen[name]
            yield Diagnostic(
                location,
                _CODE,
                Level.ERROR,
                f"{first} and {owner} would both be the {what} `{name}`",
                "set `code_name:` on one of them to choose the generated name",
                (where,),
            )
        else:
            seen[name] = (owner, location)
