"""`[tool.codegen]` in pyproject.toml: found by walking up, flags win, errors located (exit 2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import CASES, CliFn

WARNS = CASES / "lint" / "docs__event-description.yaml"  # one warning, docs/event-description


def project(root: Path, config: str, plan: Path = WARNS) -> Path:
    (root / "plans").mkdir(parents=True)
    shutil.copy(plan, root / "plans" / "shop.yaml")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "shop"\n\n[tool.codegen]\n' + config, encoding="utf-8"
    )
    (root / "src" / "deep").mkdir(parents=True)
    return root


def test_no_arguments_use_the_configured_plans_from_a_subfolder(
    cli: CliFn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path, 'plans = ["plans"]\nout = "build/gen"\ncache-dir = ".cache"\n')
    monkeypatch.delenv("CODEGEN_CACHE_DIR")  # so the configured cache folder applies
    monkeypatch.chdir(root / "src" / "deep")
    generated = cli("generate")
    assert generated.exit_code == 0, generated.stderr
    assert (root / "build" / "gen" / "schemas" / "plan.schema.json").is_file()  # like -o
    assert any((root / ".cache").iterdir()), "the configured cache folder was not used"
    assert "up to date" in cli("check").stderr
    linted = cli("lint")
    assert linted.exit_code == 0
    assert "docs/event-description" in linted.stderr


def test_command_line_flags_win_over_the_file(
    cli: CliFn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(
        tmp_path, 'plans = ["plans"]\nstrict = true\n[tool.codegen.format]\nlint = "github"\n'
    )
    monkeypatch.chdir(root)
    configured = cli("lint")
    assert configured.exit_code == 1  # strict from the file: the warning fails
    assert configured.stdout.startswith("::warning file=plans/shop.yaml")
    flagged = cli("lint", "--format", "json", "--no-strict")
    assert flagged.exit_code == 0
    assert json.loads(flagged.stdout)[0]["code"] == "docs/event-description"
    other = tmp_path / "other.yaml"
    shutil.copy(CASES / "lint" / "naming__event-case.yaml", other)
    given = cli("lint", other, "--format", "json", "--no-strict")
    assert {d["file"] for d in json.loads(given.stdout)} == {str(other)}  # not plans/


def test_lint_overrides_disable_and_relevel_rules(
    cli: CliFn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(
        tmp_path, 'plans = ["plans"]\n[tool.codegen.lint]\ndisable = ["docs/event-description"]\n'
    )
    monkeypatch.chdir(root)
    assert "docs/event-description" not in cli("lint").stderr
    config = root / "pyproject.toml"
    config.write_text(
        config.read_text().replace(
            "disable = [", 'levels = {"docs/event-description" = "error"}\n#'
        )
    )
    relevelled = cli("lint")
    assert relevelled.exit_code == 1
    assert "error[docs/event-description]" in relevelled.stderr
    assert cli("generate", "--no-cache").exit_code == 1  # the same findings fail every command


@pytest.mark.parametrize(
    ("config", "where", "says"),
    [
        ('plans = ["plans"]\nplan = "x"\n', ":6:1:", "unknown key `plan`"),
        (
            'plans = "plans"\n[tool.codegen.lint]\ndisable = ["naming/event-cas"]\n',
            ":7:1:",
            "naming/event-case",
        ),
        ('[tool.codegen.format]\nlint = "markdown"\n', ":6:1:", "formats are text, json, github"),
        ('[tool.codegen.format]\nexport = "json"\n', ":6:1:", "`export` has no --format"),
        ("strict = maybe\n", ":5:10:", "invalid TOML"),
    ],
    ids=["unknown-key", "unknown-rule", "bad-format", "no-format", "toml"],
)
def test_a_broken_config_is_a_located_error(
    cli: CliFn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    config: str,
    where: str,
    says: str,
) -> None:
    root = project(tmp_path, config)
    monkeypatch.chdir(root / "src")
    result = cli("lint")
    assert result.exit_code == 2, result.stderr
    assert f"pyproject.toml{where}" in result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr


def test_no_plans_anywhere_is_a_usage_error(
    cli: CliFn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for command in ("generate", "check", "lint"):
        result = cli(command)
        assert result.exit_code == 2
        assert "set `plans` in [tool.codegen] of pyproject.toml" in result.stderr


def test_an_unrelated_broken_pyproject_above_is_skipped(
    cli: CliFn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path / "repo", 'plans = ["plans"]\n')
    (root / "src" / "pyproject.toml").write_text("[project\nname=", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.codegen]\nplans = 3\n", encoding="utf-8")
    monkeypatch.chdir(root / "src" / "deep")
    assert cli("lint").exit_code == 0  # nearest one that configures codegen wins


def test_human_is_a_deprecated_alias_of_text(cli: CliFn) -> None:
    result = cli("lint", WARNS, "--format", "human")
    assert result.exit_code == 0
    assert "--format human is deprecated: use text" in result.stderr
    assert "warning[docs/event-description]" in result.stderr
