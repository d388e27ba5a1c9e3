"""`codegen init`: the scaffold lints clean, generates, and is never overwritten silently."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import yaml

from .conftest import CASES, CliFn

SCAFFOLD = (
    "plans/glow_shop.yaml",
    "plans/tracking-plan.schema.json",
    ".pre-commit-config.yaml",
    ".github/workflows/codegen.yml",
    "pyproject.toml",
)


def test_the_scaffold_lints_clean_generates_and_checks(
    cli: CliFn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    created = cli("init")
    assert created.exit_code == 0, created.stderr
    assert all((tmp_path / name).is_file() for name in SCAFFOLD)
    config = tomllib.loads((tmp_path / "pyproject.toml").read_text())
    assert config["tool"]["codegen"]["plans"] == ["plans"]
    hooks = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())
    assert [h["id"] for h in hooks["repos"][0]["hooks"]] == ["codegen-lint", "codegen-check"]
    workflow = yaml.safe_load((tmp_path / ".github" / "workflows" / "codegen.yml").read_text())
    steps = workflow["jobs"]["codegen"]["steps"]
    assert steps[-1]["with"]["plans"] == "plans/glow_shop.yaml"
    assert cli("lint", "--strict").exit_code == 0
    assert cli("generate").exit_code == 0
    assert (tmp_path / "generated" / "glow_shop" / "python" / "pyproject.toml").is_file()
    assert cli("check").exit_code == 0


def test_init_refuses_to_overwrite_without_force(
    cli: CliFn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("init").exit_code == 0
    plan = tmp_path / "plans" / "glow_shop.yaml"
    plan.write_text("# edited by the team\n" + plan.read_text())
    again = cli("init")
    assert again.exit_code == 2
    assert "pass --force" in again.stderr
    assert plan.read_text().startswith("# edited by the team")
    assert cli("init", "--force").exit_code == 0
    assert not plan.read_text().startswith("# edited by the team")
    assert (tmp_path / "pyproject.toml").read_text().count("[tool.codegen]") == 1


def test_init_keeps_an_existing_pyproject_and_adds_the_table(
    cli: CliFn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "shop-backend"\n')
    assert cli("init").exit_code == 0
    config = tomllib.loads((tmp_path / "pyproject.toml").read_text())
    assert config["project"]["name"] == "shop-backend"
    assert config["tool"]["codegen"]["plans"] == ["plans"]


def test_init_from_a_segment_export(
    cli: CliFn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    created = cli("init", "--from", "segment", CASES / "interop" / "glow_shop.segment.json")
    assert created.exit_code == 0, created.stderr
    [plan] = (tmp_path / "plans").glob("*.yaml")
    assert plan.read_text().startswith("# yaml-language-server: $schema=tracking-plan.schema")
    assert cli("lint").exit_code == 0
    assert cli("generate", "--no-cache").exit_code == 0


def test_init_from_an_unknown_kind_is_a_usage_error(
    cli: CliFn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("init", "--from", "avo", tmp_path / "x.json")
    assert result.exit_code == 2
    assert "--from takes `segment FILE` or `jsonschema DIR`" in result.stderr
    assert not (tmp_path / "pyproject.toml").exists()
