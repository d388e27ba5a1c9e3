"""Shared helpers: the repository root, the third-party corpus, a hermetic environment, the CLI
run in-process, loading plans from text."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from codegen.cli.app import app
from codegen.pipeline import load_plan, load_plan_text
from codegen.plan import ir

# `pytest --hypothesis-profile deep`: many more examples everywhere, the plan fuzzer included
# (tests/test_fuzz.py runs a fixed seed set of 25 plans otherwise).
settings.register_profile("deep", max_examples=500, deadline=None)

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"
PLANS = sorted((ROOT / "plans").glob("*.yaml"))
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"


def find_corpus() -> Path | None:
    """Third-party plans and schemas (``shared/corpus`` beside the repository, as on every
    developer machine and in CI, or ``$CODEGEN_CORPUS``). They stay outside the repository."""
    if explicit := os.environ.get("CODEGEN_CORPUS"):
        return Path(explicit).resolve()
    beside = ROOT.parent / "shared" / "corpus"
    return beside if beside.is_dir() else None


CORPUS = find_corpus()
NO_CORPUS = (
    f"third-party corpus not found: no {ROOT.parent / 'shared' / 'corpus'} and no "
    "$CODEGEN_CORPUS (set it to a copy of shared/corpus to run these tests)"
)


def pytest_configure(config: pytest.Config) -> None:
    if CORPUS is not None and not CORPUS.is_dir():  # asked for: a typo must not skip tests
        raise pytest.UsageError(f"CODEGEN_CORPUS={CORPUS}: no such folder")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``corpus`` are skipped, all with the one reason, when there is no corpus."""
    if CORPUS is not None:
        return
    skip = pytest.mark.skip(reason=NO_CORPUS)
    for item in items:
        if item.get_closest_marker("corpus"):
            item.add_marker(skip, append=False)  # before pytest's "empty parameter set" skip


@pytest.fixture(autouse=True, scope="session")
def hermetic_caches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point every cache the code under test (and every subprocess it starts, which inherits
    the environment) could write at a session temp folder, never ~/.cache. `make test` checks
    that ~/.cache/codegen is left untouched."""
    root = tmp_path_factory.mktemp("caches")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CODEGEN_CACHE_DIR", str(root / "codegen"))
        patch.setenv("XDG_CACHE_HOME", str(root / "xdg"))  # pip, black, ... in subprocesses
        yield root


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
