"""Every kind of bad plan gets a located, actionable message, a non-zero exit and no output."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen.pipeline import load_plan_text
from codegen.plan.loader import MAX_PLAN_BYTES

from .conftest import CASES, CliFn, check_snapshot

BAD = sorted((CASES / "bad").glob("*.yaml"))
# path_traversal.yaml is a valid plan (only warnings): it checks where files land.
REJECTED = [p for p in BAD if p.stem != "path_traversal"]


@pytest.mark.parametrize("plan", REJECTED, ids=lambda p: p.stem)
def test_message_snapshot_and_nothing_written(cli: CliFn, plan: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = cli("generate", plan.relative_to(CASES.parent.parent), "-o", out)
    check_snapshot(plan.with_suffix(".expected"), f"exit {result.exit_code}\n{result.stderr}")
    # 2 only when the loader could not read the plan at all; read with errors is 1.
    assert result.exit_code == (2 if "error[load/" in result.stderr else 1)
    assert not out.exists()


@pytest.mark.parametrize("plan", REJECTED, ids=lambda p: p.stem)
def test_every_error_names_file_line_and_path(plan: Path) -> None:
    loaded = load_plan_text(plan.read_text(encoding="utf-8"), plan.name)
    errors = [d for d in loaded.diagnostics if d.level.name == "ERROR"]
    assert errors
    for d in errors:
        assert d.location.file == plan.name
        assert d.location.line > 0, d.render()
        assert d.message


def test_all_errors_at_once() -> None:
    text = (CASES / "bad" / "unknown_keys.yaml").read_text(encoding="utf-8")
    codes = [d.code for d in load_plan_text(text).diagnostics]
    assert codes.count("plan/unknown-key") == 4


def test_unknown_key_suggests_the_right_one() -> None:
    text = (CASES / "bad" / "unknown_keys.yaml").read_text(encoding="utf-8")
    hints = {d.location.path[-1]: d.hint for d in load_plan_text(text).diagnostics}
    assert hints["requird"] is not None and hints["requird"].startswith("did you mean `required`?")
    assert hints["owners"] is not None and hints["owners"].startswith("did you mean `owner`?")


def test_plan_over_size_limit(cli: CliFn, tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("plan: {}\n" + "# padding\n" * (MAX_PLAN_BYTES // 10 + 1), encoding="utf-8")
    result = cli("lint", big)
    assert result.exit_code == 2
    assert "load/too-large" in result.stderr


def test_missing_file(cli: CliFn, tmp_path: Path) -> None:
    result = cli("lint", tmp_path / "nope.yaml")
    assert result.exit_code == 2
    assert "load/unreadable" in result.stderr


def test_recursive_alias_is_rejected() -> None:
    loaded = load_plan_text("a: &a\n  b: *a\n")
    assert [d.code for d in loaded.diagnostics] == ["load/recursive-alias"]


def test_aliases_and_merge_keys_are_allowed_in_moderation() -> None:
    text = """
plan: {name: A, slug: a, version: 1.0.0}
identity: {primary_id: customer_id}
x-base: &base {type: string, required: true}
events:
  Order Completed:
    description: d
    properties:
      order_id: {<<: *base, description: Id}
"""
    loaded = load_plan_text(text)
    assert [d.code for d in loaded.diagnostics] == ["plan/unknown-key"]  # only `x-base`


def test_generated_file_names_stay_inside_output(cli: CliFn, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = cli("generate", CASES / "bad" / "path_traversal.yaml", "-o", out)
    assert result.exit_code == 0, result.stderr
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert "schemas/events/escape_attempt.schema.json" in written
    assert "schemas/events/etc_passwd.schema.json" in written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
