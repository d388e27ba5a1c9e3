"""generated/ is exactly what plans/ generates now, and generation is deterministic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from codegen import generate
from codegen.output.writer import changes
from codegen.pipeline import load_plan
from codegen.plan.filemodel import format_json_schema
from codegen.plan.loader import load_file

from .conftest import PLANS, ROOT, CliFn


@pytest.mark.parametrize("plan", PLANS, ids=lambda p: p.stem)
def test_generated_folder_is_up_to_date(plan: Path) -> None:
    loaded = load_plan(plan)
    assert loaded.plan is not None
    found = changes(ROOT / "generated" / loaded.plan.slug, generate(loaded.plan))
    assert not found, "generated/ is stale; run `make generate`:\n" + "".join(
        c.diff() for c in found
    )


def test_check_command_passes_on_committed_output(cli: CliFn) -> None:
    result = cli("check", "plans/")
    assert result.exit_code == 0, result.stderr
    assert "up to date" in result.stderr


def test_plan_format_schema_is_published_and_current() -> None:
    published = json.loads((ROOT / "plans" / "tracking-plan.schema.json").read_text("utf-8"))
    assert published == format_json_schema()
    jsonschema.Draft202012Validator.check_schema(published)


@pytest.mark.parametrize("plan", PLANS, ids=lambda p: p.stem)
def test_plans_validate_against_the_format_schema_and_carry_the_modeline(plan: Path) -> None:
    text = plan.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=tracking-plan.schema.json")
    document, problems = load_file(plan)
    assert document is not None and not problems
    schema = json.loads((ROOT / "plans" / "tracking-plan.schema.json").read_text("utf-8"))
    assert not list(jsonschema.Draft202012Validator(schema).iter_errors(document.data))


def _generate_in_subprocess(out: Path, seed: str) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run(
        [sys.executable, "-m", "codegen", "generate", "plans/", "-o", str(out), "--no-cache"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_deterministic_across_runs_and_hash_seeds(tmp_path: Path) -> None:
    first = _generate_in_subprocess(tmp_path / "a", "1")
    second = _generate_in_subprocess(tmp_path / "b", "4242")
    assert first.keys() == second.keys()
    assert first == second
    loaded = load_plan(PLANS[0])
    assert loaded.plan is not None
    assert generate(loaded.plan) == generate(loaded.plan)


def test_no_timestamps_in_output() -> None:
    loaded = load_plan(PLANS[0])
    assert loaded.plan is not None
    for path, text in generate(loaded.plan).items():
        if path.endswith("py.typed"):
            continue  # a marker file, empty by definition (PEP 561)
        assert "Do not edit" in text or "do not edit" in text, path
        assert "2026-11" not in text and "2025-" not in text, path
