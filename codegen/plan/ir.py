"""The resolved plan: frozen, self-contained, sorted. The only thing generators and templates see.

References are resolved (a library ``ref`` becomes its full type), reusable object types stay
named (``TypeRef``) so generators can emit them once and point at them. Locations are kept for
diagnostics but excluded from equality, so moving a line never changes what is generated.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, assert_never

from .diagnostics import Location

Scalar = str | int | float | bool
JSON = None | bool | int | float | str | list["JSON"] | dict[str, "JSON"]

_NOWHERE = Location("")


class Kind(enum.Enum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    DATE = "date"
    OBJECT = "object"
    ARRAY = "array"
    ANY = "any"
    UNION = "union"  # one of several scalar kinds: FieldType.variants

    @property
    def is_numeric(self) -> bool:
        return self in (Kind.INTEGER, Kind.NUMBER)

    @property
    def is_temporal(self) -> bool:
        return self in (Kind.DATETIME, Kind.DATE)


PRIMITIVE_KINDS = {k.value: k for k in Kind if k is not Kind.UNION}
UNION_KINDS = (Kind.STRING, Kind.INTEGER, Kind.NUMBER, Kind.BOOLEAN)


@dataclass(frozen=True)
class Bounds:
    """Every validation constraint besides the kind; ``None`` means unconstrained."""

    enum: tuple[Scalar, ...] | None = None
    format: str | None = None
    pattern: str | None = None
    minimum: float | int | None = None
    maximum: float | int | None = None
    exclusive_minimum: float | int | None = None
    exclusive_maximum: float | int | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False


@dataclass(frozen=True)
class FieldType:
    """A value's type. ``type_ref`` names a reusable object type; ``fields`` is an inline object."""

    kind: Kind
    nullable: bool = False
    bounds: Bounds = Bounds()
    items: FieldType | None = None
    type_ref: str | None = None
    fields: tuple[Field, ...] = ()
    additional_properties: bool = False
    variants: tuple[Kind, ...] = ()  # for Kind.UNION: the scalar kinds, in plan order

    def describe(self) -> str:
        """Short human form: ``string``, ``array of Product``, ``integer or null``."""
        if self.type_ref:
            text = self.type_ref
        elif self.kind is Kind.UNION:
            text = " or ".join(v.value for v in self.variants)
        elif self.kind is Kind.ARRAY and self.items is not None:
            text = f"array of {self.items.describe()}"
        else:
            text = self.kind.value
        return f"{text} or null" if self.nullable else text


@dataclass(frozen=True)
class Doc:
    description: str = ""
    owner: str | None = None
    tags: tuple[str, ...] = ()
    deprecated: str | None = None
    examples: tuple[JSON, ...] = ()


# How Customer.io stores a date or datetime trait (``stored_as:``; plan default
# ``plan.dates_stored_as``): Unix seconds, which its timestamp conditions need, or ISO 8601 text.
DateStorage = Literal["unix", "iso"]


@dataclass(frozen=True)
class Field:
    """A named property of an event, object or the identify traits. ``name`` is the wire name.

    ``stored_as`` is set on date and datetime traits only (None elsewhere)."""

    name: str
    type: FieldType
    required: bool
    doc: Doc = Doc()
    ref: str | None = None
    code_name: str = ""  # snake_case identifier for generated code (see codegen.codenames)
    location: Location = field(default=_NOWHERE, compare=False, repr=False)
    stored_as: DateStorage | None = None


@dataclass(frozen=True)
class ObjectType:
    name: str
    fields: tuple[Field, ...]
    additional_properties: bool = False
    doc: Doc = Doc()
    location: Location = field(default=_NOWHERE, compare=False, repr=False)


class Role(enum.Enum):
    """What an event means for cart recovery; decided once by :mod:`codegen.plan.commerce`."""

    PURCHASE = "purchase"
    CHECKOUT = "checkout"
    CART = "cart"
    OTHER = "other"


# The spelling of a role in the plan file (``role:``); equal to the values of Role (tested).
RoleName = Literal["purchase", "checkout", "cart", "other"]


class Upkeep(enum.Enum):
    """How events maintain a trait (``maintained_by.as``); the audit checks each kind."""

    COUNT = "count"  # how many of the event the person sent
    LAST_TIMESTAMP = "last_timestamp"  # the time of the person's latest event
    LAST_VALUE = "last_value"  # a property of the person's latest event carrying it


# The spelling of an upkeep in the plan file; equal to the values of Upkeep (tested).
UpkeepName = Literal["count", "last_timestamp", "last_value"]


@dataclass(frozen=True)
class Maintained:
    """A trait the plan derives from events: whoever sends the event must keep it current."""

    trait: str
    event: str
    upkeep: Upkeep
    property: str | None = None  # for LAST_VALUE: the event's property holding the value
    location: Location = field(default=_NOWHERE, compare=False, repr=False)

    def describe(self) -> str:
        """``count of Order Completed``, ``status of the last Subscription Changed``."""
        match self.upkeep:
            case Upkeep.COUNT:
                return f"count of {self.event}"
            case Upkeep.LAST_TIMESTAMP:
                return f"time of the last {self.event}"
            case Upkeep.LAST_VALUE:
                return f"{self.property} of the last {self.event}"
            case unreachable:
                assert_never(unreachable)


@dataclass(frozen=True)
class Commerce:
    """An event's commerce meaning and the properties that carry it (wire names, or None;
    where several configured names are carried, a required one is preferred).

    ``reason`` says why the event has its role: the declared ``role:`` or the inference rule
    that matched (see :mod:`codegen.plan.commerce`).
    """

    role: Role = Role.OTHER
    declared: bool = False
    reason: str = ""
    money: tuple[str, ...] = ()  # the plan's money properties this event carries, plan order
    order_id: str | None = None
    checkout_id: str | None = None  # a checkout's own id, not the cart id it may also go by
    cart_id: str | None = None
    join_id: str | None = None  # for a checkout or cart: the id its purchase is found by
    currency: str | None = None
    line_items: str | None = None
    named_like: Role | None = None  # the role the event's name suggests (lint hint only)

    @property
    def carries_money(self) -> bool:
        return bool(self.money)


@dataclass(frozen=True)
class CommerceKeys:
    """Plan-wide commerce vocabulary, from the plan's ``lint:`` block (defaults in filemodel).

    ``amounts`` are the number properties, anywhere in the plan (events, objects, traits), that
    hold an amount of money and are shown with Liquid's ``currency`` filter.
    """

    money: tuple[str, ...] = ()
    order_id: tuple[str, ...] = ()
    checkout_id: tuple[str, ...] = ()
    cart_id: tuple[str, ...] = ()
    currency: tuple[str, ...] = ()
    line_items: tuple[str, ...] = ()
    amounts: frozenset[str] = frozenset()
    # Money formatting (``plan.currency``/``plan.locale``; see codegen.plan.commerce): the
    # currency of amounts whose event carries none, the locale that formats it, and the
    # currency → Customer.io locale table used when the event carries its currency.
    default_currency: str | None = None
    locale: str | None = None
    currency_locales: tuple[tuple[str, str], ...] = ()

    def locale_of(self, currency: str) -> str | None:
        return dict(self.currency_locales).get(currency)


@dataclass(frozen=True)
class Event:
    name: str
    fields: tuple[Field, ...]
    anonymous_allowed: bool
    additional_properties: bool = False
    doc: Doc = Doc()
    code_name: str = ""  # snake_case: file stem, tracker method, class-name base
    commerce: Commerce = Commerce()
    location: Location = field(default=_NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Identity:
    primary_id: str | None
    user_id_pattern: str | None
    anonymous_allowed: tuple[str, ...]


@dataclass(frozen=True)
class Window:
    """A relative time window as Customer.io expresses it: ``1 hour``, ``30 days``."""

    amount: int
    unit: str  # singular: minute | hour | day | week

    @property
    def seconds(self) -> int:
        return self.amount * {"minute": 60, "hour": 3600, "day": 86400, "week": 604800}[self.unit]

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}{'' if self.amount == 1 else 's'}"


@dataclass(frozen=True)
class Comparison:
    """``operator`` applied to a value: equals, not_equals, exists, greater_than, less_than, in,
    not_in, contains, within."""

    operator: str
    value: Scalar | tuple[Scalar, ...] | Window | None


@dataclass(frozen=True)
class PropertyFilter:
    path: tuple[str, ...]
    comparison: Comparison
    field_type: FieldType


@dataclass(frozen=True)
class EventCondition:
    event: str
    performed: bool
    window: Window | None = None
    count_operator: str | None = None  # at_least | at_most | exactly
    count: int | None = None
    filters: tuple[PropertyFilter, ...] = ()


@dataclass(frozen=True)
class TraitCondition:
    trait: str
    comparison: Comparison
    field_type: FieldType


@dataclass(frozen=True)
class SegmentCondition:
    segment: str
    member: bool


@dataclass(frozen=True)
class Group:
    mode: str  # all | any
    children: tuple[Condition, ...]


Condition = Group | EventCondition | TraitCondition | SegmentCondition


def leaves(
    condition: Condition | None,
) -> Iterator[EventCondition | TraitCondition | SegmentCondition]:
    """Every condition of a tree that is not a group, depth first, in plan order."""
    if isinstance(condition, Group):
        for child in condition.children:
            yield from leaves(child)
    elif condition is not None:
        yield condition


@dataclass(frozen=True)
class Segment:
    id: str
    name: str
    kind: str
    condition: Condition | None
    qa: bool = False
    doc: Doc = Doc()
    location: Location = field(default=_NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Message:
    id: str
    name: str
    channel: str
    trigger: str | None
    audience: str | None
    subject: str | None
    fields: tuple[str, ...]
    doc: Doc = Doc()
    location: Location = field(default=_NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Plan:
    name: str
    slug: str
    version: str
    doc: Doc
    schema_base_uri: str
    identity: Identity
    library: tuple[Field, ...]
    types: tuple[ObjectType, ...]
    events: tuple[Event, ...]
    traits: tuple[Field, ...]
    segments: tuple[Segment, ...]
    messages: tuple[Message, ...]
    commerce: CommerceKeys = CommerceKeys()
    maintained: tuple[Maintained, ...] = ()  # traits derived from events, by trait name
    source: str = field(default="", compare=False)

    def event(self, name: str) -> Event | None:
        return next((e for e in self.events if e.name == name), None)

    def type(self, name: str) -> ObjectType | None:
        return next((t for t in self.types if t.name == name), None)

    def segment(self, segment_id: str) -> Segment | None:
        return next((s for s in self.segments if s.id == segment_id), None)

    def trait(self, name: str) -> Field | None:
        return next((t for t in self.traits if t.name == name), None)

    def maintainer(self, trait: str) -> Maintained | None:
        return next((m for m in self.maintained if m.trait == trait), None)
