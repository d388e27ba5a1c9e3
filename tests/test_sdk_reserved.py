"""Names the generated SDK already uses: a located diagnostic, or an SDK that imports and passes
``mypy --strict`` — never a traceback. Also the model plan's agreement of tracker and model
types, TOML and PEP 440 output, and titles in published schemas."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from codegen.generators.pysdk.reserved import reserved
from codegen.generators.pysdk.sdk import pep440
from codegen.interop.segment import export_segment, import_segment
from codegen.pipeline import load_plan_text
from codegen.plan import names

from .sdk_support import import_sdk, write_sdk

HEAD = """\
plan: {name: Reserved, slug: %s, version: 1.0.0}
identity: {primary_id: customer_id}
lint: {disable: [docs/event-description, naming/property-case, naming/trait-case,
  naming/event-case, usage/unused-trait, types/timestamp-as-string]}
"""
TRAITS = "traits:\n  customer_id: {type: string, required: true}\n"


def _plan(body: str, slug: str = "reserved_probe") -> str:
    return HEAD % slug + body + TRAITS


def _located(text: str, code: str = "naming/code-collision") -> str:
    loaded = load_plan_text(text, "reserved.yaml")
    found = [d for d in loaded.diagnostics if d.code == code]
    assert found, [d.render() for d in loaded.diagnostics]
    assert loaded.plan is None
    assert all(d.location.line > 0 and d.hint for d in found), [d.render() for d in found]
    return found[0].message


@pytest.mark.parametrize("name", ["Any", "Field", "TrackerBase", "Literal", "ClassVar", "Tracker"])
def test_type_named_like_an_sdk_name_is_a_located_diagnostic(name: str) -> None:
    body = f"types:\n  {name}:\n    properties:\n      x: {{type: string}}\n"
    body += f"events:\n  Used:\n    properties:\n      v: {{type: {name}}}\n"
    assert f"`{name}`" in _located(_plan(body))


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("Email", "format: email"),
        ("Uri", "format: uri"),
        ("Uuid", "format: uuid"),
        ("Hostname", "format: hostname"),
        ("IPv4", "format: ipv4"),
        ("IPv6", "format: ipv6"),
        ("Integer", "type: integer"),
    ],
)
def test_type_named_like_a_runtime_format_type_is_a_located_diagnostic(name: str, fmt: str) -> None:
    kind = "" if fmt.startswith("type") else "type: string, "
    body = f"types:\n  {name}:\n    properties:\n      v: {{{kind}{fmt}}}\n"
    body += f"events:\n  Used:\n    properties:\n      v: {{type: {name}}}\n"
    assert f"`{name}`" in _located(_plan(body))


RESERVED_CODE_NAMES = ["self", "user_id", "anonymous_id", "options", "json", "model_config", "str"]


@pytest.mark.parametrize("code", [*RESERVED_CODE_NAMES, "class"])
def test_reserved_code_name_on_a_property_is_a_located_diagnostic(code: str) -> None:
    body = f"events:\n  Ev:\n    properties:\n      p: {{type: string, code_name: {code}}}\n"
    assert f"`{code}`" in _located(_plan(body))


@pytest.mark.parametrize("code", [*RESERVED_CODE_NAMES, "class"])
def test_reserved_code_name_on_a_trait_is_a_located_diagnostic(code: str) -> None:
    body = f"events:\n  Ev: {{}}\ntraits:\n  t: {{type: string, code_name: {code}}}\n"
    assert f"`{code}`" in _located(HEAD % "reserved_probe" + body)


@pytest.mark.parametrize(
    "code", ["track", "identify", "events", "user_id_pattern", "plan_name", "class", "flush"]
)
def test_reserved_code_name_on_an_event_is_a_located_diagnostic(code: str) -> None:
    assert f"`{code}`" in _located(_plan(f"events:\n  Ev:\n    code_name: {code}\n"))


@pytest.mark.parametrize("slug", ["class", "typing", "json", "os", "pydantic", "jsonschema"])
def test_slug_that_cannot_be_imported_is_a_located_diagnostic(slug: str) -> None:
    message = _located(_plan("events:\n  Ev: {}\n", slug), "naming/package")
    assert f"`{slug}`" in message


def test_registry_is_read_from_the_templates() -> None:
    registry = reserved()
    # from tracker.py.j2 / _runtime.py.j2 / __init__.py.j2, not from a list in codegen
    assert {"events", "user_id_pattern", "for_segment", "_track"} <= registry.tracker_attributes
    assert {
        "self",
        "user_id",
        "anonymous_id",
        "unplanned",
        "options",
    } == registry.tracker_parameters
    assert {"TrackerBase", "Email", "PlanModel", "PLAN_NAME", "ClassVar"} <= registry.module_names
    assert {"Field", "AwareDatetime", "Literal", "Any"} <= registry.model_imports
    assert "model_config" in registry.model_attributes


def test_default_code_names_never_collide_with_the_registry() -> None:
    """The plan-level defaults (plan/names.py) avoid every reserved name on their own."""
    registry = reserved()
    public = {n for n in registry.tracker_attributes if not n.startswith("_")}
    assert public <= names.RESERVED_METHOD_NAMES
    for name in registry.field_names | registry.method_names:
        assert names.python_name(name) not in registry.field_names, name
        assert names.event_code_name(name) not in registry.method_names, name


def test_duplicate_numeric_enum_values_are_a_diagnostic() -> None:
    body = "events:\n  Ev:\n    properties:\n      n: {type: number, enum: [1, 1.0, 2]}\n"
    _located(_plan(body), "type/enum-duplicate")


# -- one generated package with every reserved word as a wire name: mypy once ---------------

BATCH = """\
plan: {name: "Reserved \\u0085 names 😀 \\"quoted\\"", slug: reserved_batch,
       version: 1.0.0-alpha.beta+build.1-2}
identity: {primary_id: customer_id, anonymous_allowed: [Events]}
lint: {disable: [docs/event-description, naming/property-case, naming/trait-case,
  naming/event-case, usage/unused-trait, types/timestamp-as-string]}
types:
  AnyThing:
    properties:
      Any: {type: string}
      Field: {type: string}
events:
  Events:
    properties:
      self: {type: string, required: true}
      user_id: {type: string}
      anonymous_id: {type: string}
      options: {type: string}
      json: {type: string}
      model_config: {type: string}
      str: {type: string}
      class: {type: string}
      TrackerBase: {type: string}
      thing: {type: AnyThing}
  Track:
    properties:
      at: {type: string, format: date-time, required: true}
      day: {type: string, format: date, required: true}
      score: {type: number, enum: [0.5, 1.0, 1.5, 5], required: true}
      whole: {type: number, enum: [1, 2]}
  Class: {}
traits:
  customer_id: {type: string, required: true}
  self: {type: string}
  options: {type: string}
  class: {type: string}
"""


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    loaded = load_plan_text(BATCH, "batch.yaml")
    assert loaded.plan is not None, [d.render() for d in loaded.diagnostics]
    return write_sdk(loaded.plan, tmp_path_factory.mktemp("batch"))


def test_reserved_wire_names_generate_an_sdk_that_passes_mypy_strict(batch: Path) -> None:
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "reserved_batch"],
        cwd=batch,
        capture_output=True,
        text=True,
    )
    assert mypy.returncode == 0, mypy.stdout


class _Sink:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def track(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)

    def identify(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


def test_reserved_wire_names_send_under_their_wire_names(batch: Path) -> None:
    sdk = import_sdk(batch, "reserved_batch")
    sink = _Sink()
    tracker = sdk.Tracker(sink, mode="strict")
    tracker.events_(anonymous_id="a", self_="s", json_="j", str_="t", class_="c", user_id_="u")
    assert sink.calls[0]["event"] == "Events"
    assert sink.calls[0]["properties"] == {
        "self": "s", "json": "j", "str": "t", "class": "c", "user_id": "u"
    }  # fmt: skip
    tracker.identify(user_id="u1", customer_id="u1", self_="me", options_="o")
    assert sink.calls[1]["traits"] == {"customer_id": "u1", "self": "me", "options": "o"}


def test_string_timestamps_are_datetimes_in_tracker_and_model(batch: Path) -> None:
    """Issue 11: `type: string, format: date-time` took `str` in the tracker but the model wanted
    a datetime, so every well-typed call failed."""
    sdk = import_sdk(batch, "reserved_batch")
    sink = _Sink()
    tracker = sdk.Tracker(sink, mode="strict")
    when = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    tracker.track_(user_id="u", at=when, day=date(2026, 1, 2), score=1.5)
    props = sink.calls[0]["properties"]
    assert props["at"].startswith("2026-01-02T03:04") and props["day"] == "2026-01-02"
    assert props["score"] == 1.5
    source = (batch / "reserved_batch" / "tracker.py").read_text()
    assert "at: datetime," in source and "day: date," in source and "score: float," in source


def test_pyproject_is_valid_toml_with_a_pep440_version(batch: Path) -> None:
    """Issue 11: an emoji made pyproject.toml invalid, NEL crashed the formatter."""
    project = tomllib.loads((batch / "pyproject.toml").read_text())["project"]
    assert "😀" in project["description"] and "\x85" in project["description"]
    assert str(Version(project["version"])) == "1.0.0a0+beta.build.1.2"
    init = (batch / "reserved_batch" / "__init__.py").read_text()
    assert "\\u0085" in init  # escaped in the string literal, so black keeps one line


SEMVERS = [
    "1.0.0",
    "0.0.1",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0-RC1",
    "1.0.0-0.3.7",
    "1.0.0-x.7.z.92",
    "1.0.0-x-y-z.--",
    "1.0.0+build.1-2",
    "1.0.0-alpha+001",
    "1.0.0+20130313144700",
    "1.0.0-beta+exp.sha.5114f85",
    "1.0.0+21AF26D3----117B344092BD",
    "2.10.3-a-1",
    "1.0.0-.",
]


@pytest.mark.parametrize("semver", SEMVERS)
def test_every_semver_maps_to_a_valid_pep440_version(semver: str) -> None:
    version = pep440(semver)
    assert str(Version(version)) == version  # valid, and already in normal form
    assert tomllib.loads(f'v = "{version}"')["v"] == version


def test_pep440_keeps_semver_order_of_pre_releases() -> None:
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.2", "1.0.0-rc.1", "1.0.0"]
    versions = [Version(pep440(v)) for v in ordered]
    assert versions == sorted(versions)
    assert pep440("1.0.0-x.7.z.92") == "1.0.0.dev0+x.7.z.92"
    assert pep440("1.0.0+build.1-2") == "1.0.0+build.1.2"


# -- titles ----------------------------------------------------------------------------------


TITLED = _plan(
    "events:\n  Titled:\n    properties:\n      title: {type: string, required: true}\n"
    "      inner:\n        type: object\n        properties:\n          title: {type: string}\n"
)


def test_published_schemas_carry_no_class_names() -> None:
    from codegen import generate

    loaded = load_plan_text(TITLED, "titled.yaml")
    assert loaded.plan is not None
    schemas = {k: v for k, v in generate(loaded.plan).items() if k.startswith("schemas/")}
    for text in schemas.values():
        assert "TitledProperties" not in text and "TitledInner" not in text
    event = json.loads(schemas["schemas/events/titled.schema.json"])
    properties = event["properties"]["properties"]["properties"]
    assert properties["title"] == {"type": "string"}


def test_property_named_title_survives_segment_export_and_import() -> None:
    """The export used to strip every `title` key at any depth, dropping this property."""
    loaded = load_plan_text(TITLED, "titled.yaml")
    assert loaded.plan is not None
    exported = export_segment(loaded.plan)
    again = import_segment(json.loads(json.dumps(exported)), "titled.json")
    assert again.text is not None
    reloaded = load_plan_text(again.text, "titled.yaml")
    assert reloaded.plan is not None, [d.render() for d in reloaded.diagnostics]
    event = reloaded.plan.event("Titled")
    assert event is not None
    assert sorted(f.name for f in event.fields) == ["inner", "title"]
    inner = next(f for f in event.fields if f.name == "inner")
    assert [f.name for f in inner.type.fields] == ["title"]
