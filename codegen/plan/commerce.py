"""What each event means commercially: the one place that decides it.

Lint's commerce rules, the docs, the Liquid samples and the journey audit all read the result
from the ir (``ir.Event.commerce`` and ``ir.Plan.commerce``); none of them looks at names again.

**Role of an event**, first rule that applies:

1. the plan declares it: ``role: purchase | checkout | cart | other``;
2. it carries money (a ``lint.money_properties`` property) and an order id
   (``lint.order_id``): a *purchase*;
3. it carries a checkout id (a ``lint.checkout_id`` name that is not also a ``lint.cart_id``
   name, so by default ``checkout_id``) and no order id: a *checkout*;
4. it carries a cart id (``lint.cart_id``) and no order id: a *cart*;
5. otherwise *other*.

Event names never decide a role: "Cart Viewed" without a cart id is not a cart unless it says
``role: cart``. A name containing the word "cart" or "checkout" (:data:`NAME_WORDS`) is only
recorded as ``named_like``, so lint can ask for a declaration (``commerce/undeclared-role``).

**Money.** An event's money properties are the ``lint.money_properties`` it carries; they make it
a money event (lint asks for order id, currency and line items; the audit sums them as revenue).
Separately, a number property anywhere in the plan is an *amount*, shown through Liquid's
``currency`` filter, when it is a money property or one of the words of its name is in
:data:`MONEY_WORDS` (``unit_price``, ``lifetimeValue``, ``tax``).

**Currency of an amount.** Customer.io's ``currency`` filter takes a *locale*, not a currency
code: ``{{ 10 | currency: "en-us" }}`` gives ``$10.00`` (Liquid tag list, "Number and Currency
Filters": https://docs.customer.io/journeys/liquid-tag-list); without one it prints ``$``. An
amount of an event that carries a currency property (``lint.currency``) is formatted with the
locale of that code (:data:`CURRENCY_LOCALES`, plus ``plan.currency`` → ``plan.locale`` when
the plan sets both); any other amount with ``plan.locale``, else the
locale of ``plan.currency``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, assert_never

from . import ir

if TYPE_CHECKING:
    from .filemodel import LintConfig, PlanInfo

# Defaults of the plan's `lint:` block (codegen.plan.filemodel.LintConfig).
MONEY_PROPERTIES = ("revenue", "value", "total")
ORDER_ID = ("order_id",)
CHECKOUT_ID = ("checkout_id", "cart_id")
CART_ID = ("cart_id",)
CURRENCY = ("currency",)
LINE_ITEMS = ("products",)

# The minimum line item (the seed's): what a cart-recovery email or a receipt shows per item.
LINE_ITEM_FIELDS = ("sku", "price", "quantity")

# ISO 4217 code → the Customer.io locale its amounts are formatted with. Which locales
# Customer.io accepts beyond its documented "en-us" is not confirmed; `plan.locale` overrides.
CURRENCY_LOCALES = {"USD": "en-us", "GBP": "en-gb", "EUR": "de-de", "JPY": "ja-jp"}

# Words of a number property's name that make it an amount of money (shown with `currency`).
MONEY_WORDS = frozenset(
    {"revenue", "value", "total", "price", "amount", "discount", "subtotal", "tax"}
)
# Words of an event name that suggest a role the event does not have (lint hint only);
# checked in this order, so "Cart Checkout Opened" suggests a checkout.
NAME_WORDS = (("checkout", ir.Role.CHECKOUT), ("cart", ir.Role.CART))


def words(name: str) -> list[str]:
    """Lower-case words of a name: ``unitPrice`` and ``unit_price`` give ``[unit, price]``."""
    return re.findall(r"[a-z]+", re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name).lower())


def currency_locales(info: PlanInfo) -> dict[str, str]:
    """Currency code → locale: :data:`CURRENCY_LOCALES`, and ``plan.currency`` with
    ``plan.locale`` when the plan names both (its own currency, formatted its own way)."""
    table = dict(CURRENCY_LOCALES)
    if info.currency and info.locale:
        table[info.currency] = info.locale
    return table


def keys(config: LintConfig, fields: Iterable[ir.Field], info: PlanInfo) -> ir.CommerceKeys:
    """The plan-wide vocabulary, the money amounts among ``fields`` (every field of the
    plan: events, object types, library, traits) and how money is formatted."""
    money = tuple(config.money_properties)
    default_locale = info.locale or (CURRENCY_LOCALES.get(info.currency) if info.currency else None)
    return ir.CommerceKeys(
        money=money,
        order_id=tuple(config.order_id),
        checkout_id=tuple(config.checkout_id),
        cart_id=tuple(config.cart_id),
        currency=tuple(config.currency),
        line_items=tuple(config.line_items),
        amounts=frozenset(f.name for f in _all(fields) if _is_amount(f, money)),
        default_currency=info.currency,
        locale=default_locale,
        currency_locales=tuple(sorted(currency_locales(info).items())),
    )


def commerce(
    name: str, fields: Sequence[ir.Field], declared: ir.Role | None, config: LintConfig
) -> ir.Commerce:
    """An event's role (and why) and the properties that carry its commerce meaning."""
    money = tuple(f.name for f in fields if f.name in config.money_properties)
    order_id = _carried(fields, config.order_id)
    own_checkout = [n for n in config.checkout_id if n not in config.cart_id]
    checkout_id = _carried(fields, own_checkout)
    cart_id = _carried(fields, config.cart_id)
    if declared is not None:
        role, reason = declared, f"declared `role: {declared.value}`"
    elif money and order_id:
        role = ir.Role.PURCHASE
        reason = f"inferred: carries money (`{money[0]}`) and an order id (`{order_id}`)"
    elif checkout_id and not order_id:
        role = ir.Role.CHECKOUT
        reason = f"inferred: carries a checkout id (`{checkout_id}`) and no order id"
    elif cart_id and not order_id:
        role = ir.Role.CART
        reason = f"inferred: carries a cart id (`{cart_id}`) and no order id"
    else:
        role = ir.Role.OTHER
        reason = "no `role:` declared and no money with an order id, checkout id or cart id"
    return ir.Commerce(
        role=role,
        declared=declared is not None,
        reason=reason,
        money=money,
        order_id=order_id,
        checkout_id=checkout_id,
        cart_id=cart_id,
        join_id=_join_id(role, fields, config),
        currency=_carried(fields, config.currency),
        line_items=_carried(fields, config.line_items),
        named_like=next((r for word, r in NAME_WORDS if word in words(name)), None),
    )


def _join_id(role: ir.Role, fields: Sequence[ir.Field], config: LintConfig) -> str | None:
    """The id cart recovery joins a checkout or cart to its purchase by."""
    match role:
        case ir.Role.CHECKOUT:
            return _carried(fields, config.checkout_id)  # a checkout may go by its cart's id
        case ir.Role.CART:
            return _carried(fields, config.cart_id)
        case ir.Role.PURCHASE | ir.Role.OTHER:
            return None
        case _:
            assert_never(role)


def _carried(fields: Sequence[ir.Field], names: Sequence[str]) -> str | None:
    """The first of ``names`` the event carries as required, else the first it carries."""
    present = [n for n in names if any(f.name == n for f in fields)]
    required = [n for n in present if any(f.name == n and f.required for f in fields)]
    found = required or present
    return found[0] if found else None


def is_money_name(name: str, money: Sequence[str]) -> bool:
    """A property of this name holds money: a money property or a :data:`MONEY_WORDS` word."""
    return name in money or any(w in MONEY_WORDS for w in words(name))


def _is_amount(f: ir.Field, money: Sequence[str]) -> bool:
    return f.type.kind is ir.Kind.NUMBER and is_money_name(f.name, money)


def _all(fields: Iterable[ir.Field]) -> Iterable[ir.Field]:
    """Fields with their inline objects' fields (named types are passed in separately)."""
    for f in fields:
        yield f
        inner = f.type.items if f.type.kind is ir.Kind.ARRAY and f.type.items else f.type
        yield from _all(inner.fields)
