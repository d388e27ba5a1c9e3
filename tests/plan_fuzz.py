"""Hypothesis strategies for the plan fuzzer: random valid plans with hostile names, and
mutations that make them invalid.

``plans()`` draws plan documents (plain dicts, dumped to YAML by the test) that are valid by
construction: every reference resolves, every constraint fits its type, names are unique in
their scope ignoring case and separators, and lint rules that judge naming style or commerce
conventions are switched off so hostile names are allowed. What stays is the promise under test:
a plan that loads without errors generates output that works.
"""

from __future__ import annotations

import builtins
import keyword
import re
from typing import Any

from hypothesis import strategies as st

from codegen.plan.messages import liquid_addressable
from codegen.plan.names import loose_key, snake

# Lint rules about style and conventions (they would reject hostile names or random shapes);
# correctness rules (references, types, collisions) stay on.
DISABLED_RULES = [
    "naming/event-case",
    "naming/property-case",
    "naming/trait-case",
    "docs/event-description",
    "usage/unused-trait",
    "commerce/cart-id",
    "commerce/money-event",
    "identity/anonymous-purchase",
    "identity/email-as-id",
    "enum/near-duplicate",
    "types/timestamp-as-string",
    "consistency/property-type",
    "commerce/line-items",
    "types/money-as-string",
]

# Words that name things in Python, pydantic, typing, the generated SDK and its runtime.
RESERVED_WORDS = sorted(
    {
        *keyword.kwlist,
        *keyword.softkwlist,
        "self",
        "cls",
        "str",
        "int",
        "float",
        "bool",
        "list",
        "dict",
        "type",
        "id",
        "object",
        "json",
        "typing",
        "pydantic",
        "os",
        "sys",
        "re",
        "datetime",
        "date",
        "Any",
        "Literal",
        "ClassVar",
        "Field",
        "BaseModel",
        "Annotated",
        "MISSING",
        "Tracker",
        "TrackerBase",
        "TrackOptions",
        "TrackingPlanViolation",
        "PlanModel",
        "IdentifyTraits",
        "Email",
        "Uri",
        "Uuid",
        "Hostname",
        "IPv4",
        "IPv6",
        "Integer",
        "Events",
        "track",
        "identify",
        "flush",
        "shutdown",
        "client",
        "mode",
        "options",
        "user_id",
        "anonymous_id",
        "on_violation",
        "model_config",
        "model_dump",
        "model_fields",
        "events",
        "title",
        "properties",
        "traits",
        "context",
        "timestamp",
    }
    | {
        name
        for name in ("print", "len", "range", "map", "filter", "open")
        if hasattr(builtins, name)
    }
)

HOSTILE_PIECES = [
    "3d",
    "0",
    "a-b",
    "a.b",
    "a b",
    "'",
    '"',
    '"""',
    "'''",
    "{{ x }}",
    "}}",
    "{%",
    "%}",
    "|",
    "\\|",
    "\\",
    "<b>",
    "&amp;",
    "#",
    "`",
    "*",
    "_",
    "__",
    "$",
    "é",
    "日本",
    "\U0001d518",
    "🎉",
    "\t",
    "\r",
    "\r\n",
    "\u2028",
    "\u0085",
    "[x]",
    "- [ ]",
    ":",
    ",",
    "%",
]

_WORD = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=8
)


def hostile_name() -> st.SearchStrategy[str]:
    """A wire name: plain words, reserved words, hostile pieces, or a mix, sometimes very long."""
    piece = st.one_of(_WORD, st.sampled_from(RESERVED_WORDS), st.sampled_from(HOSTILE_PIECES))
    joined = st.lists(piece, min_size=1, max_size=4).flatmap(
        lambda parts: st.sampled_from([" ", "_", "", "-"]).map(lambda sep: sep.join(parts))
    )
    long = _WORD.map(lambda w: (w + "_") * 40)
    return st.one_of(joined, joined, joined, long).filter(lambda s: s.strip() != "")


def hostile_text() -> st.SearchStrategy[str]:
    """Descriptions and other free text: anything printable plus the hostile pieces."""
    return st.one_of(
        st.just(""),
        st.lists(st.sampled_from([*HOSTILE_PIECES, "\n", "\n\n", "word", " "]), max_size=8).map(
            "".join
        ),
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            max_size=30,
        ),
    )


def _class_name() -> st.SearchStrategy[str]:
    """Reusable type names must be PascalCase class names: include reserved ones."""
    reserved = [w for w in RESERVED_WORDS if re.fullmatch(r"[A-Z][A-Za-z0-9]*", w)]
    plain = _WORD.map(lambda w: w[:1].upper() + w[1:].lower())
    # Mostly usable names (a reserved one is a located error, and the rest of that plan would
    # go untested), sometimes a reserved one.
    numbered = plain.map(lambda w: w + "2")
    return st.one_of(plain, plain, plain, numbered, numbered, st.sampled_from(reserved))


SAFE_PATTERNS = ["^[A-Z]{3}$", "^[a-z0-9_-]+$", "^\\d{4}$", "^c_[0-9a-z]{6,}$", "x", "^(a|b)+$"]
FORMATS = ["email", "uri", "uuid", "date-time", "date", "hostname", "ipv4", "ipv6"]
SCALARS = ["string", "integer", "number", "boolean", "datetime", "date"]


class _Names:
    """Keeps names unique in a scope the way the plan requires (case and separators ignored)."""

    def __init__(self) -> None:
        self.keys: set[str] = set()

    def fresh(self, draw: st.DrawFn, strategy: st.SearchStrategy[str]) -> str | None:
        for _ in range(5):
            name = draw(strategy)
            key = loose_key(name)
            python = snake(name)
            if key not in self.keys and python not in self.keys:
                self.keys.update({key, python})
                return name
        return None


@st.composite
def _string_spec(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "string"}
    choice = draw(st.sampled_from(["plain", "enum", "format", "pattern", "length"]))
    if choice == "enum":
        spec["enum"] = draw(st.lists(hostile_name(), min_size=1, max_size=4, unique_by=loose_key))
    elif choice == "format":
        spec["format"] = draw(st.sampled_from(FORMATS))
    elif choice == "pattern":
        spec["pattern"] = draw(st.sampled_from(SAFE_PATTERNS))
    elif choice == "length":
        low = draw(st.integers(0, 5))
        spec["min_length"] = low
        spec["max_length"] = low + draw(st.integers(0, 50))
    return spec


@st.composite
def _number_spec(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": kind}
    choice = draw(st.sampled_from(["plain", "enum", "bounds", "exclusive"]))
    if choice == "enum":
        if kind == "integer":
            values = draw(st.lists(st.integers(-1000, 1000), min_size=1, max_size=4, unique=True))
        else:
            values = draw(
                st.lists(
                    st.sampled_from([0.5, 1.5, 2.25, -3.75, 5, 10, 0]),
                    min_size=1,
                    max_size=4,
                    unique=True,
                )
            )
        spec["enum"] = values
    elif choice == "bounds":
        low = draw(st.integers(-100, 100))
        spec["minimum"] = low
        spec["maximum"] = low + draw(st.integers(0, 1000))
    elif choice == "exclusive":
        low = draw(st.integers(-100, 100))
        spec["exclusive_minimum"] = low
        spec["maximum"] = low + draw(st.integers(2, 1000))
    return spec


@st.composite
def property_spec(draw: st.DrawFn, types: list[str], depth: int = 0) -> dict[str, Any]:
    """One property: every kind, with constraints that fit it."""
    kinds = ["string", "string", "integer", "number", "boolean", "datetime", "date", "any", "union"]
    if depth < 2:
        kinds += ["object", "array"]
    if types:
        kinds += ["type", "type_array"]
    kind = draw(st.sampled_from(kinds))
    spec: dict[str, Any]
    if kind == "string":
        spec = draw(_string_spec())
    elif kind in ("integer", "number"):
        spec = draw(_number_spec(kind))
    elif kind == "union":
        spec = {"type": draw(st.sampled_from([["string", "integer"], ["number", "boolean"]]))}
    elif kind == "object":
        spec = {"type": "object", "properties": draw(fields(types, depth + 1, max_size=3))}
        if draw(st.booleans()):
            spec["additional_properties"] = True
    elif kind == "array":
        item = draw(property_spec(types, depth + 1))
        for key in ("required", "description", "code_name"):
            item.pop(key, None)
        spec = {"type": "array", "items": item}
        if draw(st.booleans()):
            spec["min_items"] = draw(st.integers(0, 2))
        if draw(st.booleans()) and item.get("type") in ("string", "integer"):
            spec["unique_items"] = True
    elif kind == "type":
        spec = {"type": draw(st.sampled_from(types))}
    elif kind == "type_array":
        spec = {"type": "array", "items": draw(st.sampled_from(types))}
    else:
        spec = {"type": kind}
    if draw(st.booleans()):
        spec["required"] = True
    if kind not in ("any",) and draw(st.integers(0, 5)) == 0:
        spec["nullable"] = True
    if draw(st.booleans()):
        spec["description"] = draw(hostile_text())
    return spec


@st.composite
def fields(
    draw: st.DrawFn, types: list[str], depth: int = 0, max_size: int = 5
) -> dict[str, dict[str, Any]]:
    names = _Names()
    out: dict[str, dict[str, Any]] = {}
    for _ in range(draw(st.integers(0, max_size))):
        name = names.fresh(draw, hostile_name())
        if name is None:
            continue
        spec = draw(property_spec(types, depth))
        if draw(st.integers(0, 6)) == 0:
            code = names.fresh(draw, st.from_regex(r"\A[a-z][a-z0-9_]{0,12}\Z"))
            if code is not None:
                spec["code_name"] = code
        out[name] = spec
    return out


@st.composite
def plans(draw: st.DrawFn) -> dict[str, Any]:
    """A whole plan document that is valid by construction."""
    type_names = _Names()
    types: dict[str, Any] = {}
    for _ in range(draw(st.integers(0, 3))):
        name = type_names.fresh(draw, _class_name())
        if name is not None:
            # A type may use the types defined before it (no cycles).
            types[name] = {"properties": draw(fields(list(types), 1, max_size=4))}
            if draw(st.booleans()):
                types[name]["description"] = draw(hostile_text())
    type_list = list(types)

    event_names = _Names()
    events: dict[str, Any] = {}
    for _ in range(draw(st.integers(1, 5))):
        name = event_names.fresh(draw, hostile_name())
        if name is None:
            continue
        event: dict[str, Any] = {"properties": draw(fields(type_list))}
        if draw(st.booleans()):
            event["description"] = draw(hostile_text())
        if draw(st.integers(0, 4)) == 0:
            event["additional_properties"] = True
        if draw(st.integers(0, 5)) == 0:
            code = event_names.fresh(draw, st.from_regex(r"\A[a-z][a-z0-9_]{0,12}\Z"))
            if code is not None:
                event["code_name"] = code
        events[name] = event

    traits: dict[str, Any] = {"customer_id": {"type": "string", "required": True}}
    trait_names = _Names()
    trait_names.keys.update({"customerid", "customer_id"})
    for _ in range(draw(st.integers(0, 4))):
        name = trait_names.fresh(draw, hostile_name())
        if name is not None:
            spec = draw(property_spec([], 1))
            spec.pop("required", None)
            if spec.get("type") in ("datetime", "date") and draw(st.booleans()):
                spec["stored_as"] = draw(st.sampled_from(["unix", "iso"]))
            traits[name] = spec

    event_list = list(events)
    anonymous = draw(st.lists(st.sampled_from(event_list), unique=True, max_size=2))
    plan: dict[str, Any] = {
        "plan": {
            "name": draw(hostile_text().filter(lambda s: s.strip() != "")),
            "slug": draw(st.sampled_from(["fuzz_shop", "shop2", "a", "fuzzed_plan_name_x"])),
            "version": draw(
                st.sampled_from(
                    [
                        "1.0.0",
                        "0.1.0",
                        "2.3.4-rc.1",
                        "1.0.0-alpha.beta",
                        "1.0.0+build.5",
                        "3.0.0-x.7.z.92",
                    ]
                )
            ),
        },
        "identity": {"primary_id": "customer_id", "anonymous_allowed": anonymous},
        "lint": {"disable": DISABLED_RULES},
        "events": events,
        "traits": traits,
    }
    if types:
        plan["types"] = types
    if draw(st.booleans()):
        plan["plan"]["description"] = draw(hostile_text())
    segments, messages = draw(_audiences(events, traits))
    if segments:
        plan["segments"] = segments
    if messages:
        plan["messages"] = messages
    plan["plan"].update(draw(_money_and_dates()))
    if plan["plan"].get("dates_stored_as") == "iso":
        _keep_timestamps_unix(segments, traits)
    _add_currencies(draw, events)
    return plan


def _keep_timestamps_unix(segments: dict[str, Any], traits: dict[str, Any]) -> None:
    """With an ISO plan default, traits under timestamp conditions override it (`unix`)."""
    for segment in segments.values():
        for children in segment["conditions"].values():
            for c in children:
                if "within" in c and "trait" in c:
                    traits[c["trait"]].setdefault("stored_as", "unix")


# Known to codegen.plan.commerce.CURRENCY_LOCALES, and not (those need `locale:`).
KNOWN_CURRENCIES = ["USD", "EUR", "GBP", "JPY"]
OTHER_CURRENCIES = ["CHF", "SEK", "XXX"]


@st.composite
def _money_and_dates(draw: st.DrawFn) -> dict[str, Any]:
    """The plan block's money formatting and date storage default, each sometimes absent."""
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["dates_stored_as"] = draw(st.sampled_from(["unix", "iso"]))
    currency = draw(st.sampled_from([None, *KNOWN_CURRENCIES, *OTHER_CURRENCIES]))
    if currency is not None:
        out["currency"] = currency
    if currency in OTHER_CURRENCIES or draw(st.integers(0, 3)) == 0:
        out["locale"] = draw(st.sampled_from(["de-ch", "sv-se", "en-us", "fr", "zh-hant"]))
    return out


def _add_currencies(draw: st.DrawFn, events: dict[str, Any]) -> None:
    """Some events carry a payload currency (free, or an enum mixing known and unknown codes)
    next to an amount, so the Liquid samples switch locale on it."""
    for event in events.values():
        props = event.setdefault("properties", {})
        taken = {loose_key(p) for p in props}
        if taken & {"currency", "revenue"} or draw(st.integers(0, 2)) != 0:
            continue
        currency: dict[str, Any] = {"type": "string", "required": draw(st.booleans())}
        if draw(st.booleans()):
            currency["enum"] = draw(
                st.lists(
                    st.sampled_from(KNOWN_CURRENCIES + OTHER_CURRENCIES),
                    min_size=1,
                    max_size=3,
                    unique=True,
                )
            )
        props["currency"] = currency
        props["revenue"] = {"type": "number", "required": draw(st.booleans())}


WINDOWS = ["1 hour", "30 minutes", "7 days", "2 weeks"]


def _trait_condition(name: str, spec: dict[str, Any]) -> dict[str, Any] | None:
    kind = spec.get("type")
    if spec.get("enum"):
        return {"trait": name, "equals": spec["enum"][0]}
    if kind in ("integer", "number"):
        if "minimum" in spec:
            return {"trait": name, "greater_than": spec["minimum"]}
        if "exclusive_minimum" in spec:
            return {"trait": name, "greater_than": spec["exclusive_minimum"]}
        return {"trait": name, "less_than": 10}
    if kind in ("datetime", "date"):
        if spec.get("stored_as") == "iso":  # timestamp conditions never match it
            return {"trait": name, "exists": True}
        return {"trait": name, "within": "30 days"}
    return {"trait": name, "exists": True}


@st.composite
def _audiences(
    draw: st.DrawFn, events: dict[str, Any], traits: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    segments: dict[str, Any] = {}
    event_list = list(events)
    for index in range(draw(st.integers(0, 3))):
        conditions: list[dict[str, Any]] = []
        event = draw(st.sampled_from(event_list))
        condition: dict[str, Any] = {"performed": event}
        if draw(st.booleans()):
            condition["within"] = draw(
                st.sampled_from(["1 hour", "30 minutes", "7 days", "2 weeks"])
            )
        conditions.append(condition)
        if draw(st.booleans()):
            conditions.append(
                {"not_performed": draw(st.sampled_from(event_list)), "within": "1 day"}
            )
        trait = draw(st.sampled_from(list(traits)))
        trait_condition = _trait_condition(trait, traits[trait])
        if trait_condition is not None and draw(st.booleans()):
            conditions.append(trait_condition)
        if segments and draw(st.booleans()):
            conditions.append({"in_segment": draw(st.sampled_from(list(segments)))})
        segment: dict[str, Any] = {
            "conditions": {draw(st.sampled_from(["all", "any"])): conditions}
        }
        if draw(st.booleans()):
            segment["name"] = draw(hostile_text().filter(lambda s: s.strip() != ""))
        if draw(st.booleans()):
            segment["description"] = draw(hostile_text())
        segments[f"segment_{index}"] = segment
    messages: dict[str, Any] = {}
    for index in range(draw(st.integers(0, 2))):
        event = draw(st.sampled_from(event_list))
        props = list(events[event].get("properties", {}))
        chosen = draw(st.lists(st.sampled_from(props), unique=True, max_size=3)) if props else []
        message: dict[str, Any] = {
            "channel": draw(st.sampled_from(["email", "sms", "push", "in_app", "webhook"])),
            "trigger": event,
            "fields": [f"event.{p}" for p in chosen if "." not in p and liquid_addressable(p)]
            + (["customer.customer_id"] if draw(st.booleans()) else []),
        }
        if draw(st.booleans()):
            message["subject"] = draw(hostile_text())
        messages[f"message_{index}"] = message
    return segments, messages


# --- mutations: valid plan → invalid plan --------------------------------------------------

WRONG_VALUES: list[Any] = [None, 5, 1.5, True, "text", [], [1, 2], {}, {"x": 1}, "on", "1e999"]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        doc = doc[step]
    doc[path[-1]] = value


@st.composite
def mutated_plans(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A valid plan with one change that must make it invalid, and what the change was."""
    import copy

    plan = copy.deepcopy(draw(plans()))
    kind = draw(
        st.sampled_from(
            [
                "wrong_value",
                "unknown_key",
                "dangling_type",
                "dangling_ref",
                "bad_slug",
                "bad_version",
                "missing_events",
                "bad_enum_literal",
                "dangling_segment_event",
                "bad_bounds",
                "bad_stored_as",
                "bad_currency",
                "iso_timestamp_condition",
            ]
        )
    )
    event = draw(st.sampled_from(list(plan["events"])))
    props = plan["events"][event].setdefault("properties", {})
    if kind == "wrong_value":
        candidates = [
            p
            for p in _paths(plan)
            if p[0] in ("plan", "events", "traits", "types")
            and isinstance(p[-1], str)
            and p[-1]
            in ("type", "required", "nullable", "minimum", "enum", "format", "min_length", "slug")
        ]
        if not candidates:
            kind = "unknown_key"
        else:
            path = draw(st.sampled_from(candidates))
            value = draw(st.sampled_from(WRONG_VALUES))
            _set(plan, path, value)
            return plan, f"wrong_value {path!r} = {value!r}"
    if kind == "unknown_key":
        props["zz_bad"] = {"type": "string", "requird": True}
    elif kind == "dangling_type":
        props["zz_bad"] = {"type": "NoSuchType"}
    elif kind == "dangling_ref":
        props["zz_bad"] = {"ref": "no_such_property"}
    elif kind == "bad_slug":
        plan["plan"]["slug"] = draw(st.sampled_from(["Bad Slug", "1abc", "", "a-b", "é"]))
    elif kind == "bad_version":
        plan["plan"]["version"] = draw(st.sampled_from(["1.0", "v1.0.0", "abc", "1.0.0.0", ""]))
    elif kind == "missing_events":
        del plan["events"]
    elif kind == "bad_enum_literal":
        props["zz_bad"] = {"type": "integer", "enum": ["one", "two"]}
    elif kind == "dangling_segment_event":
        plan.setdefault("segments", {})["zz_bad"] = {"conditions": {"performed": "No Such Event"}}
    elif kind == "bad_bounds":
        props["zz_bad"] = {"type": "integer", "minimum": 10, "maximum": 1}
    elif kind == "bad_stored_as":
        bad = draw(st.sampled_from([("integer", "unix"), ("datetime", "seconds"), ("date", 1)]))
        props["zz_bad"] = {"type": bad[0], "stored_as": bad[1]}  # events never take it
    elif kind == "bad_currency":
        plan["plan"].pop("locale", None)
        plan["plan"]["currency"] = draw(st.sampled_from(["eur", "EURO", "", "CHF", 978]))
    elif kind == "iso_timestamp_condition":
        plan["traits"]["zz_seen_at"] = {"type": "datetime", "stored_as": "iso"}
        plan.setdefault("segments", {})["zz_bad"] = {
            "conditions": {"trait": "zz_seen_at", "within": "7 days"}
        }
    return plan, kind
