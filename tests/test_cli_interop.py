"""`codegen import segment`, `codegen import jsonschema` and `codegen export segment` through
the CLI: third-party files from the corpus, round trips, and files that cannot be read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codegen.pipeline import load_plan

from .conftest import CORPUS, ROOT, CliFn

SHARED = CORPUS or Path("shared/corpus")  # absent: the tests marked `corpus` are skipped
TYPEWRITER = SHARED / "segment-typewriter"
MAILCHIMP = SHARED / "snowplow-iglu-central" / "schemas" / "com.mailchimp"


def body(plan: Path) -> str:
    """The plan without its header comment (which names the source file)."""
    return plan.read_text(encoding="utf-8").split("\n\n", 1)[1]


def loads_cleanly(plan: Path) -> int:
    loaded = load_plan(plan)
    assert loaded.ok and loaded.plan is not None, [d.render() for d in loaded.diagnostics]
    return len(loaded.plan.events)


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "events"), [("plan-v1", 24), ("telemetry-plan", 6)])
def test_import_segment_export_import_round_trip(
    cli: CliFn, tmp_path: Path, name: str, events: int
) -> None:
    """Config API v1 (plan-v1) and Public API (telemetry-plan) exports → plan → Public API →
    the same plan."""
    first, exported, second = tmp_path / "1.yaml", tmp_path / "out.json", tmp_path / "2.yaml"
    imported = cli("import", "segment", TYPEWRITER / f"{name}.json", "-o", first)
    assert imported.exit_code == 0, imported.stderr
    assert f"wrote {first}" in imported.stderr
    assert loads_cleanly(first) == events
    assert cli("export", "segment", first, "-o", exported).exit_code == 0
    document = json.loads(exported.read_text(encoding="utf-8"))
    assert len([r for r in document["rules"] if r["type"] == "TRACK"]) == events
    assert cli("import", "segment", exported, "-o", second).exit_code == 0
    assert body(second) == body(first)


@pytest.mark.corpus
def test_import_jsonschema_folder_from_iglu_central(cli: CliFn, tmp_path: Path) -> None:
    plan = tmp_path / "mailchimp.yaml"
    result = cli("import", "jsonschema", MAILCHIMP, "-o", plan)
    assert result.exit_code == 0, result.stderr
    schemas = [p for p in MAILCHIMP.rglob("*") if p.is_file()]
    assert loads_cleanly(plan) == len(schemas) > 0
    assert "com.mailchimp/subscribe/" in plan.read_text(encoding="utf-8")  # vendor/name/version


def test_export_import_export_of_our_own_plan_is_stable(cli: CliFn, tmp_path: Path) -> None:
    exported, plan, again = tmp_path / "a.json", tmp_path / "plan.yaml", tmp_path / "b.json"
    assert (
        cli("export", "segment", ROOT / "plans" / "glow_shop.yaml", "-o", exported).exit_code == 0
    )
    assert cli("import", "segment", exported, "-o", plan).exit_code == 0
    loads_cleanly(plan)
    assert cli("export", "segment", plan, "-o", again).exit_code == 0
    assert again.read_bytes() == exported.read_bytes()


# -- files that cannot be read: exit 2, the file named, no traceback, nothing written ------------


def unreadable(tmp_path: Path, kind: str) -> Path:
    """As root no permission bit stops a read, so these are the failures a user can hit."""
    path = tmp_path / f"{kind}.input"
    if kind == "folder":
        path.mkdir()
    elif kind == "not-utf8":
        path.write_bytes(b"\xff\xfe{\x00 not text")
    elif kind == "not-json":
        path.write_text("{rules: [", encoding="utf-8")
    return path  # "missing": not created


@pytest.mark.parametrize("kind", ["missing", "folder", "not-utf8", "not-json"])
def test_import_segment_unreadable_file(cli: CliFn, tmp_path: Path, kind: str) -> None:
    source, out = unreadable(tmp_path, kind), tmp_path / "plan.yaml"
    result = cli("import", "segment", source, "-o", out)
    assert result.exit_code == 2
    assert source.name in result.stderr
    assert ("cannot read" if kind != "not-json" else "not JSON") in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("kind", ["missing", "folder", "not-utf8"])
def test_export_segment_unreadable_plan(cli: CliFn, tmp_path: Path, kind: str) -> None:
    source, out = unreadable(tmp_path, kind), tmp_path / "segment.json"
    result = cli("export", "segment", source, "-o", out)
    assert result.exit_code == 2
    assert source.name in result.stderr and "cannot read" in result.stderr
    assert not out.exists()


def test_import_jsonschema_missing_source(cli: CliFn, tmp_path: Path) -> None:
    source, out = tmp_path / "schemas", tmp_path / "plan.yaml"
    result = cli("import", "jsonschema", source, "-o", out)
    assert result.exit_code == 2
    assert str(source) in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("kind", ["not-utf8", "not-json"])
def test_import_jsonschema_unreadable_schema_is_a_located_error(
    cli: CliFn, tmp_path: Path, kind: str
) -> None:
    folder = tmp_path / "schemas"
    folder.mkdir()
    (folder / "good.json").write_text(
        json.dumps({"type": "object", "properties": {"id": {"type": "string"}}}), encoding="utf-8"
    )
    bad = unreadable(tmp_path, kind).rename(folder / "bad.json")
    result = cli("import", "jsonschema", folder, "-o", tmp_path / "plan.yaml")
    assert f"{bad}" in result.stderr and "error[import/unreadable]" in result.stderr
    assert "Traceback" not in result.stderr


def test_import_refuses_to_overwrite_a_plan_without_force(cli: CliFn, tmp_path: Path) -> None:
    """`import -o` silently overwrote an existing plan."""
    source = ROOT / "tests" / "cases" / "interop" / "glow_shop.segment.json"
    out = tmp_path / "plan.yaml"
    out.write_text("# my edited plan\n", encoding="utf-8")
    refused = cli("import", "segment", source, "-o", out)
    assert refused.exit_code == 2 and "already exists" in refused.stderr
    assert out.read_text(encoding="utf-8") == "# my edited plan\n"
    forced = cli("import", "segment", source, "-o", out, "--force")
    assert forced.exit_code == 0 and out.read_text(encoding="utf-8").startswith("# yaml")


def test_check_refuses_a_foreign_folder_without_a_traceback(cli: CliFn, tmp_path: Path) -> None:
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("not generated", encoding="utf-8")
    result = cli("check", "plans/glow_shop.yaml", "-o", foreign, "--no-cache")
    assert result.exit_code == 2 and "error:" in result.stderr
