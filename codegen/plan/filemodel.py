"""The plan *file* format as pydantic models (``extra="forbid"``), and its validation.

This module answers "is this a well-formed plan file?" and nothing more: references, types and
conventions are checked later by :mod:`codegen.resolve` and :mod:`codegen.lint`. The same models
produce the published JSON Schema of the format (``codegen schema``) used by editors.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from . import commerce
from .diagnostics import Diagnostic, Level, Path
from .ir import RoleName, UpkeepName
from .loader import Document
from .suggest import closest

Scalar = str | int | float | bool
Number = int | float
Format = Literal["email", "uri", "uuid", "date-time", "date", "hostname", "ipv4", "ipv6"]
Case = Literal["title", "snake", "camel", "pascal"]
SEMVER = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"
SLUG = r"^[a-z][a-z0-9_]{0,62}$"
CODE_NAME = SLUG
WINDOW = r"^\s*[1-9][0-9]*\s*[A-Za-z]+\s*$"
# ISO 4217 code, and a Customer.io locale as its `currency` filter takes it ("en-us", "de-de").
CURRENCY_CODE = r"^[A-Z]{3}$"
LOCALE = r"^[a-z]{2,3}(-[a-z0-9]{2,4})?$"
DateStorage = Literal["unix", "iso"]
# An absolute URI with no fragment: every schema `$id` is this plus a path, and a 2020-12
# `$id` must not carry a fragment.
BASE_URI = r"^[A-Za-z][A-Za-z0-9+.-]*:[^#\s]*$"


def _type_shorthand(value: Any) -> Any:
    """``items: Product`` is short for ``items: {type: Product}``."""
    return {"type": value} if isinstance(value, str) else value


def _also_a_type_name(schema: dict[str, Any]) -> None:
    """The published schema must accept the ``items: Product`` shorthand too."""
    schema["anyOf"] = [{"type": "string"}, *schema.get("anyOf", [])]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=False)


class _Documented(_Model):
    description: str | None = Field(None, description="What it means, for people reading the docs.")
    owner: str | None = Field(None, description="Team or person accountable for it.")
    tags: list[str] = Field(default_factory=list, description="Free-form labels for the catalog.")
    deprecated: bool | str = Field(
        False, description="`true`, or the reason and replacement, when producers should stop."
    )


class PlanInfo(_Model):
    name: str = Field(min_length=1, description="Human name of the plan.")
    slug: str = Field(pattern=SLUG, description="snake_case id: output folder and Python package.")
    version: str = Field(pattern=SEMVER, description="Semantic version of the plan (1.2.0).")
    description: str | None = None
    owner: str | None = None
    schema_base_uri: str | None = Field(
        None, pattern=BASE_URI, description="Base URI for `$id` of the generated JSON Schemas."
    )
    currency: str | None = Field(
        None,
        pattern=CURRENCY_CODE,
        description="ISO 4217 code of amounts whose event carries no currency (EUR).",
    )
    locale: str | None = Field(
        None,
        pattern=LOCALE,
        description="Customer.io locale money is formatted with (`currency` filter), e.g. "
        "de-de; default: the locale of `currency` (codegen.plan.commerce.CURRENCY_LOCALES).",
    )
    dates_stored_as: DateStorage = Field(
        "unix",
        description="How date and datetime traits are stored in Customer.io: `unix` seconds "
        "(what timestamp conditions need) or `iso` 8601 text; a trait's `stored_as` overrides.",
    )


class Identity(_Model):
    primary_id: str | None = Field(
        None, description="Which identifier `userId` carries (a trait name, e.g. customer_id)."
    )
    user_id_pattern: str | None = Field(None, description="Regex every userId must match.")
    anonymous_allowed: list[str] | Literal["all"] = Field(
        default_factory=list,
        description="Events that may arrive with only an anonymousId, or `all` (any event may: "
        "what Segment Protocols accepts, and what `codegen import segment` writes).",
    )


class PropertySpec(_Documented):
    """A property of an event or object type, a trait, or a reusable library property."""

    type: str | list[str] | None = Field(
        None,
        description="string, integer, number, boolean, datetime, date, object, array, any, "
        "the name of a reusable type, or a list of scalar types (a union: [string, integer]).",
    )
    ref: str | None = Field(None, description="Name of a property in the `properties` library.")
    code_name: str | None = Field(
        None, pattern=CODE_NAME, description="snake_case name in generated code (default: derived)."
    )
    required: bool = False
    nullable: bool = Field(False, description="Also accept `null`.")
    examples: list[Any] | None = None
    enum: list[Scalar] | None = Field(None, min_length=1)
    format: Format | None = None
    pattern: str | None = None
    minimum: Number | None = None
    maximum: Number | None = None
    exclusive_minimum: Number | None = None
    exclusive_maximum: Number | None = None
    min_length: int | None = Field(None, ge=0)
    max_length: int | None = Field(None, ge=0)
    items: Annotated[PropertySpec | None, BeforeValidator(_type_shorthand)] = Field(
        None,
        description="Element type of an array: a type name or a property spec.",
        json_schema_extra=_also_a_type_name,
    )
    min_items: int | None = Field(None, ge=0)
    max_items: int | None = Field(None, ge=0)
    unique_items: bool = False
    properties: dict[str, PropertySpec] | None = Field(
        None, description="Fields of an inline object."
    )
    additional_properties: bool = Field(False, description="Accept properties not listed.")
    stored_as: DateStorage | None = Field(
        None,
        description="Date and datetime traits only: stored in Customer.io as `unix` seconds or "
        "`iso` 8601 text (default: `plan.dates_stored_as`).",
    )


class MaintainedBySpec(_Model):
    """The event that keeps a trait current: the audit reports people whose trait lags."""

    event: str = Field(description="The track event that changes the trait.")
    as_: UpkeepName = Field(
        alias="as",
        description="count: how many of the event; last_timestamp: when the latest one "
        "happened; last_value: `property` of the latest one.",
    )
    property: str | None = Field(
        None, description="For `as: last_value`: the event property the trait copies."
    )


class TraitSpec(PropertySpec):
    """A trait: a property of identify, which events may maintain."""

    maintained_by: MaintainedBySpec | None = Field(
        None, description="Derived from events, e.g. {event: Order Completed, as: count}."
    )


class TypeSpec(_Documented):
    """A reusable object type (line items, addresses), generated once and referenced."""

    properties: dict[str, PropertySpec] = Field(default_factory=dict)
    additional_properties: bool = False
    examples: list[Any] | None = None


class EventSpec(_Documented):
    role: RoleName | None = Field(
        None,
        description="What the event means for cart recovery (lint, docs, Liquid, audit); "
        "inferred from its properties when not set, `other` stops the inference.",
    )
    code_name: str | None = Field(
        None,
        pattern=CODE_NAME,
        description="snake_case name for files, SDK method and classes (default: derived).",
    )
    properties: dict[str, PropertySpec] = Field(default_factory=dict)
    additional_properties: bool = Field(
        False, description="Accept properties the plan does not list (closed by default)."
    )
    examples: list[Any] | None = None


class _Operators(_Model):
    """Comparison operators; exactly one per trait condition or property filter."""

    equals: Scalar | None = None
    not_equals: Scalar | None = None
    exists: bool | None = None
    greater_than: Number | str | None = None
    less_than: Number | str | None = None
    in_: list[Scalar] | None = Field(None, alias="in", min_length=1)
    not_in: list[Scalar] | None = Field(None, min_length=1)
    contains: Scalar | None = None
    within: str | None = Field(
        None, pattern=WINDOW, description="Timestamp within the past window."
    )


class Filter(_Operators):
    property: str = Field(description="Event property (dots reach into objects and items).")


class Condition(_Operators):
    """One node of a segment's condition tree; its head key says which kind it is."""

    all: list[Condition] | None = Field(None, description="Every child must hold.", min_length=1)
    any: list[Condition] | None = Field(None, description="At least one child holds.", min_length=1)
    performed: str | None = Field(None, description="Event the person has performed.")
    not_performed: str | None = Field(None, description="Event the person has not performed.")
    at_least: int | None = Field(None, ge=1)
    at_most: int | None = Field(None, ge=0)
    exactly: int | None = Field(None, ge=0)
    where: list[Filter] | None = None
    trait: str | None = Field(None, description="Person attribute the operator applies to.")
    in_segment: str | None = None
    not_in_segment: str | None = None


class SegmentSpec(_Documented):
    name: str | None = Field(None, description="Name as shown in Customer.io.")
    kind: Literal["data_driven", "manual"] = "data_driven"
    conditions: Condition | None = None
    qa: bool = Field(False, description="A QA segment used to spot-check a flow before launch.")


class MessageSpec(_Documented):
    name: str | None = None
    channel: Literal["email", "sms", "push", "in_app", "webhook"]
    trigger: str | None = Field(
        None, description="Event that starts the campaign (omit for segment-triggered ones)."
    )
    audience: str | None = Field(
        None, description="Segment the recipient must be in, or that triggers the campaign."
    )
    subject: str | None = None
    fields: list[str] = Field(
        default_factory=list,
        description="What the message shows: `event.<property>` or `customer.<trait>`.",
    )


class LintConfig(_Model):
    event_case: Case = "title"
    property_case: Case = "snake"
    disable: list[str] = Field(default_factory=list, description="Rule codes to switch off.")
    levels: dict[str, Literal["error", "warning", "info"]] = Field(default_factory=dict)
    # Commerce property names (defaults and their meaning: codegen.plan.commerce).
    money_properties: list[str] = Field(default_factory=lambda: list(commerce.MONEY_PROPERTIES))
    order_id: list[str] = Field(default_factory=lambda: list(commerce.ORDER_ID), min_length=1)
    currency: list[str] = Field(default_factory=lambda: list(commerce.CURRENCY), min_length=1)
    line_items: list[str] = Field(default_factory=lambda: list(commerce.LINE_ITEMS), min_length=1)
    cart_id: list[str] = Field(default_factory=lambda: list(commerce.CART_ID), min_length=1)
    checkout_id: list[str] = Field(default_factory=lambda: list(commerce.CHECKOUT_ID), min_length=1)


class PlanFile(_Model):
    """A tracking plan: one YAML file, the single source of truth."""

    model_config = ConfigDict(title="Tracking plan", json_schema_extra={"$id": "tracking-plan"})

    plan: PlanInfo
    identity: Identity = Field(default_factory=Identity)
    properties: dict[str, PropertySpec] = Field(
        default_factory=dict, description="Reusable properties: define once, `ref:` by name."
    )
    types: dict[str, TypeSpec] = Field(default_factory=dict, description="Reusable object types.")
    events: dict[str, EventSpec] = Field(description="Track events by exact wire name.")
    traits: dict[str, TraitSpec] = Field(
        default_factory=dict, description="identify() traits: Customer.io person attributes."
    )
    segments: dict[str, SegmentSpec] = Field(default_factory=dict)
    messages: dict[str, MessageSpec] = Field(default_factory=dict)
    lint: LintConfig = Field(default_factory=LintConfig)


def parse(document: Document) -> tuple[PlanFile | None, list[Diagnostic]]:
    """Validate a loaded document against the file format; every problem at once."""
    try:
        return PlanFile.model_validate(document.data), []
    except ValidationError as exc:
        return None, _diagnostics(document, exc)


def _diagnostics(document: Document, exc: ValidationError) -> list[Diagnostic]:
    grouped: dict[Path, list[dict[str, Any]]] = {}
    for error in exc.errors(include_url=False):
        path = _data_path(document.data, error["loc"])
        grouped.setdefault((*path, f"<{error['type'] == 'extra_forbidden'}>"), []).append(
            {**error, "path": path}
        )
    out = []
    for errors in grouped.values():
        path = errors[0]["path"]
        message, hint = _explain(errors, document.data)
        code = "plan/unknown-key" if errors[0]["type"] == "extra_forbidden" else "plan/invalid"
        if errors[0]["type"] == "extra_forbidden":
            allowed = _allowed_keys(errors[0]["loc"])
            hint = _suggest(str(path[-1]), allowed)
            if " " in str(path[-1]).strip():
                hint = (
                    "inside `{...}` a comma ends the value: quote text that contains commas"
                    f"; {hint}"
                )
        out.append(Diagnostic(document.locate(path), code, Level.ERROR, message, hint))
    return out


def _data_path(data: Any, loc: tuple[int | str, ...]) -> Path:
    """Pydantic's ``loc`` without union member names: only steps that exist in the data.

    The last step is kept even when absent: for a missing key it is the subject of the message.
    """
    path: list[str | int] = []
    node = data
    for i, step in enumerate(loc):
        inside = (isinstance(node, dict) and step in node) or (
            isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        )
        if inside:
            node = node[step]
        elif not (i == len(loc) - 1 and isinstance(node, dict)):
            continue
        path.append(step)
    return tuple(path)


_TYPE_WORDS = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def _explain(errors: list[dict[str, Any]], data: Any) -> tuple[str, str | None]:
    first = errors[0]
    kind = first["type"]
    if kind == "extra_forbidden":
        return f"unknown key `{first['path'][-1]}`", None
    if kind == "missing":
        return f"missing required key `{first['loc'][-1]}`", "add it; see `codegen schema`"
    wanted = [_TYPE_WORDS[e["type"]] for e in errors if e["type"] in _TYPE_WORDS]
    if "an integer" in wanted and "a number" in wanted:
        wanted.remove("an integer")
    value = first.get("input")
    if wanted:
        got = _describe(value)
        hint = None
        if isinstance(value, bool) and "a string" in wanted:
            hint = "YAML reads yes/no/on/off/true/false as booleans: quote the value"
        elif value is None:
            hint = "an empty value is null in YAML: fill it in or remove the key"
        elif isinstance(value, int | float) and "a string" in wanted:
            hint = f'quote it: "{value}"'
        return f"expected {' or '.join(dict.fromkeys(wanted))}, got {got}", hint
    if kind == "string_pattern_mismatch":
        pattern = first["ctx"]["pattern"]
        return f"`{value}` does not match the required pattern {pattern}", _PATTERN_HINTS.get(
            pattern
        )
    if kind == "literal_error":
        return f"`{value}` is not allowed; expected {first['ctx']['expected']}", None
    return first["msg"][0].lower() + first["msg"][1:], None


_PATTERN_HINTS = {
    SEMVER: "use semantic versioning, e.g. 1.2.0",
    SLUG: "lowercase letters, digits and underscores, starting with a letter (glow_shop)",
    WINDOW: "write a number and a unit, e.g. `1 hour`, `30 days`",
    BASE_URI: "an absolute URI without `#` or spaces, e.g. https://schemas.example.com/shop/",
    CURRENCY_CODE: "an ISO 4217 code in capitals, e.g. EUR",
    LOCALE: "a lower-case locale as Customer.io's `currency` filter takes it, e.g. en-us, de-de",
}


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"boolean `{str(value).lower()}`"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    kind = {str: "string", int: "integer", float: "number"}.get(type(value), type(value).__name__)
    return f"{kind} `{value}`"


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    """Keys the model at ``loc[:-1]`` accepts, found by walking the model classes."""
    current: Any = PlanFile
    for step in loc[:-1]:
        current = _step(current, step)
        if current is None:
            return []
    model = _model_of(current)
    if model is None:
        return []
    return sorted(f.alias or name for name, f in model.model_fields.items())


def _step(annotation: Any, step: int | str) -> Any:
    model = _model_of(annotation)
    if model is not None:
        for name, info in model.model_fields.items():
            if step in (name, info.alias):
                return info.annotation
        return annotation if step == model.__name__ else None
    origin = typing.get_origin(annotation)
    if origin in (list, dict):
        return typing.get_args(annotation)[-1]
    if origin is Annotated:
        return _step(typing.get_args(annotation)[0], step)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None) and (found := _step(arg, step)) is not None:
                return found
    return None


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _model_of(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if (found := _model_of(arg)) is not None:
                return found
    return None


def _suggest(key: str, allowed: list[str]) -> str | None:
    if not allowed:
        return None
    close = closest(key, allowed)
    listing = ", ".join(allowed)
    if close:
        return f"did you mean `{close}`? allowed keys: {listing}"
    return f"allowed keys: {listing}"


def format_json_schema() -> dict[str, Any]:
    """JSON Schema of the plan format, for yaml-language-server and other editors."""
    schema = PlanFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
