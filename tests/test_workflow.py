"""The team workflow, run for real on scratch git repositories: the pre-commit hooks through
`pre-commit try-repo`, and the GitHub Action's script with two commits."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT

PLAN = """\
plan: {name: Shop, slug: shop, version: 1.0.0}
identity: {primary_id: customer_id}
events:
  Order Completed:
    description: Payment captured.
    properties:
      order_id: {type: string, required: true}
"""
ADDED = PLAN + "      gift_note: {type: string}\n"  # compatible: needs a minor bump

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def environment(tmp_path: Path) -> dict[str, str]:
    """codegen from this interpreter's environment first on PATH, git identity, no network
    needed (the hooks are `language: system`), every cache under tmp_path."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    env["NO_COLOR"] = "1"
    for role in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{role}_NAME"] = "test"
        env[f"GIT_{role}_EMAIL"] = "test@example.com"
    env.pop("GITHUB_BASE_REF", None)
    return env


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def repository(path: Path, env: dict[str, str], plan: str = PLAN) -> Path:
    """A git repository with a plan, [tool.codegen] and its generated output, committed."""
    (path / "plans").mkdir(parents=True)
    (path / "plans" / "shop.yaml").write_text(plan)
    (path / "pyproject.toml").write_text('[tool.codegen]\nplans = ["plans"]\n')
    run(["git", "init", "-q", "-b", "main"], path, env)
    assert run(["codegen", "generate"], path, env).returncode == 0
    commit(path, env, "plan")
    return path


def commit(path: Path, env: dict[str, str], message: str) -> None:
    run(["git", "add", "-A"], path, env)
    done = run(["git", "commit", "-q", "-m", message], path, env)
    assert done.returncode == 0, done.stderr


def test_hooks_file_declares_lint_and_check_on_plans() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"codegen-lint", "codegen-check"}
    assert all(h["language"] == "system" and h["files"].startswith("^") for h in hooks.values())
    assert hooks["codegen-check"]["pass_filenames"] is False


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="try-repo needs a git checkout")
def test_pre_commit_try_repo_runs_the_hooks(tmp_path: Path) -> None:
    env = environment(tmp_path)
    repo = repository(tmp_path / "project", env)
    pre_commit = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT)]
    for hook in ("codegen-lint", "codegen-check"):
        clean = run([*pre_commit, hook, "--all-files"], repo, env)
        assert clean.returncode == 0, clean.stdout + clean.stderr
        assert "Passed" in clean.stdout
    plan = repo / "plans" / "shop.yaml"
    plan.write_text(PLAN.replace("required: true", "requird: true"))
    run(["git", "add", "-A"], repo, env)
    broken = run([*pre_commit, "codegen-lint", "--all-files"], repo, env)
    assert broken.returncode == 1
    assert "did you mean `required`?" in broken.stdout
    plan.write_text(ADDED)
    run(["git", "add", "-A"], repo, env)
    stale = run([*pre_commit, "codegen-check", "--all-files"], repo, env)
    assert stale.returncode == 1
    assert "run `codegen generate` to update" in stale.stdout


SCRIPT = ROOT / ".github" / "actions" / "codegen.sh"


def action(repo: Path, env: dict[str, str], summary: Path) -> subprocess.CompletedProcess[str]:
    inputs = {"CODEGEN_PLANS": "plans", "CODEGEN_BASE": "HEAD~1", "CODEGEN_INSTALL": "none"}
    return run(["bash", str(SCRIPT)], repo, {**env, **inputs, "GITHUB_STEP_SUMMARY": str(summary)})


@pytest.mark.slow
def test_action_script_reports_the_diff_and_fails_a_too_small_bump(tmp_path: Path) -> None:
    env = environment(tmp_path)
    repo = repository(tmp_path / "project", env)
    (repo / "plans" / "shop.yaml").write_text(ADDED)  # a compatible change, version unchanged
    assert run(["codegen", "generate"], repo, env).returncode == 0
    commit(repo, env, "gift note")
    summary = tmp_path / "summary.md"
    result = action(repo, env, summary)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "::error file=plans/shop.yaml,title=codegen diff::" in result.stdout
    report = summary.read_text()
    assert report.startswith("### plans/shop.yaml")
    assert "gift_note" in report and "minor" in report

    (repo / "plans" / "shop.yaml").write_text(ADDED.replace("1.0.0", "1.1.0"))
    assert run(["codegen", "generate"], repo, env).returncode == 0
    commit(repo, env, "bump")
    (repo / "plans" / "shop.yaml").write_text(ADDED.replace("1.0.0", "1.1.0") + "  Bad: {}\n")
    commit(repo, env, "stale and unlinted")
    summary.unlink()
    failing = action(repo, env, summary)
    assert failing.returncode == 1
    assert "::warning file=plans/shop.yaml" in failing.stdout  # lint annotation (Bad event)
    assert "::error file=generated/shop/" in failing.stdout  # check annotation (stale output)


@pytest.mark.slow
def test_action_script_passes_a_properly_bumped_plan(tmp_path: Path) -> None:
    env = environment(tmp_path)
    repo = repository(tmp_path / "project", env)
    (repo / "plans" / "shop.yaml").write_text(ADDED.replace("1.0.0", "1.1.0"))
    assert run(["codegen", "generate"], repo, env).returncode == 0
    commit(repo, env, "gift note, minor bump")
    summary = tmp_path / "summary.md"
    result = action(repo, env, summary)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gift_note" in summary.read_text()
    assert "::error" not in result.stdout


# -- CLI conventions -------------------------------------------------------------------------


def commands() -> dict[str, list[tuple[str, ...]]]:
    """``{"import segment": [option spellings of each option]}`` from the app itself: the
    source ``--help`` is printed from."""
    import typer

    from codegen.cli.app import app

    found: dict[str, list[tuple[str, ...]]] = {}

    def walk(command: object, path: list[str]) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, [*path, name])
            return
        params = getattr(command, "params", [])
        found[" ".join(path)] = [
            (*p.opts, *p.secondary_opts)
            for p in params
            if p.param_type_name == "option" and "--help" not in p.opts
        ]

    walk(typer.main.get_command(app), [])
    return found


def readme_rows() -> dict[str, str]:
    """``{command: first cell}`` of the README's CLI reference table."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## CLI reference") :]
    section = section[: section.index("\n## ", 1)]
    rows: dict[str, str] = {}
    known = commands()
    for line in section.splitlines():
        if line.startswith("| `codegen "):
            cell = line.split("`")[1].removeprefix("codegen ")
            words = cell.split()
            name = " ".join(words[:2]) if " ".join(words[:2]) in known else words[0]
            rows[name] = cell
    return rows


def test_readme_cli_table_matches_every_command() -> None:
    import re

    from codegen.cli import formats

    known, rows = commands(), readme_rows()
    assert sorted(rows) == sorted(known), "commands missing from (or extra in) the README table"
    for name, options in known.items():
        cell = rows[name]
        written = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-o)\b", cell))
        spellings = {spelling for option in options for spelling in option}
        assert written <= spellings, f"{name}: README lists {written - spellings}, not options"
        for option in options:
            assert written & set(option), f"{name}: {option[0]} missing from the README table"
        if name in formats.BY_COMMAND:
            shown = re.search(r"--format ([a-z|\\]+)", cell)
            assert shown, f"{name}: no --format in the README"
            assert shown[1].replace("\\", "").split("|") == list(formats.BY_COMMAND[name])


def test_every_reporting_command_offers_json() -> None:
    from codegen.cli import formats

    assert all(formats.JSON in choices for choices in formats.BY_COMMAND.values())
    with_format = {name for name, options in commands().items() if ("--format",) in options}
    assert with_format == set(formats.BY_COMMAND)


def test_version_and_completion(tmp_path: Path) -> None:
    from codegen.config import TOOL_VERSION

    env = environment(tmp_path)
    version = run(["codegen", "--version"], tmp_path, env)
    assert (version.returncode, version.stdout) == (0, f"codegen {TOOL_VERSION}\n")
    # The completion script for bash, through click's protocol (the variable typer's
    # `--show-completion` sets): `--show-completion` alone asks shellingham for the parent
    # shell, which is `sh` under make and CI.
    shown = run(["codegen"], tmp_path, {**env, "_CODEGEN_COMPLETE": "source_bash"})
    assert shown.returncode == 0
    assert "_CODEGEN_COMPLETE" in shown.stdout and "complete " in shown.stdout


def test_no_color_is_respected(tmp_path: Path) -> None:
    import re

    env = {**environment(tmp_path), "FORCE_COLOR": "1", "TERM": "xterm-256color"}
    env.pop("NO_COLOR")
    plan = ROOT / "tests" / "cases" / "lint" / "docs__event-description.yaml"
    colour = re.compile(r"\x1b\[[0-9;]*(?:3[0-7]|9[0-7]|38;[25];[0-9;]+)m")
    coloured = run(["codegen", "lint", str(plan)], tmp_path, env)
    assert colour.search(coloured.stderr), "FORCE_COLOR should colour the warning"
    plain = run(["codegen", "lint", str(plan)], tmp_path, {**env, "NO_COLOR": "1"})
    assert "docs/event-description" in plain.stderr
    assert not colour.search(plain.stderr)
    assert not colour.search(run(["codegen", "--help"], tmp_path, {**env, "NO_COLOR": "1"}).stdout)
