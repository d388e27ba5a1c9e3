"""Resolve segments (condition trees) and messages against the resolved events and traits."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from . import formats, ir
from .diagnostics import Path
from .filemodel import Condition, SegmentSpec, _Operators
from .resolve import Resolver, _doc, value_fits
from .suggest import did_you_mean

_HEADS = ("all", "any", "performed", "not_performed", "trait", "in_segment", "not_in_segment")
_OPERATORS = (
    "equals",
    "not_equals",
    "exists",
    "greater_than",
    "less_than",
    "in",
    "not_in",
    "contains",
    "within",
)
_COUNTS = ("at_least", "at_most", "exactly")
_UNITS = {"minute": "minute", "hour": "hour", "day": "day", "week": "week"}
_WINDOW = re.compile(r"^\s*([1-9][0-9]*)\s*([a-z]+?)s?\s*$")
# Customer.io's segment builder offers these units; longer windows are written in days/weeks.
MAX_WINDOW_DAYS = 365


def parse_window(text: str) -> ir.Window | None:
    match = _WINDOW.match(text.lower())
    if not match or match.group(2) not in _UNITS:
        return None
    return ir.Window(int(match.group(1)), _UNITS[match.group(2)])


def field_at(
    fields: Sequence[ir.Field], path: Sequence[str], types: Mapping[str, ir.ObjectType]
) -> ir.Field | None:
    """The field at a dotted path, walking into objects, reusable types and array items."""
    current: ir.Field | None = None
    scope: Sequence[ir.Field] = fields
    for part in path:
        current = next((f for f in scope if f.name == part), None)
        if current is None:
            return None
        scope = members(current.type, types)
    return current


def members(t: ir.FieldType, types: Mapping[str, ir.ObjectType]) -> tuple[ir.Field, ...]:
    """Fields reachable one level below a value of type ``t`` (through array items)."""
    while t.kind is ir.Kind.ARRAY and t.items is not None:
        t = t.items
    if t.type_ref and t.type_ref in types:
        return types[t.type_ref].fields
    return t.fields


class AudienceResolver:
    def __init__(
        self,
        resolver: Resolver,
        events: Mapping[str, ir.Event],
        traits: Mapping[str, ir.Field],
        types: Mapping[str, ir.ObjectType],
    ) -> None:
        self.r = resolver
        self.events = events
        self.traits = traits
        self.types = types

    def segments(self, specs: Mapping[str, SegmentSpec]) -> tuple[ir.Segment, ...]:
        out = []
        for seg_id, spec in sorted(specs.items()):
            path: Path = ("segments", seg_id)
            condition = None
            if spec.kind == "manual" and spec.conditions is not None:
                self.r.error(
                    (*path, "conditions"),
                    "segment/manual-with-conditions",
                    "a manual segment has no conditions",
                    "remove `conditions`, or set `kind: data_driven`",
                )
            elif spec.kind == "data_driven":
                if spec.conditions is None:
                    self.r.error(
                        path,
                        "segment/no-conditions",
                        "a data-driven segment needs `conditions`",
                        "add `conditions: {all: [...]}` or set `kind: manual`",
                    )
                else:
                    condition = self.condition(spec.conditions, (*path, "conditions"))
            out.append(
                ir.Segment(
                    seg_id,
                    spec.name or seg_id,
                    spec.kind,
                    condition,
                    spec.qa,
                    _doc(spec),
                    self.r.document.locate(path),
                )
            )
        self._check_membership_cycles(out)
        return tuple(out)

    def condition(self, spec: Condition, path: Path) -> ir.Condition | None:
        given = spec.model_fields_set
        heads = [h for h in _HEADS if h in given]
        if len(heads) != 1:
            self.r.error(
                path,
                "segment/condition-head",
                "a condition needs exactly one of: "
                + ", ".join(_HEADS)
                + (f" (found {', '.join(heads)})" if heads else ""),
                "split it into separate conditions inside `all:` or `any:`",
            )
            return None
        head = heads[0]
        if head in ("all", "any"):
            self._reject(spec, path, head, [k for k in given if k != head])
            children = getattr(spec, head) or []
            resolved = [self.condition(c, (*path, head, i)) for i, c in enumerate(children)]
            return ir.Group(head, tuple(c for c in resolved if c is not None))
        if head in ("in_segment", "not_in_segment"):
            self._reject(spec, path, head, [k for k in given if k != head])
            target = getattr(spec, head)
            if target not in self.r.spec.segments:
                self.r.error(
                    (*path, head),
                    "ref/unknown-segment",
                    f"`{target}` is not a segment",
                    did_you_mean(target, self.r.spec.segments),
                )
            return ir.SegmentCondition(target, head == "in_segment")
        if head == "trait":
            return self._trait(spec, path)
        return self._event(spec, head, path)

    def _reject(self, spec: Condition, path: Path, head: str, keys: list[str]) -> None:
        for key in keys:
            self.r.error(
                (*path, _alias(key)),
                "segment/misplaced-key",
                f"`{_alias(key)}` does not belong in a `{head}` condition",
                "move it to the condition it qualifies",
            )

    def _event(self, spec: Condition, head: str, path: Path) -> ir.Condition | None:
        given = spec.model_fields_set
        allowed = {head, "within", "where", *(_COUNTS if head == "performed" else ())}
        self._reject(spec, path, head, [k for k in given if k not in allowed])
        name = getattr(spec, head)
        event = self.events.get(name)
        if event is None:
            self.r.error(
                (*path, head),
                "ref/unknown-event",
                f"`{name}` is not a planned event",
                did_you_mean(name, self.events),
            )
        counts = [k for k in _COUNTS if k in given]
        if len(counts) > 1:
            self.r.error(
                (*path, counts[1]),
                "segment/count",
                "use only one of " + ", ".join(_COUNTS),
                "Customer.io compares the count once",
            )
        window = self._window(spec.within, (*path, "within")) if spec.within else None
        filters: list[ir.PropertyFilter] = []
        for i, f in enumerate(spec.where or []):
            fpath = (*path, "where", i)
            prop = tuple(f.property.split("."))
            found = field_at(event.fields, prop, self.types) if event else None
            if event is not None and found is None:
                options = [x.name for x in event.fields]
                self.r.error(
                    (*fpath, "property"),
                    "ref/unknown-property",
                    f"`{f.property}` is not a property of `{name}`",
                    did_you_mean(f.property, options),
                )
            comparison = self._comparison(f, fpath, found.type if found else None, "property")
            if comparison is not None and found is not None:
                filters.append(ir.PropertyFilter(prop, comparison, found.type))
        count_op = counts[0] if counts else None
        return ir.EventCondition(
            name,
            head == "performed",
            window,
            count_op,
            getattr(spec, count_op) if count_op else None,
            tuple(filters),
        )

    def _trait(self, spec: Condition, path: Path) -> ir.Condition | None:
        given = spec.model_fields_set
        self._reject(spec, path, "trait", [k for k in given if k not in ("trait", *_op_fields())])
        name = spec.trait or ""
        trait = self.traits.get(name)
        if trait is None:
            self.r.error(
                (*path, "trait"),
                "ref/unknown-trait",
                f"`{name}` is not a planned trait",
                did_you_mean(name, self.traits) or "declare it under `traits:`",
            )
        comparison = self._comparison(spec, path, trait.type if trait else None, "trait")
        if comparison is None or trait is None:
            return None
        return ir.TraitCondition(name, comparison, trait.type)

    def _comparison(
        self, spec: _Operators, path: Path, t: ir.FieldType | None, subject: str
    ) -> ir.Comparison | None:
        ops = [k for k in _op_fields() if k in spec.model_fields_set]
        if len(ops) != 1:
            self.r.error(
                path,
                "segment/operator",
                f"a {subject} condition needs exactly one operator: "
                + ", ".join(_OPERATORS)
                + (f" (found {', '.join(map(_alias, ops))})" if ops else ""),
                "e.g. `equals: gold`, `exists: true`, `greater_than: 3`",
            )
            return None
        op = _alias(ops[0])
        raw = getattr(spec, ops[0])
        value: Any = tuple(raw) if isinstance(raw, list) else raw
        if op == "within":
            value = self._window(raw, (*path, op))
        if t is not None and not self._fits(op, value, t, (*path, op)):
            return None
        return ir.Comparison(op, value)

    def _fits(self, op: str, value: Any, t: ir.FieldType, path: Path) -> bool:
        kind = t.kind
        allowed = {
            "equals": kind not in (ir.Kind.OBJECT, ir.Kind.ARRAY),
            "not_equals": kind not in (ir.Kind.OBJECT, ir.Kind.ARRAY),
            "exists": True,
            "greater_than": kind.is_numeric or kind.is_temporal,
            "less_than": kind.is_numeric or kind.is_temporal,
            "in": kind in (ir.Kind.STRING, ir.Kind.INTEGER, ir.Kind.NUMBER),
            "not_in": kind in (ir.Kind.STRING, ir.Kind.INTEGER, ir.Kind.NUMBER),
            "contains": kind in (ir.Kind.STRING, ir.Kind.ARRAY),
            "within": kind.is_temporal,
        }[op]
        if not allowed:
            self.r.error(
                path,
                "segment/operator-type",
                f"`{op}` cannot be used on {_article(t.describe())}",
                _OPERATOR_HINTS.get(op),
            )
            return False
        literals: tuple[Any, ...] = ()
        target = t.items if (op == "contains" and kind is ir.Kind.ARRAY and t.items) else t
        if op in ("equals", "not_equals", "contains"):
            literals = (value,)
        elif op in ("in", "not_in"):
            literals = value
        elif op in ("greater_than", "less_than"):
            expected = ir.Kind.NUMBER if kind.is_numeric else ir.Kind.STRING
            if not value_fits(expected, value):
                self.r.error(
                    path,
                    "segment/value-type",
                    f"`{value}` is not {_article(expected.value)}",
                    "compare timestamps with ISO-8601 text, numbers with numbers",
                )
                return False
        elif op == "exists" and not isinstance(value, bool):
            self.r.error(path, "segment/value-type", "`exists` takes true or false", None)
            return False
        if kind.is_temporal and op in (
            "equals",
            "not_equals",
            "greater_than",
            "less_than",
            "in",
            "not_in",
        ):
            for literal in literals or (value,):
                if not timestamp_literal(kind, literal):
                    self.r.error(
                        path,
                        "segment/value-type",
                        f"`{literal}` is not a {'date' if kind is ir.Kind.DATE else 'timestamp'}",
                        "write an ISO 8601 date (2026-01-31) or an RFC 3339 timestamp "
                        "(2026-01-31T09:30:00Z)",
                    )
                    return False
        ok = True
        enum = None if (op == "contains" and kind is ir.Kind.STRING) else target.bounds.enum
        literal_kind = (
            ir.Kind.STRING if (op == "contains" and kind is ir.Kind.STRING) else target.kind
        )
        for literal in literals:
            if not value_fits(literal_kind, literal):
                self.r.error(
                    path,
                    "segment/value-type",
                    f"`{literal}` is not {_article(literal_kind.value)}",
                    "quote it, or fix the value",
                )
                ok = False
            elif enum is not None and literal not in enum:
                self.r.error(
                    path,
                    "segment/enum-value",
                    f"`{literal}` is not an allowed value ({', '.join(map(str, enum))})",
                    did_you_mean(str(literal), map(str, enum)),
                )
                ok = False
        return ok

    def _window(self, text: str | None, path: Path) -> ir.Window | None:
        window = parse_window(text or "")
        if window is None:
            self.r.error(
                path,
                "segment/window",
                f"`{text}` is not a window Customer.io can express",
                "use minutes, hours, days or weeks, e.g. `1 hour`, `30 days`",
            )
        elif window.seconds > MAX_WINDOW_DAYS * 86400:
            self.r.error(
                path,
                "segment/window",
                f"`{text}` is longer than {MAX_WINDOW_DAYS} days",
                "Customer.io's relative windows reach back at most a year",
            )
            return None
        return window

    def _check_membership_cycles(self, segments: list[ir.Segment]) -> None:
        edges = {
            s.id: sorted(
                {c.segment for c in ir.leaves(s.condition) if isinstance(c, ir.SegmentCondition)}
            )
            for s in segments
        }
        for start in sorted(edges):
            stack, seen = [(start, [start])], set()
            while stack:
                node, trail = stack.pop()
                for nxt in edges.get(node, []):
                    if nxt == start:
                        self.r.error(
                            ("segments", start),
                            "ref/cycle",
                            "segment membership cycle: " + " -> ".join([*trail, start]),
                            "a segment cannot depend on itself",
                        )
                        stack = []
                        break
                    if nxt not in seen:
                        seen.add(nxt)
                        stack.append((nxt, [*trail, nxt]))


_OPERATOR_HINTS = {
    "greater_than": "only numbers and timestamps compare; use `equals` or `in` for text",
    "less_than": "only numbers and timestamps compare; use `equals` or `in` for text",
    "within": "`within` applies to datetime and date fields",
    "contains": "`contains` applies to strings and arrays",
}


def _article(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _op_fields() -> tuple[str, ...]:
    return tuple("in_" if op == "in" else op for op in _OPERATORS)


def _alias(key: str) -> str:
    return "in" if key == "in_" else key


def timestamp_literal(kind: ir.Kind, value: object) -> bool:
    """A segment literal for a date or datetime field: an ISO 8601 date, or (for datetimes) an
    RFC 3339 timestamp with an offset (:mod:`formats` says exactly which)."""
    if not isinstance(value, str):
        return False
    return formats.is_date(value) or (kind is ir.Kind.DATETIME and formats.is_date_time(value))
