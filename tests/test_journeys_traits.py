"""Traits in the audit: `maintained_by` (declared, checked at resolve time, documented) and the
people whose maintained trait lags their events (`stale_trait`); traits sent but not planned,
planned but never sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import pytest

from codegen.journeys.engine import Audit, Engine
from codegen.pipeline import load_plan, load_plan_text
from codegen.plan import ir

from .conftest import CASES, ROOT, CliFn
from .test_journeys import identify, log, track

TRAITS_PLAN = CASES / "journeys" / "traits_plan.yaml"

# ann's traits lag her events on all four maintained traits; bob's are current (total_orders
# sent as 2.0, seats as 3 for 3.0); cy never sent them; dee's total_orders was cleared (null).
MAINTAINED = [
    identify(
        "i1",
        "09:00",
        "c_ann",
        total_orders=1,
        last_order_at="2026-03-01T10:00:00Z",
        subscription_status="active",
        seats=2,
        favourite_colour="teal",
    ),
    track("Order Completed", "o1", "10:00", user="c_ann", order_id="A1", revenue=10),
    track("Order Completed", "o2", "11:00", user="c_ann", order_id="A2", revenue=20),
    track("Subscription Changed", "s1", "11:30", user="c_ann", status="paused", seats=5),
    track("Order Completed", "o3", "10:00", user="c_bob", order_id="B1", revenue=10),
    track("Order Completed", "o4", "10:30", user="c_bob", order_id="B2", revenue=10),
    track("Subscription Changed", "s2", "10:40", user="c_bob", status="cancelled", seats=3.0),
    # a later event without the property does not change what the trait should be
    track("Subscription Changed", "s3", "10:50", user="c_bob", status="cancelled"),
    identify(
        "i2",
        "11:00",
        "c_bob",
        total_orders=2.0,
        last_order_at="2026-03-01T10:30:00Z",
        subscription_status="cancelled",
        seats=3,
        favourite_colour="red",
        nickname="bobby",
    ),
    track("Order Completed", "o5", "12:00", user="c_cy", order_id="C1", revenue=10),
]
CLEARED = [
    identify("i3", "09:00", "c_dee", total_orders=0),
    track("Order Completed", "o6", "10:00", user="c_dee", order_id="D1", revenue=10),
    identify("i4", "11:00", "c_dee", total_orders=None),
]


def audit(tmp_path: Path, messages: list[dict[str, Any]]) -> Audit:
    loaded = load_plan(TRAITS_PLAN)
    assert loaded.plan is not None and loaded.spec is not None
    return Engine(loaded.plan, loaded.spec.lint, [log(tmp_path, messages)]).audit()


def test_stale_maintained_traits(tmp_path: Path) -> None:
    found = [
        (f.kind, f.profiles, f.message_ids, f.detail, f.facts)
        for f in audit(tmp_path, MAINTAINED).findings
    ]
    assert found == [
        (
            "stale_trait",
            ("c_ann",),
            ("i1", "o2"),
            "last_order_at is 2026-03-01T10:00:00Z but the last Order Completed is 01:00:00 later",
            {
                "trait": "last_order_at",
                "as": "last_timestamp",
                "event": "Order Completed",
                "value": "2026-03-01T10:00:00Z",
                "events": 2,
            },
        ),
        (
            "stale_trait",
            ("c_ann",),
            ("i1", "o2"),
            "total_orders is 1 but the log has 2 Order Completed events",
            {
                "trait": "total_orders",
                "as": "count",
                "event": "Order Completed",
                "value": "1",
                "events": 2,
            },
        ),
        (
            "stale_trait",
            ("c_ann",),
            ("i1", "s1"),
            "seats is 2 but the last Subscription Changed says 5",
            {
                "trait": "seats",
                "as": "last_value",
                "event": "Subscription Changed",
                "value": "2",
                "events": 1,
                "expected": "5",
            },
        ),
        (
            "stale_trait",
            ("c_ann",),
            ("i1", "s1"),
            "subscription_status is active but the last Subscription Changed says paused",
            {
                "trait": "subscription_status",
                "as": "last_value",
                "event": "Subscription Changed",
                "value": "active",
                "events": 1,
                "expected": "paused",
            },
        ),
    ]


def test_a_trait_cleared_with_null_is_not_stale(tmp_path: Path) -> None:
    assert audit(tmp_path, CLEARED).findings == ()
    stale = audit(tmp_path, CLEARED[:2]).findings
    assert [(f.kind, f.profiles, f.message_ids) for f in stale] == [
        ("stale_trait", ("c_dee",), ("i3", "o6"))
    ]


def test_unplanned_and_unused_traits(tmp_path: Path) -> None:
    usage = audit(tmp_path, MAINTAINED).traits
    assert usage is not None
    assert usage.unplanned == (("favourite_colour", 2, 2), ("nickname", 1, 1))
    assert usage.unused == ("customer_id", "email", "loyalty_tier")


def test_cli_reports_traits_in_text_and_json(cli: CliFn, tmp_path: Path) -> None:
    source = log(tmp_path, MAINTAINED)
    text = cli("audit", "--plan", str(TRAITS_PLAN), source)
    assert text.exit_code == 0, text.stderr
    assert "stale_trait: 4 findings" in text.stdout
    assert "  stale_trait c_ann: total_orders is 1 but the log has 2 Order Completed events" in (
        text.stdout
    )
    assert "unplanned traits (sent, not in the plan): 2" in text.stdout
    assert "  favourite_colour: 2 messages, 2 profiles" in text.stdout
    assert "unused traits (planned, never sent): 3: customer_id, email, loyalty_tier" in (
        text.stdout
    )
    result = cli("audit", "--plan", str(TRAITS_PLAN), source, "--format", "json")
    payload = json.loads(result.stdout)
    assert payload["traits"] == {
        "unplanned": [
            {"trait": "favourite_colour", "messages": 2, "profiles": 2},
            {"trait": "nickname", "messages": 1, "profiles": 1},
        ],
        "unused": ["customer_id", "email", "loyalty_tier"],
    }
    kinds = [f["kind"] for f in payload["findings"]]
    assert kinds.count("stale_trait") == 4
    markdown = cli("audit", "--plan", str(TRAITS_PLAN), source, "--format", "markdown")
    assert "## stale_trait (4)" in markdown.stdout
    assert "| `favourite_colour` | no | 2 | 2 |" in markdown.stdout
    assert "| `loyalty_tier` | yes | 0 | 0 |" in markdown.stdout


def test_upkeep_spellings_are_the_upkeep_kinds() -> None:
    assert set(get_args(ir.UpkeepName)) == {u.value for u in ir.Upkeep}


BAD_MAINTAINED = {
    # the declaration, the diagnostic's code, its line in the plan, words of its message
    "{event: Order Complete, as: count}": (
        "maintained/unknown-event",
        22,
        "`Order Complete` is not a planned event",
    ),
    "{event: Order Completed, as: last_value, property: totl}": (
        "maintained/unknown-property",
        22,
        "`totl` is not a property of `Order Completed`",
    ),
    "{event: Order Completed, as: last_value}": (
        "maintained/property",
        22,
        "`as: last_value` needs `property`",
    ),
    "{event: Order Completed, as: count, property: revenue}": (
        "maintained/property",
        22,
        "`as: count` takes no `property`",
    ),
    "{event: Order Completed, as: last_timestamp}": (
        "maintained/type-mismatch",
        22,
        "trait `total_orders` (integer) cannot hold a timestamp",
    ),
    "{event: Subscription Changed, as: last_value, property: status}": (
        "maintained/type-mismatch",
        22,
        "trait `total_orders` (integer) cannot hold `status` (string)",
    ),
}


@pytest.mark.parametrize("declaration", sorted(BAD_MAINTAINED))
def test_bad_maintained_by_is_a_located_error(declaration: str, cli: CliFn, tmp_path: Path) -> None:
    code, line, words = BAD_MAINTAINED[declaration]
    text = TRAITS_PLAN.read_text()
    good = "maintained_by: {event: Order Completed, as: count}"
    assert text.splitlines()[line - 1].strip() == good
    plan = tmp_path / "plan.yaml"
    plan.write_text(text.replace(good, f"maintained_by: {declaration}"))
    loaded = load_plan_text(plan.read_text())
    assert loaded.plan is None
    assert [d.code for d in loaded.diagnostics] == [code]
    result = cli("lint", str(plan))
    assert result.exit_code == 1  # a plan with errors (codegen/cli/policy.py), as ref/* errors
    assert f"{plan}:{line}:" in result.stderr and f"error[{code}]" in result.stderr
    assert words in result.stderr


def test_an_enum_trait_cannot_copy_values_outside_it(tmp_path: Path) -> None:
    text = TRAITS_PLAN.read_text().replace(
        "status: {type: string, enum: [active, paused, cancelled]",
        "status: {type: string, enum: [active, paused, cancelled, trial]",
    )
    loaded = load_plan_text(text)
    assert [(d.code, d.message) for d in loaded.diagnostics] == [
        (
            "maintained/type-mismatch",
            "trait `subscription_status` (string) cannot hold `status` values outside its "
            "enum (trial)",
        )
    ]


def test_an_unknown_upkeep_is_a_file_format_error() -> None:
    text = TRAITS_PLAN.read_text().replace("as: count}", "as: sum}")
    rendered = [d.render() for d in load_plan_text(text).diagnostics]
    assert rendered == [
        "<plan>:22:45: error[plan/invalid] traits.total_orders.maintained_by.as: `sum` is not "
        "allowed; expected 'count', 'last_timestamp' or 'last_value'"
    ]


def test_docs_say_what_maintains_a_trait() -> None:
    traits = (ROOT / "generated" / "glow_shop" / "docs" / "traits.md").read_text()
    lines = {line.split("`")[1]: line for line in traits.splitlines() if "trait-" in line}
    assert "Maintained by events: count of Order Completed." in lines["total_orders"]
    assert "Maintained by events: time of the last Order Completed." in lines["last_order_at"]
    assert "Maintained by" not in lines["email"]


def test_regression_timestamps_without_offset_are_utc_whatever_the_machine_zone(
    tmp_path: Path,
) -> None:
    """A trait or event timestamp without a UTC offset is read as UTC, not as the machine's local
    time (DuckDB's default): under TZ=Asia/Tokyo a current `last_order_at` was reported stale,
    8:30 behind, and the report changed with the machine."""
    import os
    import subprocess
    import sys

    messages = [
        identify("i1", "09:00", "c_ann", last_order_at="2026-03-01T11:30:00"),  # naive: UTC
        track("Order Completed", "o1", "11:00", user="c_ann", order_id="A1", revenue=10),
        identify("i2", "09:00", "c_bob", last_order_at="2026-03-01T10:00:00"),
        track("Order Completed", "o2", "11:00", user="c_bob", order_id="B1", revenue=10),
    ]
    path = log(tmp_path, messages)
    reports = []
    command = [sys.executable, "-m", "codegen", "audit", "--plan", str(TRAITS_PLAN), path]
    for zone in ("UTC", "Asia/Tokyo", "America/Los_Angeles"):
        done = subprocess.run(
            [*command, "--format", "json"],
            capture_output=True,
            env={**os.environ, "TZ": zone},
            cwd=ROOT,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        reports.append(json.loads(done.stdout))
    assert reports[0] == reports[1] == reports[2]
    stale = [f for f in reports[0]["findings"] if f["kind"] == "stale_trait"]
    assert [f["profiles"] for f in stale] == [["c_bob"]], stale
