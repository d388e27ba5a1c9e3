"""Names in generated code: one collision policy for the whole plan, checked on the model plan.

Wire names are never changed. Each event and field has a ``code_name`` (derived, or set in the plan
with ``code_name:``); the model plan (:mod:`.modelplan`) derives every class from those. Every
name it holds is checked here against the registry of names the SDK already uses
(:mod:`.reserved`) and against the others: two things that would get the same generated name
are an error naming both plan locations, never a silent ``Product1``/``_2``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ...plan import ir
from ...plan.diagnostics import Diagnostic, Level, Location
from .modelplan import Method, ModelPlan, PyClass, PyField, build
from .reserved import Reserved, reserved

_CLASS_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_CODE = "naming/code-collision"
_CODE_NAME_HINT = "set `code_name:` on one of them to choose the generated name"


def check(plan: ir.Plan, slug: Location | None = None) -> list[Diagnostic]:
    """Every name of the model plan is a valid identifier, free, and unique where it must be.
    ``slug``: where the plan's slug is written (it names the Python package)."""
    names = build(plan)
    registry = reserved()
    out: list[Diagnostic] = []
    out += _package(plan, slug or Location(plan.source), registry)
    out += _ids(plan)
    out += _type_names(plan)
    out += _methods(names, registry)
    out += _classes(names, registry)
    for c in names.classes:
        out += _fields(c, registry)
    return _once_per_place(out)


def _once_per_place(found: list[Diagnostic]) -> list[Diagnostic]:
    """Two events with one code name also clash as classes: report the pair once."""
    seen: set[tuple[Location, tuple[Location, ...]]] = set()
    unique = []
    for d in found:
        if (d.location, d.related) not in seen:
            seen.add((d.location, d.related))
            unique.append(d)
    return unique


def _package(plan: ir.Plan, where: Location, registry: Reserved) -> Iterator[Diagnostic]:
    if plan.slug in registry.package_names:
        yield Diagnostic(
            where,
            "naming/package",
            Level.ERROR,
            f"slug `{plan.slug}` names the Python package, and `import {plan.slug}` would "
            "import a Python keyword, builtin, standard library or SDK dependency module instead",
            f"choose another slug, e.g. `{plan.slug}_plan` (it names the output folder and the "
            "package)",
        )


def _classes(names: ModelPlan, registry: Reserved) -> Iterator[Diagnostic]:
    seen: dict[str, PyClass] = {}
    for c in names.classes:
        if c.name in registry.class_names:
            yield _clash(
                c.location,
                f"{c.owner} would be the Python class `{c.name}`, a name the generated SDK "
                "already uses (Python, typing, pydantic or the SDK runtime)",
                None,
                (
                    "rename the type"
                    if c.module == "types" and len(c.path) == 2
                    else "set `code_name:` on the property or event it comes from"
                ),
            )
            continue
        first = seen.setdefault(c.name, c)
        if first is not c:
            yield _clash(
                c.location,
                f"{first.owner} and {c.owner} would both be the Python class `{c.name}`",
                first.location,
            )


def _methods(names: ModelPlan, registry: Reserved) -> Iterator[Diagnostic]:
    seen: dict[str, Method] = {}
    for m in names.methods:
        if not _IDENTIFIER.match(m.name) or m.name.startswith("_"):
            yield _clash(m.location, f"`{m.name}` is not a usable Python method name", None)
        elif m.name in registry.method_names:
            yield _clash(
                m.location,
                f"event `{m.event}` would be the tracker method `{m.name}`, which every "
                "tracker already has (or a Python keyword)",
                None,
                f"set `code_name:` on the event, e.g. `{m.name}_event`",
            )
        first = seen.setdefault(m.name, m)
        if first is not m:
            yield _clash(
                m.location,
                f"events `{first.event}` and `{m.event}` would both be `{m.name}` "
                "(file name, SDK method and class)",
                first.location,
            )


def _fields(c: PyClass, registry: Reserved) -> Iterator[Diagnostic]:
    seen: dict[str, PyField] = {}
    for f in c.fields:
        if (
            not _IDENTIFIER.match(f.name)
            or f.name.startswith("_")
            or f.name in registry.field_names
        ):
            yield _clash(
                f.location,
                f"`{f.name}` is not a usable Python name for property `{f.wire}` of {c.owner}: "
                "it is a Python keyword, a tracker argument, a pydantic model attribute or a "
                "type the annotations use",
                None,
                f"set `code_name:` to another snake_case name, e.g. `{f.name.strip('_')}_value`",
            )
        first = seen.setdefault(f.name, f)
        if first is not f:
            yield _clash(
                f.location,
                f"properties `{first.wire}` and `{f.wire}` of {c.owner} would both be "
                f"`{f.name}` in generated code",
                first.location,
            )


def _ids(plan: ir.Plan) -> Iterator[Diagnostic]:
    """Segment and message ids name files and anchors: snake_case only."""
    for kind, items in (("segment", plan.segments), ("message", plan.messages)):
        for item in items:
            if not _IDENTIFIER.match(item.id) or item.id.startswith("_"):
                yield Diagnostic(
                    item.location,
                    "naming/id",
                    Level.ERROR,
                    f"{kind} id `{item.id}` is not snake_case",
                    "ids name files and links: lowercase letters, digits and underscores; put "
                    "the display name in `name:`",
                )


def _type_names(plan: ir.Plan) -> Iterator[Diagnostic]:
    for t in plan.types:
        if not _CLASS_NAME.match(t.name):
            yield Diagnostic(
                t.location,
                "naming/type-name",
                Level.ERROR,
                f"type name `{t.name}` is not a PascalCase class name",
                "type names become classes: letters and digits, starting with a capital",
            )


def _clash(
    location: Location, message: str, other: Location | None, hint: str = _CODE_NAME_HINT
) -> Diagnostic:
    return Diagnostic(
        location, _CODE, Level.ERROR, message, hint, (other,) if other is not None else ()
    )
