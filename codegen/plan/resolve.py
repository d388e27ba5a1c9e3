"""Resolve a validated plan file into the frozen :mod:`codegen.ir` model.

Everything that makes a plan meaningless is an error here: dangling references, reference
cycles, unknown types, constraints that do not fit the type, segments and messages pointing at
fields that do not exist. Conventions and style are :mod:`codegen.lint`'s job.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, assert_never

from . import commerce, constraints, formats, ir
from .diagnostics import Diagnostic, Level, Path
from .filemodel import EventSpec, MaintainedBySpec, PlanFile, PropertySpec, TypeSpec
from .loader import Document
from .names import event_code_name, python_name
from .suggest import did_you_mean

_STRING_ONLY = ("format", "pattern", "min_length", "max_length")
_NUMERIC_ONLY = ("minimum", "maximum", "exclusive_minimum", "exclusive_maximum")
_ARRAY_ONLY = ("items", "min_items", "max_items", "unique_items")
_CONSTRAINTS = (
    "type",
    "nullable",
    "enum",
    *_STRING_ONLY,
    *_NUMERIC_ONLY,
    *_ARRAY_ONLY,
    "properties",
    "additional_properties",
)
_ENUM_KINDS = (ir.Kind.STRING, ir.Kind.INTEGER, ir.Kind.NUMBER)
_PATTERN_HINT = (
    "patterns are ECMA-262 regular expressions (JSON Schema): use `$` not `\\Z`, `(?<name>...)`"
    " not `(?P<name>...)`, no inline flags like `(?i)` or atomic groups `(?>...)`, and escape"
    " `-` only inside [...]"
)


def _pattern_problem(pattern: str) -> str | None:
    """Why a plan pattern cannot be used: not ECMA-262, or beyond jsonschema-rs (which
    ``codegen validate`` runs), or None."""
    problem = formats.pattern_error(pattern)
    if problem is not None:
        return problem
    import jsonschema_rs  # only when a plan has patterns

    try:
        jsonschema_rs.validator_for({"pattern": pattern})
    except (jsonschema_rs.ValidationError, ValueError):
        return "valid ECMA-262, but jsonschema-rs (used by `codegen validate`) cannot run it"
    return None


_DEFAULT_BASE_URI = "https://tracking-plans.invalid/"


@dataclass
class Resolver:
    """Holds what resolution needs: the file model, the document for locations, the findings."""

    spec: PlanFile
    document: Document
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _library: dict[str, ir.Field] = field(default_factory=dict)
    _resolving: list[str] = field(default_factory=list)

    def error(
        self,
        path: Path,
        code: str,
        message: str,
        hint: str | None = None,
        related: tuple[Path, ...] = (),
    ) -> None:
        self.diagnostics.append(
            Diagnostic(
                self.document.locate(path),
                code,
                Level.ERROR,
                message,
                hint,
                tuple(self.document.locate(p) for p in related),
            )
        )

    # -- properties -------------------------------------------------------------------------

    def fields(self, specs: Mapping[str, PropertySpec], path: Path) -> tuple[ir.Field, ...]:
        return tuple(self.field(name, spec, (*path, name)) for name, spec in specs.items())

    def field(self, name: str, spec: PropertySpec, path: Path) -> ir.Field:
        doc = _doc(spec)
        code_name = spec.code_name or python_name(name)
        location = self.document.locate(path)
        if spec.ref is None:
            field_type = self.field_type(spec, path)
            stored_as = self.date_storage(spec, field_type, path)
            return ir.Field(
                name, field_type, spec.required, doc, None, code_name, location, stored_as
            )
        base = self.library_field(spec.ref, (*path, "ref"))
        clashing = [k for k in _CONSTRAINTS if k in spec.model_fields_set]
        if clashing:
            self.error(
                (*path, clashing[0]),
                "ref/override",
                f"`{clashing[0]}` cannot be combined with `ref: {spec.ref}`",
                "a referenced property keeps its library definition everywhere; define "
                "a separate property if it really differs",
            )
        merged = ir.Doc(
            description=doc.description or base.doc.description,
            owner=doc.owner or base.doc.owner,
            tags=doc.tags or base.doc.tags,
            deprecated=doc.deprecated or base.doc.deprecated,
            examples=doc.examples or base.doc.examples,
        )
        stored_as = self.date_storage(spec, base.type, path)
        return ir.Field(
            name, base.type, spec.required, merged, spec.ref, code_name, location, stored_as
        )

    def date_storage(
        self, spec: PropertySpec, t: ir.FieldType, path: Path
    ) -> ir.DateStorage | None:
        """How Customer.io stores a date or datetime trait: its ``stored_as``, else the plan's
        ``dates_stored_as``; None for anything else (where ``stored_as`` is an error)."""
        is_trait = len(path) == 2 and path[0] == "traits"
        if is_trait and t.kind.is_temporal:
            return spec.stored_as or self.spec.plan.dates_stored_as
        if spec.stored_as is not None:
            where = "a trait" if is_trait else "a property of an event, type or library"
            self.error(
                (*path, "stored_as"),
                "type/stored-as",
                f"`stored_as` applies to date and datetime traits, not to {where} "
                f"of type `{t.describe()}`",
                "remove it: Customer.io stores event data as sent; only person attributes "
                "are compared as timestamps",
            )
        return None

    def library_field(self, ref: str, path: Path) -> ir.Field:
        if ref in self._library:
            return self._library[ref]
        spec = self.spec.properties.get(ref)
        if spec is None:
            self.error(
                path,
                "ref/unknown-property",
                f"`{ref}` is not in the `properties` library",
                did_you_mean(ref, self.spec.properties) or "define it under `properties:`",
            )
            return ir.Field(ref, ir.FieldType(ir.Kind.ANY), False)
        if ref in self._resolving:
            cycle = " -> ".join([*self._resolving[self._resolving.index(ref) :], ref])
            self.error(
                ("properties", ref),
                "ref/cycle",
                f"reference cycle: {cycle}",
                "a library property cannot refer to itself, directly or not",
            )
            return ir.Field(ref, ir.FieldType(ir.Kind.ANY), False)
        self._resolving.append(ref)
        try:
            resolved = self.field(ref, spec, ("properties", ref))
        finally:
            self._resolving.pop()
        self._library[ref] = resolved
        return resolved

    def field_type(self, spec: PropertySpec, path: Path) -> ir.FieldType:
        given = spec.model_fields_set
        if isinstance(spec.type, list):
            return self._union(spec, spec.type, path)
        type_name = spec.type or ("object" if spec.properties is not None else None)
        if type_name is None:
            self.error(
                path,
                "type/missing",
                "no `type` and no `ref`",
                "add `type: string` (or another type) or `ref: <library property>`",
            )
            return ir.FieldType(ir.Kind.ANY)
        kind = ir.PRIMITIVE_KINDS.get(type_name)
        type_ref = None
        if kind is None:
            if type_name not in self.spec.types:
                choices = [*ir.PRIMITIVE_KINDS, *self.spec.types]
                self.error(
                    (*path, "type"),
                    "type/unknown",
                    f"unknown type `{type_name}`",
                    did_you_mean(type_name, choices)
                    or f"use one of {', '.join(ir.PRIMITIVE_KINDS)} or a name under `types:`",
                )
                return ir.FieldType(ir.Kind.ANY)
            kind, type_ref = ir.Kind.OBJECT, type_name
        self._check_applicable(kind, type_ref, given, path)
        bounds = self._bounds(spec, kind, path)
        items = None
        if kind is ir.Kind.ARRAY:
            items = (
                self.field_type(spec.items, (*path, "items"))
                if spec.items is not None
                else ir.FieldType(ir.Kind.ANY)
            )
            if spec.items is not None and spec.items.required:
                self.error(
                    (*path, "items", "required"),
                    "type/misplaced",
                    "`required` has no meaning on array items",
                    "remove it",
                )
        inline: tuple[ir.Field, ...] = ()
        open_object = spec.additional_properties
        if kind is ir.Kind.OBJECT and type_ref is None:
            inline = self.fields(spec.properties or {}, (*path, "properties"))
            open_object = open_object or spec.properties is None
        built = ir.FieldType(kind, spec.nullable, bounds, items, type_ref, inline, open_object)
        for problem in constraints.array_problems(built):
            self.error((*path, problem.key), "type/bounds", problem.message, problem.hint)
        return built

    def _union(self, spec: PropertySpec, names: list[str], path: Path) -> ir.FieldType:
        kinds = []
        allowed = ", ".join(k.value for k in ir.UNION_KINDS)
        for i, name in enumerate(names):
            kind = ir.PRIMITIVE_KINDS.get(name)
            if kind not in ir.UNION_KINDS:
                self.error(
                    (*path, "type", i),
                    "type/union",
                    f"`{name}` cannot be part of a union",
                    f"unions combine scalar types: {allowed}; use `nullable` for null",
                )
            elif kind in kinds:
                self.error((*path, "type", i), "type/union", f"`{name}` is listed twice", None)
            else:
                kinds.append(kind)
        if len(names) < 2:
            self.error(
                (*path, "type"),
                "type/union",
                "a union needs at least two types",
                "write a single type as `type: string`",
            )
        self._check_applicable(ir.Kind.UNION, None, spec.model_fields_set, path)
        return ir.FieldType(ir.Kind.UNION, spec.nullable, variants=tuple(kinds))

    def _check_applicable(
        self, kind: ir.Kind, type_ref: str | None, given: set[str], path: Path
    ) -> None:
        wrong: list[str] = []
        if kind is not ir.Kind.STRING:
            wrong += [k for k in _STRING_ONLY if k in given]
        if not kind.is_numeric:
            wrong += [k for k in _NUMERIC_ONLY if k in given]
        if kind is not ir.Kind.ARRAY:
            wrong += [k for k in _ARRAY_ONLY if k in given]
        if kind not in _ENUM_KINDS and "enum" in given:
            wrong.append("enum")
        if (kind is not ir.Kind.OBJECT or type_ref) and "properties" in given:
            wrong.append("properties")
        if (kind is not ir.Kind.OBJECT or type_ref) and "additional_properties" in given:
            wrong.append("additional_properties")
        shown = type_ref or kind.value
        for key in wrong:
            self.error(
                (*path, key),
                "type/constraint-mismatch",
                f"`{key}` does not apply to type `{shown}`",
                "remove it, or change the type",
            )

    def _bounds(self, spec: PropertySpec, kind: ir.Kind, path: Path) -> ir.Bounds:
        enum = tuple(spec.enum) if spec.enum is not None else None
        for i, value in enumerate(enum or ()):
            if not value_fits(kind, value):
                hint = (
                    "YAML reads yes/no/on/off/true/false as booleans: quote it"
                    if isinstance(value, bool)
                    else "quote it, or change the type"
                )
                self.error(
                    (*path, "enum", i),
                    "type/enum-value",
                    f"enum value `{_show(value)}` is not "
                    f"{'an' if kind.value[0] in 'aeiou' else 'a'} {kind.value}",
                    hint,
                )
        members = {v if _number(v) else (type(v), v) for v in enum or ()}
        if enum is not None and len(members) < len(enum):
            self.error(
                (*path, "enum"),
                "type/enum-duplicate",
                "enum lists a value twice",
                "remove the duplicate",
            )
        for key in ("pattern",):
            pattern = getattr(spec, key)
            problem = _pattern_problem(pattern) if pattern is not None else None
            if problem is not None:
                self.error((*path, key), "type/bad-pattern", problem, _PATTERN_HINT)
        bounds = ir.Bounds(
            enum=enum,
            format=spec.format,
            pattern=spec.pattern,
            minimum=spec.minimum,
            maximum=spec.maximum,
            exclusive_minimum=spec.exclusive_minimum,
            exclusive_maximum=spec.exclusive_maximum,
            min_length=spec.min_length,
            max_length=spec.max_length,
            min_items=spec.min_items,
            max_items=spec.max_items,
            unique_items=spec.unique_items,
        )
        for fault in constraints.problems(kind, bounds):
            where = (*path, fault.key) if fault.index is None else (*path, "enum", fault.index)
            self.error(where, "type/bounds", fault.message, fault.hint)
        return bounds

    # -- types and events -------------------------------------------------------------------

    def object_type(self, name: str, spec: TypeSpec) -> ir.ObjectType:
        path = ("types", name)
        return ir.ObjectType(
            name,
            self.fields(spec.properties, (*path, "properties")),
            spec.additional_properties,
            _doc(spec),
            self.document.locate(path),
        )

    def event(self, name: str, spec: EventSpec, anonymous: set[str]) -> ir.Event:
        path = ("events", name)
        fields = self.fields(spec.properties, (*path, "properties"))
        return ir.Event(
            name,
            fields,
            name in anonymous,
            spec.additional_properties,
            _doc(spec),
            spec.code_name or event_code_name(name),
            commerce.commerce(
                name, fields, ir.Role(spec.role) if spec.role else None, self.spec.lint
            ),
            self.document.locate(path),
        )

    def commerce_keys(
        self,
        library: tuple[ir.Field, ...],
        types: tuple[ir.ObjectType, ...],
        events: tuple[ir.Event, ...],
        traits: tuple[ir.Field, ...],
    ) -> ir.CommerceKeys:
        """The plan-wide commerce vocabulary and money amounts (:mod:`codegen.plan.commerce`)."""
        everything = [*library, *traits]
        everything += [f for t in types for f in t.fields]
        everything += [f for e in events for f in e.fields]
        info = self.spec.plan
        if info.currency and not info.locale and info.currency not in commerce.CURRENCY_LOCALES:
            known = ", ".join(f"{c} ({loc})" for c, loc in commerce.CURRENCY_LOCALES.items())
            self.error(
                ("plan", "currency"),
                "plan/currency-locale",
                f"no Customer.io locale is known for `{info.currency}`",
                f"add `locale:` (e.g. `locale: de-ch`) next to it; known: {known}",
            )
        return commerce.keys(self.spec.lint, everything, info)

    def check_type_cycles(self, types: tuple[ir.ObjectType, ...]) -> None:
        edges = {t.name: sorted(set(_type_refs(t.fields))) for t in types}
        done: set[str] = set()

        def visit(name: str, trail: list[str]) -> None:
            if name in trail:
                cycle = [*trail[trail.index(name) :], name]
                self.error(
                    ("types", cycle[0]),
                    "ref/cycle",
                    f"reference cycle between types: {' -> '.join(cycle)}",
                    "break the cycle: keep an id instead of embedding the object",
                    tuple(("types", n) for n in cycle[1:-1]),
                )
                return
            if name in done:
                return
            for target in edges.get(name, ()):
                visit(target, [*trail, name])
            done.add(name)

        for type_name in sorted(edges):
            visit(type_name, [])

    def maintained(
        self, traits: tuple[ir.Field, ...], events: tuple[ir.Event, ...]
    ) -> tuple[ir.Maintained, ...]:
        """Every ``maintained_by`` of a trait, checked against the events and the trait type."""
        by_name = {e.name: e for e in events}
        out = []
        for trait in traits:
            spec = self.spec.traits[trait.name].maintained_by
            if spec is not None:
                path = ("traits", trait.name, "maintained_by")
                found = self._maintained(trait, spec, by_name, path)
                if found is not None:
                    out.append(found)
        return tuple(sorted(out, key=lambda m: m.trait))

    def _maintained(
        self, trait: ir.Field, spec: MaintainedBySpec, events: dict[str, ir.Event], path: Path
    ) -> ir.Maintained | None:
        event = events.get(spec.event)
        if event is None:
            self.error(
                (*path, "event"),
                "maintained/unknown-event",
                f"`{spec.event}` is not a planned event",
                did_you_mean(spec.event, events) or "name an event listed under `events:`",
            )
            return None
        upkeep = ir.Upkeep(spec.as_)
        if (upkeep is ir.Upkeep.LAST_VALUE) != (spec.property is not None):
            needs = upkeep is ir.Upkeep.LAST_VALUE
            self.error(
                (*path, "as" if needs else "property"),
                "maintained/property",
                f"`as: {spec.as_}` {'needs' if needs else 'takes no'} `property`",
                (
                    "last_value copies a property of the event: name it with `property:`"
                    if needs
                    else "count and last_timestamp read only the event itself: drop `property`"
                ),
            )
            return None
        problem = _upkeep_problem(trait.type, upkeep)
        if spec.property is not None:
            source = next((f for f in event.fields if f.name == spec.property), None)
            if source is None:
                self.error(
                    (*path, "property"),
                    "maintained/unknown-property",
                    f"`{spec.property}` is not a property of `{event.name}`",
                    did_you_mean(spec.property, [f.name for f in event.fields])
                    or f"name one of the properties of `{event.name}`",
                )
                return None
            problem = problem or _copy_problem(source, trait)
        if problem is not None:
            self.error(
                (*path, "as"),
                "maintained/type-mismatch",
                f"trait `{trait.name}` ({trait.type.describe()}) cannot hold {problem}",
                "change the trait's type or what maintains it",
            )
            return None
        return ir.Maintained(
            trait.name, event.name, upkeep, spec.property, self.document.locate(path)
        )

    def identity(self) -> ir.Identity:
        spec = self.spec.identity
        everyone = spec.anonymous_allowed == "all"
        listed = [] if spec.anonymous_allowed == "all" else spec.anonymous_allowed
        # `all` becomes the list of every event: generators, validate and diff see one notion.
        anonymous = tuple(sorted(self.spec.events)) if everyone else tuple(listed)
        for i, name in enumerate(listed):
            if name not in self.spec.events:
                self.error(
                    ("identity", "anonymous_allowed", i),
                    "ref/unknown-event",
                    f"`{name}` is not a planned event",
                    did_you_mean(name, self.spec.events) or "list events under `events:`",
                )
        pattern = spec.user_id_pattern
        problem = _pattern_problem(pattern) if pattern is not None else None
        if problem is not None:
            self.error(("identity", "user_id_pattern"), "type/bad-pattern", problem, _PATTERN_HINT)
        return ir.Identity(spec.primary_id, spec.user_id_pattern, anonymous)


_COPYABLE = (
    ir.Kind.STRING,
    ir.Kind.INTEGER,
    ir.Kind.NUMBER,
    ir.Kind.BOOLEAN,
    ir.Kind.DATETIME,
    ir.Kind.DATE,
)


def _upkeep_problem(trait: ir.FieldType, upkeep: ir.Upkeep) -> str | None:
    """What ``upkeep`` produces, when ``trait`` cannot hold it; else None."""
    match upkeep:
        case ir.Upkeep.COUNT:
            return None if trait.kind.is_numeric else "a count (make it integer)"
        case ir.Upkeep.LAST_TIMESTAMP:
            timestamp = trait.kind is ir.Kind.DATETIME or (
                trait.kind is ir.Kind.STRING and trait.bounds.format == "date-time"
            )
            return None if timestamp else "a timestamp (make it datetime)"
        case ir.Upkeep.LAST_VALUE:
            return None if trait.kind in _COPYABLE else "one copied value (make it a scalar)"
        case unreachable:
            assert_never(unreachable)


def _copy_problem(source: ir.Field, trait: ir.Field) -> str | None:
    """Why the trait cannot hold the values of property ``source``; else None."""
    kind, into = source.type.kind, trait.type.kind
    if kind is not into and not (kind is ir.Kind.INTEGER and into is ir.Kind.NUMBER):
        return f"`{source.name}` ({source.type.describe()})"
    allowed = trait.type.bounds.enum
    extra = [v for v in source.type.bounds.enum or () if allowed is not None and v not in allowed]
    if allowed is not None and (source.type.bounds.enum is None or extra):
        shown = ", ".join(_show(v) for v in extra) if extra else "any value"
        return f"`{source.name}` values outside its enum ({shown})"
    return None


def value_fits(kind: ir.Kind, value: Any) -> bool:
    """Whether a literal from the plan is a value of ``kind`` (booleans are not numbers)."""
    if isinstance(value, bool):
        return kind in (ir.Kind.BOOLEAN, ir.Kind.ANY, ir.Kind.UNION)
    if kind in (ir.Kind.STRING, ir.Kind.DATETIME, ir.Kind.DATE):
        return isinstance(value, str)
    if kind is ir.Kind.INTEGER:
        return isinstance(value, int)
    if kind is ir.Kind.UNION:
        return isinstance(value, str | int | float)
    if kind is ir.Kind.NUMBER:
        return isinstance(value, int | float)
    return kind is ir.Kind.ANY


def _show(value: Any) -> str:
    """A literal as the plan author would write it (``true``, not ``True``)."""
    return json.dumps(value) if isinstance(value, bool) or value is None else str(value)


def _type_refs(fields: Iterable[ir.Field]) -> Iterable[str]:
    for f in fields:
        yield from _refs_of(f.type)


def _refs_of(t: ir.FieldType) -> Iterable[str]:
    if t.type_ref:
        yield t.type_ref
    if t.items is not None:
        yield from _refs_of(t.items)
    yield from _type_refs(t.fields)


def _doc(spec: Any) -> ir.Doc:
    deprecated = spec.deprecated
    return ir.Doc(
        description=(spec.description or "").strip(),
        owner=spec.owner,
        tags=tuple(spec.tags),
        deprecated=("deprecated" if deprecated is True else deprecated) or None,
        examples=tuple(getattr(spec, "examples", None) or ()),
    )


def _number(value: object) -> bool:
    """JSON numbers compare by value: ``1`` and ``1.0`` are one enum member."""
    return isinstance(value, int | float) and not isinstance(value, bool)
