"""The differential oracle: the SDK, the published JSON Schemas and ``codegen validate`` accept
exactly the same messages.

Plans: the example plan, a plan with a field of every string format, the Segment corpus imports
(``corpus``) and seeded plans of the plan fuzzer (``slow``). Messages: every sample message and
targeted mutations of it, at every value of the payload (nested line items included): wrong
types, ``"5"``/``5.5``/``true`` for integers and ``5.0`` (valid), ``null``, missing and extra
keys, enum near misses, bounds ±1 and ±epsilon, duplicate items, every format's near misses,
patterns (final newline, Unicode digits), ``timestamp`` in every RFC 3339 corner, non-finite
numbers (``NaN``/``1e999`` text for the JSON judges, Python floats for the SDK) and identity.

The truth is ``reference``: Draft 2020-12 with ``plan/formats.py`` for formats and the ECMA-262
engine for ``pattern``, plus the rules no schema can state (the primary-id trait equals
``userId``; an email is not a ``userId``). The judges, which must all agree with it:
``python-jsonschema`` (every format checker installed), ``jsonschema-rs``
(``validate_formats=True``), ``validate`` (fast path, then the precise pass; the fast path must
never accept what the precise pass rejects), ``sdk`` (the model, from JSON), ``sdk-tracker``
(the method, in ``strict``), ``sdk-assigned`` (a valid model, the value assigned) and
``sdk-handed`` (a valid model changed behind pydantic's back, handed to ``track``), and the
TypeScript package (tests/ts_support.py builds it once per plan; one Node process per plan,
tests/typescript/fixtures/oracle.mjs, judges every message): ``typescript`` (the generated Ajv
standalone validator on the message parsed by ``JSON.parse``) and ``typescript-tracker`` (the
method, in ``strict``, called with the parsed properties and ids as user code calls it).
Whatever either tracker sends must itself pass the reference.

A disagreement fails unless tests/known_differences.py lists ``(judge, topic, label)`` with a
reason; a listed one that no longer happens fails too. Each test prints its counts.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import json
import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import jsonschema_rs
import orjson
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from pydantic import ValidationError

from codegen.generators.jsonschema import event_document, identify_document
from codegen.generators.pysdk import modelplan
from codegen.generators.samples import Sampler
from codegen.generators.typescript import modelplan as ts_modelplan
from codegen.interop.segment import import_segment
from codegen.pipeline import load_plan_text
from codegen.plan import formats, ir
from codegen.validate.checker import Checker

from .conftest import CORPUS, glow_shop, plan_from
from .known_differences import KNOWN_DIFFERENCES, TABLE
from .plan_fuzz import plans
from .sdk_support import import_sdk, write_sdk
from .ts_support import FIXTURES, build, ensure_toolchain, run

FORMATS_PLAN = """
plan: {name: Oracle Formats, slug: oracle_formats, version: 1.0.0}
identity: {primary_id: customer_id}
events:
  Formats Checked:
    additional_properties: true
    properties:
      email: {type: string, format: email, required: true}
      uri: {type: string, format: uri}
      hostname: {type: string, format: hostname}
      uuid: {type: string, format: uuid}
      ipv4: {type: string, format: ipv4}
      ipv6: {type: string, format: ipv6}
      date_time: {type: string, format: date-time}
      date: {type: string, format: date}
      at: {type: datetime, nullable: true}
      day: {type: date}
      digits: {type: string, pattern: "^\\\\d+$"}
      size: {type: number, enum: [0.5, 1.0, 1.5, 5]}
      count: {type: integer, enum: [1, 2, 3]}
      ratio: {type: number, exclusive_minimum: 0, maximum: 1}
      tags: {type: array, items: {type: string, min_length: 1}, unique_items: true, max_items: 3}
      grid: {type: array, items: {type: array, items: {type: integer}, unique_items: true}}
      anything: {type: any}
      closed: {type: object, properties: {}}
      either: {type: [string, integer]}
      "line\\u2028separated": {type: string}  # JSON.stringify leaves U+2028 raw
traits:
  customer_id: {type: string, required: true}
  score: {type: number, minimum: -1.5, nullable: true}
"""
CORPUS_FILES = ("plan-v1.json", "plan-v2-sanitized.json", "telemetry-plan.json")
FUZZ_PLANS = 4
PER_EVENT = 60  # mutations judged per event and sample (spread over its values)

# -- the reference ---------------------------------------------------------------------------


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    if validator.is_type(instance, "string") and not formats.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


_OURS = jsonschema.FormatChecker(formats=())
for _name in formats.FORMATS:
    _OURS.checks(_name)(lambda v, f=_name: not isinstance(v, str) or formats.conforms(f, v))
Reference = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"pattern": _ecma_pattern}
)
PY_FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER

# -- subjects: one plan, its SDK, its judges --------------------------------------------------


@dataclass
class Target:
    """One message kind of a plan (an event, or identify) and its judges."""

    name: str
    root: str  # "properties" or "traits"
    method: str
    model: Any
    anonymous: bool
    reference: Any
    python: Any
    rs: Any
    wire_to_python: dict[str, str]


@dataclass
class Subject:
    name: str
    plan: ir.Plan
    sdk: ModuleType
    checker: Checker
    targets: list[Target]
    typescript: Path | None = None  # the built npm package, when the TypeScript judges run


def subject(name: str, plan: ir.Plan, folder: Path, typescript: bool = False) -> Subject:
    sdk = import_sdk(write_sdk(plan, folder), plan.slug)
    names = modelplan.build(plan)
    targets = []
    for method, event in zip(names.methods, plan.events, strict=True):
        module = importlib.import_module(f"{plan.slug}.events.{method.module}")
        doc = event_document(plan, event)
        model = getattr(module, method.model)
        targets.append(_target(event.name, "properties", method.name, model, doc, event))
    traits = importlib.import_module(f"{plan.slug}.traits").IdentifyTraits
    targets.append(_target("identify", "traits", "identify", traits, identify_document(plan), None))
    package = build(plan, folder / "ts", ensure_toolchain()) if typescript else None
    return Subject(name, plan, sdk, Checker(plan), targets, package)


def _target(
    name: str, root: str, method: str, model: Any, doc: dict[str, Any], event: ir.Event | None
) -> Target:
    wire = {
        (f.validation_alias if isinstance(f.validation_alias, str) else f.alias) or key: key
        for key, f in model.model_fields.items()
    }
    return Target(
        name,
        root,
        method,
        model,
        bool(event and event.anonymous_allowed),
        Reference(doc, format_checker=_OURS),
        jsonschema.Draft202012Validator(doc, format_checker=PY_FORMATS),
        jsonschema_rs.validator_for(doc, validate_formats=True),
        wire,
    )


# -- cases -----------------------------------------------------------------------------------

NONFINITE = "__oracle_nonfinite__"


@dataclass
class Case:
    """One message to judge. ``topic``/``label`` name it in KNOWN_DIFFERENCES."""

    topic: str
    label: str
    where: tuple[Any, ...]  # path in the message
    message: dict[str, Any]
    nonfinite: tuple[str, float] | None = None  # JSON text and Python float at NONFINITE
    expected: bool | None = None  # a rule the reference cannot see
    tracker: bool = True  # the tracker can be asked (not for timestamp strings)

    @property
    def key(self) -> str:
        return f"{self.topic}/{self.label} at {'.'.join(map(str, self.where))}"


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    target = _get(out, path[:-1])
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


_DELETE = object()


def _resolve(schema: dict[str, Any], defs: dict[str, Any], value: Any) -> dict[str, Any]:
    while True:
        if "$ref" in schema:
            schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
        elif "anyOf" in schema and value is not None:
            schema = next((s for s in schema["anyOf"] if s.get("type") != "null"), {})
        else:
            return schema


def _types(schema: dict[str, Any]) -> set[str]:
    kinds = schema.get("type", [])
    return {kinds} if isinstance(kinds, str) else set(kinds)


def _walk(
    schema: dict[str, Any], defs: dict[str, Any], value: Any, path: tuple[Any, ...]
) -> Iterator[tuple[tuple[Any, ...], dict[str, Any], Any, list[str]]]:
    """``(path, schema, value, required keys of the parent object)`` for every planned value."""
    schema = _resolve(schema, defs, value)
    yield path, schema, value, []
    if isinstance(value, dict):
        required = schema.get("required", [])
        for key, item in value.items():
            sub = schema.get("properties", {}).get(key)
            if sub is not None:
                for found in _walk(sub, defs, item, (*path, key)):
                    yield found if found[0] != (*path, key) else (*found[:3], required)
    elif isinstance(value, list) and value:
        yield from _walk(schema.get("items", {}), defs, value[0], (*path, 0))


def _value_mutations(schema: dict[str, Any], value: Any) -> Iterator[tuple[str, str, Any]]:
    """``(topic, label, new value)`` near misses for one value of ``schema``."""
    kinds = _types(schema)
    yield "type", "null", None
    for label, other in (("string", "5"), ("integer", 12345), ("boolean", True), ("array", [])):
        if label not in kinds:
            yield "type", label, other
    yield "type", "object", {"zz": 1}
    if "integer" in kinds and isinstance(value, int) and not isinstance(value, bool):
        yield "integer", "as float", float(value)
        yield "integer", "fraction", value + 0.5
        yield "integer", "true", True
    if "enum" in schema:
        for member in schema["enum"][:3]:
            if isinstance(member, str):
                yield "enum", "upper", member.upper()
                yield "enum", "space", member + " "
            elif isinstance(member, int | float) and not isinstance(member, bool):
                yield "enum", "as float", float(member)
                yield "enum", "quarter", member + 0.25
                yield "enum", "bool", member == 1
    for key, delta in (("minimum", 0), ("maximum", 0), ("exclusiveMinimum", 0)):
        if key in schema:
            bound = schema[key]
            for step, label in ((-1, "-1"), (1, "+1"), (0, "at")):
                yield "bounds", f"{key} {label}", bound + step + delta
            if "number" in kinds:
                yield "bounds", f"{key} -epsilon", bound - 1e-9
                yield "bounds", f"{key} +epsilon", bound + 1e-9
    if "number" in kinds or "integer" in kinds:
        for text, number in (("NaN", math.nan), ("1e999", math.inf), ("-1e999", -math.inf)):
            yield "nonfinite", text, (text, number)
    if isinstance(value, str):
        for key in ("minLength", "maxLength"):
            if key in schema:
                yield "bounds", f"{key} -1", "x" * max(schema[key] - 1, 0)
                yield "bounds", f"{key} +1", "x" * (schema[key] + 1)
        if "pattern" in schema:
            dollar = " before $" if schema["pattern"].endswith("$") else ""
            yield "pattern", "final newline" + dollar, value + "\n"
            yield "pattern", "leading space", " " + value
            digits = "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in value)
            if digits != value:
                uses_d = "\\d" in schema["pattern"]
                yield "pattern", "Arabic-Indic digits" + (" for \\d" if uses_d else ""), digits
        fmt = schema.get("format")
        for near, _ in TABLE.get(fmt or "", []):
            yield fmt or "", near, near
    if isinstance(value, list):
        if value:
            yield "unique", "duplicate", [*value, copy.deepcopy(value[0])]
            if isinstance(value[0], int) and not isinstance(value[0], bool):
                yield "unique", "1 and 1.0", [*value, float(value[0])]
        if "minItems" in schema and value:
            yield "bounds", "minItems -1", value[: schema["minItems"] - 1]
        if "maxItems" in schema and value:
            yield "bounds", "maxItems +1", value * (schema["maxItems"] + 1)


def _payload_cases(target: Target, message: dict[str, Any], defs: dict[str, Any]) -> list[Case]:
    out: list[Case] = []
    root = target.reference.schema["properties"][target.root]
    for path, schema, value, required in _walk(root, defs, message[target.root], (target.root,)):
        if path[-1] in required:
            out.append(Case("missing", "required", path, _set(message, path, _DELETE)))
        elif len(path) == 2:
            out.append(Case("missing", "optional", path, _set(message, path, _DELETE)))
        if isinstance(value, dict):
            extra = {**value, "zz_unplanned": 1}
            out.append(Case("extra", "unplanned key", path, _set(message, path, extra)))
        if len(path) == 1:
            continue
        for topic, label, new in _value_mutations(schema, value):
            if topic == "nonfinite":
                case = Case(topic, label, path, _set(message, path, NONFINITE), new, False)
            else:
                case = Case(topic, label, path, _set(message, path, new))
            out.append(case)
    return out


STAMPS = [
    *(value for value, _ in TABLE["date-time"]),
    "2026-01-15T09:30:00.000+05:45",
    "1970-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999999Z",
]


def _envelope_cases(target: Target, message: dict[str, Any], plan: ir.Plan) -> list[Case]:
    out = [
        Case("date-time", stamp, ("timestamp",), {**message, "timestamp": stamp}, tracker=False)
        for stamp in STAMPS
    ]
    user_id = message.get("userId")
    pattern = plan.identity.user_id_pattern or ""
    dollar = " before $" if pattern.endswith("$") else ""
    email = "userId is an email" + ("" if pattern else ", no userId pattern")
    ids: list[tuple[str, Any, Any, bool | None]] = [
        ("no ids", None, None, None),
        ("empty userId", "", "anon-1", None),
        ("userId final newline" + dollar, f"{user_id}\n", None, None),
        ("userId number", 12345, None, None),
        ("anonymous only", None, "anon-1", None),
        ("empty anonymousId", None, "", None),
        (email, "jane@example.com", None, False),
    ]
    for label, uid, anonymous, expected in ids:
        changed = {**message, "userId": uid, "anonymousId": anonymous}
        primary = plan.identity.primary_id
        if target.root == "traits" and isinstance(uid, str) and primary in message["traits"]:
            changed["traits"] = {**message["traits"], primary: uid}  # the one person, still
        out.append(Case("identity", label, ("userId",), changed, expected=expected))
    primary = plan.identity.primary_id
    if target.root == "traits" and primary and primary in message["traits"]:
        other = {**message, "traits": {**message["traits"], primary: "c_other99"}}
        out.append(Case("identity", "primary id differs", ("traits", primary), other, None, False))
    return out


def _identify(sampler: Sampler, full: bool) -> dict[str, Any]:
    """The sample identify, its primary-id trait equal to userId (Sampler draws them apart)."""
    message = sampler.identify(full)
    primary = sampler.plan.identity.primary_id
    if primary and primary in message["traits"]:
        message["traits"][primary] = message["userId"]
    return message


def cases(subject: Subject, target: Target) -> Iterator[Case]:
    sampler = Sampler(subject.plan)
    event = subject.plan.event(target.name) if target.root == "properties" else None
    defs = target.reference.schema.get("$defs", {})
    for full in (True, False):
        message = sampler.track(event, full) if event else _identify(sampler, full)
        yield Case("valid", "sample", (), message)
        if target.anonymous:
            yield Case("valid", "anonymous", (), sampler.track(event, full, anonymous=True))
        mutated = _payload_cases(target, message, defs) + _envelope_cases(
            target, message, subject.plan
        )
        yield from mutated


# -- judging ---------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def track(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)

    def identify(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


def _text(case: Case) -> bytes:
    text = json.dumps(case.message)
    if case.nonfinite:
        text = text.replace(json.dumps(NONFINITE), case.nonfinite[0])
    return text.encode()


def _python(case: Case, root: str) -> dict[str, Any]:
    payload = copy.deepcopy(case.message[root])
    if case.nonfinite:
        target = _get(payload, case.where[1:-1]) if len(case.where) > 1 else payload
        target[case.where[-1]] = case.nonfinite[1]
    return payload


def _reference(subject: Subject, target: Target, case: Case, document: Any) -> bool:
    if case.expected is not None:
        return case.expected
    return document is not None and bool(target.reference.is_valid(document))


def _document(case: Case) -> Any:
    try:
        return orjson.loads(_text(case))
    except orjson.JSONDecodeError:
        return None


def verdicts(subject: Subject, target: Target, case: Case) -> dict[str, bool | None]:
    text = _text(case)
    document = _document(case)
    out: dict[str, bool | None] = {
        "reference": _reference(subject, target, case, document),
        "python-jsonschema": document is not None and target.python.is_valid(document),
        "jsonschema-rs": document is not None and target.rs.is_valid(document),
    }
    (outcome,) = subject.checker.check_line(text, "oracle", 1)
    out["validate"] = outcome.status == "valid"
    fast = subject.checker.fast.accepts(text) is not None
    (precise,) = subject.checker.check_precisely(text, "oracle", 1)
    out["validate-fast"] = None if not fast else precise.status == "valid"  # fast ⇒ precise
    payload_case = case.where[:1] == (target.root,) and case.topic != "identity"
    out["sdk"] = _model_accepts(target, case) if payload_case or case.topic == "valid" else None
    out["sdk-tracker"] = _tracker_accepts(subject, target, case) if case.tracker else None
    top = payload_case and len(case.where) == 2 and case.topic not in ("missing", "extra")
    out["sdk-assigned"] = _assigned(subject, target, case) if top else None
    out["sdk-handed"] = _handed(subject, target, case) if top else None
    return out


def _model_accepts(target: Target, case: Case) -> bool:
    try:
        if case.nonfinite:
            target.model.model_validate(_python(case, target.root), by_alias=True, by_name=False)
        else:
            target.model.model_validate_json(
                json.dumps(case.message[target.root]), by_alias=True, by_name=False
            )
    except ValidationError:
        return False
    return True


def _kwargs(target: Target, payload: dict[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    extra = {}
    for key, value in payload.items():
        if key in target.wire_to_python:
            kwargs[target.wire_to_python[key]] = value
        else:
            extra[key] = value
    if extra:
        kwargs["unplanned"] = extra
    return kwargs


def _tracker_accepts(subject: Subject, target: Target, case: Case) -> bool:
    client = Recorder()
    tracker = subject.sdk.Tracker(client, mode="strict")
    message = case.message
    options = subject.sdk.TrackOptions(
        timestamp=datetime.fromisoformat(message["timestamp"]), message_id=message["messageId"]
    )
    kwargs = _kwargs(target, _python(case, target.root))
    ids = {"user_id": message.get("userId"), "anonymous_id": message.get("anonymousId")}
    try:
        getattr(tracker, target.method)(**ids, **kwargs, options=options)
    except subject.sdk.TrackingPlanViolation:
        return False
    except TypeError as exc:
        if case.topic == "missing" or "required keyword" in str(exc):
            return False  # a call Python (and mypy) refuses
        raise
    (sent,) = client.calls
    _check_sent(target, sent)
    return True


def _check_sent(target: Target, sent: dict[str, Any]) -> None:
    """What the SDK sends in strict is valid JSON and passes the reference."""
    wire = {
        "type": "identify" if target.root == "traits" else "track",
        "userId": sent["user_id"],
        "anonymousId": sent["anonymous_id"],
        target.root: sent[target.root],
        "context": sent["context"],
    }
    if target.root == "properties":
        wire["event"] = sent["event"]
    document = json.loads(json.dumps(wire, allow_nan=False))
    errors = [e.message for e in target.reference.iter_errors(document)]
    assert errors == [], ("the SDK sent what the reference rejects", errors, document)


def _valid_instance(subject: Subject, target: Target) -> Any:
    sampler = Sampler(subject.plan)
    if target.root == "traits":
        payload = _identify(sampler, True)["traits"]
    else:
        payload = sampler.track(subject.plan.event(target.name))["properties"]
    return target.model.model_validate_json(json.dumps(payload), by_alias=True, by_name=False)


def _assigned(subject: Subject, target: Target, case: Case) -> bool:
    instance = _valid_instance(subject, target)
    name = target.wire_to_python[case.where[1]]
    value = _python(case, target.root)[case.where[1]]
    try:
        setattr(instance, name, value)
    except ValidationError:
        return False
    return True


def _handed(subject: Subject, target: Target, case: Case) -> bool | None:
    if target.root == "traits":
        return None  # identify takes keyword arguments only
    instance = _valid_instance(subject, target)
    name = target.wire_to_python[case.where[1]]
    instance.__dict__[name] = _python(case, target.root)[case.where[1]]  # behind pydantic's back
    tracker = subject.sdk.Tracker(Recorder(), mode="strict")
    message = case.message
    try:
        tracker.track(
            instance, user_id=message.get("userId"), anonymous_id=message.get("anonymousId")
        )
    except subject.sdk.TrackingPlanViolation:
        return False
    return True


# -- the comparison --------------------------------------------------------------------------


@dataclass
class Tally:
    payloads: int = 0
    verdicts: int = 0
    listed: int = 0
    unexplained: list[str] = field(default_factory=list)
    kinds: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    stale: list[str] = field(default_factory=list)
    seen: set[tuple[str, str, str]] = field(default_factory=set)

    def line(self, name: str) -> str:
        return (
            f"oracle {name}: {self.payloads} payloads, {self.verdicts} verdicts compared, "
            f"{self.listed} listed differences, {len(self.unexplained)} unexplained, "
            f"{len(self.stale)} stale"
        )


def compare(subject: Subject, limit: int | None = None, python: bool = True) -> Tally:
    """Judge every case of ``subject``: the Python judges unless ``python`` is false, and the
    TypeScript ones when the subject has a built package."""
    tally = Tally()
    chosen: list[tuple[Target, Case]] = []
    for target in subject.targets:
        found = list(cases(subject, target))
        if limit is not None and len(found) > limit:
            found = found[:: math.ceil(len(found) / limit)]
        chosen += [(target, case) for case in found]
    typescript = typescript_verdicts(subject, chosen)
    for (target, case), extra in zip(chosen, typescript, strict=True):
        _judge(subject, target, case, tally, extra, python)
    return tally


def typescript_verdicts(
    subject: Subject, chosen: list[tuple[Target, Case]]
) -> list[dict[str, bool | None]]:
    """The TypeScript judges' verdicts on every case, from one Node process."""
    if subject.typescript is None:
        return [{} for _ in chosen]
    names = ts_modelplan.build(subject.plan)
    methods = {e.event: (e.stem, e.method) for e in names.events}
    lines = []
    for target, case in chosen:
        stem, method = ("identify", "identify") if target.root == "traits" else methods[target.name]
        line = {
            "stem": stem,
            "method": method,
            "identify": target.root == "traits",
            "text": _text(case).decode(),
            "message": case.message,
            "nonfinite": case.nonfinite[0] if case.nonfinite else None,
        }
        lines.append(json.dumps(line))
    done = run(
        ["node", str(FIXTURES / "oracle.mjs"), str(subject.typescript)],
        FIXTURES,
        stdin="\n".join(lines) + "\n",
    )
    assert done.returncode == 0, done.stderr[-4000:]
    # JSON.stringify leaves U+2028 and U+2029 as they are: split on newlines only
    results = [json.loads(line) for line in done.stdout.split("\n") if line]
    assert len(results) == len(chosen)
    out: list[dict[str, bool | None]] = []
    for (target, _), result in zip(chosen, results, strict=True):
        if result["sent"] is not None:
            _check_sent_typescript(target, result["sent"])
        out.append({"typescript": result["validator"], "typescript-tracker": result["tracker"]})
    return out


def _check_sent_typescript(target: Target, sent: dict[str, Any]) -> None:
    """What the TypeScript tracker hands its client, as the client sends it, passes the
    reference."""
    document = {"type": "identify" if target.root == "traits" else "track", **sent}
    errors = [e.message for e in target.reference.iter_errors(document)]
    assert errors == [], ("the TypeScript tracker sent what the reference rejects", errors, sent)


def _judge(
    subject: Subject,
    target: Target,
    case: Case,
    tally: Tally,
    extra: dict[str, bool | None] | None = None,
    python: bool = True,
) -> None:
    if python:
        found = verdicts(subject, target, case)
    else:
        document = _document(case)
        found = {"reference": _reference(subject, target, case, document), "validate-fast": None}
    found.update(extra or {})
    truth = found.pop("reference")
    fast = found.pop("validate-fast")
    tally.payloads += 1
    if fast is False:
        tally.kinds[("validate-fast", case.topic, case.label)] += 1
        tally.unexplained.append(
            f"{target.name}: validate-fast accepts, precise rejects: {case.key}"
        )
    for judge, verdict in found.items():
        if verdict is None:
            continue
        tally.verdicts += 1
        listed = (_family(judge), case.topic, case.label)
        if listed in KNOWN_DIFFERENCES:
            tally.seen.add(listed)
            if verdict is truth:
                tally.stale.append(f"{listed}: {judge} now agrees ({case.key})")
            else:
                tally.listed += 1
        elif verdict is not truth:
            tally.kinds[(judge, case.topic, case.label)] += 1
            tally.unexplained.append(
                f"{target.name}: {judge} {'accepts' if verdict else 'rejects'}, reference "
                f"{'accepts' if truth else 'rejects'}: {case.key} = {_shown(case)}"
            )


def _shown(case: Case) -> str:
    if case.nonfinite:
        return case.nonfinite[0]
    try:
        return repr(_get(case.message, case.where))[:80]
    except (KeyError, IndexError, TypeError):
        return "(removed)"


def _family(judge: str) -> str:
    """The Python SDK's judges share one listing: a difference of the SDK is one of all its
    entry points. The TypeScript validator and tracker differ on purpose (the tracker checks
    identity rules no schema states), so each has its own."""
    return "sdk" if judge.startswith("sdk") else judge


def report(request: pytest.FixtureRequest, tally: Tally, name: str) -> None:
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("\n" + tally.line(name))
    request.node.user_properties.append(("oracle", dataclasses.asdict(tally) | {"seen": None}))
    kinds = [f"{n} x {kind}" for kind, n in tally.kinds.most_common()]
    shown = "\n".join(kinds + tally.unexplained[:10] + tally.stale[:20])
    assert not tally.unexplained and not tally.stale, f"{tally.line(name)}\n{shown}"


# -- the tests -------------------------------------------------------------------------------


def _listed(typescript: bool) -> set[tuple[str, str, str]]:
    return {k for k in KNOWN_DIFFERENCES if k[0].startswith("typescript") is typescript}


def test_example_plan_and_every_rule(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """The example plan, then a plan with every format and rule; together they show every
    listed difference (a listed one nobody shows any more must be removed)."""
    seen: set[tuple[str, str, str]] = set()
    for name, plan in (("glow_shop", glow_shop()), ("formats", plan_from(FORMATS_PLAN))):
        tally = compare(subject(name, plan, tmp_path / name))
        report(request, tally, name)
        seen |= tally.seen
    assert _listed(False) - seen == set(), "listed differences no plan shows any more"


@pytest.mark.slow
def test_typescript_judges_on_the_example_plan_and_every_rule(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The same two plans and messages, judged by the TypeScript package (built once per plan,
    one Node process per plan) against the reference; the Python judges ran above."""
    seen: set[tuple[str, str, str]] = set()
    for name, plan in (("glow_shop", glow_shop()), ("formats", plan_from(FORMATS_PLAN))):
        tally = compare(subject(name, plan, tmp_path / name, typescript=True), python=False)
        report(request, tally, f"{name} (TypeScript)")
        seen |= tally.seen
    assert _listed(True) - seen == set(), "listed differences no plan shows any more"


def test_validate_builds_for_quoted_field_names() -> None:
    """Found by the fuzzed plans: `Checker` raised ValueError (msgspec cannot rename a field
    whose wire name holds a quote or a backslash); such objects now take the precise pass."""
    extra = """  'say "hi"': {type: string}\n  score:"""
    plan = plan_from(FORMATS_PLAN.replace("  score:", extra, 1))
    checker = Checker(plan)
    assert checker.check_line(b"{}", "x", 1)
    message = {"type": "track", "event": "Formats", "userId": "c_123456", "properties": {}}
    quoted = checker.check_line(json.dumps(message).encode(), "x", 2)
    assert quoted and quoted[0].status in ("valid", "invalid")


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.parametrize("file", CORPUS_FILES)
def test_corpus_imports(file: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    assert CORPUS is not None
    path = CORPUS / "segment-typewriter" / file
    imported = import_segment(json.loads(path.read_text(encoding="utf-8")), file)
    assert imported.text is not None
    loaded = load_plan_text(imported.text, file)
    assert loaded.plan is not None
    plan = dataclasses.replace(loaded.plan, slug=f"oracle_{path.stem.replace('-', '_')}")
    tally = compare(subject(file, plan, tmp_path, typescript=True), limit=PER_EVENT)
    report(request, tally, file)


def _validate_builds(plan: ir.Plan) -> bool:
    """False for the names test_validate_builds_for_quoted_field_names is about."""
    try:
        Checker(plan)
    except ValueError:
        return False
    return True


def _fuzzed_plans(count: int) -> list[ir.Plan]:
    found: list[ir.Plan] = []

    @settings(
        max_examples=count * 4,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(plans())
    def collect(document: dict[str, Any]) -> None:
        if len(found) < count:
            text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=1000)
            loaded = load_plan_text(text, "fuzz.yaml")
            if loaded.plan is not None and _validate_builds(loaded.plan):
                found.append(loaded.plan)

    collect()
    return found


@pytest.mark.slow
def test_fuzzed_plans(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    total = Tally()
    chosen = _fuzzed_plans(FUZZ_PLANS)
    assert len(chosen) == FUZZ_PLANS
    for index, plan in enumerate(chosen):
        plan = dataclasses.replace(plan, slug=f"oracle_fuzz_{index}")
        folder = tmp_path / str(index)
        tally = compare(subject(f"fuzz {index}", plan, folder, typescript=True), limit=PER_EVENT)
        total.payloads += tally.payloads
        total.verdicts += tally.verdicts
        total.listed += tally.listed
        total.unexplained += tally.unexplained
        total.stale += tally.stale
    report(request, total, f"{FUZZ_PLANS} fuzzed plans")


Judge = Callable[..., Any]
