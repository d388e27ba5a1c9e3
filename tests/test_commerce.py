"""Commerce meaning is resolved once (codegen.plan.commerce) and lint, Liquid and audit agree."""

from __future__ import annotations

import ast
import json
import typing
from pathlib import Path

import pytest

from codegen import generate
from codegen.journeys.engine import Engine
from codegen.journeys.roles import roles
from codegen.pipeline import Loaded, load_plan_text
from codegen.plan import commerce, ir

from .conftest import ROOT

HEAD = """\
plan: {name: Shop, slug: shop, version: 1.0.0}
identity: {primary_id: customer_id}
"""


def load(events: str, extra: str = "", anonymous: str = "") -> Loaded:
    """A plan of ``events``; ``anonymous`` lists the events sent without a userId."""
    allowed = f", anonymous_allowed: [{anonymous}]" if anonymous else ""
    head = HEAD.replace("customer_id}", f"customer_id{allowed}}}")
    loaded = load_plan_text(head + "events:\n" + events + extra)
    assert loaded.plan is not None, [d.render() for d in loaded.diagnostics]
    return loaded


def resolved(events: str, name: str, extra: str = "") -> ir.Commerce:
    plan = load(events, extra).plan
    assert plan is not None
    event = plan.event(name)
    assert event is not None
    return event.commerce


def codes(loaded: Loaded) -> set[str]:
    return {d.code for d in loaded.diagnostics}


# -- the resolution rule -------------------------------------------------------------------------

ORDER = """\
  Order Completed:
    description: x
    properties:
      order_id: {type: string, required: true}
      revenue: {type: number, required: true}
"""


def test_money_with_an_order_id_is_inferred_a_purchase() -> None:
    c = resolved(ORDER, "Order Completed")
    assert (c.role, c.declared) == (ir.Role.PURCHASE, False)
    assert c.money == ("revenue",) and c.order_id == "order_id"
    assert "inferred" in c.reason and "`revenue`" in c.reason and "`order_id`" in c.reason


def test_declared_role_wins_over_inference() -> None:
    events = ORDER.replace("    description: x\n", "    role: checkout\n    description: x\n")
    c = resolved(events, "Order Completed")
    assert (c.role, c.declared) == (ir.Role.CHECKOUT, True)
    assert c.reason == "declared `role: checkout`"


def test_role_other_stops_the_inference() -> None:
    events = ORDER.replace("Order Completed", "Order Refunded").replace(
        "    description: x\n", "    role: other\n    description: x\n"
    )
    c = resolved(events, "Order Refunded")
    assert (c.role, c.declared) == (ir.Role.OTHER, True)


def test_an_order_id_without_money_is_not_a_purchase() -> None:
    events = ORDER.replace("      revenue: {type: number, required: true}\n", "")
    assert resolved(events, "Order Completed").role is ir.Role.OTHER


def test_a_checkout_id_without_order_id_is_inferred_a_checkout() -> None:
    events = "  Basket Submitted:\n    properties:\n      checkout_id: {type: string}\n"
    c = resolved(events, "Basket Submitted")
    assert (c.role, c.checkout_id, c.join_id) == (ir.Role.CHECKOUT, "checkout_id", "checkout_id")


def test_a_cart_id_without_order_id_is_inferred_a_cart() -> None:
    events = "  Basket Updated:\n    properties:\n      cart_id: {type: string}\n"
    c = resolved(events, "Basket Updated")
    assert (c.role, c.cart_id, c.checkout_id) == (ir.Role.CART, "cart_id", None)
    assert c.join_id == "cart_id"


def test_ids_with_an_order_id_but_no_money_are_nothing() -> None:
    events = (
        "  Order Shipped:\n    properties:\n      order_id: {type: string}\n"
        "      cart_id: {type: string}\n      checkout_id: {type: string}\n"
    )
    assert resolved(events, "Order Shipped").role is ir.Role.OTHER


def test_configured_names_are_used() -> None:
    events = "  Paid:\n    properties:\n      ref: {type: string}\n      charge: {type: number}\n"
    lint = "lint: {money_properties: [charge], order_id: [ref]}\n"
    c = resolved(events, "Paid", lint)
    assert (c.role, c.money, c.order_id) == (ir.Role.PURCHASE, ("charge",), "ref")


def test_a_required_id_is_preferred_among_configured_names() -> None:
    events = (
        "  Checkout Started:\n    role: checkout\n    properties:\n"
        "      checkout_id: {type: string}\n      cart_id: {type: string, required: true}\n"
    )
    loaded = load(events)
    assert loaded.plan is not None
    event = loaded.plan.event("Checkout Started")
    assert event is not None and event.commerce.join_id == "cart_id"
    assert "commerce/cart-id" not in codes(loaded)  # a checkout may go by its cart's id


CART_VIEWED = """\
  Cart Viewed:
    description: x
    properties:
      step: {type: integer}
"""


def test_a_name_never_decides_a_role() -> None:
    c = resolved(CART_VIEWED, "Cart Viewed")
    assert (c.role, c.named_like) == (ir.Role.OTHER, ir.Role.CART)
    loaded = load(CART_VIEWED)
    assert codes(loaded) == {"commerce/undeclared-role"}
    [d] = loaded.diagnostics
    assert "role: cart" in (d.hint or "")


def test_a_declared_cart_without_its_id_is_reported() -> None:
    events = CART_VIEWED.replace("    description: x\n", "    role: cart\n    description: x\n")
    loaded = load(events)
    # commerce/line-items (issue 16): a cart event without sku/price/quantity is reported too
    assert codes(loaded) == {"commerce/cart-id", "commerce/line-items"}
    [d] = [d for d in loaded.diagnostics if d.code == "commerce/cart-id"]
    assert "declared `role: cart`" in d.message


def test_role_other_silences_the_name_hint() -> None:
    events = CART_VIEWED.replace("    description: x\n", "    role: other\n    description: x\n")
    assert codes(load(events)) == set()


def test_role_vocabulary_matches_the_plan_format() -> None:
    assert typing.get_args(ir.RoleName) == tuple(r.value for r in ir.Role)


@pytest.mark.parametrize("key", ["order_id", "checkout_id", "cart_id", "currency", "line_items"])
def test_empty_id_list_is_a_located_error(key: str) -> None:
    """Regression: `lint: {order_id: []}` crashed the audit (IndexError on the first name)."""
    loaded = load_plan_text(HEAD + "events: {A: {}}\n" + f"lint: {{{key}: []}}\n")
    assert loaded.plan is None
    [d] = loaded.diagnostics
    assert d.location.line == 4 and key in d.render()


# -- money amounts ---------------------------------------------------------------------------------


def test_amounts_are_money_words_of_number_properties() -> None:
    events = (
        "  Quote Shown:\n    properties:\n"
        "      unit_price: {type: number}\n      lifetimeValue: {type: number}\n"
        "      total_items: {type: integer}\n      taxonomy_score: {type: number}\n"
        "      charge: {type: number}\n"
    )
    plan = load(events, "lint: {money_properties: [charge]}\n").plan
    assert plan is not None
    # word matching, not substrings: `taxonomy_score` is not a tax
    assert plan.commerce.amounts == {"unit_price", "lifetimeValue", "charge"}


# -- lint, Liquid and audit agree ------------------------------------------------------------------

AGREE = """\
  Payment Captured:
    role: purchase
    description: The payment went through.
    properties:
      order_id: {type: string, required: true}
      charge: {type: number, required: true}
      currency: {type: string, required: true}
      products: {type: array, required: true}
  Basket Submitted:
    role: checkout
    description: The shopper submitted the basket.
    properties:
      checkout_id: {type: string, required: true}
      charge: {type: number, required: true}
      currency: {type: string, required: true}
      products: {type: array, required: true}
"""
AGREE_EXTRA = """\
messages:
  receipt:
    channel: email
    trigger: Payment Captured
    fields: [event.order_id, event.charge]
lint: {money_properties: [charge]}
"""


def test_lint_liquid_and_audit_agree_on_a_declared_purchase(tmp_path: Path) -> None:
    plain = load(AGREE, AGREE_EXTRA)
    # lint: the checkout's money needs no order id; both are complete
    assert codes(plain) == set()
    anonymous = load(AGREE, AGREE_EXTRA, "Payment Captured, Basket Submitted")
    [d] = anonymous.diagnostics  # only the purchase, not the checkout, needs a known person
    assert d.code == "identity/anonymous-purchase" and "Payment Captured" in d.message

    # Liquid: the purchase's money is shown as money although no money word is in its name
    assert plain.plan is not None
    liquid = generate(plain.plan)["liquid/receipt.liquid"]
    assert "{{ event.charge | currency: money_locale }}" in liquid

    # audit: the same events are a purchase and a checkout, counted with the same money
    found = roles(plain.plan)
    assert found.named(ir.Role.PURCHASE) == ("Payment Captured",)
    assert found.named(ir.Role.CHECKOUT) == ("Basket Submitted",)
    messages = [
        {
            "type": "track",
            "event": event,
            "userId": "c_ann",
            "messageId": f"m{i}",
            "timestamp": f"2026-03-01T10:0{i}:00Z",
            "properties": properties,
        }
        for i, (event, properties) in enumerate(
            [
                ("Basket Submitted", {"checkout_id": "K1", "charge": 40}),
                ("Payment Captured", {"order_id": "O1", "charge": 42.5}),
            ]
        )
    ]
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(m) + "\n" for m in messages))
    assert plain.spec is not None
    audit = Engine(plain.plan, plain.spec.lint, [str(log)]).audit()
    assert (audit.totals["purchases"], audit.totals["revenue"]) == (1, 42.5)
    assert "`Payment Captured` is a purchase event (declared `role: purchase`)" in audit.notes
    assert "`Basket Submitted` is a checkout event (declared `role: checkout`)" in audit.notes


def test_audit_notes_say_why_an_inferred_role_was_given() -> None:
    plan = load(ORDER).plan
    assert plan is not None
    assert roles(plan).notes == (
        "`Order Completed` is a purchase event (inferred: carries money (`revenue`) and an "
        "order id (`order_id`))",
    )


# -- one place -------------------------------------------------------------------------------------

CODEGEN = ROOT / "codegen"
VOCABULARY = commerce.MONEY_WORDS | {r.value for r in ir.Role if r is not ir.Role.OTHER}
ROLE_WORDS = {r.value for r in ir.Role if r is not ir.Role.OTHER}
HOME = {CODEGEN / "plan" / "commerce.py", CODEGEN / "plan" / "ir.py"}  # ir: the Role enum
# Suggests `Order Completed` for a misspelled event name in logs; it decides no meaning.
SYNONYMS = (CODEGEN / "validate" / "checker.py", "purchase")


def vocabulary_uses(path: Path) -> list[str]:
    """Commerce word lists, and comparisons or calls with a role word, in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set | ast.Dict):
            items = node.keys if isinstance(node, ast.Dict) else node.elts
            hits = [w for w in _words(items) if w in VOCABULARY]
            if len(hits) >= 2:
                found.append(f"{path.name}:{node.lineno}: list of {hits}")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            word = node.value.lower()
            if word in ROLE_WORDS and (path, word) != SYNONYMS:
                found.append(f"{path.name}:{node.lineno}: role word {node.value!r}")
    return found


def _words(items: list[ast.expr | None]) -> list[str]:
    return [
        i.value.lower() for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)
    ]


def test_commerce_words_live_only_in_the_commerce_module() -> None:
    found = [
        use
        for path in sorted(CODEGEN.rglob("*.py"))
        if path not in HOME
        for use in vocabulary_uses(path)
    ]
    assert found == []


def test_the_word_scan_finds_a_keyword_list(tmp_path: Path) -> None:
    path = tmp_path / "liquid.py"
    path.write_text('MONEY = ("price", "total")\nif flow == "cart":\n    pass\n')
    assert len(vocabulary_uses(path)) == 2
