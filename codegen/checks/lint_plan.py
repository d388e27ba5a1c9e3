"""Lint rules that look across the whole plan: one taxonomy, and the seed's minimum payloads.

* ``enum/near-duplicate``: `Skincare`, `skin-care` and `skin_care` are one category spelt three
  ways, whether they sit in one enum, in enums of different properties (a `category` of one
  event and a `category` of another), in a trait's enum or in a segment's literal.
* ``commerce/line-items``: cart, checkout and purchase events carry what a recovery or receipt
  message shows for each item (sku, price, quantity), on their line items, or, for a cart
  event about one product, on the event itself.
* ``types/money-as-string``: an amount of money (what :mod:`codegen.plan.commerce` calls money)
  typed as a string cannot be summed, compared or formatted with ``currency``.

Roles and money come from the resolved plan (``event.commerce``, ``plan.commerce``); nothing
here looks at event names.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..plan import ir
from ..plan.commerce import LINE_ITEM_FIELDS, is_money_name
from ..plan.diagnostics import Level, Location
from ..plan.names import loose_key
from ..plan.segments import members
from .lint import Context, Finding, Owned, fields_of, rule


@dataclass(frozen=True)
class Spelling:
    """One literal of the plan's taxonomy and where it is written."""

    value: str
    where: str
    location: Location


def _spellings(ctx: Context) -> Iterator[Spelling]:
    """Every enum value (properties, types, library, traits) and segment string literal."""
    owned = [*fields_of(ctx.plan), *(Owned("traits", t) for t in ctx.plan.traits)]
    for o in owned:
        if o.field.ref is not None:
            continue  # written once, where the library defines it
        t = o.field.type.items if o.field.type.items else o.field.type
        for value in t.bounds.enum or ():
            if isinstance(value, str):
                yield Spelling(value, f"`{o.field.name}` of {o.owner}", o.field.location)
    for s in ctx.plan.segments:
        for leaf in ir.leaves(s.condition):
            comparisons: list[tuple[str, ir.Comparison]] = []
            if isinstance(leaf, ir.TraitCondition):
                comparisons.append((f"trait `{leaf.trait}`", leaf.comparison))
            elif isinstance(leaf, ir.EventCondition):
                comparisons += [(f"`{'.'.join(f.path)}`", f.comparison) for f in leaf.filters]
            for label, comparison in comparisons:
                values = comparison.value
                listed: tuple[object, ...] = values if isinstance(values, tuple) else (values,)
                for literal in listed:
                    if isinstance(literal, str):
                        yield Spelling(literal, f"{label} in segment `{s.id}`", s.location)


@rule(
    "enum/near-duplicate",
    Level.WARNING,
    "enum values and segment literals are not near-duplicates anywhere in the plan",
)
def _near_duplicates(ctx: Context) -> Iterator[Finding]:
    first: dict[str, Spelling] = {}
    reported: set[tuple[str, str]] = set()
    for spelling in _spellings(ctx):
        key = loose_key(spelling.value)
        seen = first.setdefault(key, spelling)
        if seen.value == spelling.value or (seen.value, spelling.value) in reported:
            continue
        reported.add((seen.value, spelling.value))
        same = seen.where == spelling.where
        yield (
            spelling.location,
            f"`{spelling.value}` ({spelling.where}) and `{seen.value}`"
            + ("" if same else f" ({seen.where})")
            + " differ only in case or separators",
            f"producers and segments will split one category in two; spell it `{seen.value}` "
            "everywhere (a library property with `ref:` keeps it in one place)",
            () if same else (seen.location,),
        )


@rule(
    "commerce/line-items",
    Level.WARNING,
    "cart, checkout and purchase events carry sku, price and quantity per item",
)
def _line_items(ctx: Context) -> Iterator[Finding]:
    types = {t.name: t for t in ctx.plan.types}
    keys = ctx.plan.commerce
    for e in ctx.plan.events:
        c = e.commerce
        if c.role is ir.Role.OTHER:
            continue
        items = next((f for f in e.fields if f.name == c.line_items), None)
        if items is not None:
            fields = members(items.type, types)
            if not fields:
                continue  # items of no declared shape (`type: array` alone): nothing to check
            missing = _missing(fields)
            where = f"line items `{items.name}`"
            location = items.location
        elif c.role is ir.Role.CART:
            missing = _missing(e.fields)  # a cart event about one product carries it directly
            where = "the event (it has no line items)"
            location = e.location
        else:
            continue  # checkout/purchase without line items: commerce/money-event says so
        if missing:
            yield (
                location,
                f"{c.role.value} event `{e.name}`: {where} without required "
                + ", ".join(f"`{m}`" for m in missing),
                f"declare {', '.join(missing)} as required on each item (or a "
                f"`{' or '.join(keys.line_items)}` list of them), as recovery emails show them",
                (),
            )


def _missing(fields: tuple[ir.Field, ...]) -> list[str]:
    required = {f.name for f in fields if f.required}
    return [name for name in LINE_ITEM_FIELDS if name not in required]


@rule("types/money-as-string", Level.ERROR, "amounts of money are numbers, not strings")
def _money_as_string(ctx: Context) -> Iterator[Finding]:
    money = ctx.plan.commerce.money
    for o in [*fields_of(ctx.plan), *(Owned("traits", t) for t in ctx.plan.traits)]:
        f = o.field
        if f.ref is None and f.type.kind is ir.Kind.STRING and is_money_name(f.name, money):
            yield (
                f.location,
                f"`{f.name}` of {o.owner} is an amount of money typed as a string",
                "declare `type: number` (in the order's currency); strings cannot be summed, "
                "compared in segments or shown with Liquid's `currency` filter",
                (),
            )


# Customer.io's timestamp conditions ("is a timestamp before/after", "within the past") match
# only attributes stored as Unix seconds; ISO 8601 text never matches (Timestamp Conditions FAQ:
# https://docs.customer.io/journeys/faq-timestamps).
_TIMESTAMP_OPERATORS = ("greater_than", "less_than", "within")


@rule(
    "segments/iso-timestamp",
    Level.ERROR,
    "timestamp conditions compare traits stored as Unix seconds, not ISO text",
)
def _iso_timestamps(ctx: Context) -> Iterator[Finding]:
    for segment in ctx.plan.segments:
        for c in ir.leaves(segment.condition):
            if not isinstance(c, ir.TraitCondition) or c.comparison.operator not in (
                _TIMESTAMP_OPERATORS
            ):
                continue
            trait = ctx.plan.trait(c.trait)
            if trait is not None and trait.stored_as == "iso":
                yield (
                    segment.location,
                    f"segment `{segment.id}` compares `{c.trait}` with "
                    f"`{c.comparison.operator}`, but the plan stores it as ISO 8601 text: "
                    "Customer.io's timestamp conditions never match it",
                    f"store it as Unix seconds (`stored_as: unix` on trait `{c.trait}`), or "
                    "compare it with `equals`/`exists` only",
                    (trait.location,),
                )


@rule(
    "commerce/currency-locale",
    Level.WARNING,
    "every currency an event may carry has a locale to format its amounts",
)
def _currency_locales(ctx: Context) -> Iterator[Finding]:
    keys = ctx.plan.commerce
    for event in ctx.plan.events:
        name = event.commerce.currency
        currency = next((f for f in event.fields if f.name == name), None)
        codes = currency.type.bounds.enum if currency is not None else None
        for code in codes or ():
            if isinstance(code, str) and keys.locale_of(code) is None:
                fallback = keys.locale or "en-us"
                yield (
                    currency.location if currency is not None else event.location,
                    f"`{code}` of `{name}` on event `{event.name}` has no Customer.io locale: "
                    f"its amounts are formatted with `{fallback}`",
                    "use a currency of codegen.plan.commerce.CURRENCY_LOCALES, or set "
                    "`plan.locale` to the locale that formats it",
                    (),
                )
