"""Deterministic sample values and messages that satisfy a plan: for docs, tests and Liquid.

``full`` samples fill every field (preferring the plan's examples); minimal ones carry only what
is required, with ``null`` wherever a required field is nullable and empty arrays where allowed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..plan import formats, ir

try:  # the regex parser is private; samples fall back to examples when it is unavailable
    from re import _parser as _sre  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    _sre = None

SAMPLE_TIME = "2026-01-15T09:30:00.000Z"
SAMPLE_USER_ID = "c_sample01"
SAMPLE_ANONYMOUS_ID = "anon-5f0c6d1e"
_FORMATS = {  # each valid for plan/formats.py (tests/test_formats.py checks)
    "email": "jane.doe@example.com",
    "uri": "https://example.com/p/1",
    "uuid": "123e4567-e89b-42d3-a456-426614174000",
    "date-time": SAMPLE_TIME,
    "date": "2026-01-15",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
}


class Sampler:
    def __init__(self, plan: ir.Plan) -> None:
        self.plan = plan
        self.types: Mapping[str, ir.ObjectType] = {t.name: t for t in plan.types}

    def fields(self, fields: tuple[ir.Field, ...], full: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields:
            if f.required or full:
                out[f.name] = self.field(f, full)
        return out

    def field(self, f: ir.Field, full: bool) -> Any:
        if f.doc.examples and (full or not f.type.nullable):
            return f.doc.examples[0]
        return self.value(f.type, full, f.name)

    def value(self, t: ir.FieldType, full: bool, name: str = "value") -> Any:
        if t.nullable and not full:
            return None
        b = t.bounds
        if b.enum:
            return next((v for v in b.enum if v is not None), None)
        if t.type_ref:
            target = self.types[t.type_ref]
            return self.fields(target.fields, full)
        kind = t.kind
        if kind is ir.Kind.OBJECT:
            return self.fields(t.fields, full)
        if kind is ir.Kind.ARRAY:
            count = b.min_items or 0
            count = max(count, 1) if full else count
            item = t.items or ir.FieldType(ir.Kind.STRING)
            return [self.value(item, full, name) for _ in range(count)]
        if kind in (ir.Kind.INTEGER, ir.Kind.NUMBER):
            return _number(b, kind is ir.Kind.INTEGER)
        if kind is ir.Kind.BOOLEAN:
            return True
        if kind is ir.Kind.DATETIME:
            return SAMPLE_TIME
        if kind is ir.Kind.DATE:
            return "2026-01-15"
        if kind is ir.Kind.ANY:
            return "any value"
        if kind is ir.Kind.UNION:
            return self.value(ir.FieldType(t.variants[0], bounds=b), full, name)
        return _string(b, name)

    def customer(self, full: bool = True) -> dict[str, Any]:
        """The person's attributes as Customer.io holds them after the sample ``identify``:
        date and datetime traits ``stored_as: unix`` become Unix seconds (template data)."""
        return {
            f.name: self.stored(f, value)
            for f, value in zip(self.plan.traits, self._all_traits(full), strict=True)
            if value is not _ABSENT
        }

    @staticmethod
    def stored(f: ir.Field, value: Any) -> Any:
        """``value`` of trait ``f`` as Customer.io stores it (:attr:`ir.Field.stored_as`)."""
        if f.stored_as == "unix":
            seconds = unix_seconds(value)
            return value if seconds is None else seconds
        return value

    @staticmethod
    def stored_sample(f: ir.Field) -> Any:
        """A sample value of a date trait as Customer.io stores it."""
        iso = "2026-01-15" if f.type.kind is ir.Kind.DATE else SAMPLE_TIME
        return Sampler.stored(f, iso)

    def _all_traits(self, full: bool) -> list[Any]:
        return [self.field(f, full) if f.required or full else _ABSENT for f in self.plan.traits]

    def track(self, event: ir.Event, full: bool = True, anonymous: bool = False) -> dict[str, Any]:
        """A whole Segment ``track`` message for ``event``."""
        message: dict[str, Any] = {"type": "track", "event": event.name}
        message.update(self.identity(anonymous and event.anonymous_allowed))
        message["properties"] = self.fields(event.fields, full)
        message.update(self._common())
        return message

    def identify(self, full: bool = True) -> dict[str, Any]:
        message: dict[str, Any] = {"type": "identify", **self.identity(False)}
        message["traits"] = self.fields(self.plan.traits, full)
        primary = self.plan.identity.primary_id
        if primary is not None and primary in message["traits"]:
            # the SDKs refuse an identify whose primary-id trait names another person
            message["traits"][primary] = message["userId"]
        message.update(self._common())
        return message

    def identity(self, anonymous: bool) -> dict[str, Any]:
        if anonymous:
            return {"userId": None, "anonymousId": SAMPLE_ANONYMOUS_ID}
        return {"userId": self.user_id(), "anonymousId": SAMPLE_ANONYMOUS_ID}

    def user_id(self) -> str:
        pattern = self.plan.identity.user_id_pattern
        if pattern and not formats.search(pattern, SAMPLE_USER_ID):
            return from_pattern(pattern) or SAMPLE_USER_ID
        return SAMPLE_USER_ID

    def _common(self) -> dict[str, Any]:
        return {
            "messageId": "msg-0001",
            "timestamp": SAMPLE_TIME,
            "context": {"tracking_plan": {"name": self.plan.slug, "version": self.plan.version}},
        }


_ABSENT = object()


def unix_seconds(value: object) -> int | None:
    """An ISO 8601 date or timestamp as the Unix seconds Customer.io compares (UTC midnight for
    a date), or None when it is not one (the plan already rejects unparsable literals)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _number(b: ir.Bounds, integer: bool) -> int | float:
    low: float = 0
    if b.minimum is not None:
        low = b.minimum
    elif b.exclusive_minimum is not None:
        low = b.exclusive_minimum + (1 if integer else 0.5)
    high = b.maximum if b.maximum is not None else b.exclusive_maximum
    value = low if high is None or low < high or (low == high and b.maximum is not None) else high
    if high is not None and value == high and b.exclusive_maximum is not None:
        value = high - (1 if integer else 0.5)
    if integer:
        return int(value) if float(value).is_integer() else int(value) + 1
    return float(value)


def _string(b: ir.Bounds, name: str) -> str:
    if b.format in _FORMATS:
        return _FORMATS[b.format]
    if b.pattern:
        found = from_pattern(b.pattern)
        if found is not None:
            return found
    text = f"sample {name}".strip()
    if b.max_length is not None:
        text = text[: b.max_length]
    if b.min_length is not None and len(text) < b.min_length:
        text = text + "x" * (b.min_length - len(text))
    return text


def from_pattern(pattern: str) -> str | None:
    """The shortest simple string matching ``pattern``, or None when we cannot build one.

    Built from Python's parse of the pattern, then checked with the ECMA-262 engine that
    judges it (plan/formats.py): a pattern Python reads differently never yields a wrong sample.
    """
    if _sre is None:
        return None
    try:
        text = "".join(_emit(_sre.parse(pattern)))
    except (ValueError, TypeError, re.error, KeyError):
        return None
    if formats.pattern_error(pattern) is not None:
        return None
    return text if formats.search(pattern, text) else None


_CATEGORY = {"CATEGORY_DIGIT": "0", "CATEGORY_WORD": "a", "CATEGORY_SPACE": " "}


def _emit(parsed: Any) -> list[str]:
    out: list[str] = []
    for op, arg in parsed:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if chr(arg) != "a" else "b")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_first_in(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, sub = arg
            out.extend(_emit(sub) * max(low, 0))
        elif name == "SUBPATTERN":
            out.extend(_emit(arg[-1]))
        elif name == "BRANCH":
            out.extend(_emit(arg[1][0]))
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        else:
            raise ValueError(name)
    return out


def _first_in(items: list[tuple[Any, Any]]) -> str:
    if items and str(items[0][0]) == "NEGATE":
        raise ValueError("negated class")
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            return chr(arg)
        if name == "RANGE":
            return chr(arg[0])
        if name == "CATEGORY":
            return _CATEGORY[str(arg)]
    raise ValueError("empty class")
