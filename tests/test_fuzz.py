"""The plan fuzzer: random hostile plans through every command; never a traceback.

A plan that loads without errors must generate output that works: Python that compiles (and,
batched, passes ``mypy --strict``), schemas valid under the 2020-12 meta-schema, Liquid samples
that parse and pass ``check-template``, Markdown tables that keep their column count, TOML that
parses, ``check`` clean right after ``generate``, export → import without a traceback, the
same bytes under two hash seeds, and (batched) TypeScript packages that pass ``tsc --strict``.
A plan with errors must say where (file:line).

CI runs a fixed seed set (``derandomize``); ``pytest tests/test_fuzz.py --hypothesis-profile
deep`` runs many more (see README).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from jsonschema import Draft202012Validator
from liquid.exceptions import LiquidError

from codegen import Options, generate
from codegen.checks.liquid import check_template, customerio_environment
from codegen.interop.segment import export_segment, import_segment
from codegen.output.writer import changes, write
from codegen.pipeline import load_plan_text
from codegen.plan import ir
from codegen.plan.diagnostics import Level
from codegen.validate import Checker

from .plan_fuzz import mutated_plans, plans
from .ts_support import ensure_toolchain, tsc

pytestmark = pytest.mark.slow

# The deep profile (``--hypothesis-profile deep``) raises the number of examples.
EXAMPLES = max(settings.default.max_examples, 500) if settings.default.max_examples >= 500 else 25
MUTATIONS = EXAMPLES * 2
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=settings.default.max_examples < 500,
    database=None,
    # Each example generates a whole project: shrinking a failure could take many minutes.
    # The failing plan is printed whole; the deep profile shrinks.
    phases=(
        [Phase.explicit, Phase.generate]
        if settings.default.max_examples < 500
        else [Phase.explicit, Phase.generate, Phase.shrink]
    ),
)


class Batch:
    """What the per-plan test hands to the batched checks that follow it."""

    sdks: ClassVar[list[Path]] = []
    typescript: ClassVar[list[Path]] = []
    plans: ClassVar[list[str]] = []
    accepted = 0
    rejected = 0


def dump(plan: dict[str, Any]) -> str:
    return yaml.safe_dump(plan, allow_unicode=True, sort_keys=False, width=1000)


def _assert_located(diagnostics: tuple[Any, ...], text: str) -> None:
    errors = [d for d in diagnostics if d.level is Level.ERROR]
    assert errors, "a rejected plan must say why"
    for d in errors:
        assert d.location.line > 0, f"diagnostic without a line: {d.render()}\n---\n{text}"


@given(plan=plans())
@FUZZ
def test_fuzzed_plan_generates_working_output(
    plan: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    index = Batch.accepted + Batch.rejected
    plan["plan"]["slug"] = f"fuzz{index}_{plan['plan']['slug']}"  # unique, for the mypy batch
    text = dump(plan)
    loaded = load_plan_text(text, "fuzz.yaml")
    if not loaded.ok:
        Batch.rejected += 1
        _assert_located(loaded.diagnostics, text)
        return
    assert loaded.plan is not None
    Batch.accepted += 1
    files = generate(loaded.plan, Options(cache_dir=None, workers=1))
    _check_outputs(loaded.plan, files, text)
    out = tmp_path_factory.mktemp("fuzz")
    write(out / "gen", files)
    assert changes(out / "gen", files) == [], "check reports stale output right after generate"
    _round_trip(loaded.plan, text)
    _validate_samples(loaded.plan)
    if len(Batch.sdks) < 12:
        Batch.sdks.append(out / "gen" / "python" / loaded.plan.slug)
    if len(Batch.typescript) < 12:
        Batch.typescript.append(out / "gen" / "typescript")
    if len(Batch.plans) < 3:
        Batch.plans.append(text)


def _check_outputs(plan: ir.Plan, files: dict[str, str], text: str) -> None:
    where = f"\n--- plan ---\n{text}"
    for path, content in files.items():
        if path.endswith(".py"):
            compile(content, path, "exec")
        elif path.endswith(".json"):
            document = json.loads(content)
            if path.startswith("schemas/"):
                Draft202012Validator.check_schema(document)
        elif path.endswith(".toml"):
            tomllib.loads(content)
        elif path.endswith((".yml", ".yaml")):
            yaml.safe_load(content)
        elif path.endswith(".md"):
            _check_tables(path, content, where)
        elif path.endswith(".liquid"):
            _check_liquid(plan, path, content, where)


_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def _check_tables(path: str, content: str, where: str) -> None:
    """Every row of a Markdown table has the header's number of cells."""
    width = None
    fence = False
    for number, line in enumerate(content.splitlines(), 1):
        if line.startswith("```"):
            fence = not fence
        if fence or not line.startswith("|"):
            width = None
            continue
        cells = len(_UNESCAPED_PIPE.findall(line))
        if width is None:
            width = cells
        assert cells == width, f"{path}:{number}: table row has {cells - 1} cells{where}"


def _check_liquid(plan: ir.Plan, path: str, content: str, where: str) -> None:
    try:
        customerio_environment().parse(content)
    except LiquidError as exc:
        pytest.fail(f"{path}: generated Liquid does not parse: {exc}{where}")
    message_id = Path(path).stem
    message = next((m for m in plan.messages if m.id == message_id), None)
    event = plan.event(message.trigger) if message and message.trigger else None
    found = [d for d in check_template(plan, content, path, event) if d.level is Level.ERROR]
    assert not found, "\n".join(d.render() for d in found) + where


def _round_trip(plan: ir.Plan, text: str) -> None:
    exported = json.loads(json.dumps(export_segment(plan), ensure_ascii=False))
    imported = import_segment(exported, "exported.json")
    if imported.text is not None:
        again = load_plan_text(imported.text, "imported.yaml")
        assert again.plan is not None, (
            "\n".join(d.render() for d in again.diagnostics) + f"\n--- plan ---\n{text}"
        )


def _validate_samples(plan: ir.Plan) -> None:
    """`codegen validate` builds its checker for the plan and judges a message of each event."""
    checker = Checker(plan)
    for number, event in enumerate(plan.events, 1):
        message = {"type": "track", "event": event.name, "userId": "u1", "properties": {}}
        assert checker.check_line(json.dumps(message).encode(), "fuzz.jsonl", number)


def test_fuzzer_reaches_generation() -> None:
    """The strategy must produce mostly valid plans, or the fuzzer tests nothing."""
    total = Batch.accepted + Batch.rejected
    if total == 0:
        pytest.skip("the fuzzed-plan test did not run")
    # Reserved names are drawn on purpose and rejected with located errors when they clash,
    # so a share is expected.
    assert Batch.accepted >= max(3, total * 0.25), f"only {Batch.accepted} of {total} were valid"


def test_fuzzed_sdks_pass_mypy_strict(tmp_path: Path) -> None:
    if not Batch.sdks:
        pytest.skip("the fuzzed-plan test did not run")
    for package in Batch.sdks:
        shutil.copytree(package, tmp_path / package.name)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            *[p.name for p in Batch.sdks],
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:]


def test_fuzzed_typescript_packages_pass_tsc_strict(tmp_path: Path) -> None:
    """One ``tsc --strict --noEmit`` over the sources of every collected package, with each
    package's own compiler options (the validators' declarations are in src/)."""
    if not Batch.typescript:
        pytest.skip("the fuzzed-plan test did not run")
    modules = ensure_toolchain()
    options = json.loads((Batch.typescript[0] / "tsconfig.json").read_text("utf-8"))
    compiler = options["compilerOptions"]
    for key in ("declaration", "rootDir", "outDir"):
        compiler.pop(key)
    config = {
        "compilerOptions": {**compiler, "strict": True, "noEmit": True},
        "include": [str(package / "src" / "**" / "*.ts") for package in Batch.typescript],
    }
    (tmp_path / "tsconfig.json").write_text(json.dumps(config), "utf-8")
    done = tsc("-p", "tsconfig.json", cwd=tmp_path, modules=modules)
    assert done.returncode == 0, done.stdout[-4000:]
    assert done.stdout == ""


_HASH_SCRIPT = """
import hashlib, sys
from codegen import Options, generate
from codegen.pipeline import load_plan_text
loaded = load_plan_text(sys.stdin.read(), "fuzz.yaml")
files = generate(loaded.plan, Options(cache_dir=None, workers=1))
digest = hashlib.sha256()
for path, text in sorted(files.items()):
    digest.update(path.encode() + b"\\0" + text.encode() + b"\\0")
print(digest.hexdigest())
"""


@pytest.mark.parametrize("position", range(3))
def test_fuzzed_output_is_the_same_under_two_hash_seeds(position: int) -> None:
    if len(Batch.plans) <= position:
        pytest.skip("not enough fuzzed plans ran")
    digests = set()
    for seed in ("1", "4242"):
        result = subprocess.run(
            [sys.executable, "-c", _HASH_SCRIPT],
            input=Batch.plans[position],
            capture_output=True,
            text=True,
            env={**_env(), "PYTHONHASHSEED": seed},
            check=True,
        )
        digests.add(result.stdout.strip())
    assert len(digests) == 1


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


@given(case=mutated_plans())
@settings(FUZZ, max_examples=MUTATIONS)
def test_mutated_plan_is_a_located_diagnostic(case: tuple[dict[str, Any], str]) -> None:
    plan, what = case
    text = dump(plan)
    loaded = load_plan_text(text, "mutated.yaml")
    assert not loaded.ok, f"mutation `{what}` was accepted\n{text}"
    _assert_located(loaded.diagnostics, text)
