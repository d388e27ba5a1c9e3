"""The generated SDK's runtime: what strict, report and off guarantee (issue 12 regressions)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pydantic import ValidationError

from .conftest import ROOT, plan_from
from .sdk_support import import_sdk, write_sdk

SDK_DIR = ROOT / "generated" / "glow_shop" / "python"
USER = "c_abcdef1"
AT = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


class Recorder:
    """A Segment-style client that keeps what it was asked to send."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def track(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)

    def identify(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


@pytest.fixture(scope="module")
def sdk() -> ModuleType:
    return import_sdk(SDK_DIR, "glow_shop")


def product(sdk: ModuleType, **changes: Any) -> Any:
    values = {"product_id": "prd_1", "sku": "GLW-SRM-30ML", "name": "Serum", "price": 34.0}
    return sdk.Product(**{**values, "quantity": 1, **changes})


def order(sdk: ModuleType, tracker: Any, **changes: Any) -> None:
    values: dict[str, Any] = {
        "user_id": USER,
        "order_id": "ord_1",
        "checkout_id": "chk_1",
        "revenue": 34.0,
        "currency": "USD",
        "products": [product(sdk)],
        "completed_at": AT,
        "platform": "web",
    }
    tracker.order_completed(**{**values, **changes})


def tracker(sdk: ModuleType, mode: str) -> tuple[Any, Recorder, list[Any]]:
    client, seen = Recorder(), []
    return sdk.Tracker(client, mode=mode, on_violation=seen.append), client, seen


def test_assigning_a_bad_value_to_a_model_raises(sdk: ModuleType) -> None:
    item = product(sdk)
    with pytest.raises(ValidationError):
        item.quantity = 0
    assert item.quantity == 1


@pytest.mark.parametrize("mode", ["strict", "report"])
def test_a_model_changed_behind_validation_is_checked_again(sdk: ModuleType, mode: str) -> None:
    """model_construct (or in-place edits) skip validation; handing it over re-checks it."""
    bad = sdk.Product.model_construct(**{**product(sdk).model_dump(), "quantity": 0})
    tracks, client, seen = tracker(sdk, mode)
    if mode == "strict":
        with pytest.raises(sdk.TrackingPlanViolation, match=r"products\.0\.quantity"):
            order(sdk, tracks, products=[bad])
        assert client.calls == []
    else:
        order(sdk, tracks, products=[bad])
        assert [v.field for v in seen] == ["properties.products.0.quantity"]


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_non_finite_numbers_are_rejected(sdk: ModuleType, value: float) -> None:
    tracks, client, _ = tracker(sdk, "strict")
    with pytest.raises(sdk.TrackingPlanViolation, match="revenue"):
        order(sdk, tracks, revenue=value)
    with pytest.raises(ValidationError):
        product(sdk, price=value)
    assert client.calls == []


@pytest.mark.parametrize("mode", ["report", "off"])
def test_a_message_json_cannot_hold_is_dropped_and_reported(sdk: ModuleType, mode: str) -> None:
    tracks, client, seen = tracker(sdk, mode)
    order(sdk, tracks, revenue=math.nan)
    assert client.calls == []  # never sent as NaN
    assert any(v.rule == "finite_number" for v in seen)


@pytest.mark.parametrize(
    ("timestamp", "ok"),
    [(AT, True), (datetime(2026, 1, 15, 9, 30), False), ("2026-01-15T09:30:00Z", False)],
)
def test_track_options_timestamp_must_be_an_aware_datetime(
    sdk: ModuleType, timestamp: Any, ok: bool
) -> None:
    tracks, client, seen = tracker(sdk, "report")
    order(sdk, tracks, options=sdk.TrackOptions(timestamp=timestamp))
    if ok:
        assert client.calls[0]["timestamp"] == AT and seen == []
    else:
        assert client.calls == []
        assert [v.field for v in seen] == ["options.timestamp"]
        strict, _, _ = tracker(sdk, "strict")
        with pytest.raises(sdk.TrackingPlanViolation, match=r"options\.timestamp"):
            order(sdk, strict, options=sdk.TrackOptions(timestamp=timestamp))


def test_report_mode_drops_a_message_with_no_id_instead_of_raising(sdk: ModuleType) -> None:
    tracks, client, seen = tracker(sdk, "report")
    tracks.product_viewed(  # anonymous allowed, but neither id given
        product_id="prd_1", sku="GLW-SRM-30ML", name="Serum", category="Skincare", price=34.0,
        currency="USD", platform="web",
    )  # fmt: skip
    assert client.calls == []
    assert seen and seen[0].rule == "identity"


def test_report_mode_sends_a_sendable_message_with_problems(sdk: ModuleType) -> None:
    tracks, client, seen = tracker(sdk, "report")
    order(sdk, tracks, currency="usd")
    assert [v.field for v in seen] == ["properties.currency"]
    assert client.calls[0]["properties"]["currency"] == "usd"


def test_report_mode_routes_wrong_python_types_to_on_violation(sdk: ModuleType) -> None:
    tracks, client, seen = tracker(sdk, "report")
    order(sdk, tracks, revenue="34", completed_at="yesterday")
    assert len(seen) == 1
    assert {e[0] for e in seen[0].errors} >= {"properties.revenue", "properties.completed_at"}
    assert client.calls[0]["properties"]["revenue"] == "34"  # sent as given, reported


ANY_PLAN = """
plan: {name: Loose, slug: loose_plan, version: 1.0.0}
identity: {primary_id: customer_id}
events:
  Blob Sent:
    properties:
      blob: {type: any}
      tags: {type: array, items: {type: string}}
"""


@pytest.fixture(scope="module")
def loose(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    out = write_sdk(plan_from(ANY_PLAN), tmp_path_factory.mktemp("loose"))
    return import_sdk(out, "loose_plan")


@pytest.mark.parametrize("blob", [object(), {"x": math.inf}, [math.nan], {"s": [1, object()]}])
def test_any_values_json_cannot_hold_are_violations(loose: ModuleType, blob: Any) -> None:
    strict = loose.Tracker(Recorder(), mode="strict")
    with pytest.raises(loose.TrackingPlanViolation):
        strict.blob_sent(user_id="u1", blob=blob)
    client, seen = Recorder(), []
    loose.Tracker(client, mode="report", on_violation=seen.append).blob_sent(
        user_id="u1", blob=blob
    )
    assert client.calls == [] and seen


def test_any_values_that_are_json_are_sent(loose: ModuleType) -> None:
    client = Recorder()
    loose.Tracker(client, mode="strict").blob_sent(user_id="u1", blob={"a": [1, 2.5, None]})
    assert client.calls[0]["properties"] == {"blob": {"a": [1, 2.5, None]}}


def test_runtime_is_mypy_strict_clean_without_the_client_packages(tmp_path: Path) -> None:
    """Only pydantic, regress and idna visible: no segment/customerio, no unused ignores."""
    site = tmp_path / "site"
    site.mkdir()
    import idna
    import pydantic
    import pydantic_core
    import regress

    for module in (pydantic, pydantic_core, regress, idna):
        folder = Path(module.__file__ or "").parent
        (site / folder.name).symlink_to(folder)
    for name in ("annotated_types", "typing_inspection"):
        folder = Path(__import__(name).__file__ or "").parent
        (site / folder.name).symlink_to(folder)
    command = [
        sys.executable, "-m", "mypy", "--strict", "--warn-unused-ignores", "--no-site-packages",
        "--follow-imports=silent", "--cache-dir", str(tmp_path / "cache"), "-p", "glow_shop",
    ]  # fmt: skip
    env = {**os.environ, "MYPYPATH": str(site)}
    result = subprocess.run(command, cwd=SDK_DIR, env=env, capture_output=True, text=True)
    ours = [line for line in result.stdout.splitlines() if line.startswith("glow_shop")]
    assert ours == []
    assert "checked 16 source files" in result.stdout or "Success" in result.stdout


# -- found by the differential oracle (tests/test_oracle.py) ----------------------------------

RULES_PLAN = """
plan: {name: Rules, slug: rules_plan, version: 1.0.0}
identity: {primary_id: customer_id, anonymous_allowed: [Size Picked]}
events:
  Size Picked:
    additional_properties: true
    properties:
      size: {type: number, enum: [0.5, 1.0, 1.5, 5]}
      count: {type: integer, enum: [1, 2]}
      tags: {type: array, items: {type: string, min_length: 1}, unique_items: true}
      grid: {type: array, items: {type: array, items: {type: integer}, unique_items: true}}
      blobs: {type: array, unique_items: true}
      closed: {type: object, properties: {}}
  Closed Event:
    properties:
      note: {type: string}
traits:
  customer_id: {type: string, required: true}
"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    out = write_sdk(plan_from(RULES_PLAN), tmp_path_factory.mktemp("rules"))
    return import_sdk(out, "rules_plan")


def _accepts(model: Any, **values: Any) -> bool:
    try:
        model(**values)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    ("items", "ok"),
    [
        (["a", "b"], True),
        (["a", "a"], False),
        ([1, 1.0], False),  # JSON equality: 1 equals 1.0
        ([1, True], True),  # ... and true is not 1
        ([{"a": 1}, {"a": 1.0}], False),
        ([[1], [1]], False),
    ],
)
def test_unique_items_are_enforced_by_json_equality(
    rules: ModuleType, items: list[Any], ok: bool
) -> None:
    model = rules.SizePickedProperties
    assert _accepts(model, blobs=items) is ok
    if all(isinstance(i, str) for i in items):
        assert _accepts(model, tags=items) is ok


def test_unique_items_inside_nested_arrays_and_after_assignment(rules: ModuleType) -> None:
    model = rules.SizePickedProperties
    assert _accepts(model, grid=[[1, 2], [2, 1]])
    assert not _accepts(model, grid=[[1, 1]])
    instance = model(tags=["a"])
    with pytest.raises(ValidationError, match="uniqueItems"):
        instance.tags = ["a", "a"]


@pytest.mark.parametrize(
    ("value", "ok"), [(0.5, True), (5, True), (5.0, True), (1, True), (0.7, False), (True, False)]
)
def test_number_enums_accept_exactly_their_members(rules: ModuleType, value: Any, ok: bool) -> None:
    assert _accepts(rules.SizePickedProperties, size=value) is ok


@pytest.mark.parametrize(("value", "ok"), [(1, True), (2.0, True), (True, False), (3, False)])
def test_integer_enums_reject_true_for_one(rules: ModuleType, value: Any, ok: bool) -> None:
    assert _accepts(rules.SizePickedProperties, count=value) is ok


@pytest.mark.parametrize("item", ["5", True, math.nan])
def test_items_of_constrained_arrays_are_strict(rules: ModuleType, item: Any) -> None:
    """datamodel-code-generator wraps such items in RootModel classes, which were lax."""
    assert not _accepts(rules.SizePickedProperties, grid=[[item]])


def test_unplanned_properties_pass_through_an_open_event(rules: ModuleType) -> None:
    client = Recorder()
    tracker = rules.Tracker(client, mode="strict")
    tracker.size_picked(anonymous_id="a1", size=1.5, unplanned={"campaign": "spring"})
    assert client.calls[0]["properties"] == {"size": 1.5, "campaign": "spring"}
    with pytest.raises(rules.TrackingPlanViolation, match="campaign"):
        tracker.closed_event(user_id="u1", unplanned={"campaign": "spring"})
    with pytest.raises(TypeError, match="planned"):
        tracker.size_picked(anonymous_id="a1", unplanned={"size": 1.5})


def test_identify_with_a_primary_id_trait_other_than_user_id_is_a_violation(
    rules: ModuleType,
) -> None:
    client, seen = Recorder(), []
    with pytest.raises(rules.TrackingPlanViolation, match="customer_id"):
        rules.Tracker(client, mode="strict").identify(user_id="c_1", customer_id="c_2")
    rules.Tracker(client, mode="report", on_violation=seen.append).identify(
        user_id="c_1", customer_id="c_2"
    )
    assert len(client.calls) == 1 and seen[0].field == "traits.customer_id"
    rules.Tracker(client, mode="strict").identify(user_id="c_1", customer_id="c_1")


def test_an_email_as_user_id_is_a_violation(rules: ModuleType) -> None:
    with pytest.raises(rules.TrackingPlanViolation, match="email"):
        rules.Tracker(Recorder(), mode="strict").closed_event(user_id="jane@example.com")


def test_tracker_docstrings_are_indented_and_describe_every_argument() -> None:
    source = (SDK_DIR / "glow_shop" / "tracker.py").read_text(encoding="utf-8")
    import ast

    tree = ast.parse(source)
    tracker = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tracker")
    for method in (n for n in tracker.body if isinstance(n, ast.FunctionDef)):
        doc = ast.get_docstring(method)
        assert doc is not None, method.name
        lines = doc.splitlines()
        args = lines.index("Args:")
        assert all(not line.startswith(" ") for line in lines[:args]), (method.name, doc)
        for line in lines[args + 1 :]:
            assert line.startswith("    ") and not line.startswith("     "), (method.name, line)
            name, _, text = line.strip().partition(": ")
            assert text and text.split(" ")[0] != name, (method.name, line)


def test_an_object_with_no_planned_properties_takes_only_an_empty_object(
    rules: ModuleType,
) -> None:
    """`properties: {}` publishes `additionalProperties: false`; the model said dict[str, Any]."""
    assert _accepts(rules.SizePickedProperties, closed={})
    assert not _accepts(rules.SizePickedProperties, closed={"x": 1})
    with pytest.raises(rules.TrackingPlanViolation):
        rules.Tracker(Recorder(), mode="strict").size_picked(anonymous_id="a", closed={"x": 1})
