"""The fast accept path: msgspec decoders built from the plan.

A message that decodes is valid (after the few checks msgspec cannot express: formats and the
identity rule); anything that does not decode goes to the precise pass, which finds out why. So
this path may reject too much, but must never accept what the JSON Schemas reject: constructs it
cannot express make their event always take the precise pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

import msgspec

from ..plan import formats, ir

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType
# Common, certainly valid shapes of some formats, checked by msgspec while decoding. Each accepts
# a subset of what plan/formats.py accepts (tests/test_formats.py proves it with hypothesis), and
# so of what jsonschema-rs accepts; anything else is not rejected, it just takes a format check
# after decoding (or the precise pass).
_LABEL = r"(?![A-Za-z0-9]{2}--)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_URI_CHARS = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})"
_DAY = (
    r"[0-9]{3}[1-9]-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    r"|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
)
_HOUR_MINUTE = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"
CERTAIN_FORMATS = {
    "email": rf"(?=[^@]{{1,64}}@)(?=[\s\S]{{3,254}}\Z)[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
    rf"@{_LABEL}(?:\.{_LABEL})+\Z",
    "uuid": r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z",
    "uri": rf"https?://{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?(?:/{_URI_CHARS}*)?"
    rf"(?:\?(?:{_URI_CHARS}|\?)*)?(?:#(?:{_URI_CHARS}|\?)*)?\Z",
    # RFC 3339 with the separator and offset colon it requires; 29 February takes the check
    "date-time": rf"{_DAY}[Tt]{_HOUR_MINUTE}:[0-5][0-9](?:\.[0-9]+)?"
    rf"(?:[Zz]|[+-]{_HOUR_MINUTE})\Z",
}
DateTime = Annotated[str, msgspec.Meta(pattern="^" + CERTAIN_FORMATS["date-time"])]


# msgspec refuses these characters in a renamed field (a wire name with a quote, say).
_UNRENAMABLE = re.compile(r'["\\\x00-\x1f]')


class InexpressibleError(Exception):
    """A constraint msgspec cannot check exactly: that event always takes the precise pass."""


FormatCheck = tuple[tuple[str | None, ...], str]  # path of attribute names (None = each item)


class StructBuilder:
    """msgspec Struct types for a plan's events, types and traits."""

    def __init__(self, plan: ir.Plan) -> None:
        self.plan = plan
        self.types = {t.name: t for t in plan.types}
        self._type_structs: dict[str, Any] = {}
        self._counter = 0
        self.format_checks: list[FormatCheck] = []
        self.pattern_checks: list[FormatCheck] = []  # ECMA patterns Python's re cannot run
        self._recording = True  # off while building a reusable type: its uses record instead

    def _name(self, base: str) -> str:
        self._counter += 1
        return f"{re.sub(r'[^A-Za-z0-9]', '', base) or 'S'}{self._counter}"

    def object(
        self, fields: tuple[ir.Field, ...], open_: bool, base: str, path: tuple[str | None, ...]
    ) -> Any:
        spec: list[tuple[Any, ...]] = []
        rename = {}
        for i, f in enumerate(fields):
            if _UNRENAMABLE.search(f.name):  # msgspec cannot map such a key: precise pass only
                raise InexpressibleError(f"field name {f.name!r}")
            attr = f"f{i}"
            rename[attr] = f.name
            t = self.value(f.type, (*path, attr))
            if f.required:
                spec.append((attr, t))
            else:
                spec.append((attr, t | Unset, UNSET))
        return msgspec.defstruct(
            self._name(base),
            spec,
            rename=rename,
            forbid_unknown_fields=not open_,
            kw_only=True,
            gc=False,
        )

    def value(self, t: ir.FieldType, path: tuple[str | None, ...]) -> Any:
        out = self._value(t, path)
        return out | None if t.nullable and t.kind is not ir.Kind.ANY else out

    def _value(self, t: ir.FieldType, path: tuple[str | None, ...]) -> Any:
        b = t.bounds
        if b.unique_items:
            raise InexpressibleError("uniqueItems")
        if t.type_ref:
            if t.type_ref not in self._type_structs:
                target = self.types[t.type_ref]
                # formats inside reusable types are recorded per use, with the use's path
                recording, self._recording = self._recording, False
                try:
                    struct = self.object(
                        target.fields, target.additional_properties, t.type_ref, ()
                    )
                finally:
                    self._recording = recording
                self._type_structs[t.type_ref] = struct
            if self._recording:
                self._type_format_checks(self.types[t.type_ref].fields, path)
            return self._type_structs[t.type_ref]
        if b.enum is not None:
            return self._enum(b.enum)
        kind = t.kind
        if kind is ir.Kind.STRING:
            certain = CERTAIN_FORMATS.get(b.format or "")
            if b.format in formats.FORMATS and certain is None and self._recording:
                self.format_checks.append((path, b.format or ""))
            as_python = formats.python_regex(b.pattern) if b.pattern else None
            if b.pattern and as_python is None and self._recording:
                self.pattern_checks.append((path, b.pattern))
            meta = _meta(
                pattern=_both(certain, as_python),
                min_length=b.min_length,
                max_length=b.max_length,
            )
            return Annotated[str, meta] if meta else str
        if kind in (ir.Kind.INTEGER, ir.Kind.NUMBER):
            meta = _meta(ge=b.minimum, le=b.maximum, gt=b.exclusive_minimum, lt=b.exclusive_maximum)
            base: Any = int if kind is ir.Kind.INTEGER else float
            return Annotated[base, meta] if meta else base
        if kind is ir.Kind.BOOLEAN:
            return bool
        if kind is ir.Kind.DATETIME:
            return DateTime
        if kind is ir.Kind.DATE:
            return date
        if kind is ir.Kind.ANY:
            return Any
        if kind is ir.Kind.UNION:
            numeric = [v for v in t.variants if v in (ir.Kind.INTEGER, ir.Kind.NUMBER)]
            if len(numeric) > 1:
                raise InexpressibleError("msgspec unions hold one numeric type")
            python = {
                ir.Kind.STRING: str,
                ir.Kind.INTEGER: int,
                ir.Kind.NUMBER: float,
                ir.Kind.BOOLEAN: bool,
            }
            return _union([python[v] for v in t.variants])
        if kind is ir.Kind.ARRAY:
            items = self.value(t.items, (*path, None)) if t.items else Any
            meta = _meta(min_length=b.min_items, max_length=b.max_items)
            return Annotated[list[items], meta] if meta else list[items]  # type: ignore[valid-type]
        if t.fields:
            return self.object(t.fields, t.additional_properties, "Obj", path)
        if t.additional_properties:
            return dict[str, Any]
        return msgspec.defstruct(self._name("Empty"), [], forbid_unknown_fields=True, gc=False)

    def _type_format_checks(
        self, fields: tuple[ir.Field, ...], path: tuple[str | None, ...]
    ) -> None:
        for i, f in enumerate(fields):
            t = f.type.items if f.type.kind is ir.Kind.ARRAY and f.type.items else f.type
            sub = (*path, f"f{i}") + ((None,) if f.type.kind is ir.Kind.ARRAY else ())
            if t.kind is ir.Kind.STRING and t.bounds.format in formats.FORMATS:
                self.format_checks.append((sub, t.bounds.format or ""))
            pattern = t.bounds.pattern if t.kind is ir.Kind.STRING else None
            if pattern and formats.python_regex(pattern) is None:
                self.pattern_checks.append((sub, pattern))
            if t.type_ref:
                self._type_format_checks(self.types[t.type_ref].fields, sub)
            elif t.fields:
                self._type_format_checks(t.fields, sub)

    @staticmethod
    def _enum(values: tuple[ir.Scalar, ...]) -> Any:
        if all(isinstance(v, str) for v in values) or all(
            isinstance(v, int) and not isinstance(v, bool) for v in values
        ):
            return Literal[values]
        raise InexpressibleError("enum mixing types")


def _both(certain: str | None, pattern: str | None) -> str | None:
    """One regex for msgspec: a certain format shape (anchored) and the plan's pattern, already
    in Python syntax with the ECMA meaning (see :func:`formats.python_regex`)."""
    if certain is None:
        return pattern
    if pattern is None:
        return "^" + certain
    return f"(?a)^(?={certain})[\\s\\S]*?(?:{pattern.removeprefix('(?a)')})"


def _meta(**constraints: Any) -> msgspec.Meta | None:
    given = {k: v for k, v in constraints.items() if v is not None}
    return msgspec.Meta(**given) if given else None


class FastPath:
    """``accepts(line)``: the event (or ``identify``) when the message is certainly valid,
    else None."""

    def __init__(self, plan: ir.Plan) -> None:
        self.plan = plan
        self._user_id = _user_id_type(plan.identity.user_id_pattern)
        self._post: dict[str, Callable[[Any], bool] | None] = {}
        self._by_class: dict[type, tuple[str, Callable[[Any], bool] | None]] = {}
        members = []
        for event in plan.events:
            try:
                members.append(self._event_struct(event))
            except InexpressibleError:
                continue  # this event always takes the precise pass
        self.track = msgspec.json.Decoder(_union(members)) if members else None
        try:
            self.identify: msgspec.json.Decoder[Any] | None = msgspec.json.Decoder(
                self._identify_struct()
            )
        except InexpressibleError:
            self.identify = None

    def _envelope(self) -> list[tuple[Any, ...]]:
        plan_struct = msgspec.defstruct(
            "TrackingPlan",
            [("name", Literal[self.plan.slug] | Unset, UNSET), ("version", str | Unset, UNSET)],
            kw_only=True,
            gc=False,
        )
        context = msgspec.defstruct(
            "Context", [("tracking_plan", plan_struct | Unset, UNSET)], kw_only=True, gc=False
        )
        return [
            ("messageId", str | Unset, UNSET),
            ("timestamp", DateTime | Unset, UNSET),
            ("context", context | Unset, UNSET),
            ("anonymousId", str | None | Unset, UNSET),
        ]

    def _event_struct(self, event: ir.Event) -> Any:
        builder = StructBuilder(self.plan)
        properties = builder.object(
            event.fields, event.additional_properties, "Props", ("properties",)
        )
        # A known person: userId is checked by msgspec itself (pattern, no email, not empty).
        # Anonymous events: "userId or anonymousId" is checked after decoding.
        user_id: tuple[Any, ...] = (
            ("userId", str | None | Unset, UNSET)
            if event.anonymous_allowed
            else ("userId", self._user_id)
        )
        spec = [
            user_id,
            ("type", Literal["track"] | Unset, UNSET),
            ("properties", properties),
            *self._envelope(),
        ]
        struct = msgspec.defstruct(
            builder._name("Track"), spec, tag_field="event", tag=event.name, kw_only=True, gc=False
        )
        self._post[event.name] = self._post_check(builder, event.anonymous_allowed)
        self._by_class[struct] = (event.name, self._post[event.name])
        return struct

    def _identify_struct(self) -> Any:
        builder = StructBuilder(self.plan)
        traits = builder.object(self.plan.traits, False, "Traits", ("traits",))
        self._post["identify"] = self._post_check(builder, False)
        struct = msgspec.defstruct(
            "Identify",
            [
                ("type", Literal["identify"]),
                ("userId", self._user_id),
                ("traits", traits),
                *self._envelope(),
            ],
            kw_only=True,
            gc=False,
        )
        self._by_class[struct] = ("identify", self._post["identify"])
        return struct

    def _post_check(
        self, builder: StructBuilder, anonymous_allowed: bool
    ) -> Callable[[Any], bool] | None:
        """What msgspec could not check, compiled once per event; None when nothing is left."""
        checks: list[Callable[[Any], bool]] = []
        pattern = self.plan.identity.user_id_pattern
        if pattern and not anonymous_allowed and formats.python_regex(pattern) is None:
            checks.append(lambda m: formats.search(pattern, m.userId))
        if anonymous_allowed:
            user_id = self._user_id_check()
            checks.append(
                lambda m: (
                    user_id(m.userId)
                    if m.userId is not None and m.userId is not UNSET
                    else isinstance(m.anonymousId, str) and bool(m.anonymousId)
                )
            )
        for path, fmt in builder.format_checks:
            checks.append(_format_check(path, formats.CHECKERS[fmt]))
        for path, regex in builder.pattern_checks:
            checks.append(_format_check(path, formats.matcher(regex)))
        if not checks:
            return None
        if len(checks) == 1:
            return checks[0]
        return lambda m: all(check(m) for check in checks)

    def _user_id_check(self) -> Callable[[str], bool]:
        decoder = msgspec.json.Decoder(self._user_id)
        encode = msgspec.json.encode

        pattern = self.plan.identity.user_id_pattern
        ecma = pattern if pattern and formats.python_regex(pattern) is None else None

        def check(value: str) -> bool:
            try:
                decoder.decode(encode(value))
            except msgspec.ValidationError:
                return False
            return ecma is None or formats.search(ecma, value)

        return check

    def accept_lines(
        self, data: bytes, first_line: int
    ) -> tuple[dict[str, int], int, list[tuple[int, bytes]]]:
        """The hot loop over a block of JSON Lines: counts of certainly valid messages by
        event, the number of non-blank lines, and the lines left for the precise pass."""
        accepted: dict[str, int] = {}
        rest: list[tuple[int, bytes]] = []
        blank = 0
        lines = data.split(b"\n")
        decode_track = self.track.decode if self.track is not None else _never
        decode_identify = self.identify.decode if self.identify is not None else _never
        by_class = self._by_class
        errors = (msgspec.ValidationError, msgspec.DecodeError)
        number = first_line - 1
        for line in lines:
            number += 1
            if not line:
                blank += 1
                continue
            try:
                message = decode_track(line)
            except errors:
                # most traffic is track; identify is tried only when the line says so
                if b'"identify"' not in line:
                    rest.append((number, line))
                    continue
                try:
                    message = decode_identify(line)
                except errors:
                    rest.append((number, line))
                    continue
            key, post = by_class[type(message)]
            if post is None or post(message):
                accepted[key] = accepted.get(key, 0) + 1
            else:
                rest.append((number, line))
        return accepted, len(lines) - blank, rest

    def accepts(self, line: bytes) -> str | None:
        decoder = self.identify if b'"identify"' in line else self.track
        if decoder is None:
            return None
        try:
            message = decoder.decode(line)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return None
        key, post = self._by_class[type(message)]
        return key if post is None or post(message) else None


def _never(line: bytes) -> Any:
    raise msgspec.DecodeError("no fast path for this kind of message")


def _user_id_type(pattern: str | None) -> Any:
    """userId for a known person: non-empty, never an email, matching the plan's pattern."""
    no_email = r"^(?![\s\S]*@)"
    python = formats.python_regex(pattern) if pattern else None
    if python is None:  # no pattern, or one only the ECMA engine runs (checked after decoding)
        return Annotated[str, msgspec.Meta(min_length=1, pattern=no_email)]
    full = "(?a)" + no_email + r"[\s\S]*?(?:" + python.removeprefix("(?a)") + ")"
    return Annotated[str, msgspec.Meta(min_length=1, pattern=full)]


def _format_check(
    path: tuple[str | None, ...], check: Callable[[str], bool]
) -> Callable[[Any], bool]:
    if None not in path:
        names = tuple(p for p in path if p is not None)

        def simple(message: Any) -> bool:
            value = message
            for name in names:
                value = getattr(value, name, UNSET)
                if value is UNSET or value is None:
                    return True
            return not isinstance(value, str) or check(value)

        return simple
    return lambda message: all(check(v) for v in _values(message, path) if isinstance(v, str))


def _values(obj: Any, path: tuple[str | None, ...]) -> list[Any]:
    current = [obj]
    for step in path:
        nxt = []
        for item in current:
            if item is None or item is UNSET:
                continue
            if step is None:
                nxt.extend(item)
            else:
                nxt.append(getattr(item, step, UNSET))
        current = nxt
    return [v for v in current if v is not UNSET and v is not None]


def _union(members: list[Any]) -> Any:
    union = members[0]
    for member in members[1:]:
        union = union | member
    return union
