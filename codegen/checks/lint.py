"""Lint rules: conventions that keep every producer and every Customer.io trigger in step.

Each rule has a stable code, a default level and a one-line summary, returns findings and never
raises or prints. A plan switches rules off with ``lint.disable`` or changes their level with
``lint.levels``. Problems that make a plan meaningless (dangling references, wrong operator for a
type) are not rules: :mod:`codegen.resolve` reports them as errors that cannot be disabled.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import assert_never

from ..plan import ir
from ..plan.diagnostics import Diagnostic, Level, Location
from ..plan.filemodel import LintConfig
from ..plan.loader import Document
from ..plan.names import Case, loose_key, matches_case

Finding = tuple[Location, str, str | None, tuple[Location, ...]]


@dataclass(frozen=True)
class Context:
    plan: ir.Plan
    config: LintConfig
    document: Document


@dataclass(frozen=True)
class Rule:
    code: str
    level: Level
    summary: str
    check: Callable[[Context], Iterator[Finding]]


RULES: dict[str, Rule] = {}


def rule(
    code: str, level: Level, summary: str
) -> Callable[[Callable[[Context], Iterator[Finding]]], Callable[[Context], Iterator[Finding]]]:
    def register(
        check: Callable[[Context], Iterator[Finding]],
    ) -> Callable[[Context], Iterator[Finding]]:
        RULES[code] = Rule(code, level, summary, check)
        return check

    return register


def lint(plan: ir.Plan, config: LintConfig, document: Document) -> list[Diagnostic]:
    """Run every enabled rule; ``config`` comes from the plan's ``lint:`` block."""
    out: list[Diagnostic] = []
    for i, code in enumerate(config.disable):
        if code not in RULES:
            out.append(_unknown_rule(code, document.locate(("lint", "disable", i))))
    for code in config.levels:
        if code not in RULES:
            out.append(_unknown_rule(code, document.locate(("lint", "levels", code))))
    ctx = Context(plan, config, document)
    for code, r in sorted(RULES.items()):
        if code in config.disable:
            continue
        level = Level[config.levels[code].upper()] if code in config.levels else r.level
        for location, message, hint, related in r.check(ctx):
            out.append(Diagnostic(location, code, level, message, hint, related))
    return out


def _unknown_rule(code: str, location: Location) -> Diagnostic:
    from ..plan.suggest import did_you_mean

    return Diagnostic(
        location,
        "lint/unknown-rule",
        Level.WARNING,
        f"no lint rule `{code}`",
        did_you_mean(code, RULES) or "run `codegen lint --rules` for the list",
    )


# -- walking the plan ------------------------------------------------------------------------


@dataclass(frozen=True)
class Owned:
    """A field and what holds it, for messages like ``property `x` of event `Y```."""

    owner: str
    field: ir.Field


def fields_of(plan: ir.Plan) -> Iterator[Owned]:
    """Every event property, type field and library property, inline objects included."""
    for event in plan.events:
        yield from _nested(f"event `{event.name}`", event.fields)
    for t in plan.types:
        yield from _nested(f"type `{t.name}`", t.fields)
    yield from _nested("the properties library", plan.library)


def _nested(owner: str, fields: tuple[ir.Field, ...]) -> Iterator[Owned]:
    for f in fields:
        yield Owned(owner, f)
        inner = f.type.items if f.type.kind is ir.Kind.ARRAY and f.type.items else f.type
        if inner.fields:
            yield from _nested(f"{owner}, object `{f.name}`", inner.fields)


def _names(items: list[tuple[str, Location]], what: str) -> Iterator[Finding]:
    seen: dict[str, tuple[str, Location]] = {}
    for name, location in items:
        key = loose_key(name)
        if key in seen and seen[key][0] != name:
            first, where = seen[key]
            yield (
                location,
                f"{what} `{name}` collides with `{first}` (same name ignoring case and separators)",
                "producers will send both; keep one name",
                (where,),
            )
        seen.setdefault(key, (name, location))


# -- naming ----------------------------------------------------------------------------------


@rule("naming/event-case", Level.WARNING, "event names follow the plan's case convention")
def _event_case(ctx: Context) -> Iterator[Finding]:
    case: Case = ctx.config.event_case
    for e in ctx.plan.events:
        if not matches_case(e.name, case):
            yield (
                e.location,
                f"event `{e.name}` is not {case} case",
                (
                    'Title Case "Object Action", e.g. `Order Completed`'
                    if case == "title"
                    else f"rename it in {case} case"
                ),
                (),
            )


@rule("naming/property-case", Level.WARNING, "property names follow the plan's case convention")
def _property_case(ctx: Context) -> Iterator[Finding]:
    case: Case = ctx.config.property_case
    for owned in fields_of(ctx.plan):
        if not matches_case(owned.field.name, case):
            yield (
                owned.field.location,
                f"property `{owned.field.name}` of {owned.owner} is not {case} case",
                f"rename it in {case} case, e.g. `order_id`" if case == "snake" else None,
                (),
            )


@rule("naming/trait-case", Level.WARNING, "trait names follow the plan's case convention")
def _trait_case(ctx: Context) -> Iterator[Finding]:
    for t in ctx.plan.traits:
        if not matches_case(t.name, ctx.config.property_case):
            yield (
                t.location,
                f"trait `{t.name}` is not {ctx.config.property_case} case",
                "Customer.io attribute names are case sensitive; keep one convention",
                (),
            )


@rule("naming/unique", Level.ERROR, "names are unique ignoring case and separators")
def _unique(ctx: Context) -> Iterator[Finding]:
    plan = ctx.plan
    yield from _names([(e.name, e.location) for e in plan.events], "event")
    yield from _names([(t.name, t.location) for t in plan.types], "type")
    yield from _names([(t.name, t.location) for t in plan.traits], "trait")
    for e in plan.events:
        yield from _names([(f.name, f.location) for f in e.fields], f"property of `{e.name}`")
    for t in plan.types:
        yield from _names([(f.name, f.location) for f in t.fields], f"field of `{t.name}`")


# -- consistency -----------------------------------------------------------------------------


@rule(
    "consistency/property-type",
    Level.ERROR,
    "a property name has the same type and constraints wherever it is used",
)
def _consistent(ctx: Context) -> Iterator[Finding]:
    first: dict[str, Owned] = {}
    for owned in fields_of(ctx.plan):
        name = owned.field.name
        if name not in first:
            first[name] = owned
            continue
        seen = first[name]
        if owned.field.type != seen.field.type:
            yield (
                owned.field.location,
                f"`{name}` is {owned.field.type.describe()}{_constraints(owned.field.type)} in "
                f"{owned.owner} but {seen.field.type.describe()}{_constraints(seen.field.type)} "
                f"in {seen.owner}",
                "define it once under `properties:` and use `ref:` everywhere",
                (seen.field.location,),
            )


def _constraints(t: ir.FieldType) -> str:
    shown = [f"{k}={v}" for k, v in vars(t.bounds).items() if v not in (None, False)]
    return f" ({', '.join(shown)})" if shown else ""


# -- commerce (what an event means is decided once, in codegen.plan.commerce) ----------------


def _required(event: ir.Event, name: str | None) -> bool:
    return name is not None and any(f.name == name and f.required for f in event.fields)


def _is_revenue(role: ir.Role) -> bool:
    """Money on this event is revenue to attribute, not the value of a cart or checkout."""
    match role:
        case ir.Role.PURCHASE | ir.Role.OTHER:
            return True
        case ir.Role.CART | ir.Role.CHECKOUT:
            return False
        case _:
            assert_never(role)


def _id_names(role: ir.Role, keys: ir.CommerceKeys) -> tuple[str, ...]:
    """The names the id of a cart or checkout event may have (none for other roles)."""
    match role:
        case ir.Role.CHECKOUT:
            return keys.checkout_id
        case ir.Role.CART:
            return keys.cart_id
        case ir.Role.PURCHASE | ir.Role.OTHER:
            return ()
        case _:
            assert_never(role)


@rule(
    "commerce/money-event",
    Level.ERROR,
    "events carrying money have an order id, currency and line items",
)
def _money(ctx: Context) -> Iterator[Finding]:
    keys = ctx.plan.commerce
    for e in ctx.plan.events:
        c = e.commerce
        if not c.money:
            continue
        needs = [
            ("currency", c.currency, keys.currency),
            ("line items", c.line_items, keys.line_items),
        ]
        if _is_revenue(c.role):
            needs.insert(0, ("order id", c.order_id, keys.order_id))
        for what, name, names in needs:
            if not _required(e, name):
                yield (
                    e.location,
                    f"event `{e.name}` carries `{c.money[0]}` but no required {what} "
                    f"({' or '.join(names)})",
                    "revenue without it cannot be attributed or deduplicated in Customer.io",
                    (),
                )


@rule("commerce/cart-id", Level.ERROR, "cart and checkout events carry a stable cart/checkout id")
def _cart_id(ctx: Context) -> Iterator[Finding]:
    for e in ctx.plan.events:
        c = e.commerce
        names = _id_names(c.role, ctx.plan.commerce)
        if names and not _required(e, c.join_id):
            yield (
                e.location,
                f"{c.role.value} event `{e.name}` ({c.reason}) has no required "
                f"{' or '.join(names)}",
                "cart recovery joins the abandoned cart to the order by this id",
                (),
            )


@rule(
    "commerce/undeclared-role",
    Level.WARNING,
    "events named like a cart or checkout event are one, or say they are not",
)
def _undeclared_role(ctx: Context) -> Iterator[Finding]:
    keys = ctx.plan.commerce
    for e in ctx.plan.events:
        c = e.commerce
        if c.named_like is None or c.declared or c.role is not ir.Role.OTHER:
            continue
        ids = _id_names(c.named_like, keys)
        yield (
            e.location,
            f"event `{e.name}` is named like a {c.named_like.value} event but is not one "
            f"({c.reason})",
            f"declare `role: {c.named_like.value}` and a required {' or '.join(ids)}, or "
            "`role: other` if it is not part of cart recovery",
            (),
        )


# -- types -----------------------------------------------------------------------------------

_TIMESTAMP_NAME = re.compile(r"(_at|_date|timestamp)$", re.IGNORECASE)


@rule("types/timestamp-as-string", Level.WARNING, "timestamps are declared as datetime or date")
def _timestamps(ctx: Context) -> Iterator[Finding]:
    for owned in [*fields_of(ctx.plan), *(Owned("traits", t) for t in ctx.plan.traits)]:
        f = owned.field
        if f.ref is None and _TIMESTAMP_NAME.search(f.name) and f.type.kind is ir.Kind.STRING:
            yield (
                f.location,
                f"`{f.name}` looks like a timestamp but is a string",
                "declare `type: datetime` (ISO-8601) so segments can use time windows",
                (),
            )


# -- identity --------------------------------------------------------------------------------


@rule("identity/primary-id", Level.ERROR, "the plan declares what userId carries")
def _primary(ctx: Context) -> Iterator[Finding]:
    if not ctx.plan.identity.primary_id:
        yield (
            ctx.document.locate(("identity",)),
            "no `identity.primary_id`",
            "declare the stable id userId carries (e.g. customer_id); Customer.io merges "
            "people on it",
            (),
        )


@rule("identity/email-as-id", Level.WARNING, "email is not the only identifier")
def _email_id(ctx: Context) -> Iterator[Finding]:
    primary = ctx.plan.identity.primary_id or ""
    if "email" in primary.lower():
        yield (
            ctx.document.locate(("identity", "primary_id")),
            "email is the primary identifier",
            "emails change and get shared; use a stable customer id and send email as a trait",
            (),
        )


@rule("identity/anonymous-purchase", Level.WARNING, "money events require a known person")
def _anonymous_money(ctx: Context) -> Iterator[Finding]:
    for e in ctx.plan.events:
        if e.anonymous_allowed and e.commerce.money and _is_revenue(e.commerce.role):
            yield (
                e.location,
                f"`{e.name}` may be sent anonymously but carries revenue",
                "an anonymous purchase cannot suppress the buyer's cart recovery",
                (),
            )


# -- usage and docs --------------------------------------------------------------------------


def _used_traits(plan: ir.Plan) -> set[str]:
    used = {plan.identity.primary_id or ""}
    for s in plan.segments:
        used |= {c.trait for c in ir.leaves(s.condition) if isinstance(c, ir.TraitCondition)}
    for m in plan.messages:
        used |= {f.split(".")[1] for f in m.fields if f.startswith("customer.") and "." in f}
        used |= {"email"} if m.channel == "email" else set()
        used |= {"phone"} if m.channel == "sms" else set()
    return used


@rule("usage/unused-trait", Level.WARNING, "every trait is used by a segment or message")
def _unused_traits(ctx: Context) -> Iterator[Finding]:
    used = _used_traits(ctx.plan)
    for t in ctx.plan.traits:
        if t.name not in used:
            yield (
                t.location,
                f"trait `{t.name}` is not used by any segment or message",
                "over-sending traits nobody uses costs profile space; remove it or use it",
                (),
            )


@rule("docs/event-description", Level.WARNING, "every event has a description")
def _described(ctx: Context) -> Iterator[Finding]:
    for e in ctx.plan.events:
        if not e.doc.description:
            yield (
                e.location,
                f"event `{e.name}` has no description",
                "say when it fires and what it triggers; it is the catalog entry",
                (),
            )


# Rules that look across the whole plan (taxonomy, minimum commerce payloads) live in their own
# module; importing it registers them in RULES.
from . import lint_plan  # noqa: E402, F401
