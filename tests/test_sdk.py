"""The generated SDK, used for real: the Segment and Customer.io clients post to a local server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest

from codegen import generate
from codegen.generators.samples import Sampler
from codegen.plan.names import event_class

from .conftest import ROOT, glow_shop, pip_install
from .sdk_support import import_sdk, python_kwargs, recording_server

PLAN = glow_shop()
SDK_DIR = ROOT / "generated" / "glow_shop" / "python"
SCHEMAS = {
    path: json.loads(text) for path, text in generate(PLAN).items() if path.endswith(".json")
}
BUNDLE = jsonschema.Draft202012Validator(
    SCHEMAS["schemas/plan.schema.json"],
    format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
)
SAMPLER = Sampler(PLAN)


@pytest.fixture(scope="module")
def sdk() -> ModuleType:
    return import_sdk(SDK_DIR, "glow_shop")


def event_model(sdk: ModuleType, event_code: str) -> Any:
    module = __import__(f"glow_shop.events.{event_code}", fromlist=["x"])
    return getattr(module, event_class(event_code))


def send_every_event(sdk: ModuleType, tracker: Any) -> int:
    sent = 0
    for event in PLAN.events:
        model = event_model(sdk, event.code_name)
        for full in (True, False):
            kwargs = python_kwargs(model, SAMPLER.track(event, full=full)["properties"])
            getattr(tracker, event.code_name)(user_id=SAMPLER.user_id(), **kwargs)
            sent += 1
        if event.anonymous_allowed:
            kwargs = python_kwargs(model, SAMPLER.track(event, full=False)["properties"])
            getattr(tracker, event.code_name)(anonymous_id="anon-1", **kwargs)
            sent += 1
    traits = python_kwargs(sdk.IdentifyTraits, SAMPLER.identify(full=True)["traits"])
    traits["customer_id"] = SAMPLER.user_id()  # the primary-id trait names the same person
    tracker.identify(user_id=SAMPLER.user_id(), **traits)
    return sent + 1


@pytest.mark.parametrize("transport", ["for_segment", "for_customerio"])
def test_every_event_through_the_real_client_validates(sdk: ModuleType, transport: str) -> None:
    with recording_server() as server:
        tracker = getattr(sdk.Tracker, transport)("test-write-key", host=server.url)
        assert tracker.mode == "strict"  # the default under pytest
        sent = send_every_event(sdk, tracker)
        tracker.shutdown()
        messages = server.messages()
        paths = {path for path, _, _ in server.requests}
    assert paths == {"/v1/batch"}
    assert len(messages) == sent
    seen = set()
    for message in messages:
        errors = [f"{e.json_path}: {e.message}" for e in BUNDLE.iter_errors(message)]
        assert errors == [], (message.get("event"), errors)
        assert message["context"]["tracking_plan"] == {"name": "glow_shop", "version": "1.2.0"}
        seen.add(message.get("event", message["type"]))
    assert seen == {e.name for e in PLAN.events} | {"identify"}


def test_wire_values_keep_their_types(sdk: ModuleType) -> None:
    from datetime import UTC, datetime

    with recording_server() as server:
        tracker = sdk.Tracker.for_segment("key", host=server.url)
        tracker.order_completed(
            user_id="c_abc1234",
            order_id="o1",
            checkout_id="chk1",
            revenue=42,
            currency="EUR",
            products=[
                sdk.Product(product_id="p1", sku="GLW-1", name="Serum", price=19.5, quantity=2)
            ],
            completed_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
            platform="web",
        )
        tracker.shutdown()
        [message] = server.messages()
    props = message["properties"]
    assert props["revenue"] == 42 and isinstance(props["revenue"], float)
    assert props["products"][0]["quantity"] == 2 and props["products"][0]["price"] == 19.5
    assert props["completed_at"] == "2026-03-01T12:00:00Z"
    assert "cart_id" not in props  # optional and not given: absent, not null
    assert message["userId"] == "c_abc1234" and message["event"] == "Order Completed"


class _Sink:
    """A client that keeps calls: for checking what the tracker refuses before any transport."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def track(self, **kwargs: Any) -> None:
        self.calls.append(("track", kwargs))

    def identify(self, **kwargs: Any) -> None:
        self.calls.append(("identify", kwargs))


def _order(sdk: ModuleType, **override: Any) -> dict[str, Any]:
    kwargs = python_kwargs(
        event_model(sdk, "order_completed"),
        SAMPLER.track(PLAN.event("Order Completed"), full=False)["properties"],  # type: ignore[arg-type]
    )
    return {"user_id": "c_abc1234", **kwargs, **override}


def test_strict_mode_rejects_a_price_sent_as_a_string(sdk: ModuleType) -> None:
    sink = _Sink()
    tracker = sdk.Tracker(sink, mode="strict")
    with pytest.raises(sdk.TrackingPlanViolation) as caught:
        tracker.order_completed(**_order(sdk, revenue="42.00"))
    violation = caught.value
    assert (violation.event, violation.field, violation.rule) == (
        "Order Completed",
        "properties.revenue",
        "float_type",
    )
    with pytest.raises(sdk.TrackingPlanViolation) as caught:
        tracker.cart_viewed(
            user_id="c_abc1234",
            cart_id="c",
            value=1.0,
            currency="USD",
            products=[
                {"product_id": "p", "sku": "ABCD", "name": "n", "price": 1.0, "quantity": "2"}
            ],
            platform="web",
        )
    assert caught.value.field == "properties.products.0.quantity"
    assert caught.value.rule == "int_type"
    assert sink.calls == []


@pytest.mark.parametrize(
    ("override", "field", "rule"),
    [
        ({"platform": "windows"}, "properties.platform", "literal_error"),
        ({"currency": "usd"}, "properties.currency", "string_pattern_mismatch"),
        ({"products": []}, "properties.products", "too_short"),
        ({"user_id": "jane@example.com"}, "userId", "identity"),
        ({"user_id": None, "anonymous_id": "a-1"}, "userId", "identity"),
        ({"user_id": None}, "userId", "identity"),
    ],
)
def test_strict_mode_names_event_field_and_rule(
    sdk: ModuleType, override: dict[str, Any], field: str, rule: str
) -> None:
    tracker = sdk.Tracker(_Sink(), mode="strict")
    with pytest.raises(sdk.TrackingPlanViolation) as caught:
        tracker.order_completed(**_order(sdk, **override))
    assert (caught.value.event, caught.value.field, caught.value.rule) == (
        "Order Completed",
        field,
        rule,
    )


def test_missing_required_and_unknown_datetime(sdk: ModuleType) -> None:
    tracker = sdk.Tracker(_Sink(), mode="strict")
    kwargs = _order(sdk)
    del kwargs["order_id"]
    with pytest.raises(TypeError):  # a missing keyword argument fails before any check
        tracker.order_completed(**kwargs)
    from datetime import datetime

    with pytest.raises(sdk.TrackingPlanViolation) as caught:
        tracker.order_completed(**_order(sdk, completed_at=datetime(2026, 1, 1)))  # naive
    assert caught.value.field == "properties.completed_at"


def test_anonymous_only_where_the_plan_allows(sdk: ModuleType) -> None:
    sink = _Sink()
    tracker = sdk.Tracker(sink, mode="strict")
    tracker.product_viewed(
        anonymous_id="anon-1",
        product_id="p",
        sku="ABCD",
        name="n",
        category="Skincare",
        price=3.0,
        currency="USD",
        platform="ios",
    )
    [(_kind, call)] = sink.calls
    assert call["user_id"] is None and call["anonymous_id"] == "anon-1"


def test_report_mode_sends_and_hands_over_the_violation(sdk: ModuleType) -> None:
    sink = _Sink()
    seen: list[Any] = []
    tracker = sdk.Tracker(sink, mode="report", on_violation=seen.append)
    tracker.order_completed(**_order(sdk, revenue="42.00"))
    assert [v.field for v in seen] == ["properties.revenue"]
    [(_kind, call)] = sink.calls
    assert call["properties"]["revenue"] == "42.00"  # sent as given: the data team sees it
    assert call["properties"]["completed_at"].endswith("+00:00")


def test_report_mode_logs_without_a_callback(
    sdk: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    tracker = sdk.Tracker(_Sink(), mode="report")
    tracker.order_completed(**_order(sdk, platform="windows"))
    assert "tracking plan violation" in caplog.text and "properties.platform" in caplog.text


def test_off_mode_does_not_check(sdk: ModuleType) -> None:
    sink = _Sink()
    sdk.Tracker(sink, mode="off").order_completed(**_order(sdk, revenue="42.00"))
    assert sink.calls[0][1]["properties"]["revenue"] == "42.00"


def test_track_takes_a_model(sdk: ModuleType) -> None:
    sink = _Sink()
    tracker = sdk.Tracker(sink, mode="strict")
    model = sdk.SubscriptionCancelledProperties(
        subscription_id="sub_1", reason="too_expensive", platform="web"
    )
    tracker.track(model, user_id="c_abc1234")
    [(_kind, call)] = sink.calls
    assert call["event"] == "Subscription Cancelled"
    assert call["properties"] == {
        "subscription_id": "sub_1",
        "reason": "too_expensive",
        "platform": "web",
    }
    with pytest.raises(TypeError):
        tracker.track(
            sdk.Product(product_id="p", sku="ABCD", name="n", price=1.0, quantity=1),
            user_id="c_abc1234",
        )


def test_models_are_strict(sdk: ModuleType) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        sdk.Product(product_id="p", sku="ABCD", name="n", price=1.0, quantity="5")
    with pytest.raises(ValidationError):
        sdk.IdentifyTraits(customer_id="c_abcdef1", email="not-an-email")


def _hints(fn: Any, module: ModuleType) -> dict[str, Any]:
    namespace = {**vars(module), **vars(sys.modules["glow_shop.types"])}
    return typing.get_type_hints(fn, globalns=namespace)


def _as_typed(annotation: Any) -> Any:
    """pydantic's AwareDatetime is ``datetime`` to type checkers (its runtime class differs)."""
    from datetime import datetime

    from pydantic import AwareDatetime

    text = repr(annotation)
    if annotation is AwareDatetime:
        return datetime
    if "AwareDatetime" in text:
        args = tuple(_as_typed(a) for a in typing.get_args(annotation))
        return typing.Union[args]  # noqa: UP007 - rebuilding a union from its arguments
    return annotation


def test_method_signatures_match_the_models(sdk: ModuleType) -> None:
    """Each keyword argument has exactly the type of the model field it fills."""
    tracker_module = sys.modules["glow_shop.tracker"]
    for event in PLAN.events:
        model = event_model(sdk, event.code_name)
        hints = _hints(getattr(sdk.Tracker, event.code_name), tracker_module)
        for name, info in model.model_fields.items():
            assert hints[name] == _as_typed(info.annotation), (event.name, name)
        extra = (
            set(hints)
            - set(model.model_fields)
            - {"user_id", "anonymous_id", "unplanned", "options", "return"}
        )
        assert extra == set()


def test_importing_the_sdk_does_not_import_event_models() -> None:
    code = (
        "import sys; import glow_shop; from glow_shop import Tracker; "
        "print(sorted(m for m in sys.modules if m.startswith('glow_shop.events.'))); "
        "t = Tracker(type('C', (), {'track': lambda s, **k: None})(), mode='strict'); "
        "t.subscription_cancelled(user_id='c_abcdef1', subscription_id='s', reason='other', "
        "platform='web'); "
        "print(sorted(m for m in sys.modules if m.startswith('glow_shop.events.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=SDK_DIR, capture_output=True, text=True, check=True
    )
    before, after = result.stdout.splitlines()
    assert before == "[]"
    assert after == "['glow_shop.events.subscription_cancelled']"


def test_generated_package_installs(tmp_path: Path) -> None:
    target = tmp_path / "site"
    pip_install(SDK_DIR, target)
    assert (target / "glow_shop" / "py.typed").exists()
    assert (target / "glow_shop" / "events" / "order_completed.py").exists()


def test_readme_example_runs_and_type_checks(tmp_path: Path) -> None:
    readme = (SDK_DIR / "README.md").read_text(encoding="utf-8")
    code = readme.split("```python\n", 1)[1].split("```", 1)[0]
    script = tmp_path / "example.py"
    with recording_server() as server:
        script.write_text(code.replace('"WRITE_KEY")', f'"WRITE_KEY", host="{server.url}")'))
        env = {**os.environ, "PYTHONPATH": str(SDK_DIR)}
        run = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        [message] = server.messages()
    assert not list(BUNDLE.iter_errors(message))
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", str(script)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert mypy.returncode == 0, mypy.stdout


def test_project_readme_sdk_example_runs(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using the generated SDK", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    script = tmp_path / "example.py"
    env = {**os.environ, "PYTHONPATH": str(SDK_DIR)}
    with recording_server() as server:
        script.write_text(code.replace('"SEGMENT_WRITE_KEY",', f'"K", "{server.url}",'))
        run = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        messages = server.messages()
    assert run.stdout.strip() == "Order Completed properties.revenue float_type"
    assert [m.get("event", m["type"]) for m in messages] == [
        "identify",
        "Product Viewed",
        "Order Completed",
    ]
    assert all(not list(BUNDLE.iter_errors(m)) for m in messages)
