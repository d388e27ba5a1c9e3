"""Constraints no value can satisfy, found before anything is generated.

A property whose constraints contradict each other (``minimum: 10`` with ``exclusive_maximum:
10``), whose enum lists values its own bounds, lengths, pattern or format reject, or whose
integer bounds do not fit in 64 bits, would generate a schema that rejects every message, or
crash a validator. Each problem names the key to fix.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from . import formats, ir

# Segment, Customer.io, warehouses and msgspec hold integers in 64 bits.
INT64 = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class Problem:
    key: str  # the plan key to point at ("maximum", "enum")
    message: str
    hint: str
    index: int | None = None  # position in the enum, when one member is at fault


def problems(kind: ir.Kind, b: ir.Bounds) -> list[Problem]:
    """Every contradiction in one value's constraints (empty when some value satisfies them)."""
    found = list(_ordered(b))
    if kind is ir.Kind.INTEGER:
        found += _int64(b)
    if kind.is_numeric and not found:
        found += _empty_range(kind, b)
    if b.enum is not None and not found:
        found += _enum_members(kind, b)
    return found


def array_problems(t: ir.FieldType) -> list[Problem]:
    """An array that must hold more distinct items than its item type allows."""
    b, items = t.bounds, t.items
    if not (b.unique_items and b.min_items and items is not None):
        return []
    choices = _choices(items)
    if choices is not None and b.min_items > choices:
        return [
            Problem(
                "min_items",
                f"`min_items` ({b.min_items}) needs more distinct items than the {choices} "
                "values the items allow",
                "lower `min_items`, allow more item values, or drop `unique_items`",
            )
        ]
    return []


def _choices(items: ir.FieldType) -> int | None:
    if items.bounds.enum is not None:
        return len(items.bounds.enum) + (1 if items.nullable else 0)
    if items.kind is ir.Kind.BOOLEAN:
        return 2 + (1 if items.nullable else 0)
    return None


def _ordered(b: ir.Bounds) -> Iterator[Problem]:
    for low, high in (
        ("minimum", "maximum"),
        ("min_length", "max_length"),
        ("min_items", "max_items"),
        ("exclusive_minimum", "exclusive_maximum"),
    ):
        lo, hi = getattr(b, low), getattr(b, high)
        if lo is not None and hi is not None and lo > hi:
            yield Problem(
                low,
                f"`{low}` ({lo}) is above `{high}` ({hi})",
                "no value could satisfy both; swap or fix them",
            )


def _int64(b: ir.Bounds) -> Iterator[Problem]:
    keys = ("minimum", "maximum", "exclusive_minimum", "exclusive_maximum")
    for key in keys:
        value = getattr(b, key)
        if value is not None and not INT64[0] <= value <= INT64[1]:
            yield Problem(
                key,
                f"`{key}` ({value}) does not fit in a 64-bit integer",
                "Segment, Customer.io and data warehouses store 64-bit integers: keep bounds "
                "within ±9223372036854775807, or use `type: string` for larger ids",
            )
    for i, value in enumerate(b.enum or ()):
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if not INT64[0] <= value <= INT64[1]:
            yield Problem(
                "enum",
                f"enum value `{value}` does not fit in a 64-bit integer",
                "use `type: string` for identifiers this large",
                i,
            )


def _empty_range(kind: ir.Kind, b: ir.Bounds) -> Iterator[Problem]:
    """Lower and upper bounds, inclusive or exclusive, that leave no number (or no integer)."""
    low, low_open = _strongest_low(b)
    high, high_open = _strongest_high(b)
    if low is None or high is None:
        return
    if kind is ir.Kind.INTEGER:
        first = math.floor(low) + 1 if low_open else math.ceil(low)  # smallest integer allowed
        last = math.ceil(high) - 1 if high_open else math.floor(high)  # largest integer allowed
        empty = first > last
    else:
        empty = low > high or (low == high and (low_open or high_open))
    if empty:
        which = "integer" if kind is ir.Kind.INTEGER else "number"
        yield Problem(
            _low_key(b),
            f"no {which} is {'>' if low_open else '≥'} {low} and {'<' if high_open else '≤'} "
            f"{high}",
            "widen the range (an exclusive bound leaves out the bound itself)",
        )


def _strongest_low(b: ir.Bounds) -> tuple[float | None, bool]:
    options = [(v, False) for v in (b.minimum,) if v is not None]
    options += [(v, True) for v in (b.exclusive_minimum,) if v is not None]
    if not options:
        return None, False
    return max(options, key=lambda o: (o[0], o[1]))


def _strongest_high(b: ir.Bounds) -> tuple[float | None, bool]:
    options = [(v, False) for v in (b.maximum,) if v is not None]
    options += [(v, True) for v in (b.exclusive_maximum,) if v is not None]
    if not options:
        return None, False
    return min(options, key=lambda o: (o[0], not o[1]))


def _low_key(b: ir.Bounds) -> str:
    return "minimum" if b.minimum is not None else "exclusive_minimum"


def _enum_members(kind: ir.Kind, b: ir.Bounds) -> Iterator[Problem]:
    """Enum members the property's other constraints reject."""
    usable = b.pattern is not None and formats.pattern_error(b.pattern) is None
    check = formats.matcher(b.pattern) if usable and b.pattern is not None else None
    for i, value in enumerate(b.enum or ()):
        reason = _member_fault(value, b, check)
        if reason is not None:
            yield Problem(
                "enum",
                f"enum value `{value}` {reason}, so it can never be sent",
                "fix the value, or the constraint that rejects it",
                i,
            )


def _member_fault(value: ir.Scalar, b: ir.Bounds, check: object) -> str | None:
    if isinstance(value, str):
        if b.min_length is not None and len(value) < b.min_length:
            return f"is shorter than `min_length` ({b.min_length})"
        if b.max_length is not None and len(value) > b.max_length:
            return f"is longer than `max_length` ({b.max_length})"
        if callable(check) and not check(value):
            return f"does not match `pattern` ({b.pattern})"
        if b.format is not None and not formats.conforms(b.format, value):
            return f"is not a valid `{b.format}`"
        return None
    if isinstance(value, bool):
        return None
    if b.minimum is not None and value < b.minimum:
        return f"is below `minimum` ({b.minimum})"
    if b.maximum is not None and value > b.maximum:
        return f"is above `maximum` ({b.maximum})"
    if b.exclusive_minimum is not None and value <= b.exclusive_minimum:
        return f"is not above `exclusive_minimum` ({b.exclusive_minimum})"
    if b.exclusive_maximum is not None and value >= b.exclusive_maximum:
        return f"is not below `exclusive_maximum` ({b.exclusive_maximum})"
    return None
