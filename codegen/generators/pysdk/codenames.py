"""Names in generated code: one collision policy for the whole plan.

Wire names are never changed. Each event and field has a ``code_name`` (derived, or set in the plan
with ``code_name:``); class names derive from those. Two things that would get the same generated
name are an error naming both plan locations, never a silent ``Product1``/``_2``: the fix is a
``code_name:`` on one of them.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator

from ...plan import ir
from ...plan.diagnostics import Diagnostic, Level, Location
from ...plan.names import RESERVED_METHOD_NAMES, event_class, nested_class

# Classes every generated SDK defines itself.
RUNTIME_CLASSES = frozenset(
    {"Tracker", "TrackOptions", "TrackingPlanViolation", "PlanModel", "IdentifyTraits"}
)
TRAITS_CLASS = "IdentifyTraits"
TRAITS_SCOPE = "Traits"
_CLASS_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def check(plan: ir.Plan) -> list[Diagnostic]:
    """Every derived name is a valid identifier and unique where it must be."""
    out: list[Diagnostic] = []
    out += _ids(plan)
    out += _type_names(plan)
    out += _event_names(plan)
    classes: dict[str, Location] = {}
    for name, location in classes_of(plan):
        if name in RUNTIME_CLASSES:
            out.append(_clash(location, f"generated class `{name}` is reserved by the SDK", None))
        elif name in classes:
            out.append(
                _clash(location, f"two generated classes would be named `{name}`", classes[name])
            )
        classes.setdefault(name, location)
    for owner, fields in objects_of(plan):
        out += _field_names(owner, fields)
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


def classes_of(plan: ir.Plan) -> Iterator[tuple[str, Location]]:
    """Every class the Python generator will emit, with the plan location it comes from."""
    for t in plan.types:
        yield t.name, t.location
        yield from _nested_classes(t.name, t.fields)
    for e in plan.events:
        yield event_class(e.code_name), e.location
        yield from _nested_classes(ir_scope(e), e.fields)
    yield from _nested_classes(TRAITS_SCOPE, plan.traits)


def ir_scope(event: ir.Event) -> str:
    """Prefix of the classes of an event's inline objects: ``OrderCompleted``."""
    return event_class(event.code_name).removesuffix("Properties")


def _nested_classes(scope: str, fields: tuple[ir.Field, ...]) -> Iterator[tuple[str, Location]]:
    for f in fields:
        t, suffix = _unwrap(f.type)
        if t.fields:
            name = nested_class(scope, f.code_name) + suffix
            yield name, f.location
            yield from _nested_classes(name, t.fields)


def _unwrap(t: ir.FieldType) -> tuple[ir.FieldType, str]:
    suffix = ""
    while t.kind is ir.Kind.ARRAY and t.items is not None:
        t, suffix = t.items, suffix + "Item"
    return t, suffix


def objects_of(plan: ir.Plan) -> Iterator[tuple[str, tuple[ir.Field, ...]]]:
    """Every field list that becomes one model (events, types, traits, inline objects)."""
    for e in plan.events:
        yield from _with_nested(f"event `{e.name}`", e.fields)
    for t in plan.types:
        yield from _with_nested(f"type `{t.name}`", t.fields)
    yield from _with_nested("traits", plan.traits)


def _with_nested(
    owner: str, fields: tuple[ir.Field, ...]
) -> Iterator[tuple[str, tuple[ir.Field, ...]]]:
    yield owner, fields
    for f in fields:
        t, _ = _unwrap(f.type)
        if t.fields:
            yield from _with_nested(f"{owner}, object `{f.name}`", t.fields)


def _field_names(owner: str, fields: tuple[ir.Field, ...]) -> Iterator[Diagnostic]:
    seen: dict[str, ir.Field] = {}
    for f in fields:
        if not _IDENTIFIER.match(f.code_name) or keyword.iskeyword(f.code_name):
            yield _clash(f.location, f"`{f.code_name}` is not a usable Python name", None)
        first = seen.setdefault(f.code_name, f)
        if first is not f:
            yield _clash(
                f.location,
                f"properties `{first.name}` and `{f.name}` of {owner} would both be "
                f"`{f.code_name}` in generated code",
                first.location,
            )


def _event_names(plan: ir.Plan) -> Iterator[Diagnostic]:
    seen: dict[str, ir.Event] = {}
    for e in plan.events:
        if e.code_name in RESERVED_METHOD_NAMES:
            yield _clash(e.location, f"`{e.code_name}` is a method every tracker has", None)
        first = seen.setdefault(e.code_name, e)
        if first is not e:
            yield _clash(
                e.location,
                f"events `{first.name}` and `{e.name}` would both be `{e.code_name}` "
                "(file name, SDK method and class)",
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


def _clash(location: Location, message: str, other: Location | None) -> Diagnostic:
    return Diagnostic(
        location,
        "naming/code-collision",
        Level.ERROR,
        message,
        "set `code_name:` on one of them to choose the generated name",
        (other,) if other is not None else (),
    )
