"""Which events are purchases, checkouts and carts, and the ids that join them."""

from __future__ import annotations

from dataclasses import dataclass

from ..plan import ir
from ..plan.filemodel import LintConfig


@dataclass(frozen=True)
class Roles:
    purchase: tuple[str, ...]
    checkout: tuple[str, ...]
    cart: tuple[str, ...]
    order_key: str
    checkout_key: str
    cart_key: str
    money: tuple[str, ...]
    notes: tuple[str, ...]  # what was inferred rather than declared

    def of(self, event: str) -> str | None:
        for role in ("purchase", "checkout", "cart"):
            if event in getattr(self, role):
                return role
        return None


def roles(plan: ir.Plan, config: LintConfig) -> Roles:
    """Declared ``role:`` first; otherwise a money event with an order id is a purchase, an
    event with a checkout id (and no order id) a checkout, one with a cart id a cart."""
    order_key, checkout_key = config.order_id[0], config.checkout_id[0]
    cart_key = config.cart_id[0]
    found: dict[str, list[str]] = {"purchase": [], "checkout": [], "cart": []}
    notes = []
    for event in plan.events:
        names = {f.name for f in event.fields}
        role = event.role
        if role is None:
            if order_key in names and names & set(config.money_properties):
                role = "purchase"
            elif checkout_key in names and order_key not in names:
                role = "checkout"
            elif cart_key in names and order_key not in names:
                role = "cart"
            if role is not None:
                notes.append(
                    f"`{event.name}` is taken as a {role} event (inferred from its "
                    "properties; declare `role:` to be explicit)"
                )
        if role is not None:
            found[role].append(event.name)
    return Roles(
        tuple(found["purchase"]),
        tuple(found["checkout"]),
        tuple(found["cart"]),
        order_key,
        checkout_key,
        cart_key,
        tuple(config.money_properties),
        tuple(notes),
    )
