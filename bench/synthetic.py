"""Synthetic tracking plans of any size, for the benchmarks (realistic shapes, ~12 properties)."""

from __future__ import annotations

import json

_ACTIONS = ["Viewed", "Added", "Removed", "Started", "Completed", "Updated", "Shared", "Saved"]


def plan_yaml(events: int, slug: str = "synthetic") -> str:
    """A valid plan with ``events`` events, reusable types and nested line items."""
    lines = [
        f"plan: {{name: Synthetic {events}, slug: {slug}, version: 1.0.0}}",
        'identity: {primary_id: customer_id, user_id_pattern: "^c_[0-9a-z]{6,}$"}',
        "lint: {disable: [usage/unused-trait, commerce/money-event, commerce/cart-id]}",
        "properties:",
        '  currency: {type: string, pattern: "^[A-Z]{3}$"}',
        "  category: {type: string, enum: [Skincare, Haircare, Bodycare, Sets]}",
        "types:",
        "  LineItem:",
        "    properties:",
        "      sku: {type: string, required: true}",
        "      price: {type: number, minimum: 0, required: true}",
        "      quantity: {type: integer, minimum: 1, required: true}",
        "      category: {ref: category}",
        "events:",
    ]
    for i in range(events):
        name = f"Object{i:04d} {_ACTIONS[i % len(_ACTIONS)]}"
        lines += [
            f"  {json.dumps(name)}:",
            f"    description: Synthetic event number {i}.",
            "    properties:",
            "      object_id: {type: string, required: true}",
            "      value: {type: number, minimum: 0, required: true}",
            "      currency: {ref: currency, required: true}",
            "      category: {ref: category}",
            "      quantity: {type: integer, minimum: 0}",
            "      happened_at: {type: datetime, required: true}",
            "      coupon: {type: string, max_length: 40}",
            "      is_gift: {type: boolean}",
            "      tier: {type: string, enum: [free, plus, pro], nullable: true}",
            "      email: {type: string, format: email}",
            "      items: {type: array, items: LineItem, min_items: 1, required: true}",
            "      shipping:",
            "        type: object",
            "        properties:",
            "          city: {type: string, required: true}",
            "          postcode: {type: string}",
        ]
    lines += ["traits:", "  email: {type: string, format: email}"]
    return "\n".join(lines) + "\n"
