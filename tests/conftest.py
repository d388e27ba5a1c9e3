"""Shared helpers: the repository root, the CLI run in-process, loading plans from text."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codegen.cli.app import app
from codegen.pipeline import load_plan, load_plan_text
from codegen.plan import ir

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"
PLANS = sorted((ROOT / "plans").glob("*.yaml"))
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: str
    stderr: str


CliFn = Callable[..., Run]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> CliFn:
    """Run ``codegen`` in-process from the repository root, as a user would."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")

    def run(*args: str | Path) -> Run:
        result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


def plan_from(text: str, name: str = "plan.yaml") -> ir.Plan:
    """Resolve a plan that must be free of errors."""
    loaded = load_plan_text(text, name)
    assert loaded.plan is not None, "\n".join(d.render() for d in loaded.diagnostics)
    return loaded.plan


def glow_shop() -> ir.Plan:
    loaded = load_plan(ROOT / "plans" / "glow_shop.yaml")
    assert loaded.plan is not None
    return loaded.plan


def check_snapshot(path: Path, actual: str) -> None:
    """Compare with a stored snapshot; ``UPDATE_SNAPSHOTS=1`` rewrites it."""
    if UPDATE or not path.exists():
        path.write_text(actual, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"snapshot {path.name} was missing and has been written; review it")
    assert actual == path.read_text(encoding="utf-8")


def pip_install(project: Path, target: Path) -> None:
    """``pip install`` a project (not editable, no dependencies) into the folder ``target``."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(project),
        ],
        check=True,
        capture_output=True,
    )
