"""`codegen diff` on segments and messages: condition-level changes, classified, with their effect
on a live campaign (issue 16: "definition changed" said nothing)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings

from codegen.interop.diff import Report, diff_plans
from codegen.interop.diff_report import markdown, text
from codegen.pipeline import load_plan_text

from .conftest import CliFn
from .plan_fuzz import plans
from .test_fuzz import dump

BASE = """
plan: {name: D, slug: d, version: 1.0.0}
lint: {disable: [commerce/money-event, usage/unused-trait]}
identity: {primary_id: customer_id}
events:
  Checkout Started:
    description: checkout
    properties:
      checkout_id: {type: string, required: true}
      category: {type: string, enum: [a, b]}
  Order Completed:
    description: paid
    properties:
      order_id: {type: string, required: true}
traits:
  customer_id: {type: string, required: true}
  email: {type: string}
  total_orders: {type: integer}
  tier: {type: string, enum: [gold, silver, bronze]}
segments:
  abandoners:
    conditions:
      all:
        - performed: Checkout Started
          within: 1 day
        - not_performed: Order Completed
          within: 1 day
        - trait: total_orders
          greater_than: 3
        - trait: tier
          in: [gold, silver]
  vip:
    conditions:
      any:
        - trait: tier
          equals: gold
        - performed: Order Completed
          at_least: 5
messages:
  recovery:
    channel: email
    trigger: Checkout Started
    audience: abandoners
    fields: [customer.email]
"""


def _diff(old: str, new: str) -> Report:
    text = BASE.replace(old, new)
    assert text != BASE, old
    before, after = load_plan_text(BASE).plan, load_plan_text(text).plan
    assert before is not None and after is not None, text
    return diff_plans(before, after)


def _only(report: Report) -> tuple[str, str, str, str]:
    [change] = report.changes
    return change.kind, change.category, change.path, change.message


NARROWS = "narrows the audience: people already in a running campaign drop out of it"
WIDENS = "widens the audience: people who did not qualify before start receiving the campaign"
UNKNOWN = "changes who matches: check the running campaign's audience first"


@pytest.mark.parametrize(
    ("old", "new", "expected", "reason"),
    [
        (
            "performed: Checkout Started\n          within: 1 day",
            "performed: Checkout Started\n          within: 1 hour",
            (
                "breaking",
                "window-shortened",
                "segments.abandoners.conditions.all[0]",
                "window shortened: 1 day → 1 hour",
            ),
            NARROWS,
        ),
        (
            "performed: Checkout Started\n          within: 1 day",
            "performed: Checkout Started\n          within: 2 days",
            (
                "compatible",
                "window-lengthened",
                "segments.abandoners.conditions.all[0]",
                "window lengthened: 1 day → 2 days",
            ),
            WIDENS,
        ),
        (  # "has not performed" turns the direction around
            "not_performed: Order Completed\n          within: 1 day",
            "not_performed: Order Completed\n          within: 1 hour",
            (
                "compatible",
                "window-shortened",
                "segments.abandoners.conditions.all[1]",
                "window shortened: 1 day → 1 hour",
            ),
            WIDENS,
        ),
        (
            "not_performed: Order Completed\n          within: 1 day",
            "not_performed: Order Completed",
            (
                "breaking",
                "window-removed",
                "segments.abandoners.conditions.all[1]",
                "time window removed: was 1 day",
            ),
            NARROWS,
        ),
        (
            "          in: [gold, silver]\n",
            "          in: [gold, silver]\n        - trait: email\n          exists: true\n",
            (
                "breaking",
                "condition-added",
                "segments.abandoners.conditions.all[4]",
                "condition added: trait email exists true",
            ),
            NARROWS,
        ),
        (
            "        - trait: tier\n          in: [gold, silver]\n",
            "",
            (
                "compatible",
                "condition-removed",
                "segments.abandoners.conditions.all[3]",
                "condition removed: trait tier in [gold, silver]",
            ),
            WIDENS,
        ),
        (  # under `any`, one more branch widens
            "          at_least: 5\n",
            "          at_least: 5\n        - trait: total_orders\n          greater_than: 20\n",
            (
                "compatible",
                "condition-added",
                "segments.vip.conditions.any[2]",
                "condition added: trait total_orders greater_than 20",
            ),
            WIDENS,
        ),
        (
            "greater_than: 3",
            "less_than: 3",
            (
                "breaking",
                "operator-changed",
                "segments.abandoners.conditions.all[2]",
                "operator changed: greater_than 3 → less_than 3",
            ),
            UNKNOWN,
        ),
        (
            "greater_than: 3",
            "greater_than: 5",
            (
                "breaking",
                "value-changed",
                "segments.abandoners.conditions.all[2]",
                "value changed: greater_than 3 → greater_than 5",
            ),
            NARROWS,
        ),
        (
            "in: [gold, silver]",
            "in: [gold, silver, bronze]",
            (
                "compatible",
                "value-changed",
                "segments.abandoners.conditions.all[3]",
                "value changed: in [gold, silver] → in [gold, silver, bronze]",
            ),
            WIDENS,
        ),
        (
            "equals: gold",
            "equals: silver",
            (
                "breaking",
                "value-changed",
                "segments.vip.conditions.any[0]",
                "value changed: equals gold → equals silver",
            ),
            UNKNOWN,
        ),
        (
            "performed: Checkout Started\n          within: 1 day",
            "performed: Order Completed\n          within: 1 day",
            (
                "breaking",
                "event-changed",
                "segments.abandoners.conditions.all[0]",
                "event changed: Checkout Started → Order Completed",
            ),
            UNKNOWN,
        ),
        (
            "at_least: 5",
            "at_least: 2",
            (
                "compatible",
                "value-changed",
                "segments.vip.conditions.any[1]",
                "count changed: at_least 5 → at_least 2",
            ),
            WIDENS,
        ),
        (
            "    conditions:\n      any:",
            "    conditions:\n      all:",
            (
                "breaking",
                "operator-changed",
                "segments.vip.conditions",
                "match ANY → match ALL",
            ),
            NARROWS,
        ),
        (
            "    trigger: Checkout Started\n",
            "    trigger: Order Completed\n",
            (
                "breaking",
                "event-changed",
                "messages.recovery.trigger",
                "trigger changed: Checkout Started → Order Completed",
            ),
            UNKNOWN,
        ),
        (
            "    audience: abandoners\n",
            "",
            (
                "compatible",
                "audience-changed",
                "messages.recovery.audience",
                "audience changed: abandoners → everyone",
            ),
            WIDENS,
        ),
    ],
)
def test_each_condition_change_is_classified(
    old: str, new: str, expected: tuple[str, str, str, str], reason: str
) -> None:
    report = _diff(old, new)
    assert _only(report) == expected
    assert report.changes[0].reason == reason


def test_event_property_filter_added_narrows_a_performed_condition() -> None:
    report = _diff(
        "          within: 1 day\n        - not_performed",
        "          within: 1 day\n          where:\n            - property: category\n"
        "              equals: a\n        - not_performed",
    )
    assert _only(report) == (
        "breaking",
        "condition-added",
        "segments.abandoners.conditions.all[0].where.category",
        "event property filter added: category",
    )


def test_reordering_conditions_is_no_change() -> None:
    swapped = BASE.replace(
        "        - trait: total_orders\n          greater_than: 3\n"
        "        - trait: tier\n          in: [gold, silver]\n",
        "        - trait: tier\n          in: [gold, silver]\n"
        "        - trait: total_orders\n          greater_than: 3\n",
    )
    assert swapped != BASE
    before, after = load_plan_text(BASE).plan, load_plan_text(swapped).plan
    assert before is not None and after is not None
    assert diff_plans(before, after).changes == ()


def test_a_breaking_audience_change_needs_a_major_bump() -> None:
    report = _diff("greater_than: 3", "greater_than: 5")
    assert report.required == "major" and not report.version_ok
    widened = _diff("greater_than: 3", "greater_than: 1")
    assert widened.required == "minor"


def test_text_and_markdown_say_why() -> None:
    report = _diff(
        "within: 1 day\n        - not_performed", "within: 1 hour\n        - not_performed"
    )
    assert text(report).splitlines()[0] == (
        "BREAKING   segments.abandoners.conditions.all[0]: window shortened: 1 day → 1 hour "
        f"({NARROWS})"
    )
    assert (
        "| BREAKING | `segments.abandoners.conditions.all[0]` | window shortened: 1 day → 1 hour "
        f"({NARROWS}) |"
    ) in markdown(report)


def test_json_carries_category_and_reason(cli: CliFn, tmp_path: Path) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(BASE)
    new.write_text(BASE.replace("greater_than: 3", "greater_than: 5"))
    result = cli("diff", old, new, "--format", "json")
    assert result.exit_code == 1  # breaking, version not bumped
    document = json.loads(result.stdout)
    assert document["required_bump"] == "major"
    assert document["changes"] == [
        {
            "kind": "breaking",
            "path": "segments.abandoners.conditions.all[2]",
            "message": "value changed: greater_than 3 → greater_than 5",
            "category": "value-changed",
            "reason": NARROWS,
        }
    ]


def test_date_storage_change_is_breaking() -> None:
    base = BASE.replace(
        "  email: {type: string}\n", "  email: {type: string}\n  seen_at: {type: datetime}\n"
    )
    changed = base.replace("seen_at: {type: datetime}", "seen_at: {type: datetime, stored_as: iso}")
    before, after = load_plan_text(base).plan, load_plan_text(changed).plan
    assert before is not None and after is not None
    [change] = diff_plans(before, after).changes
    assert (change.kind, change.path, change.message) == (
        "breaking",
        "traits.seen_at",
        "stored in Customer.io as iso (was unix)",
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("within: 1 day\n        - not_performed", "within: 24 hours\n        - not_performed"),
        ("within: 1 day\n        - trait", "within: 1440 minutes\n        - trait"),
        ("in: [gold, silver]", "in: [silver, gold]"),
        (  # an `all` nested in the `all`
            "        - trait: total_orders\n          greater_than: 3\n"
            "        - trait: tier\n          in: [gold, silver]\n",
            "        - all:\n          - trait: total_orders\n            greater_than: 3\n"
            "          - trait: tier\n            in: [gold, silver]\n",
        ),
        (  # a group of one condition is that condition
            "        - trait: tier\n          equals: gold\n",
            "        - any:\n          - trait: tier\n            equals: gold\n",
        ),
        (  # children of a nested group reordered
            "        - trait: tier\n          equals: gold\n"
            "        - performed: Order Completed\n          at_least: 5\n",
            "        - performed: Order Completed\n          at_least: 5\n"
            "        - trait: tier\n          equals: gold\n",
        ),
    ],
    ids=["24-hours", "1440-minutes", "in-reordered", "all-in-all", "group-of-one", "any-reordered"],
)
def test_regression_same_test_spelled_differently_is_no_change(old: str, new: str) -> None:
    """`60 minutes` for `1 hour`, a reordered `in` list, an `all` nested in an `all`: the same
    people match, so nothing changed and no bump is needed (was: window lengthened, value
    changed, condition removed + added)."""
    report = _diff(old, new)
    assert report.changes == (), report.changes


def test_regression_unchanged_sibling_is_paired_before_a_changed_one() -> None:
    """Two groups of the same mode swapped, one of them changed: the unchanged one pairs with
    itself, so only the real change is reported."""
    old = "        - trait: tier\n          in: [gold, silver]\n"
    groups = (
        "        - any:\n          - trait: email\n            exists: true\n"
        "          - trait: tier\n            equals: gold\n"
        "        - any:\n          - trait: total_orders\n            greater_than: {n}\n"
        "          - trait: tier\n            equals: bronze\n"
    )
    text = BASE.replace(old, old + groups.format(n=1))
    swapped = groups.format(n=2).split("        - any:\n")
    new = BASE.replace(old, old + "        - any:\n" + swapped[2] + "        - any:\n" + swapped[1])
    before, after = load_plan_text(text).plan, load_plan_text(new).plan
    assert before is not None and after is not None
    [change] = diff_plans(before, after).changes
    assert change.category == "value-changed", change
    assert change.message == "value changed: greater_than 1 → greater_than 2"


def test_regression_segment_renamed_with_same_conditions_is_one_compatible_change() -> None:
    """A segment whose id changes and whose conditions do not is the same audience: one
    `segment-renamed` change, and the message whose audience follows it has not changed (was:
    removed + added, and a breaking "audience changed" on the message)."""
    text = BASE.replace("  abandoners:\n", "  cart_abandoners:\n").replace(
        "audience: abandoners", "audience: cart_abandoners"
    )
    before, after = load_plan_text(BASE).plan, load_plan_text(text).plan
    assert before is not None and after is not None
    changes = diff_plans(before, after).changes
    [change] = [c for c in changes if c.kind != "doc"]  # its default name follows the id: doc
    assert (change.kind, change.category, change.path) == (
        "compatible",
        "segment-renamed",
        "segments.cart_abandoners",
    )
    assert "renamed from `abandoners`" in change.message
    changed = text.replace("greater_than: 3", "greater_than: 4")  # renamed and narrowed
    after = load_plan_text(changed).plan
    assert after is not None
    kinds = sorted(c.category for c in diff_plans(before, after).changes)
    assert "segment-renamed" not in kinds and "audience-changed" in kinds


# -- fuzzed plans: a rewording of every audience is no change ---------------------------------

_MINUTES = {"minute": 1, "minutes": 1, "hour": 60, "hours": 60, "day": 1440, "days": 1440}
_MINUTES |= {"week": 10080, "weeks": 10080}


def _reworded(node: Any) -> Any:
    """The same audience spelled otherwise: windows in minutes, children reversed, each group
    nested in a group of its own mode."""
    if isinstance(node, list):
        return [_reworded(n) for n in reversed(node)]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "within" and isinstance(value, str):
            amount, unit = value.split()
            out[key] = f"{int(amount) * _MINUTES[unit]} minutes"
        elif key in ("all", "any") and isinstance(value, list):
            out[key] = [{key: _reworded(value)}]
        elif key in ("in", "not_in") and isinstance(value, list):
            out[key] = list(reversed(value))
        else:
            out[key] = _reworded(value)
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(document=plans())
def test_fuzzed_audiences_reworded_are_no_change(document: dict[str, Any]) -> None:
    before = load_plan_text(dump(document)).plan
    assume(before is not None and before.segments)
    assert before is not None
    reworded = copy.deepcopy(document)
    for segment in reworded.get("segments", {}).values():
        segment["conditions"] = _reworded(segment["conditions"])
    after = load_plan_text(dump(reworded)).plan
    assert after is not None, dump(reworded)
    assert diff_plans(before, before).changes == ()
    assert diff_plans(before, after).changes == (), dump(reworded)


def test_regression_maintained_by_change_is_a_doc_change() -> None:
    """Adding, removing or changing `maintained_by` changes the traits page and what the audit
    checks; the diff said nothing (no bump needed)."""
    old = "  total_orders: {type: integer}"
    new = "  total_orders: {type: integer, maintained_by: {event: Order Completed, as: count}}"
    report = _diff(old, new)
    assert [(c.kind, c.path) for c in report.changes] == [
        ("doc", "traits.total_orders.maintained_by")
    ]
    assert "not maintained by events → count of Order Completed" in report.changes[0].message
    assert report.required == "patch"
