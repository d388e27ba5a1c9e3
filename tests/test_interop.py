"""Import from Segment and JSON Schema, export to Segment, and plan diffs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from codegen import Options, generate
from codegen.interop.diff import diff_plans, version_bump
from codegen.interop.jsonschemas import import_schemas
from codegen.interop.segment import export_segment, import_segment
from codegen.pipeline import load_plan_text
from codegen.plan.names import event_class

from .conftest import CORPUS, CliFn
from .schema_strategy import from_schema
from .sdk_support import import_sdk, write_sdk

# Third-party files, read in place from shared/corpus (tests/conftest.py finds it; without it the
# tests marked `corpus` are skipped).
SHARED = CORPUS or Path("shared/corpus")
TYPEWRITER = SHARED / "segment-typewriter"
SEGMENT = [
    TYPEWRITER / n for n in ("plan-v1.json", "plan-v2-sanitized.json", "telemetry-plan.json")
]
IGLU = SHARED / "snowplow-iglu-central" / "schemas"


def imported(path: Path) -> str:
    result = import_segment(json.loads(path.read_text()), path.name)
    assert result.text is not None, [d.render() for d in result.diagnostics]
    return result.text


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, Path]]:
    out = {}
    for path in SEGMENT:
        loaded = load_plan_text(imported(path), path.name)
        assert loaded.ok and loaded.plan is not None
        out[path.stem] = (loaded.plan, write_sdk(loaded.plan, tmp_path_factory.mktemp(path.stem)))
    return out


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.parametrize("name", [p.stem for p in SEGMENT])
def test_segment_corpus_imports_generates_and_type_checks(
    packages: dict[str, tuple[Any, Path]], name: str
) -> None:
    plan, folder = packages[name]
    assert plan.events
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", plan.slug],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert mypy.returncode == 0, mypy.stdout


@pytest.mark.corpus
@pytest.mark.parametrize("path", SEGMENT, ids=lambda p: p.stem)
def test_round_trip_import_export_import(path: Path) -> None:
    first = imported(path)
    loaded = load_plan_text(first, path.name)
    assert loaded.plan is not None
    exported = export_segment(loaded.plan)
    jsonschema.Draft7Validator.check_schema(exported["rules"][0]["jsonSchema"])
    assert {r["type"] for r in exported["rules"]} <= {"TRACK", "IDENTIFY"}
    second = import_segment(json.loads(json.dumps(exported)), path.name)
    assert second.text is not None
    assert _body(second.text) == _body(first)


def _body(text: str) -> str:
    return text.split("\n\n", 1)[1]  # without the header comment


@pytest.mark.corpus
def test_imports_keep_wire_names_and_report_renames() -> None:
    path = TYPEWRITER / "plan-v1.json"
    result = import_segment(json.loads(path.read_text()), "plan-v1.json")
    assert result.text is not None
    plan = load_plan_text(result.text).plan
    assert plan is not None
    names = {e.name for e in plan.events}
    assert {"Event Collided", "event_collided", "42_--terrible==\\\"event'++name~!3"} <= names
    collided = plan.event("Properties Collided")
    assert collided is not None
    assert {f.name for f in collided.fields} == {"Property Collided", "property_collided"}
    assert len({f.code_name for f in collided.fields}) == 2
    renamed = [d for d in result.diagnostics if d.code == "import/renamed"]
    assert len(renamed) == 2 and all(d.level.name == "WARNING" for d in renamed)
    assert plan.type("Universe") is not None  # repeated identical object → one reusable type


def _original_properties(event: dict[str, Any]) -> dict[str, Any]:
    return event["rules"]["properties"]["properties"]


CONFIG_API = json.loads((TYPEWRITER / "plan-v1.json").read_text()) if CORPUS else {}
EVENTS = [
    e
    for e in CONFIG_API.get("rules", {}).get("events", [])
    if _original_properties(e).get("properties")
]


@pytest.fixture(scope="module")
def typewriter_sdk(packages: dict[str, tuple[Any, Path]]) -> tuple[Any, Any, dict[str, str]]:
    plan, folder = packages["plan-v1"]
    schemas = generate(plan, Options(targets=("schemas",)))
    return plan, import_sdk(folder, plan.slug), schemas


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e["name"])
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_differential_with_the_original_segment_schemas(
    typewriter_sdk: tuple[Any, Any, dict[str, str]],
    event: dict[str, Any],
    data: st.DataObject,
) -> None:
    """Payloads the original schema accepts, ours accept; what it rejects, ours reject."""
    plan, _sdk, schemas = typewriter_sdk  # the SDK import makes its modules importable
    original = _original_properties(event)
    ours = json.loads(schemas[f"schemas/events/{plan.event(event['name']).code_name}.schema.json"])
    ours_props = {**ours["properties"]["properties"], "$defs": ours.get("$defs", {})}
    module = __import__(f"{plan.slug}.events.{plan.event(event['name']).code_name}", fromlist=["x"])
    model = getattr(module, event_class(plan.event(event["name"]).code_name))
    payload = data.draw(from_schema(original, {}))
    for candidate, expected in _cases(original, payload, data):
        assert _accepts(original, candidate) is expected, candidate
        assert _accepts(ours_props, candidate) is expected, candidate
        assert _model_accepts(model, candidate) is expected, candidate


def _cases(
    schema: dict[str, Any], payload: dict[str, Any], data: st.DataObject
) -> list[tuple[Any, bool]]:
    cases: list[tuple[Any, bool]] = [(payload, True)]
    if not payload:
        return cases
    key = data.draw(st.sampled_from(sorted(payload)))
    if key in schema.get("required", []):
        cases.append(({k: v for k, v in payload.items() if k != key}, False))
    for wrong in ({"an": "object"}, "text", 12345, [1]):
        broken = {**payload, key: wrong}
        cases.append((broken, _accepts(schema, broken)))
    return cases


def _accepts(schema: dict[str, Any], payload: Any) -> bool:
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    return jsonschema.Draft202012Validator(schema, format_checker=checker).is_valid(payload)


def _model_accepts(model: Any, payload: Any) -> bool:
    try:
        model.model_validate_json(json.dumps(payload), by_alias=True, by_name=False)
    except ValidationError:
        return False
    return True


def test_unsupported_constructs_are_warnings_with_pointers(tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "properties": {
            "choice": {"oneOf": [{"type": "string"}, {"type": "object"}]},
            "tags": {"type": "object", "patternProperties": {"^x-": {"type": "string"}}},
            "size": {"type": "integer", "multipleOf": 5},
            "link": {"type": "string", "format": "uri-reference"},
            "pair": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]},
            "ok": {"type": ["string", "null"], "maxLength": 5},
        },
        "required": ["ok"],
    }
    (tmp_path / "thing.json").write_text(json.dumps(schema))
    result = import_schemas(tmp_path / "thing.json")
    found = sorted(
        (d.location.path[0], d.message)
        for d in result.diagnostics
        if d.code == "import/unsupported"
    )
    pointers = [p for p, _ in found]
    assert pointers == [
        "/properties/choice/oneOf",
        "/properties/link/format",
        "/properties/pair/items",
        "/properties/size/multipleOf",
        "/properties/tags/patternProperties",
    ]
    assert result.text is not None and "maxLength" not in result.text
    assert "max_length: 5" in result.text and "nullable: true" in result.text


@pytest.mark.slow
@pytest.mark.corpus
def test_iglu_central_imports_and_generates_mypy_clean(tmp_path: Path) -> None:
    files = sorted(p for p in IGLU.rglob("*") if p.is_file())
    result = import_schemas(IGLU)
    assert result.text is not None
    loaded = load_plan_text(result.text)
    assert loaded.ok and loaded.plan is not None
    assert len(loaded.plan.events) == len(files) == 660
    failures = [d for d in result.diagnostics if d.level.name == "ERROR"]
    assert failures == []
    warned = {d.location.file for d in result.diagnostics if d.code == "import/unsupported"}
    assert all(Path(w).is_relative_to(IGLU) for w in warned)
    folder = write_sdk(loaded.plan, tmp_path / "out")
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", loaded.plan.slug],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert mypy.returncode == 0, mypy.stdout[-3000:]


# -- diff ----------------------------------------------------------------------------------------

BASE = """
plan: {name: D, slug: d, version: 1.0.0}
lint: {disable: [commerce/money-event]}
identity: {primary_id: customer_id, user_id_pattern: "^c_", anonymous_allowed: [Page Seen]}
events:
  Order Completed:
    description: paid
    properties:
      order_id: {type: string, required: true}
      total: {type: number, minimum: 0, required: true}
      method: {type: string, enum: [card, paypal]}
      note: {type: string, max_length: 100}
      code: {type: string}
      gift: {type: boolean, nullable: true}
  Page Seen: {description: a page}
"""


def _diff(change: tuple[str, str], version: str = "1.0.0") -> Any:
    old = load_plan_text(BASE).plan
    text = BASE.replace(*change).replace("version: 1.0.0", f"version: {version}")
    if "Page Seen:" not in text:  # the event is gone: so is its identity rule
        text = text.replace("anonymous_allowed: [Page Seen]", "anonymous_allowed: []")
    new = load_plan_text(text).plan
    assert old is not None and new is not None, text
    return diff_plans(old, new)


@pytest.mark.parametrize(
    ("change", "kind", "needle"),
    [
        (("  Page Seen: {description: a page}\n", ""), "breaking", "removed `Page Seen`"),
        (("Page Seen:", "Page seen:"), "breaking", "renamed from `Page Seen`"),
        (("      code: {type: string}\n", ""), "breaking", "property `code` removed"),
        (("code: {type: string}", "cOdE: {type: string}"), "breaking", "renamed from `code`"),
        (
            ("total: {type: number, minimum: 0,", "total: {type: string,"),
            "breaking",
            "type changed",
        ),
        (("minimum: 0, required: true}", "required: true}"), "compatible", "minimum loosened"),
        (
            ("gift: {type: boolean, nullable: true}", "gift: {type: boolean}"),
            "breaking",
            "no longer nullable",
        ),
        (
            ("code: {type: string}", "code: {type: string, required: true}"),
            "breaking",
            "optional → required",
        ),
        (("enum: [card, paypal]", "enum: [card]"), "breaking", "enum values removed: `paypal`"),
        (
            ("enum: [card, paypal]", "enum: [card, paypal, klarna]"),
            "compatible",
            "enum values added: `klarna`",
        ),
        (
            ("code: {type: string}", "code: {type: string, pattern: '^[A-Z]+$'}"),
            "breaking",
            "pattern changed",
        ),
        (("max_length: 100", "max_length: 50"), "breaking", "max_length tightened: 100 → 50"),
        (("max_length: 100", "max_length: 500"), "compatible", "max_length loosened"),
        (
            ('user_id_pattern: "^c_"', 'user_id_pattern: "^c_[0-9]{6}$"'),
            "breaking",
            "userId pattern",
        ),
        (
            ("anonymous_allowed: [Page Seen]", "anonymous_allowed: []"),
            "breaking",
            "`Page Seen` now requires a known person",
        ),
        (
            ("      gift:", "      wrap: {type: boolean}\n      gift:"),
            "compatible",
            "optional property added",
        ),
        (
            ("      gift:", "      wrap: {type: boolean, required: true}\n      gift:"),
            "breaking",
            "required property added",
        ),
        (("description: paid", "description: payment captured"), "doc", "description"),
        (
            ("  Page Seen:", "  Cart Viewed: {description: c}\n  Page Seen:"),
            "compatible",
            "added `Cart Viewed`",
        ),
    ],
)
def test_each_change_kind(change: tuple[str, str], kind: str, needle: str) -> None:
    report = _diff(change)
    matching = [c for c in report.changes if needle in c.message]
    assert matching, [c.message for c in report.changes]
    assert matching[0].kind == kind


def test_semver_bump_required_and_checked() -> None:
    breaking = _diff(("enum: [card, paypal]", "enum: [card]"), version="1.1.0")
    assert breaking.required == "major" and breaking.declared == "minor"
    assert not breaking.version_ok
    assert _diff(("enum: [card, paypal]", "enum: [card]"), version="2.0.0").version_ok
    docs = _diff(("description: paid", "description: payment captured"), version="1.0.1")
    assert docs.required == "patch" and docs.version_ok
    assert version_bump("1.2.3", "1.2.2") == "lower"
    assert version_bump("1.2.3", "1.2.3") == "none"


@pytest.mark.parametrize(
    ("old", "new", "bump"),
    [
        ("2.0.0-rc.1", "2.0.0", "patch"),  # was: lower (a release sorted below its rc)
        ("2.0.0-rc.2", "2.0.0-rc.10", "patch"),  # was: lower (compared as text)
        ("2.0.0", "2.0.0-rc.1", "lower"),  # was: patch
        ("2.0.0-alpha", "2.0.0-alpha.1", "patch"),
        ("2.0.0-rc.1", "2.0.0-alpha", "lower"),
        ("2.0.0-1", "2.0.0-alpha", "patch"),  # numeric identifiers sort below text
        ("1.2.0", "1.2.0+build.5", "none"),  # build metadata has no precedence
        ("1.9.0", "1.10.0", "minor"),
        ("1.2.0", "2.0.0-rc.1", "major"),
    ],
)
def test_regression_version_bump_follows_semver_precedence(old: str, new: str, bump: str) -> None:
    assert version_bump(old, new) == bump


def test_regression_diff_verdict_words(cli: CliFn, tmp_path: Path) -> None:
    """No change says "needs no version bump" (was "needs a none version bump"); a version that
    went down says so (was "must get at least a none bump")."""
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(BASE)
    new.write_text(BASE)
    assert "needs no version bump" in cli("diff", str(old), str(new)).stdout
    new.write_text(BASE.replace("version: 1.0.0", "version: 0.0.1", 1))
    done = cli("diff", str(old), str(new))
    assert done.exit_code == 1
    assert "error: the version went down" in done.stdout + done.stderr


def test_diff_cli_formats_and_fail_on(cli: CliFn, tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    new = tmp_path / "new.yaml"
    old.write_text(BASE)
    new.write_text(
        BASE.replace("enum: [card, paypal]", "enum: [card]").replace(
            "version: 1.0.0", "version: 2.0.0"
        )
    )
    text = cli("diff", old, new)
    assert text.exit_code == 0 and "BREAKING" in text.stdout
    assert cli("diff", old, new, "--fail-on", "breaking").exit_code == 1
    document = json.loads(cli("diff", old, new, "--format", "json").stdout)
    assert document["required_bump"] == "major" and document["version_ok"] is True
    markdown = cli("diff", old, new, "--format", "markdown").stdout
    assert markdown.startswith("### Tracking plan changes") and "| BREAKING |" in markdown
    new.write_text(BASE.replace("enum: [card, paypal]", "enum: [card]"))
    assert cli("diff", old, new).exit_code == 1  # breaking change, version not bumped


def test_diff_against_a_git_ref(cli: CliFn, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    plan = repo / "plan.yaml"
    plan.write_text(BASE)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "plan.yaml"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    plan.write_text(
        BASE.replace("      code: {type: string}\n", "").replace("version: 1.0.0", "version: 2.0.0")
    )
    result = cli("diff", "--base", "HEAD", plan, "--format", "json")
    assert result.exit_code == 0, result.stderr
    [change] = json.loads(result.stdout)["changes"]
    assert change["kind"] == "breaking" and "removed" in change["message"]


# -- issue 12: Segment accepts anonymous track calls, so an imported plan does too ------------

CART_PLAN = {
    "display_name": "Shop",
    "rules": {
        "events": [
            {
                "name": "Added to Cart",
                "version": 1,
                "rules": {
                    "type": "object",
                    "properties": {
                        "properties": {
                            "type": "object",
                            "properties": {"product_id": {"type": "string"}},
                            "required": ["product_id"],
                        }
                    },
                },
            }
        ]
    },
}


def test_segment_import_allows_anonymous_events_and_says_so(tmp_path: Path) -> None:
    from codegen.validate.checker import Checker

    result = import_segment(CART_PLAN, "shop.json")
    assert result.text is not None
    assert "anonymous_allowed: all" in result.text
    [note] = [d for d in result.diagnostics if d.code == "import/anonymous-allowed"]
    assert note.level.name == "INFO"
    loaded = load_plan_text(result.text, "shop.yaml")
    assert loaded.plan is not None and loaded.ok
    assert loaded.plan.event("Added to Cart").anonymous_allowed  # type: ignore[union-attr]
    checker = Checker(loaded.plan)
    message = {
        "type": "track",
        "event": "Added to Cart",
        "anonymousId": "anon-1",
        "properties": {"product_id": "p-1"},
    }
    [outcome] = checker.check_line(json.dumps(message).encode(), "day.jsonl", 1)
    assert outcome.status == "valid", outcome.violations
    [outcome] = checker.check_line(
        json.dumps({**message, "anonymousId": None}).encode(), "day.jsonl", 2
    )
    assert [v.kind for v in outcome.violations] == ["identity"]  # still needs some id

    class Recorder:
        def __init__(self) -> None:
            self.calls: list[dict[str, Any]] = []

        def track(self, **kwargs: Any) -> None:
            self.calls.append(kwargs)

    sdk = import_sdk(write_sdk(loaded.plan, tmp_path / "out"), "shop")
    client = Recorder()
    tracker = sdk.Tracker(client, mode="strict")
    tracker.added_to_cart(anonymous_id="anon-1", product_id="p-1")
    assert client.calls[0]["anonymous_id"] == "anon-1" and client.calls[0]["user_id"] is None


def test_anonymous_allowed_all_in_a_written_plan() -> None:
    text = (
        "plan: {name: Shop, slug: shop, version: 1.0.0}\n"
        "identity: {primary_id: customer_id, anonymous_allowed: all}\n"
        "events:\n  Added to Cart: {}\n  Order Completed: {}\n"
    )
    loaded = load_plan_text(text, "shop.yaml")
    assert loaded.plan is not None
    assert loaded.plan.identity.anonymous_allowed == ("Added to Cart", "Order Completed")
    wrong = load_plan_text(text.replace("anonymous_allowed: all", "anonymous_allowed: any"))
    assert [d.code for d in wrong.diagnostics] == ["plan/invalid"]
