"""The application policy: every command × {valid input, input with errors, unreadable input,
usage error, internal error} exits with the code README.md documents (0 ok, 1 findings, 2 cannot
run on its input, 3 internal error), and its diagnostics say where (``file:line``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import CASES, ROOT, CliFn

GLOW = ROOT / "plans" / "glow_shop.yaml"
JOURNEY_PLAN = CASES / "journeys" / "plan.yaml"
JOURNEY_LOG = CASES / "journeys" / "simulate.jsonl"
# The project's own fixtures (the third-party corpus may be absent): a Segment export of the
# example plan, and one of its published event schemas.
SEGMENT_EXPORT = CASES / "interop" / "glow_shop.segment.json"
IGLU_SCHEMA = (
    ROOT / "generated" / "glow_shop" / "schemas" / "events" / "order_completed.schema.json"
)
GOOD_TEMPLATE = CASES / "liquid" / "cart_recovery_good.liquid"
UNREADABLE_PLAN = CASES / "bad" / "yaml_syntax.yaml"

# A command line for a plan (or other input) and a scratch folder.
Command = Callable[[Path, Path], list[str | Path]]

# Commands that read a plan; "valid" is the plan each runs cleanly on.
PLAN_COMMANDS: dict[str, tuple[Path, Command]] = {
    "generate": (GLOW, lambda p, t: ["generate", p, "-o", t / "out", "--no-cache"]),
    "check": (GLOW, lambda p, t: ["check", p, "--cache-dir", t / "cache"]),
    "lint": (GLOW, lambda p, t: ["lint", p]),
    "check-template": (
        GLOW,
        lambda p, t: [
            "check-template",
            GOOD_TEMPLATE,
            "--plan",
            p,
            "--trigger",
            "Checkout Started",
        ],
    ),
    "validate": (GLOW, lambda p, t: ["validate", "--plan", p, _empty_log(t)]),
    "export segment": (GLOW, lambda p, t: ["export", "segment", p, "-o", t / "segment.json"]),
    "diff": (GLOW, lambda p, t: ["diff", GLOW, p]),
    "audit": (JOURNEY_PLAN, lambda p, t: ["audit", JOURNEY_LOG, "--plan", p]),
    "simulate": (JOURNEY_PLAN, lambda p, t: ["simulate", JOURNEY_LOG, "--plan", p]),
}


def _empty_log(folder: Path) -> Path:
    log = folder / "empty.jsonl"
    log.write_text("")
    return log


def _error_plans(folder: Path) -> dict[str, tuple[Path, int]]:
    """Readable plans with errors at each stage, and the line the first error is on."""
    lint_error = folder / "lint_error.yaml"  # resolves, but every event name fails a lint rule
    lint_error.write_text(
        GLOW.read_text(encoding="utf-8")
        + "lint:\n  event_case: snake\n  levels: {naming/event-case: error}\n"
    )
    return {
        "unknown key": (CASES / "bad" / "unknown_keys.yaml", 1),
        "dangling reference": (CASES / "bad" / "dangling_refs.yaml", 0),
        "lint error": (lint_error, 0),
    }


def _located(stderr: str, plan: Path, line: int = 0) -> bool:
    """Some diagnostic names the plan file with a line (``line`` itself when given)."""
    where = rf"{re.escape(str(plan))}:{line or r'[1-9][0-9]*'}:[0-9]+: error\["
    return re.search(where, stderr) is not None


@pytest.mark.parametrize("command", PLAN_COMMANDS)
def test_valid_plan_exits_0(cli: CliFn, command: str, tmp_path: Path) -> None:
    plan, args = PLAN_COMMANDS[command]
    result = cli(*args(plan, tmp_path))
    assert result.exit_code == 0, result.stdout + result.stderr


@pytest.mark.parametrize("kind", ["unknown key", "dangling reference", "lint error"])
@pytest.mark.parametrize("command", PLAN_COMMANDS)
def test_plan_with_errors_exits_1_with_located_errors(
    cli: CliFn, command: str, kind: str, tmp_path: Path
) -> None:
    plan, line = _error_plans(tmp_path)[kind]
    result = cli(*PLAN_COMMANDS[command][1](plan, tmp_path))
    assert result.exit_code == 1, result.stdout + result.stderr
    assert _located(result.stderr + result.stdout, plan, line), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", PLAN_COMMANDS)
def test_unreadable_plan_exits_2_with_its_line(cli: CliFn, command: str, tmp_path: Path) -> None:
    result = cli(*PLAN_COMMANDS[command][1](UNREADABLE_PLAN, tmp_path))
    assert result.exit_code == 2, result.stdout + result.stderr
    assert _located(result.stderr, UNREADABLE_PLAN, 6)
    assert "load/yaml-syntax" in result.stderr


@pytest.mark.parametrize("command", PLAN_COMMANDS)
def test_missing_plan_exits_2_naming_it(cli: CliFn, command: str, tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    result = cli(*PLAN_COMMANDS[command][1](missing, tmp_path))
    assert result.exit_code == 2, result.stdout + result.stderr
    assert f"{missing}: error[load/unreadable]" in result.stderr


def test_nothing_is_written_for_a_plan_with_errors(cli: CliFn, tmp_path: Path) -> None:
    plan, _ = _error_plans(tmp_path)["lint error"]
    assert cli("generate", plan, "-o", tmp_path / "out", "--no-cache").exit_code == 1
    assert cli("export", "segment", plan, "-o", tmp_path / "segment.json").exit_code == 1
    assert not (tmp_path / "out").exists() and not (tmp_path / "segment.json").exists()


# -- imports: the input is a Segment export or JSON Schema files ---------------------------------


def test_import_segment(cli: CliFn, tmp_path: Path) -> None:
    ok = cli("import", "segment", SEGMENT_EXPORT, "-o", tmp_path / "plan.yaml")
    assert ok.exit_code == 0, ok.stderr
    assert (tmp_path / "plan.yaml").is_file()
    not_a_plan = tmp_path / "not_a_plan.json"
    not_a_plan.write_text('{"name": "x"}')
    wrong = cli("import", "segment", not_a_plan, "-o", tmp_path / "wrong.yaml")
    assert wrong.exit_code == 1
    assert f"{not_a_plan}: error[import/shape]" in wrong.stderr
    assert not (tmp_path / "wrong.yaml").exists()
    broken = tmp_path / "broken.json"
    broken.write_text('{"rules": [\n  {"key": 1,}\n]}')
    unreadable = cli("import", "segment", broken, "-o", tmp_path / "broken.yaml")
    assert unreadable.exit_code == 2
    assert f"{broken}:2:13: error[import/unreadable] not JSON" in unreadable.stderr
    missing = cli("import", "segment", tmp_path / "nope.json", "-o", tmp_path / "nope.yaml")
    assert missing.exit_code == 2 and "cannot read" in missing.stderr


def test_import_segment_of_a_json_array_is_a_finding_not_a_traceback(
    cli: CliFn, tmp_path: Path
) -> None:
    array = tmp_path / "array.json"
    array.write_text("[1, 2]")
    result = cli("import", "segment", array, "-o", tmp_path / "plan.yaml")
    assert result.exit_code == 1
    assert "not a Segment tracking plan" in result.stderr


def test_import_jsonschema(cli: CliFn, tmp_path: Path) -> None:
    ok = cli("import", "jsonschema", IGLU_SCHEMA, "-o", tmp_path / "plan.yaml")
    assert ok.exit_code == 0, ok.stderr
    not_a_schema = tmp_path / "list.json"
    not_a_schema.write_text("[1]")
    wrong = cli("import", "jsonschema", not_a_schema, "-o", tmp_path / "wrong.yaml")
    assert wrong.exit_code == 1
    assert f"{not_a_schema}: error[import/shape]" in wrong.stderr
    assert not (tmp_path / "wrong.yaml").exists()
    broken = tmp_path / "broken.json"
    broken.write_text("{\n  nope\n}")
    unreadable = cli("import", "jsonschema", broken, "-o", tmp_path / "broken.yaml")
    assert unreadable.exit_code == 2
    assert f"{broken}:2:3: error[import/unreadable]" in unreadable.stderr
    missing = cli("import", "jsonschema", tmp_path / "nope", "-o", tmp_path / "nope.yaml")
    assert missing.exit_code == 2


# -- commands' own findings and bad option values ------------------------------------------------


def test_schema(cli: CliFn, tmp_path: Path) -> None:
    assert cli("schema", "-o", tmp_path / "schema.json").exit_code == 0
    result = cli("schema", "-o", tmp_path)  # a folder: cannot be written
    assert result.exit_code == 2 and f"cannot write {tmp_path}" in result.stderr


def test_bad_option_values_exit_2(cli: CliFn) -> None:
    plan = str(GLOW)
    bad: dict[str, list[str | Path]] = {
        "--fail-on": ["diff", plan, plan, "--fail-on", "everything"],
        "--trigger": ["check-template", GOOD_TEMPLATE, "--plan", plan, "--trigger", "Nope"],
        "--message": ["check-template", GOOD_TEMPLATE, "--plan", plan, "--message", "nope"],
        "--window": ["audit", JOURNEY_LOG, "--plan", JOURNEY_PLAN, "--window", "soon"],
        "--at": ["simulate", JOURNEY_LOG, "--plan", JOURNEY_PLAN, "--at", "noon"],
        "--format": ["lint", plan, "--format", "xml"],
    }
    for option, args in bad.items():
        result = cli(*args)
        assert result.exit_code == 2, (option, result.stderr)
        assert option in result.stderr or "error:" in result.stderr, (option, result.stderr)


USAGE = [
    ["generate"],
    ["check"],
    ["check-template", GOOD_TEMPLATE],
    ["validate", "x.jsonl"],
    ["import", "segment", "x.json"],
    ["import", "jsonschema", "x"],
    ["export", "segment", "x.yaml"],
    ["diff", "a.yaml", "b.yaml", "c.yaml"],
    ["audit", "x.jsonl"],
    ["simulate", "x.jsonl"],
    ["schema", "--nope"],
    ["lint"],
    ["nope"],
]


@pytest.mark.parametrize("args", USAGE, ids=lambda a: " ".join(map(str, a)))
def test_usage_errors_exit_2(cli: CliFn, args: list[str | Path]) -> None:
    assert cli(*args).exit_code == 2


def test_findings_exit_1(cli: CliFn, tmp_path: Path) -> None:
    stale = cli("check", GLOW, "-o", tmp_path / "empty", "--no-cache")
    assert stale.exit_code == 1 and "run `codegen generate`" in stale.stderr
    template = tmp_path / "t.liquid"
    template.write_text("{{ event.nope }}")
    unknown = cli("check-template", template, "--plan", GLOW, "--trigger", "Checkout Started")
    assert unknown.exit_code == 1 and f"{template}:1:" in unknown.stderr
    bumped = tmp_path / "bumped.yaml"
    bumped.write_text(GLOW.read_text().replace("\n  Order Completed:\n", "\n  Order Done:\n", 1))
    assert cli("diff", GLOW, bumped).exit_code == 1  # breaking, version not bumped


# -- internal errors -----------------------------------------------------------------------------

# Every command, and a function it calls that is made to fail as a bug would.
CRASHES: dict[str, tuple[list[str | Path], str]] = {
    "generate": (["generate", GLOW, "--no-cache"], "codegen.cli.generate.generate_files"),
    "check": (["check", GLOW, "--no-cache"], "codegen.cli.generate.generate_files"),
    "lint": (["lint", GLOW], "codegen.cli.policy.load_plan"),
    "check-template": (
        ["check-template", GOOD_TEMPLATE, "--plan", GLOW],
        "codegen.checks.liquid.check_template",
    ),
    "validate": (["validate", "--plan", GLOW, "-"], "codegen.validate.validate_sources"),
    "import segment": (
        ["import", "segment", SEGMENT_EXPORT, "-o", "x.yaml"],
        "codegen.interop.segment.import_segment",
    ),
    "import jsonschema": (
        ["import", "jsonschema", IGLU_SCHEMA, "-o", "x.yaml"],
        "codegen.interop.jsonschemas.import_schemas",
    ),
    "export segment": (
        ["export", "segment", GLOW, "-o", "x.json"],
        "codegen.interop.segment.export_segment",
    ),
    "diff": (["diff", GLOW, GLOW], "codegen.interop.diff.diff_plans"),
    "audit": (["audit", JOURNEY_LOG, "--plan", JOURNEY_PLAN], "codegen.journeys.engine.Engine"),
    "simulate": (["simulate", JOURNEY_LOG, "--plan", JOURNEY_PLAN], "codegen.cli.policy.load_plan"),
    "schema": (["schema"], "codegen.cli.schema.format_json_schema"),
}


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom\nsecond line")


@pytest.mark.parametrize("command", CRASHES)
def test_internal_error_is_one_line_naming_the_saved_traceback(
    cli: CliFn, command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args, target = CRASHES[command]
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(target, _boom)
    result = cli(*args)
    assert result.exit_code == 3
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"codegen {command}: internal error (RuntimeError: boom second line)")
    assert "Traceback" not in line
    saved = Path(line.split("traceback saved to ")[1].removesuffix(". Please report it."))
    assert saved.parent == tmp_path / "state" / "codegen" / "crashes"
    text = saved.read_text()
    assert "Traceback (most recent call last)" in text and "RuntimeError: boom" in text
    assert f"command: codegen {command}" in text


def test_traceback_goes_to_a_temp_file_when_the_state_folder_is_unwritable(
    cli: CliFn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the folder should be")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr("tempfile.tempdir", None)
    monkeypatch.setattr("codegen.cli.schema.format_json_schema", _boom)
    result = cli("schema")
    assert result.exit_code == 3
    [saved] = (tmp_path / "tmp").glob("codegen-crash-*.txt")
    assert f"traceback saved to {saved}" in result.stderr


def test_readme_documents_every_exit_code_and_command() -> None:
    from typer.main import get_command

    from codegen.cli import app
    from codegen.cli.policy import ExitCode

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    codes = readme.split("\n## Exit codes\n")[1].split("\n## ")[0]
    assert [int(line[2]) for line in codes.splitlines() if re.match(r"\| \d \|", line)] == [
        int(code) for code in ExitCode
    ]
    reference = readme.split("\n## CLI reference\n")[1].split("\n## ")[0]
    root = get_command(app)
    groups = getattr(root, "commands", {})
    names = [
        f"{name} {sub}" if getattr(command, "commands", None) else name
        for name, command in groups.items()
        for sub in (getattr(command, "commands", None) or [""])
    ]
    assert len(names) == 13
    for name in names:
        assert f"| `codegen {name} " in reference, name


def test_diff_base_needs_only_to_resolve(cli: CliFn, tmp_path: Path) -> None:
    old, _ = _error_plans(tmp_path)["lint error"]
    assert cli("diff", old, GLOW).exit_code == 0  # the old plan's lint errors are history
    unresolved = cli("diff", CASES / "bad" / "dangling_refs.yaml", GLOW)
    assert unresolved.exit_code == 1
    assert _located(unresolved.stderr, CASES / "bad" / "dangling_refs.yaml")
