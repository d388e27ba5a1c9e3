"""Generated JSON Schemas: valid draft 2020-12, accept sample messages, reject broken ones."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from codegen import generate
from codegen.generators.samples import Sampler
from codegen.plan import ir

from .conftest import glow_shop, plan_from

PLAN = glow_shop()
FILES = generate(PLAN)
SCHEMAS = {
    p: json.loads(t) for p, t in FILES.items() if p.endswith(".json") and p[:8] == "schemas/"
}
EVENTS = {e.name: e for e in PLAN.events}
SAMPLER = Sampler(PLAN)


def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def event_schema(name: str) -> dict[str, Any]:
    stem = name.lower().replace(" ", "_")
    return SCHEMAS[f"schemas/events/{stem}.schema.json"]


def errors(schema: dict[str, Any], message: dict[str, Any]) -> list[str]:
    return sorted(e.validator for e in validator(schema).iter_errors(message))  # type: ignore[misc]


@pytest.mark.parametrize("path", sorted(SCHEMAS))
def test_schema_is_valid_against_metaschema(path: str) -> None:
    schema = SCHEMAS[path]
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].startswith(PLAN.schema_base_uri)
    assert "Do not edit" in schema["$comment"]
    assert schema["title"]


@pytest.mark.parametrize("name", sorted(EVENTS))
@pytest.mark.parametrize("full", [True, False], ids=["full", "minimal"])
def test_event_schema_accepts_sample(name: str, full: bool) -> None:
    message = SAMPLER.track(EVENTS[name], full=full)
    assert errors(event_schema(name), message) == []
    assert errors(SCHEMAS["schemas/plan.schema.json"], message) == []


def _first_required(event: ir.Event) -> ir.Field:
    return next(f for f in event.fields if f.required)


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_event_schema_rejects_broken_messages(name: str) -> None:
    event = EVENTS[name]
    schema = event_schema(name)
    good = SAMPLER.track(event)
    required = _first_required(event).name

    missing = copy.deepcopy(good)
    del missing["properties"][required]
    assert errors(schema, missing) == ["required"]

    wrong_type = copy.deepcopy(good)
    wrong_type["properties"][required] = {"not": "a scalar"}
    assert errors(schema, wrong_type) == ["type"]

    unplanned = copy.deepcopy(good)
    unplanned["properties"]["utm_sorce"] = "newsletter"
    assert errors(schema, unplanned) == ["additionalProperties"]

    renamed = copy.deepcopy(good)
    renamed["event"] = name.lower()
    assert errors(schema, renamed) == ["const"]


def test_price_as_string_fails() -> None:
    message = SAMPLER.track(EVENTS["Order Completed"])
    message["properties"]["revenue"] = "42.00"
    assert errors(event_schema("Order Completed"), message) == ["type"]
    message = SAMPLER.track(EVENTS["Order Completed"])
    message["properties"]["products"][0]["quantity"] = "2"
    assert errors(event_schema("Order Completed"), message) == ["type"]


def test_bad_timestamp_fails() -> None:
    """jsonschema skips date-time unless rfc3339-validator is installed: prove it is checked."""
    message = SAMPLER.track(EVENTS["Order Completed"])
    message["properties"]["completed_at"] = "yesterday at noon"
    assert errors(event_schema("Order Completed"), message) == ["format"]
    message["properties"]["completed_at"] = "2026-13-45T99:00:00Z"
    assert errors(event_schema("Order Completed"), message) == ["format"]


def test_enum_and_pattern_are_enforced() -> None:
    message = SAMPLER.track(EVENTS["Product Viewed"])
    message["properties"]["category"] = "skin-care"
    assert errors(event_schema("Product Viewed"), message) == ["enum"]
    message = SAMPLER.track(EVENTS["Product Viewed"])
    message["properties"]["currency"] = "usd"
    assert errors(event_schema("Product Viewed"), message) == ["pattern"]


def test_identity_rules() -> None:
    order = SAMPLER.track(EVENTS["Order Completed"])
    schema = event_schema("Order Completed")
    anonymous = {**order, "userId": None}
    assert "type" in errors(schema, anonymous)  # purchases need a known person
    no_user = {k: v for k, v in order.items() if k != "userId"}
    assert errors(schema, no_user) == ["required"]
    email_as_id = {**order, "userId": "jane@example.com"}
    assert errors(schema, email_as_id) == ["pattern"]

    viewed = SAMPLER.track(EVENTS["Product Viewed"], anonymous=True)
    view_schema = event_schema("Product Viewed")
    assert viewed["userId"] is None
    assert errors(view_schema, viewed) == []  # allowed before identify
    nobody = {**viewed, "anonymousId": None}
    assert errors(view_schema, nobody) == ["anyOf"]


def test_reusable_types_are_referenced_not_copied() -> None:
    schema = event_schema("Order Completed")
    products = schema["properties"]["properties"]["properties"]["products"]
    assert products["items"] == {"$ref": "#/$defs/Product"}
    assert list(schema["$defs"]) == ["Product"]
    assert "$defs" not in event_schema("Subscription Cancelled")
    bundle = SCHEMAS["schemas/plan.schema.json"]
    product = bundle["$defs"]["Product"]["description"]
    assert json.dumps(bundle).count(json.dumps(product)) == 1  # defined once, referenced


def test_bundle_dispatches_on_event() -> None:
    bundle = SCHEMAS["schemas/plan.schema.json"]
    wrong = SAMPLER.track(EVENTS["Order Completed"])
    wrong["event"] = "Product Viewed"  # properties of another event
    assert errors(bundle, wrong)
    unplanned = {**SAMPLER.track(EVENTS["Order Completed"]), "event": "Purchase"}
    assert errors(bundle, unplanned)
    assert errors(bundle, SAMPLER.identify()) == []


def test_identify_schema() -> None:
    schema = SCHEMAS["schemas/identify.schema.json"]
    assert errors(schema, SAMPLER.identify(full=True)) == []
    assert errors(schema, SAMPLER.identify(full=False)) == []
    bad = SAMPLER.identify()
    bad["traits"]["loyalty_tier"] = "diamond"
    assert errors(schema, bad) == ["enum"]
    bad = SAMPLER.identify()
    bad["traits"]["email"] = "not-an-email"
    assert errors(schema, bad) == ["format"]


def test_event_files_validate_on_their_own_through_a_registry() -> None:
    """Each file is self-contained: resolving its $refs needs no other file."""
    schema = event_schema("Checkout Started")
    registry: Registry[Any] = Registry().with_resource(
        schema["$id"], Resource.from_contents(schema)
    )
    v = jsonschema.Draft202012Validator(schema, registry=registry)
    assert not list(v.iter_errors(SAMPLER.track(EVENTS["Checkout Started"])))


def test_nullable_and_open_objects() -> None:
    plan = plan_from("""
plan: {name: N, slug: n, version: 1.0.0}
identity: {primary_id: customer_id}
types:
  Address: {properties: {city: {type: string, required: true}}}
events:
  Profile Updated:
    description: d
    additional_properties: true
    properties:
      nickname: {type: string, nullable: true, required: true}
      tier: {type: string, enum: [a, b], nullable: true}
      address: {type: Address, nullable: true}
      extra: {type: object}
""")
    schema = json.loads(generate(plan)["schemas/events/profile_updated.schema.json"])
    props = schema["properties"]["properties"]
    message = {
        "event": "Profile Updated",
        "userId": "u1",
        "properties": {
            "nickname": None,
            "tier": None,
            "address": None,
            "extra": {"any": 1},
            "more": True,
        },
    }
    assert errors(schema, message) == []
    assert props["properties"]["tier"]["enum"] == ["a", "b", None]
    message["properties"]["address"] = {"town": "x"}
    assert errors(schema, message) == ["anyOf"]
