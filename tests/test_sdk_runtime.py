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
    assert "checked 15 source files" in result.stdout or "Success" in result.stdout
