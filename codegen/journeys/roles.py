"""The audit's view of commerce meaning, read from the ir.

Which event is a purchase, checkout or cart, and why, is decided once by
:mod:`codegen.plan.commerce`; this module only arranges it for the SQL and the report.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..plan import ir


@dataclass(frozen=True)
class Roles:
    """The purchase, checkout and cart events, and the properties the SQL extracts."""

    events: tuple[tuple[str, ir.Role], ...]  # (event, role) for every non-OTHER event
    order_key: str
    checkout_key: str
    cart_key: str
    money: tuple[str, ...]
    notes: tuple[str, ...]  # which event got which role, and why

    def named(self, role: ir.Role) -> tuple[str, ...]:
        return tuple(event for event, r in self.events if r is role)


def roles(plan: ir.Plan) -> Roles:
    """Every event the plan gives a commerce role, with the plan's primary id names (the first
    of each ``lint:`` list: the audit reads one key per id from the logs)."""
    found = [e for e in plan.events if e.commerce.role is not ir.Role.OTHER]
    keys = plan.commerce
    return Roles(
        tuple((e.name, e.commerce.role) for e in found),
        keys.order_id[0],
        keys.checkout_id[0],
        keys.cart_id[0],
        keys.money,
        tuple(
            f"`{e.name}` is a {e.commerce.role.value} event ({e.commerce.reason})" for e in found
        ),
    )
