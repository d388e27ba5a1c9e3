"""`codegen audit` and `codegen simulate` on dirty production logs (issue 13): one log per
problem, with the exact findings expected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .test_journeys import engine, identify, log, track


def checkout(i: int, cart: str, user: str | None = None) -> dict[str, Any]:
    return track(
        "Checkout Started",
        f"c{i}",
        "10:00",
        user=user or f"c_user{i:04d}",
        checkout_id=f"C{i}",
        cart_id=cart,
        value=10,
    )


def purchase(i: int, cart: str | None, user: str | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {"order_id": f"O{i}", "checkout_id": f"C{i}", "revenue": 10}
    if cart is not None:
        properties["cart_id"] = cart
    return track("Order Completed", f"o{i}", "10:05", user=user or f"c_user{i:04d}", **properties)


def with_emails(n: int) -> list[dict[str, Any]]:
    return [
        identify(f"i{i}", "09:00", f"c_user{i:04d}", email=f"u{i}@example.com") for i in range(n)
    ]


# -- 1. repeated identifiers ---------------------------------------------------------------------


def test_a_shared_cart_id_is_one_finding_and_joins_nothing(tmp_path: Path) -> None:
    # 8 people send cart_id "undefined"; half of them buy. Without the rule every checkout
    # matched every other person's purchase: 8 x 4 - 4 = 28 phantom abandoners.
    messages = with_emails(8)
    messages += [checkout(i, "undefined") for i in range(8)]
    messages += [purchase(i, "undefined") for i in range(4)]
    result = engine([log(tmp_path, messages)]).audit()
    assert [(f.kind, f.profiles, f.message_ids, f.revenue, f.detail) for f in result.findings] == [
        (
            "shared_identifier",
            tuple(f"c_user{i:04d}" for i in range(5)),
            ("c0", "c1", "c2", "c3", "c4"),
            None,
            'cart id "undefined" is sent by 8 profiles on 12 messages (Checkout Started, '
            "Order Completed): a client default, not an id; left out of cart/checkout/order "
            "matching",
        )
    ]
    assert result.findings[0].facts == {
        "key": "cart",
        "value": "undefined",
        "events": ["Checkout Started", "Order Completed"],
        "profile_count": 8,
        "message_count": 12,
    }
    assert result.totals["true_abandoners"] == 4  # c_user0004..7: matched by checkout_id


def test_an_id_shared_by_few_profiles_is_still_matched(tmp_path: Path) -> None:
    # Phone (anonymous), tablet (anonymous) and the person: 3 profiles, under the threshold.
    messages = [
        track("Product Added", "a1", "10:00", anon="phone", cart_id="K1"),
        track("Product Added", "a2", "10:01", anon="tablet", cart_id="K1"),
        identify("i1", "10:02", "c_alice01", email="alice@example.com"),
        purchase(1, "K1", user="c_alice01"),
    ]
    kinds = [f.kind for f in engine([log(tmp_path, messages)]).audit().findings]
    assert kinds.count("phantom_abandoner") == 2 and "shared_identifier" not in kinds


def test_shared_ids_keep_the_audit_linear(tmp_path: Path) -> None:
    # 3,000 people on one cart_id, all buying: 9,000,000 rows through the old join.
    n = 3000
    messages = with_emails(n)
    messages += [checkout(i, "0") for i in range(n)]
    messages += [purchase(i, "0") for i in range(n)]
    e = engine([log(tmp_path, messages)])
    result = e.audit()
    assert [f.kind for f in result.findings] == ["shared_identifier"]
    assert result.totals["true_abandoners"] == 0
    (rows,) = e.connection.execute("SELECT count(*) FROM starts").fetchone() or (0,)
    assert rows == n  # only the checkout_id rows take part in matching


# -- 2. true abandoners ----------------------------------------------------------------------


def test_a_purchase_without_the_optional_cart_id_is_not_an_abandonment(tmp_path: Path) -> None:
    messages = with_emails(2)
    messages += [checkout(0, "K0"), purchase(0, None), checkout(1, "K1")]
    result = engine([log(tmp_path, messages)]).audit()
    assert result.totals["true_abandoners"] == 1  # only c_user0001
    assert result.findings == ()
