"""JSON Schema and the generated pydantic models agree: same payloads accepted, same rejected."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from codegen import generate
from codegen.plan.names import event_class

from .conftest import ROOT, glow_shop
from .schema_strategy import from_schema
from .sdk_support import import_sdk

PLAN = glow_shop()
FILES = generate(PLAN)
SDK = import_sdk(ROOT / "generated" / "glow_shop" / "python", "glow_shop")
CHECKER = jsonschema.Draft202012Validator.FORMAT_CHECKER


def _cases() -> list[tuple[str, Any, dict[str, Any], dict[str, Any]]]:
    """(name, model, properties schema, $defs) for every event and for identify traits."""
    out = []
    for event in PLAN.events:
        schema = json.loads(FILES[f"schemas/events/{event.code_name}.schema.json"])
        module = __import__(f"glow_shop.events.{event.code_name}", fromlist=["x"])
        model = getattr(module, event_class(event.code_name))
        out.append((event.name, model, schema["properties"]["properties"], schema.get("$defs", {})))
    identify = json.loads(FILES["schemas/identify.schema.json"])
    out.append(
        (
            "identify",
            SDK.IdentifyTraits,
            identify["properties"]["traits"],
            identify.get("$defs", {}),
        )
    )
    return out


CASES = _cases()
IDS = [c[0] for c in CASES]


def schema_accepts(schema: dict[str, Any], defs: dict[str, Any], payload: Any) -> bool:
    root = {**schema, "$defs": defs}
    return not list(
        jsonschema.Draft202012Validator(root, format_checker=CHECKER).iter_errors(payload)
    )


def model_accepts(model: Any, payload: Any) -> bool:
    try:
        model.model_validate_json(json.dumps(payload), by_alias=True, by_name=False)
    except ValidationError:
        return False
    return True


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize(("name", "model", "schema", "defs"), CASES, ids=IDS)
@SETTINGS
@given(data=st.data())
def test_valid_payloads_are_accepted_by_both(
    name: str, model: Any, schema: dict[str, Any], defs: dict[str, Any], data: st.DataObject
) -> None:
    payload = data.draw(from_schema(schema, defs))
    assert schema_accepts(schema, defs, payload), payload  # the strategy itself is sound
    assert model_accepts(model, payload), payload


def _wrong_type(value: Any) -> list[Any]:
    """Values of another JSON type than ``value``: the classic producer mistakes first."""
    candidates: list[Any] = [str(value) if not isinstance(value, str) else 12345, None, [], {}]
    if isinstance(value, bool):
        candidates.insert(0, "true")
    if isinstance(value, int | float) and not isinstance(value, bool):
        candidates.insert(0, "5")
    return candidates


@pytest.mark.parametrize(("name", "model", "schema", "defs"), CASES, ids=IDS)
@SETTINGS
@given(data=st.data())
def test_broken_payloads_are_rejected_by_both(
    name: str, model: Any, schema: dict[str, Any], defs: dict[str, Any], data: st.DataObject
) -> None:
    payload = data.draw(from_schema(schema, defs))
    properties = schema["properties"]
    keys = sorted(payload)
    if not keys:
        return
    key = data.draw(st.sampled_from(keys))
    mutations = []
    if key in schema.get("required", []):
        missing = copy.deepcopy(payload)
        del missing[key]
        mutations.append(("missing", missing))
    for wrong in _wrong_type(payload[key]):
        broken = copy.deepcopy(payload)
        broken[key] = wrong
        if not schema_accepts(schema, defs, broken):  # e.g. null is fine where nullable
            mutations.append(("type", broken))
    enum = properties[key].get("enum")
    if enum:
        outside = copy.deepcopy(payload)
        outside[key] = "not-" + "-".join(map(str, enum))[:20]
        mutations.append(("enum", outside))
    unplanned = {**payload, "unplanned_property_x": 1}
    if schema.get("additionalProperties") is False:
        mutations.append(("additionalProperties", unplanned))
    for kind, broken in mutations:
        assert not schema_accepts(schema, defs, broken), (kind, broken)
        assert not model_accepts(model, broken), (kind, broken)


@pytest.mark.parametrize(
    ("value", "ok"), [(3, True), (3.0, True), (3.5, False), ("3", False), (True, False)]
)
def test_integers_as_json_schema_counts_them(value: Any, ok: bool) -> None:
    traits = {"customer_id": "c_abcdef1", "total_orders": value}
    assert schema_accepts({"type": "integer"}, {}, value) is ok
    assert model_accepts(SDK.IdentifyTraits, traits) is ok


@pytest.mark.parametrize(
    "value", ["2026-01-15T09:30:00Z", "2026-01-15T09:30:00.5+05:30", "2026-01-15t09:30:00z"]
)
def test_rfc3339_variants(value: str) -> None:
    schema = {"type": "string", "format": "date-time"}
    assert schema_accepts(schema, {}, value)
    assert model_accepts(SDK.IdentifyTraits, {"customer_id": "c_abcdef1", "created_at": value})


@pytest.mark.parametrize(
    "value",
    [
        "2026-01-15 09:30:00",
        "2026-01-15T09:30:00",
        "yesterday",
        "2026-01-15 09:30:00Z",  # pydantic alone accepts the space
        "2026-01-15T09:30:00+0100",  # and an offset without a colon
        "2026-01-15T09:30:00+01:00:30",
        "2016-12-31T23:59:60Z",
    ],
)
def test_bad_timestamps_rejected_by_both(value: str) -> None:
    schema = {"type": "string", "format": "date-time"}
    assert not schema_accepts(schema, {}, value)
    assert not model_accepts(SDK.IdentifyTraits, {"customer_id": "c_abcdef1", "created_at": value})
