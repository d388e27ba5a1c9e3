"""The CLI end to end: generate, check, --diff, --templates, schema, and the installed wheel."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CASES, ROOT, CliFn, pip_install

GLOW = ROOT / "plans" / "glow_shop.yaml"


def test_generate_default_output_is_generated_slug(
    cli: CliFn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = tmp_path / "plan.yaml"
    shutil.copy(GLOW, plan)
    monkeypatch.chdir(tmp_path)  # run from elsewhere, like a user
    result = cli("generate", plan)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "generated" / "glow_shop" / "schemas" / "plan.schema.json").is_file()


def test_check_detects_stale_output_and_shows_diff(cli: CliFn, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("generate", GLOW, "-o", out).exit_code == 0
    assert cli("check", GLOW, "-o", out).exit_code == 0
    target = out / "schemas" / "events" / "order_completed.schema.json"
    target.write_text(target.read_text().replace('"minimum": 0', '"minimum": 1', 1))
    (out / "schemas" / "stray.json").write_text("{}")
    result = cli("check", GLOW, "-o", out, "--diff")
    assert result.exit_code == 1
    assert "changed schemas/events/order_completed.schema.json" in result.stderr
    assert "removed schemas/stray.json" in result.stderr
    assert '-          "minimum": 1' in result.stdout and '+          "minimum": 0' in result.stdout
    assert cli("generate", GLOW, "-o", out).exit_code == 0
    assert cli("check", GLOW, "-o", out).exit_code == 0


def test_check_on_bad_plan_exits_2(cli: CliFn) -> None:
    assert cli("check", CASES / "bad" / "yaml_syntax.yaml").exit_code == 2


def test_bad_plan_leaves_previous_output_untouched(cli: CliFn, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("generate", GLOW, "-o", out).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    broken = tmp_path / "broken.yaml"
    broken.write_text(GLOW.read_text().replace("slug: glow_shop", "slug: glow_shop\n  sloog: x"))
    result = cli("generate", broken, "-o", out)
    assert result.exit_code == 1  # read, with errors (2 is for a plan that cannot be read)
    assert "did you mean `slug`?" in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_templates_override_by_file_name(cli: CliFn, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "README.md.j2").write_text("# Custom {{ plan.name | md }}\n")
    out = tmp_path / "out"
    assert cli("generate", GLOW, "-o", out, "--templates", templates).exit_code == 0
    assert (out / "README.md").read_text() == "# Custom Glow Shop\n"


def test_schema_command_prints_the_plan_format(cli: CliFn) -> None:
    result = cli("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "Tracking plan"
    assert "events" in schema["required"]


def test_installed_wheel_finds_its_templates(tmp_path: Path) -> None:
    """`pip install .` (not -e) must work from any directory: templates ship in the wheel."""
    target = tmp_path / "site"
    pip_install(ROOT, target)
    assert (target / "codegen" / "templates" / "output" / "README.md.j2").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import codegen, codegen.generators.render as r;"  # noqa: E501
        "assert str(r.shipped_templates()).startswith(sys.argv[1]), r.shipped_templates();"
        "from pathlib import Path; l = codegen.load_plan(Path(sys.argv[2]));"
        "print(len(codegen.generate(l.plan)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(target), str(GLOW)],
        cwd=elsewhere,
        check=True,
        capture_output=True,
        text=True,
    )
    assert int(result.stdout) > 5


def test_python_dash_m(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "codegen", "lint", str(GLOW)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "0 errors, 0 warnings" in result.stderr


def test_cli_modules_are_small_and_typed() -> None:
    for module in sorted((ROOT / "codegen" / "cli").glob("*.py")):
        text = module.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 400, module.name
        assert not re.search(r"\bAny\b", text), f"{module.name} uses typing.Any"


def test_one_did_you_mean() -> None:
    users = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "codegen").rglob("*.py"))
        if "get_close_matches" in path.read_text(encoding="utf-8")
    ]
    assert users == ["codegen/plan/suggest.py"]
