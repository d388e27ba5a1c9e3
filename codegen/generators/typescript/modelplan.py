"""The TypeScript model plan: every interface, property key, annotation and tracker method of
the npm package, computed once from the ir. Templates and the name check read only this.

Wire names are never changed: they are the interface keys (quoted where they are not
identifiers). Derived names are the interface names (the Python SDK's class names, so both SDKs
agree) and the tracker methods (the event's ``code_name`` in camelCase, through
:func:`codenames.method_name`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

from ...plan import ir
from ...plan.diagnostics import Location
from ...plan.names import class_name, event_class
from ..cache import per_event_object, per_plan
from ..jsonschema import SchemaPath
from ..render import ts_str
from . import codenames  # the naming policy; it imports this module back, as a module

TRAITS_INTERFACE = "IdentifyTraits"
ITEM_SUFFIX = "Item"
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


@dataclass(frozen=True)
class TsProperty:
    """One property of an interface."""

    wire: str
    key: str  # the wire name as a TypeScript property key: bare or a string literal
    annotation: str
    required: bool
    doc: str  # TSDoc text: description, allowed values, format
    deprecated: str | None


@dataclass(frozen=True)
class TsInterface:
    name: str
    path: SchemaPath
    owner: str  # in words: "event `Order Completed`, object `shipping`"
    properties: tuple[TsProperty, ...]
    open: bool  # additional properties allowed: an index signature
    doc: str
    location: Location


@dataclass(frozen=True)
class TsEvent:
    """One tracker method and its event module."""

    event: str
    method: str
    interface: str
    stem: str  # module and validator file name under events/ and validators/
    anonymous_allowed: bool
    doc: str
    deprecated: str | None
    location: Location


@dataclass(frozen=True)
class TsModelPlan:
    package: str  # npm package name
    version: str  # npm (SemVer 2.0) version
    interfaces: tuple[TsInterface, ...]
    events: tuple[TsEvent, ...]
    traits_interface: str


@per_plan
def build(plan: ir.Plan) -> TsModelPlan:
    """The model plan of ``plan``. Never fails: names are checked afterwards (codenames)."""
    interfaces: list[TsInterface] = []
    for t in plan.types:
        _object(
            interfaces,
            t.name,
            ("types", t.name),
            f"type `{t.name}`",
            t.fields,
            t.additional_properties,
            t.doc.description,
            t.location,
        )
    _object(
        interfaces,
        TRAITS_INTERFACE,
        ("traits",),
        "traits",
        plan.traits,
        False,
        "Traits of identify(): they become Customer.io person attributes.",
        Location(""),
    )
    events = []
    for e in plan.events:
        # An event's interfaces depend on the event alone: unchanged ones are reused in a process.
        mine, event = per_event_object("ts-interfaces", e, partial(_event, e))
        interfaces += mine
        events.append(event)
    return TsModelPlan(
        package=npm_name(plan.slug),
        version=npm_version(plan.version),
        interfaces=tuple(interfaces),
        events=tuple(events),
        traits_interface=TRAITS_INTERFACE,
    )


def _event(e: ir.Event) -> tuple[list[TsInterface], TsEvent]:
    interfaces: list[TsInterface] = []
    name = event_class(e.code_name)
    _object(
        interfaces,
        name,
        ("events", e.name),
        f"event `{e.name}`",
        e.fields,
        e.additional_properties,
        f"Properties of `{e.name}`." + (f" {e.doc.description}" if e.doc.description else ""),
        e.location,
    )
    event = TsEvent(
        event=e.name,
        method=codenames.method_name(e.code_name),
        interface=name,
        stem=e.code_name,  # what paths.event_stems names the schema file
        anonymous_allowed=e.anonymous_allowed,
        doc=e.doc.description,
        deprecated=e.doc.deprecated,
        location=e.location,
    )
    return interfaces, event


def npm_name(slug: str) -> str:
    """The npm package: the Python distribution's name (``glow-shop-tracking``)."""
    return slug.replace("_", "-") + "-tracking"


def npm_version(semver: str) -> str:
    """npm takes SemVer 2.0 as it is, but drops build metadata (``+...``) when it publishes,
    so two builds of one version would clash: build metadata is dropped here, visibly."""
    return semver.partition("+")[0]


def property_key(wire: str) -> str:
    return wire if _IDENTIFIER.match(wire) else ts_str(wire)


def _object(
    out: list[TsInterface],
    name: str,
    path: SchemaPath,
    owner: str,
    fields: tuple[ir.Field, ...],
    open_: bool,
    doc: str,
    location: Location,
) -> None:
    """Add the interface of an object and of every inline object in it, in plan order."""
    scope = name.removesuffix("Properties") if path[0] == "events" and len(path) == 2 else name
    if path == ("traits",):
        scope = "Traits"
    index = len(out)
    out.append(TsInterface(name, path, owner, (), open_, doc, location))  # keeps the order
    properties = []
    for f in fields:
        child = scope + class_name(f.code_name)
        annotation = _annotation(out, f, child, (*path, f.name), f"{owner}, object `{f.name}`")
        properties.append(
            TsProperty(
                f.name,
                property_key(f.name),
                annotation,
                f.required,
                _doc(f),
                f.doc.deprecated,
            )
        )
    out[index] = TsInterface(name, path, owner, tuple(properties), open_, doc, location)


def _doc(f: ir.Field) -> str:
    parts = [f.doc.description] if f.doc.description else []
    enum = _unwrap(f.type).bounds.enum
    if enum is not None:
        parts.append("One of: " + ", ".join(str(v) for v in enum) + ".")
    fmt = _unwrap(f.type).bounds.format
    if fmt:
        parts.append(f"Format: {fmt}.")
    return "\n".join(parts)


def _annotation(
    out: list[TsInterface], f: ir.Field, name: str, path: SchemaPath, owner: str
) -> str:
    def walk(t: ir.FieldType, name: str, path: SchemaPath) -> str:
        if t.type_ref:
            text = t.type_ref
        elif t.bounds.enum is not None:
            text = " | ".join(_literal(v) for v in t.bounds.enum)
        elif t.kind is ir.Kind.ARRAY:
            items = walk(t.items, name + ITEM_SUFFIX, (*path, "[]")) if t.items else "unknown"
            text = f"Array<{items}>"
        elif t.kind is ir.Kind.OBJECT and t.fields:
            _object(out, name, path, owner, t.fields, t.additional_properties, "", f.location)
            text = name
        elif t.kind is ir.Kind.UNION:
            text = " | ".join(dict.fromkeys(_scalar(ir.FieldType(v)) for v in t.variants))
        else:
            text = _scalar(t)
        if t.nullable and t.kind is not ir.Kind.ANY and "null" not in text.split(" | "):
            return f"{text} | null"
        return text

    return walk(f.type, name, path)


# Annotations name only these TypeScript types (``Date`` and ``Record`` are global names an
# interface must not shadow: see reserved.ANNOTATION_GLOBALS).
_SCALARS = {
    ir.Kind.STRING: "string",
    ir.Kind.INTEGER: "number",
    ir.Kind.NUMBER: "number",
    ir.Kind.BOOLEAN: "boolean",
    ir.Kind.DATETIME: "Date | string",
    ir.Kind.DATE: "string",
    ir.Kind.OBJECT: "Record<string, unknown>",
    ir.Kind.ARRAY: "Array<unknown>",
    ir.Kind.ANY: "unknown",
}


def _scalar(t: ir.FieldType) -> str:
    if t.kind is ir.Kind.STRING and t.bounds.format == "date-time":
        return _SCALARS[ir.Kind.DATETIME]  # a Date is sent as RFC 3339 text
    return _SCALARS[t.kind]


def _literal(value: ir.Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return ts_str(value)
    return repr(value) if isinstance(value, int) else _number(value)


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _unwrap(t: ir.FieldType) -> ir.FieldType:
    while t.kind is ir.Kind.ARRAY and t.items is not None:
        t = t.items
    return t
