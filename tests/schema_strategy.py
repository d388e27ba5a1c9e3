"""A hypothesis strategy for the JSON Schema subset codegen emits.

hypothesis-jsonschema 0.23 no longer runs on current hypothesis, so the agreement tests use this:
it reads the *published schema* (not the plan), so it checks what any JSON Schema consumer sees.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from codegen.plan import formats

Schema = dict[str, Any]
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=8),
)


def from_schema(schema: Schema, defs: Schema) -> st.SearchStrategy[Any]:
    if "$ref" in schema:
        return from_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in schema:
        return st.one_of([from_schema(s, defs) for s in schema["anyOf"]])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kinds = schema.get("type")
    if kinds is None:
        return JSON_SCALARS
    if isinstance(kinds, list):
        return st.one_of([from_schema({**schema, "type": k}, defs) for k in kinds])
    return _BUILDERS[kinds](schema, defs)


def _string(schema: Schema, defs: Schema) -> st.SearchStrategy[str]:
    fmt = schema.get("format")
    if fmt in _FORMATS:  # generated values the one format definition accepts
        return _FORMATS[fmt].filter(lambda value: formats.conforms(fmt, value))
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    if "pattern" in schema:
        # Python's from_regex proposes, the ECMA-262 engine (plan/formats.py) decides
        ecma = formats.matcher(schema["pattern"])
        base = st.from_regex(schema["pattern"])
        return base.filter(lambda s: len(s) >= low and (high is None or len(s) <= high) and ecma(s))
    return st.text(min_size=low, max_size=high if high is not None else 12)


def _number(schema: Schema, defs: Schema, integer: bool = False) -> st.SearchStrategy[Any]:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if integer:
        lo = None if low is None else int(low) + ("exclusiveMinimum" in schema)
        hi = None if high is None else int(high) - ("exclusiveMaximum" in schema)
        whole = st.integers(lo, hi)
        return st.one_of(whole, whole.map(float))  # 3.0 is an integer to JSON Schema
    floats = st.floats(
        low,
        high,
        allow_nan=False,
        allow_infinity=False,
        exclude_min="exclusiveMinimum" in schema,
        exclude_max="exclusiveMaximum" in schema,
    )
    ints = st.integers(
        None if low is None else int(low) + 1, None if high is None else int(high) - 1
    )
    return st.one_of(floats, ints)  # JSON Schema numbers include integers


def _array(schema: Schema, defs: Schema) -> st.SearchStrategy[list[Any]]:
    items = from_schema(schema.get("items", {}), defs)
    low, high = schema.get("minItems", 0), schema.get("maxItems")
    return st.lists(
        items,
        min_size=low,
        max_size=high if high is not None else max(low, 3),
        unique_by=(lambda v: repr(v)) if schema.get("uniqueItems") else None,
    )


def _object(schema: Schema, defs: Schema) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    fixed = st.fixed_dictionaries(
        {k: from_schema(v, defs) for k, v in properties.items() if k in required},
        optional={k: from_schema(v, defs) for k, v in properties.items() if k not in required},
    )
    if schema.get("additionalProperties") is True:
        extra = st.dictionaries(
            st.text(string.ascii_letters, min_size=1, max_size=6), JSON_SCALARS, max_size=2
        )
        return st.tuples(extra, fixed).map(
            lambda pair: {**{k: v for k, v in pair[0].items() if k not in properties}, **pair[1]}
        )
    return fixed


def _rfc3339(moment: datetime, offset_minutes: int, style: int) -> str:
    tz = timezone(timedelta(minutes=offset_minutes))
    local = moment.astimezone(tz)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if style % 3 == 1:
        text += f".{local.microsecond:06d}"
    elif style % 3 == 2:
        text += f".{local.microsecond // 1000:03d}"
    if offset_minutes == 0 and style % 2:
        return text + "Z"
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


_DATETIMES = st.builds(
    _rfc3339,
    st.datetimes(datetime(1971, 1, 1), datetime(2099, 12, 31), timezones=st.just(UTC)),
    st.sampled_from([0, 0, 60, -300, 330, 840, -720]),
    st.integers(0, 5),
)
_FORMATS: dict[str, st.SearchStrategy[str]] = {
    "date-time": _DATETIMES,
    "date": st.dates(datetime(1971, 1, 1).date()).map(lambda d: d.isoformat()),
    "email": st.emails(),
    "uuid": st.uuids().map(str),
    "uri": st.sampled_from(["https://example.com/a?b=1", "mailto:x@example.com", "urn:isbn:1"]),
    "hostname": st.sampled_from(["example.com", "a.b.c.example.org", "localhost"]),
    "ipv4": st.ip_addresses(v=4).map(str),
    "ipv6": st.ip_addresses(v=6).map(str),
}
_BUILDERS: dict[str, Any] = {
    "string": _string,
    "integer": lambda s, d: _number(s, d, integer=True),
    "number": _number,
    "boolean": lambda s, d: st.booleans(),
    "null": lambda s, d: st.none(),
    "array": _array,
    "object": _object,
}
