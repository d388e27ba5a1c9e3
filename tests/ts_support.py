"""The TypeScript toolchain for tests: tests/typescript/node_modules (installed from its lockfile
by ``make test``, or here when missing), building a generated package with it, and tsc.

Used by tests/test_typescript.py, tests/test_oracle.py (the TypeScript judge) and
tests/test_fuzz.py (tsc on fuzzed plans).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from codegen import Options, generate
from codegen.output.writer import write
from codegen.plan import ir

from .conftest import ROOT

TOOLCHAIN = ROOT / "tests" / "typescript"
FIXTURES = TOOLCHAIN / "fixtures"
MODULES = TOOLCHAIN / "node_modules"


def run(
    args: list[str], cwd: Path, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=600,
    )


def ensure_toolchain() -> Path:
    """tests/typescript/node_modules, installed with ``npm ci`` when it is missing (the
    Makefile's stamp installs it again when the lockfile changes)."""
    assert shutil.which("node") and shutil.which("npm"), "Node and npm are required"
    if not (MODULES / ".bin" / "tsc").exists():
        done = run(["npm", "ci", "--no-audit", "--no-fund"], TOOLCHAIN)
        assert done.returncode == 0, done.stderr
    return MODULES


def build(plan: ir.Plan, out: Path, modules: Path = MODULES) -> Path:
    """Generate ``plan`` into ``out``, then ``npm run build`` its TypeScript package."""
    write(out, generate(plan, Options(cache_dir=None, workers=1)))
    folder = out / "typescript"
    (folder / "node_modules").symlink_to(modules, target_is_directory=True)
    done = run(["npm", "run", "build"], folder)
    assert done.returncode == 0, done.stdout + done.stderr
    return folder


def tsc(*args: str, cwd: Path, modules: Path = MODULES) -> subprocess.CompletedProcess[str]:
    return run(["node", str(modules / "typescript" / "bin" / "tsc"), *args], cwd)
