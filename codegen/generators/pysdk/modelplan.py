"""The Python model plan: every class, field, annotation, module and import of the SDK, computed
once from the ir.

Everything Python-specific reads this plan: the JSON Schemas given to datamodel-code-generator
(titles name the classes), the aliases and the post-check of its output, the tracker and package
templates, and the name check (:mod:`.codenames`). No other module derives a generated name.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, partial

from ...plan import ir
from ...plan.diagnostics import Location
from ...plan.names import class_name, event_class
from ..cache import per_event_object, per_plan
from ..jsonschema import ITEMS, SchemaPath
from ..render import py_str

TRAITS_CLASS = "IdentifyTraits"
TRAITS_SCOPE = "Traits"
ITEM_SUFFIX = "Item"


# Python names our annotations use, by the module they come from.
TYPING_NAMES = ("Any", "Literal")
DATETIME_NAMES = ("date", "datetime")


@dataclass(frozen=True)
class PyField:
    """One field of a generated class, and one keyword argument of its tracker method."""

    name: str  # Python name (the ir code_name)
    wire: str  # name in the message, exactly as in the plan
    annotation: str  # the Python type of the value, as the tracker signature writes it
    required: bool
    description: str
    allowed: str  # "Skincare, Haircare" or ""
    location: Location
    # What the model checks beyond the annotation (the runtime reads these from _constraints.py):
    # (depth, "enum" | "unique", members), depth counting the arrays around the checked value.
    checks: tuple[tuple[int, str, tuple[ir.Scalar, ...]], ...] = ()


@dataclass(frozen=True)
class PyClass:
    """One pydantic model the SDK defines."""

    name: str
    module: str  # "types", "traits" or "events.<code_name>"
    path: SchemaPath
    owner: str  # the plan thing it comes from, in words: "event `Order Completed`, object `x`"
    fields: tuple[PyField, ...]
    location: Location


@dataclass(frozen=True)
class Method:
    """One tracker method: the event, its model, its parameters (template context)."""

    name: str
    event: str
    model: str
    module: str  # stem under events/
    anonymous_allowed: bool
    additional_properties: bool  # the method's ``extra`` keyword is welcome
    params: tuple[PyField, ...]  # required first, plan order within
    description: str
    deprecated: str | None
    location: Location


@dataclass(frozen=True)
class ModelPlan:
    package: str
    classes: tuple[PyClass, ...]
    methods: tuple[Method, ...]
    traits: tuple[PyField, ...]  # identify() parameters, required first

    @cached_property
    def titles(self) -> dict[SchemaPath, str]:
        """``{schema path: class name}``: titles of the schemas datamodel-code-generator reads."""
        return {c.path: c.name for c in self.classes}

    @cached_property
    def _by_module(self) -> dict[str, list[PyClass]]:
        out: dict[str, list[PyClass]] = {}
        for c in self.classes:
            out.setdefault(c.module, []).append(c)
        return out

    def classes_in(self, module: str) -> dict[str, tuple[str, ...]]:
        """``{class: Python field names}`` expected in one generated module."""
        return {c.name: tuple(f.name for f in c.fields) for c in self._by_module.get(module, [])}

    def aliases_in(self, module: str) -> dict[str, list[str]]:
        """``{"Class.wire name": [python name]}`` wherever the two differ, for one module."""
        return {
            f"{c.name}.{f.wire}": [f.name]
            for c in self._by_module.get(module, [])
            for f in c.fields
            if f.name != f.wire
        }

    @cached_property
    def checks(self) -> dict[str, dict[str, tuple[tuple[int, str, tuple[ir.Scalar, ...]], ...]]]:
        """``{"module.Class": {field: checks}}`` for the runtime's ``_constraints.py``."""
        out = {
            f"{c.module}.{c.name}": {f.name: f.checks for f in c.fields if f.checks}
            for c in self.classes
        }
        return {key: fields for key, fields in out.items() if fields}

    @cached_property
    def exports(self) -> dict[str, str]:
        """``{public name: module}`` for the package's lazy ``__getattr__``."""
        out = {
            "Tracker": "tracker",
            "TrackOptions": "_runtime",
            "TrackingPlanViolation": "_runtime",
            TRAITS_CLASS: "traits",
        }
        for c in self.classes:
            if c.module == "types" and len(c.path) == 2:
                out[c.name] = "types"
        for m in self.methods:
            out[m.model] = f"events.{m.module}"
        return dict(sorted(out.items()))

    @cached_property
    def type_imports(self) -> dict[str, list[str]]:
        """Classes used in method signatures, by module, for ``if TYPE_CHECKING:`` imports."""
        module_of = {c.name: c.module for c in self.classes}
        wanted: dict[str, set[str]] = {}
        for p in self.params:
            for word in annotation_words(p.annotation):
                if word in module_of:
                    wanted.setdefault(module_of[word], set()).add(word)
        return {module: sorted(names) for module, names in sorted(wanted.items())}

    @property
    def params(self) -> Iterator[PyField]:
        for m in self.methods:
            yield from m.params
        yield from self.traits

    @cached_property
    def annotation_names(self) -> set[str]:
        return {w for p in self.params for w in annotation_words(p.annotation)}

    @property
    def typing_names(self) -> list[str]:
        return [n for n in TYPING_NAMES if n in self.annotation_names]

    @property
    def datetime_names(self) -> list[str]:
        return [n for n in DATETIME_NAMES if n in self.annotation_names]


def annotation_words(annotation: str) -> list[str]:
    return re.findall(r"[A-Za-z_][A-Za-z0-9_]*", annotation)


@per_plan
def build(plan: ir.Plan) -> ModelPlan:
    """The model plan of ``plan``. Never fails: names are checked afterwards (codenames)."""
    classes: list[PyClass] = []
    # Traits first: a reusable type that takes their class name is then reported at the type.
    first = plan.traits[0].location if plan.traits else Location(plan.source, 1, 1)
    traits_at = Location(first.file, first.line, first.column, ("traits",))
    _object(classes, TRAITS_CLASS, "traits", ("traits",), "traits", plan.traits, traits_at)
    for t in plan.types:
        _object(
            classes, t.name, "types", ("types", t.name), f"type `{t.name}`", t.fields, t.location
        )
    methods = []
    for e in plan.events:
        # An event's classes depend on the event alone: unchanged ones are reused in a process.
        mine, method = per_event_object("py-classes", e, partial(_event, e))
        classes += mine
        methods.append(method)
    traits = next(c for c in classes if c.path == ("traits",))
    return ModelPlan(plan.slug, tuple(classes), tuple(methods), _required_first(traits.fields))


def _event(e: ir.Event) -> tuple[list[PyClass], Method]:
    classes: list[PyClass] = []
    model = event_class(e.code_name)
    module = f"events.{e.code_name}"
    root = _object(
        classes, model, module, ("events", e.name), f"event `{e.name}`", e.fields, e.location
    )
    method = Method(
        name=e.code_name,
        event=e.name,
        model=model,
        module=e.code_name,
        anonymous_allowed=e.anonymous_allowed,
        additional_properties=e.additional_properties,
        params=_required_first(root.fields),
        description=e.doc.description,
        deprecated=e.doc.deprecated,
        location=e.location,
    )
    return classes, method


def _object(
    out: list[PyClass],
    name: str,
    module: str,
    path: SchemaPath,
    owner: str,
    fields: tuple[ir.Field, ...],
    location: Location,
) -> PyClass:
    """Add the class of an object and of every inline object in it; return the first."""
    # Inline objects are named after their owner's class without the event suffix, as before.
    scope = name.removesuffix("Properties") if path[0] == "events" and len(path) == 2 else name
    if path == ("traits",):
        scope = TRAITS_SCOPE
    index = len(out)
    out.append(PyClass(name, module, path, owner, (), location))  # placeholder keeps order
    py_fields = []
    for f in fields:
        child = scope + class_name(f.code_name)
        annotation = _annotation(
            out, f, child, module, (*path, f.name), f"{owner}, object `{f.name}`"
        )
        py_fields.append(
            PyField(
                name=f.code_name,
                wire=f.name,
                annotation=annotation,
                required=f.required,
                description=f.doc.description,
                allowed=", ".join(str(v) for v in (_unwrap(f.type).bounds.enum or ())),
                location=f.location,
                checks=_checks(f.type),
            )
        )
    out[index] = PyClass(name, module, path, owner, tuple(py_fields), location)
    return out[index]


def _annotation(
    out: list[PyClass],
    f: ir.Field,
    name: str,
    module: str,
    path: SchemaPath,
    owner: str,
) -> str:
    def walk(t: ir.FieldType, name: str, path: SchemaPath) -> str:
        if t.type_ref:
            text = t.type_ref
        elif t.bounds.enum is not None:
            text = _enum_annotation(t)
        elif t.kind is ir.Kind.ARRAY:
            items = walk(t.items, name + ITEM_SUFFIX, (*path, ITEMS)) if t.items else "Any"
            text = f"list[{items}]"
        elif t.kind is ir.Kind.OBJECT and t.fields:
            _object(out, name, module, path, owner, t.fields, f.location)
            text = name
        elif t.kind is ir.Kind.UNION:
            text = " | ".join(_SIMPLE[v] for v in t.variants)
        else:
            text = _scalar(t)
        return f"{text} | None" if t.nullable and t.kind is not ir.Kind.ANY else text

    return walk(f.type, name, path)


_SIMPLE = {
    ir.Kind.STRING: "str",
    ir.Kind.INTEGER: "int",
    ir.Kind.NUMBER: "float",
    ir.Kind.BOOLEAN: "bool",
    ir.Kind.DATETIME: "datetime",
    ir.Kind.DATE: "date",
    ir.Kind.OBJECT: "dict[str, Any]",
    ir.Kind.ARRAY: "list[Any]",
    ir.Kind.ANY: "Any",
}
# Builtins our annotations name: a field of that name would shadow them in its class body.
ANNOTATION_BUILTINS = frozenset(
    w for text in _SIMPLE.values() for w in annotation_words(text) if hasattr(builtins, w)
)
# `type: string` with one of these formats is a timestamp to datamodel-code-generator too.
STRING_FORMAT_KINDS = {"date-time": ir.Kind.DATETIME, "date": ir.Kind.DATE}


def python_kind(t: ir.FieldType) -> ir.Kind:
    """The kind a value has in Python: ``type: string, format: date-time`` is a datetime."""
    if t.kind is ir.Kind.STRING and t.bounds.format in STRING_FORMAT_KINDS:
        return STRING_FORMAT_KINDS[t.bounds.format]
    return t.kind


def _scalar(t: ir.FieldType) -> str:
    return _SIMPLE[python_kind(t)]


def fractional_enum(t: ir.FieldType) -> bool:
    """A number enum with a non-integral member: ``Literal`` cannot hold floats."""
    values = t.bounds.enum or ()
    return any(isinstance(v, float) and not v.is_integer() for v in values)


def _enum_annotation(t: ir.FieldType) -> str:
    if t.kind is ir.Kind.NUMBER and any(isinstance(v, float) for v in t.bounds.enum or ()):
        return "float"  # the model checks the members; Literal cannot hold floats
    return "Literal[" + ", ".join(_literal(v) for v in t.bounds.enum or ()) + "]"


def _literal(value: ir.Scalar) -> str:
    return py_str(value) if isinstance(value, str) else repr(value)


def _checks(t: ir.FieldType) -> tuple[tuple[int, str, tuple[ir.Scalar, ...]], ...]:
    """JSON Schema rules the generated annotation cannot state: ``uniqueItems`` (dropped by
    datamodel-code-generator) and number enums (``Literal`` takes ``True`` for 1 and cannot
    hold 0.5)."""
    out: list[tuple[int, str, tuple[ir.Scalar, ...]]] = []
    depth = 0
    while not t.type_ref:
        numeric = t.kind in (ir.Kind.INTEGER, ir.Kind.NUMBER)
        if numeric and t.bounds.enum is not None:
            out.append((depth, "enum", tuple(v for v in t.bounds.enum if v is not None)))
        if t.bounds.unique_items:
            out.append((depth, "unique", ()))
        if t.kind is ir.Kind.OBJECT and not t.fields and not t.additional_properties:
            out.append((depth, "empty", ()))  # `properties: {}`: only {} (a dict to pydantic)
        if t.kind is not ir.Kind.ARRAY or t.items is None:
            break
        t, depth = t.items, depth + 1
    return tuple(out)


def _unwrap(t: ir.FieldType) -> ir.FieldType:
    while t.kind is ir.Kind.ARRAY and t.items is not None:
        t = t.items
    return t


def _required_first(fields: tuple[PyField, ...]) -> tuple[PyField, ...]:
    return tuple(sorted(fields, key=lambda p: not p.required))  # stable: plan order within
