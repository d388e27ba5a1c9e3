"""Named regression tests for defects found by the plan fuzzer and by hostile plans.

Each test names the defect it guards against; the fuzzer (tests/test_fuzz.py) keeps looking
for new ones.
"""

from __future__ import annotations

import ast
import json
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from codegen import Options, generate
from codegen.generators.render import yaml_str
from codegen.journeys.engine import Engine
from codegen.pipeline import load_plan_text

ARRAY_TRAITS = """
plan: {name: T, slug: t, version: 1.0.0}
identity: {primary_id: customer_id}
events:
  Order Completed:
    description: x
    properties: {n: {type: integer}}
traits:
  customer_id: {type: string}
  tags: {type: array, items: {type: integer}}
  names: {type: array, items: {type: string}}
segments:
  has_three:
    conditions: {trait: tags, contains: 3}
  has_bob:
    conditions: {trait: names, contains: bob}
  has_seven:
    conditions: {trait: tags, contains: 7}
"""


ARRAY_TRAIT_LOG = [
    {
        "type": "identify",
        "userId": "u1",
        "messageId": "m1",
        "timestamp": "2026-01-01T00:00:00Z",
        "traits": {"tags": [1, 3], "names": ["bob"]},
    },
    {
        "type": "identify",
        "userId": "u2",
        "messageId": "m2",
        "timestamp": "2026-01-01T00:00:00Z",
        "traits": {"tags": [13, 3.0], "names": ["bobby"]},
    },
]


def test_contains_on_array_traits_runs_in_simulate(tmp_path: Path) -> None:
    """`contains` on an array trait passed lint, then DuckDB refused the SQL in `simulate`."""
    loaded = load_plan_text(ARRAY_TRAITS, "plan.yaml")
    assert loaded.plan is not None and loaded.spec is not None, loaded.diagnostics
    messages = ARRAY_TRAIT_LOG
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(m) + "\n" for m in messages))
    result = Engine(loaded.plan, loaded.spec.lint, [str(log)]).simulate(
        datetime(2026, 1, 2, tzinfo=UTC)
    )
    members = {m.segment: m.members for m in result.segments}
    assert members == {"has_three": ("u1", "u2"), "has_bob": ("u1",), "has_seven": ()}


@pytest.mark.parametrize(
    ("trait_type", "literal", "ok"),
    [
        ("datetime", "not a date", False),
        ("datetime", "2026-02-30", False),
        ("datetime", "2026-01-31T25:00:00Z", False),
        ("datetime", "last tuesday", False),
        ("datetime", "2026-01-31", True),
        ("datetime", "2026-01-31T09:30:00Z", True),
        ("datetime", "2026-01-31T09:30:00+02:00", True),
        ("date", "2026-01-31", True),
        ("date", "2026-01-31T09:30:00Z", False),
    ],
)
def test_segment_date_literals_must_parse(trait_type: str, literal: str, ok: bool) -> None:
    """`greater_than: "not a date"` on a datetime trait used to lint clean."""
    text = f"""
plan: {{name: T, slug: t, version: 1.0.0}}
identity: {{primary_id: customer_id}}
events:
  Order Completed: {{description: x}}
traits:
  customer_id: {{type: string}}
  born: {{type: {trait_type}}}
segments:
  old:
    conditions: {{trait: born, less_than: "{literal}"}}
"""
    loaded = load_plan_text(text, "plan.yaml")
    errors = [d for d in loaded.diagnostics if d.code == "segment/value-type"]
    assert bool(errors) is not ok
    for d in errors:
        assert d.location.line == 11


HOSTILE_NAMES = ["Glow \x85 Shop", "Emoji 𝔘 🎉 Shop", "C1 \x9b control", 'Quote " and \\ back']


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_generated_toml_yaml_and_python_stay_valid(name: str) -> None:
    """A NEL crashed black; an emoji made pyproject.toml invalid TOML; a C1 control made
    mkdocs.yml invalid YAML."""
    text = f"""
plan: {{name: {yaml_str(name)}, slug: t, version: 1.0.0-rc.1+build.5,
        description: {yaml_str(name)}}}
identity: {{primary_id: customer_id}}
events:
  Order Completed: {{description: {yaml_str(name)}, properties: {{n: {{type: integer,
    description: {yaml_str(name)}}}}}}}
traits:
  customer_id: {{type: string}}
"""
    loaded = load_plan_text(text, "plan.yaml")
    assert loaded.plan is not None, [d.render() for d in loaded.diagnostics]
    files = generate(loaded.plan, Options(cache_dir=None, workers=1))
    assert tomllib.loads(files["python/pyproject.toml"])["project"]["description"].endswith(name)
    assert yaml.safe_load(files["mkdocs.yml"])["site_name"].startswith(name)
    for path, source in files.items():
        if path.endswith(".py"):
            ast.parse(source)


@pytest.mark.parametrize("name", ["}} sys", "a {% if %}", "both ' and \"", "line\rbreak"])
def test_message_fields_liquid_cannot_name_are_located_errors(name: str) -> None:
    """A property named `}} sys` in a message made the generated Liquid sample unparsable;
    one with both quote characters silently read another key."""
    text = f"""
plan: {{name: T, slug: t, version: 1.0.0}}
identity: {{primary_id: customer_id}}
events:
  Order Completed:
    description: x
    properties: {{{yaml_str(name)}: {{type: string}}, ok: {{type: string}}}}
traits:
  customer_id: {{type: string}}
messages:
  receipt:
    channel: email
    trigger: Order Completed
    fields: [event.ok, {yaml_str("event." + name)}]
"""
    loaded = load_plan_text(text, "plan.yaml")
    errors = [d for d in loaded.diagnostics if d.code == "message/liquid-name"]
    assert len(errors) == 1 and errors[0].location.line == 14, loaded.diagnostics


def test_very_long_names_make_files_a_file_system_accepts(tmp_path: Path) -> None:
    """A 320-character event name became a 320-byte file name: `generate` failed with
    OSError 36 (file name too long)."""
    from codegen.output.writer import write

    long_event = "Very Long Event " * 20
    long_property = "very_long_property_" * 20
    text = f"""
plan: {{name: T, slug: t, version: 1.0.0}}
identity: {{primary_id: customer_id}}
lint: {{disable: [naming/event-case]}}
events:
  {long_event.strip()}:
    description: x
    properties: {{{long_property}: {{type: string}}}}
  {(long_event + "2").strip()}:
    description: y
traits:
  customer_id: {{type: string}}
"""
    loaded = load_plan_text(text, "plan.yaml")
    assert loaded.plan is not None, [d.render() for d in loaded.diagnostics]
    files = generate(loaded.plan, Options(cache_dir=None, workers=1))
    assert max(len(part) for path in files for part in path.split("/")) < 100
    write(tmp_path / "out", files)
    names = {e.code_name for e in loaded.plan.events}
    assert len(names) == 2 and all(len(n) <= 60 for n in names)


IMPOSSIBLE = {
    "a": ("{type: number, minimum: 10, exclusive_maximum: 10}", "minimum"),
    "b": ("{type: integer, exclusive_minimum: 1, exclusive_maximum: 2}", "exclusive_minimum"),
    "c": ('{type: string, enum: [USD, eur], pattern: "^[A-Z]{3}$"}', "enum"),
    "d": ("{type: string, enum: [ab, abcdef], max_length: 4}", "enum"),
    "e": ("{type: integer, enum: [1, 50], maximum: 10}", "enum"),
    "f": ("{type: string, format: email, enum: [a@b.co, nope]}", "enum"),
    "g": (
        "{type: array, items: {type: string, enum: [x, y]}, unique_items: true, min_items: 3}",
        "min_items",
    ),
    "h": ("{type: integer, maximum: 99999999999999999999999}", "maximum"),
    "i": ("{type: integer, enum: [1, 18446744073709551616]}", "enum"),
}
POSSIBLE = {
    "j": "{type: integer, exclusive_minimum: 1, exclusive_maximum: 3}",
    "k": "{type: number, minimum: 1.5, maximum: 1.5}",
    "l": '{type: string, enum: [USD, EUR], pattern: "^[A-Z]{3}$", max_length: 3}',
}


def test_impossible_constraints_are_located_errors() -> None:
    """Constraints no value satisfies used to lint clean; integer bounds beyond int64 crashed
    `validate` (msgspec cannot hold them)."""
    props = "\n".join(f"      {k}: {v}" for k, (v, _) in IMPOSSIBLE.items())
    props += "\n" + "\n".join(f"      {k}: {v}" for k, v in POSSIBLE.items())
    text = f"""plan: {{name: T, slug: t, version: 1.0.0}}
identity: {{primary_id: customer_id}}
events:
  Order Completed:
    description: x
    properties:
{props}
traits:
  customer_id: {{type: string}}
"""
    loaded = load_plan_text(text, "plan.yaml")
    found = {d.location.path[3]: d for d in loaded.diagnostics if d.code == "type/bounds"}
    assert set(found) == set(IMPOSSIBLE), [d.render() for d in loaded.diagnostics]
    for name, (_, key) in IMPOSSIBLE.items():
        assert found[name].location.path[4] == key and found[name].location.line > 0


def test_examples_must_be_valid_for_their_own_property() -> None:
    """Docs showed sample payloads built from examples their own property rejects."""
    text = """plan: {name: T, slug: t, version: 1.0.0}
identity: {primary_id: customer_id}
types:
  Item:
    properties:
      sku: {type: string, required: true}
    examples: [{sku: 1}]
events:
  Order Completed:
    description: x
    properties:
      currency: {type: string, pattern: "^[A-Z]{3}$", examples: [USD, usd]}
      at: {type: datetime, examples: ["2026-01-01T00:00:00Z", "yesterday"]}
      items: {type: array, items: Item, examples: [[{sku: a}], [{}]]}
    examples: [{currency: USD}, {nope: 1}]
traits:
  customer_id: {type: string, examples: [c_1]}
  email: {type: string, format: email, examples: [not-an-email]}
"""
    loaded = load_plan_text(text, "plan.yaml")
    bad = sorted((d.location.line, d.location.path[-1]) for d in loaded.diagnostics)
    assert all(d.code == "type/bad-example" for d in loaded.diagnostics)
    assert bad == [(7, 0), (12, 1), (13, 1), (14, 1), (15, 1), (18, 0)]


def test_a_type_named_like_the_traits_class_is_reported_at_the_type() -> None:
    """Found by the plan fuzzer: the clash was reported at an empty location (no file:line)."""
    text = """plan: {name: T, slug: t, version: 1.0.0}
identity: {primary_id: customer_id}
types:
  IdentifyTraits:
    properties: {a: {type: string}}
events:
  Order Completed: {description: x}
traits:
  customer_id: {type: string}
"""
    loaded = load_plan_text(text, "plan.yaml")
    clashes = [d for d in loaded.diagnostics if d.code == "naming/code-collision"]
    assert len(clashes) == 1 and clashes[0].location.line == 4
    assert all(r.line > 0 for r in clashes[0].related)


@pytest.mark.parametrize(
    ("uri", "ok"),
    [
        ("https://schemas.example.com/shop/", True),
        ("https://schemas.example.com/shop#", False),
        ("https://schemas.example.com/#/defs", False),
        ("not a uri", False),
    ],
)
def test_schema_base_uri_has_no_fragment(uri: str, ok: bool) -> None:
    """A `#` in schema_base_uri made every `$id` invalid under the 2020-12 meta-schema."""
    text = f"""plan: {{name: T, slug: t, version: 1.0.0, schema_base_uri: "{uri}"}}
identity: {{primary_id: customer_id}}
events:
  Order Completed: {{description: x}}
traits:
  customer_id: {{type: string}}
"""
    loaded = load_plan_text(text, "plan.yaml")
    assert loaded.ok is ok, [d.render() for d in loaded.diagnostics]
    if not ok:
        assert loaded.diagnostics[0].location.line == 1


def test_two_plans_with_one_slug_are_refused(cli: Any, tmp_path: Path) -> None:
    """Two plans with the same slug in one folder: one output was silently discarded and
    `check` said up to date."""
    plans = tmp_path / "plans"
    plans.mkdir()
    source = Path(__file__).resolve().parent.parent / "plans" / "glow_shop.yaml"
    for name in ("a.yaml", "b.yaml"):
        (plans / name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    for command in ("generate", "check"):
        result = cli(command, plans, "-o", tmp_path / "out", "--no-cache")
        assert result.exit_code == 2 and "both have slug `glow_shop`" in result.stderr
    assert not (tmp_path / "out").exists()


def test_liquid_keywords_as_property_names_use_brackets() -> None:
    """Regression (plan fuzzer): a property named `for` gave `{{ event.for }}`, which Liquid's
    parser rejects; brackets address any key."""
    from codegen.checks.liquid import render
    from codegen.generators.liquid import liquid_path

    assert liquid_path("event", ["for"]) == "event['for']"
    assert liquid_path("event", ["format"]) == "event.format"
    assert render("{{ " + liquid_path("event", ["for"]) + " }}", {"event": {"for": "x"}}) == "x"


def test_a_clipped_violation_keeps_its_length_in_a_later_range(tmp_path: Path) -> None:
    """A violation in a 4 MiB range after the first was rebuilt to shift its line number, which
    clipped its clipped text again: "(600,000 characters)" became "(1,0xx characters)"."""
    from codegen.validate import validate_sources
    from codegen.validate.checker import Violation

    from .conftest import glow_shop

    long = Violation("f", 1, None, "Order " * 100_000, "unplanned_event", "", "unplanned")
    assert long.shifted(7).event == long.event and long.shifted(7).line == 8
    line = json.dumps({"type": "track", "event": "Order " * 100_000, "userId": "c_abc1234"})
    log = tmp_path / "log.jsonl"
    log.write_text("\n" * 5_000_000 + line + "\n")  # past the first 4 MiB range
    found: list[Violation] = []
    validate_sources(glow_shop(), [str(log)], found.append, workers=1)
    assert found[-1].line == 5_000_001
    assert found[-1].event is not None and found[-1].event.endswith("(600,000 characters)")


def test_regression_audit_survives_an_empty_trait_name(cli: Any, tmp_path: Path) -> None:
    """An identify with a trait named "" stopped the whole audit (`JSON path error near '.""'`,
    exit 2); it is now counted as an unplanned trait, shown as `""`."""
    message = {
        "type": "identify",
        "userId": "c_abc1234",
        "messageId": "m1",
        "timestamp": "2026-01-10T10:00:00Z",
        "traits": {"": 1, "email": "a@b.co"},
    }
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps(message) + "\n")
    done = cli("audit", "--plan", "plans/glow_shop.yaml", str(log))
    assert done.exit_code == 0, done.stderr
    assert '\n  "": 1 message, 1 profile\n' in done.stdout
    report = json.loads(
        cli("audit", "--plan", "plans/glow_shop.yaml", str(log), "--format", "json").stdout
    )
    assert report["traits"]["unplanned"][0]["trait"] == ""


def test_regression_audit_and_simulate_text_escape_control_characters(
    cli: Any, tmp_path: Path
) -> None:
    """User ids and trait names from the log reached the terminal raw in audit and simulate
    reports (ESC sequences could clear the screen or fake lines); they are shown escaped, as
    validate shows them."""
    user = "bob@x.co\x1b[2J\u202e"
    messages = [
        {
            "type": "identify",
            "userId": user,
            "messageId": "m1",
            "timestamp": "2026-01-10T10:00:00Z",
            "traits": {"evil\nstale_trait: 0 findings": 1},
        },
        {
            "type": "track",
            "userId": user,
            "event": "Checkout Started",
            "messageId": "m2",
            "timestamp": "2026-01-10T10:05:00Z",
            "properties": {},
        },
    ]
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(m) + "\n" for m in messages))
    for command in ("audit", "simulate"):
        for fmt in ("text", "markdown"):
            done = cli(command, "--plan", "plans/glow_shop.yaml", str(log), "--format", fmt)
            assert "\x1b" not in done.stdout and "\u202e" not in done.stdout, (command, fmt)
            if (command, fmt) != ("simulate", "markdown"):  # that one lists no members
                assert "bob@x.co\\x1b[2J\\u202e" in done.stdout, (command, fmt, done.stdout)
    audit = cli("audit", "--plan", "plans/glow_shop.yaml", str(log)).stdout
    assert "evil\\x0astale_trait: 0 findings: 1 message" in audit
