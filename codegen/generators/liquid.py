"""Sample Customer.io Liquid templates, one per planned message.

A template reads only what the plan guarantees: required trigger-event properties and traits are
used bare, everything optional gets a ``default`` (or an ``{% if %}`` guard for dates and lists),
line items are looped over, dates go through ``date`` and money (the plan's amounts, decided by
:mod:`codegen.plan.commerce`) through Customer.io's ``currency`` filter with the locale of the
order's currency: when the trigger event carries its currency, a ``case`` on it picks the locale
once (``money_locale``), since the filter takes a locale, not a code (see
:mod:`codegen.plan.commerce`).
:mod:`codegen.checks.liquid` verifies each template against the plan.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..config import Options
from ..plan import ir
from .render import liquid_str, render

DATE_FORMAT = "%B %-d, %Y"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Words python-liquid's parser will not take after a dot (`event.for`); `event["for"]` works
# everywhere. Found by the plan fuzzer.
_KEYWORDS = frozenset(
    [
        "for",
        "in",
        "and",
        "or",
        "contains",
        "true",
        "false",
        "nil",
        "null",
        "empty",
        "blank",
        "if",
        "with",
        "as",
        "limit",
        "offset",
        "reversed",
        "cols",
        "continue",
        "else",
        "not",
        "required",
    ]
)


@dataclass(frozen=True)
class Line:
    """One value the message shows (template context)."""

    label: str  # plan text: escape it for the target
    output: str  # Liquid markup that prints the value
    guard: str | None = None  # Liquid expression: wrap the line in {% if guard %}


@dataclass(frozen=True)
class Loop:
    """Values shown once per list item (template context)."""

    label: str
    path: str
    var: str
    lines: tuple[Line, ...]
    guard: str | None = None


@dataclass(frozen=True)
class Money:
    """How the template picks the locale of its amounts from the payload (template context):
    ``{% case <source> %}`` over ``locales`` (code, locale), else ``fallback``."""

    source: str  # Liquid path of the currency, e.g. event.currency
    locales: tuple[tuple[str, str], ...]
    fallback: str


MONEY_VARIABLE = "money_locale"


@dataclass(frozen=True)
class View:
    """What a message template renders (template context)."""

    message: ir.Message
    plan: ir.Plan
    greeting: Line | None
    blocks: tuple[Line | Loop, ...]
    money: Money | None = None
    dates: tuple[tuple[str, str], ...] = ()  # (Liquid path, how Customer.io stores it)


def generate(plan: ir.Plan, options: Options) -> dict[str, str]:
    return {f"liquid/{m.id}.liquid": generate_one(plan, m, options) for m in plan.messages}


def generate_one(plan: ir.Plan, message: ir.Message, options: Options) -> str:
    """The sample template of one message (also shown on the docs' messages page)."""
    template = "email" if message.channel == "email" else "text"
    return render(f"liquid/{template}.liquid.j2", options.templates, view=view(plan, message))


def money(plan: ir.Plan, event: ir.Event | None) -> Money | None:
    """The payload currency the event's amounts are formatted by, or None when the event
    carries none (its amounts then use the plan's locale)."""
    if event is None or event.commerce.currency is None:
        return None
    currency = next(f for f in event.fields if f.name == event.commerce.currency)
    table = plan.commerce.currency_locales
    codes = currency.type.bounds.enum
    if codes is not None:
        table = tuple((c, loc) for c, loc in table if c in codes)
    fallback = plan.commerce.locale or "en-us"
    return Money(liquid_path("event", [currency.name]), table, fallback)


def view(plan: ir.Plan, message: ir.Message) -> View:
    types = {t.name: t for t in plan.types}
    event = plan.event(message.trigger) if message.trigger else None
    payload_money = money(plan, event)
    plan_locale = liquid_str(plan.commerce.locale) if plan.commerce.locale else None
    used_payload_money = False
    greeting = None
    blocks: list[Line | Loop] = []
    loops: dict[str, list[Line]] = {}
    loop_meta: dict[str, tuple[str, str, str | None]] = {}
    for ref in message.fields:
        namespace, _, rest = ref.partition(".")
        parts = rest.split(".")
        scope = event.fields if namespace == "event" and event else plan.traits
        chain = _chain(scope, parts, types)
        split = next((i for i, f in enumerate(chain) if f.type.kind is ir.Kind.ARRAY), None)
        if split is not None and split < len(chain) - 1:
            array_path = liquid_path(namespace, parts[: split + 1])
            var = _loop_var(parts[split])
            if array_path not in loops:
                loops[array_path] = []
                guard = None if _guaranteed(chain[: split + 1]) else array_path
                loop_meta[array_path] = (_label(parts[split]), var, guard)
                blocks.append(Loop(_label(parts[split]), array_path, var, (), guard))
            item_chain = chain[split + 1 :]
            locale = MONEY_VARIABLE if namespace == "event" and payload_money else plan_locale
            line = _line(liquid_path(var, parts[split + 1 :]), item_chain, parts[-1], plan, locale)
            used_payload_money |= MONEY_VARIABLE in line.output
            loops[array_path].append(line)
            continue
        locale = MONEY_VARIABLE if namespace == "event" and payload_money else plan_locale
        line = _line(liquid_path(namespace, parts), chain, parts[-1], plan, locale)
        used_payload_money |= MONEY_VARIABLE in line.output
        if namespace == "customer" and parts == ["first_name"]:
            greeting = line
        else:
            blocks.append(line)
    final = tuple(
        Loop(b.label, b.path, b.var, tuple(loops[b.path]), b.guard) if isinstance(b, Loop) else b
        for b in blocks
    )
    return View(
        message,
        plan,
        greeting,
        final,
        payload_money if used_payload_money else None,
        _dates(plan, message),
    )


# How each storage reads in a template; the Liquid date filter formats Unix seconds and
# ISO 8601 text alike (Customer.io, "Date, time, and localization":
# https://customer.io/liquid-tutorial/date-time-and-localization/), but only Unix seconds
# match timestamp conditions (https://docs.customer.io/journeys/faq-timestamps).
STORAGE_NOTES: Mapping[ir.DateStorage, str] = {
    "unix": "Unix seconds",
    "iso": 'ISO 8601 text (date parses it; use | date: "%s" before comparing it with a timestamp)',
}


def _dates(plan: ir.Plan, message: ir.Message) -> tuple[tuple[str, str], ...]:
    """The person attributes the message shows that are dates, with how they are stored."""
    out = []
    for ref in message.fields:
        namespace, _, name = ref.partition(".")
        trait = plan.trait(name) if namespace == "customer" else None
        if trait is not None and trait.stored_as is not None:
            out.append((liquid_path("customer", [name]), STORAGE_NOTES[trait.stored_as]))
    return tuple(out)


def liquid_path(root: str, parts: Sequence[str]) -> str:
    """``event.order_id``; names that are not identifiers use ``["..."]``."""
    out = root
    for part in parts:
        plain = _IDENTIFIER.match(part) and part not in _KEYWORDS
        out += f".{part}" if plain else f"[{liquid_str(part)}]"
    return out


def _chain(
    fields: Sequence[ir.Field], parts: Sequence[str], types: Mapping[str, ir.ObjectType]
) -> list[ir.Field]:
    """The fields along a dotted path (already validated against the plan when resolving)."""
    from ..plan.segments import members

    chain = []
    scope: Sequence[ir.Field] = fields
    for part in parts:
        current = next(f for f in scope if f.name == part)
        chain.append(current)
        scope = members(current.type, types)
    return chain


def _guaranteed(chain: Sequence[ir.Field]) -> bool:
    return all(f.required and not f.type.nullable for f in chain)


def _line(
    path: str, chain: Sequence[ir.Field], name: str, plan: ir.Plan, locale: str | None
) -> Line:
    """The line showing one value; ``locale`` is the ``currency`` filter's Liquid argument."""
    field = chain[-1]
    t = field.type
    guaranteed = _guaranteed(chain)
    if t.kind.is_temporal:
        return Line(
            _label(name), f'{{{{ {path} | date: "{DATE_FORMAT}" }}}}', None if guaranteed else path
        )
    if t.kind is ir.Kind.ARRAY:
        return Line(_label(name), f'{{{{ {path} | join: ", " }}}}', None if guaranteed else path)
    if t.kind is ir.Kind.NUMBER and name in plan.commerce.amounts:
        value = path if guaranteed else f"{path} | default: 0"
        argument = f": {locale}" if locale else ""
        return Line(_label(name), f"{{{{ {value} | currency{argument} }}}}")
    if guaranteed:
        return Line(_label(name), f"{{{{ {path} }}}}")
    fallback = {"boolean": "false", "integer": "0", "number": "0"}.get(t.kind.value)
    if fallback is None:
        fallback = '"there"' if name in ("first_name", "name") else '""'
    return Line(_label(name), f"{{{{ {path} | default: {fallback} }}}}")


def _loop_var(array_name: str) -> str:
    singular = array_name[:-1] if array_name.endswith("s") else ""
    return (
        singular
        if _IDENTIFIER.match(singular) and singular not in ("event", "customer")
        else "item"
    )


def _label(name: str) -> str:
    words = re.sub(r"[_\-]+", " ", re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)).strip()
    return (words[:1].upper() + words[1:].lower()) if words else name
