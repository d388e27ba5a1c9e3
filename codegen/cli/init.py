"""`codegen init`: a project set up from zero: a plan, its editor schema, ``[tool.codegen]``, a
pre-commit entry and a GitHub workflow."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from ..config import TOOL_VERSION
from ..pipeline import load_plan_text
from ..plan.filemodel import format_json_schema
from .policy import ExitCode, err, exit_code, fail, show, stop, write_text

# Where the composite action is published (action.yml at the root of the toolkit's repository).
ACTION = "tracking-plan-codegen/codegen"
SCHEMA_FILE = "tracking-plan.schema.json"

CONFIG = """
[tool.codegen]
plans = ["plans"]
# out = "generated"        # default: generated/<slug>/ next to this file
# cache-dir = ".codegen-cache"
# strict = true

[tool.codegen.format]
# lint = "github"

[tool.codegen.lint]
# disable = ["docs/event-description"]
# levels = { "usage/unused-trait" = "error" }
"""

PRE_COMMIT = """\
# codegen's hooks call the `codegen` on your PATH (pip install tracking-plan-codegen in the
# environment you commit from), so they need no network and use the version you pinned.
repos:
  - repo: local
    hooks:
      - id: codegen-lint
        name: codegen lint
        entry: codegen lint
        language: system
        files: ^plans/.*\\.ya?ml$
      - id: codegen-check
        name: codegen check (generated/ is up to date)
        entry: codegen check
        language: system
        files: ^(plans|generated)/
        pass_filenames: false
"""

WORKFLOW = """\
name: tracking plan
on:
  pull_request:
    paths: ["plans/**", "generated/**", "pyproject.toml"]
permissions:
  contents: read
jobs:
  codegen:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0  # diff --base needs the pull request's base commit
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - uses: {action}
        with:
          plans: {plan}
"""

ForceOpt = Annotated[bool, typer.Option("--force", help="Replace files that already exist.")]


def init(
    folder: Annotated[
        Path, typer.Argument(help="Project folder (default: here).", show_default=False)
    ] = Path("."),
    source: Annotated[
        tuple[str, Path] | None,
        typer.Option(
            "--from",
            help="Start from an existing plan: `--from segment EXPORT.json` or "
            "`--from jsonschema DIR`. Default: the Glow Shop example.",
            show_default=False,
        ),
    ] = None,
    action: Annotated[
        str, typer.Option("--action", help="The GitHub Action the workflow uses.")
    ] = f"{ACTION}@v{TOOL_VERSION}",
    force: ForceOpt = False,
) -> None:
    """Set up a project: plans/<slug>.yaml, [tool.codegen] in pyproject.toml,
    .pre-commit-config.yaml and .github/workflows/codegen.yml. Refuses to overwrite without
    --force."""
    text = _example() if source is None else _imported(*source)
    loaded = load_plan_text(text, "<scaffold>")
    slug = loaded.plan.slug if loaded.plan is not None else "tracking_plan"
    plan = Path("plans") / f"{slug}.yaml"
    files = {
        plan: text,
        plan.parent / SCHEMA_FILE: json.dumps(format_json_schema(), indent=2) + "\n",
        Path(".pre-commit-config.yaml"): PRE_COMMIT,
        Path(".github/workflows/codegen.yml"): WORKFLOW.format(action=action, plan=plan.as_posix()),
    }
    pyproject = folder / "pyproject.toml"
    config = _config(pyproject, force)
    existing = [folder / p for p in files if (folder / p).exists()]
    if existing and not force:
        fail(
            f"{', '.join(map(str, existing))} already exist{'s' * (len(existing) == 1)}; "
            "pass --force to replace"
        )
    for relative, content in files.items():
        write_text(folder / relative, content)
        err.print(f"wrote {folder / relative}", markup=False)
    write_text(pyproject, config)
    err.print(f"wrote [tool.codegen] in {pyproject}", markup=False)
    err.print("next: codegen lint && codegen generate", markup=False)


def _example() -> str:
    """The Glow Shop plan, from the wheel or (in a checkout) the repository's plans/."""
    packaged = resources.files("codegen") / "examples" / "glow_shop.yaml"
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / "plans" / "glow_shop.yaml").read_text("utf-8")


def _imported(kind: str, path: Path) -> str:
    """The plan YAML an import produces; its errors are printed and exit like ``import``."""
    if kind == "segment":
        from ..interop.segment import import_segment_file

        imported = import_segment_file(path)
    elif kind == "jsonschema":
        from ..interop.jsonschemas import import_schemas

        if not path.exists():
            fail(f"no such file or folder: {path}")
        imported = import_schemas(path)
    else:
        fail(f"--from takes `segment FILE` or `jsonschema DIR`, not `{kind}`")
    diagnostics = sorted(imported.diagnostics)
    show(diagnostics)
    code = exit_code(diagnostics)
    if code is not ExitCode.OK or imported.text is None:
        stop(max(code, ExitCode.FINDINGS))
    return f"# yaml-language-server: $schema={SCHEMA_FILE}\n{imported.text}"


_TABLE = re.compile(r"^\s*\[\s*tool\.codegen\b")
_HEADER = re.compile(r"^\s*\[")


def _config(pyproject: Path, force: bool) -> str:
    """pyproject.toml with our ``[tool.codegen]`` appended; an existing one is kept unless
    ``force`` (then its tables are replaced)."""
    if not pyproject.exists():
        return f'[project]\nname = "tracking-plan"\nversion = "0.0.0"\n{CONFIG}'
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {pyproject}: {exc}")
    lines, kept, ours = text.splitlines(keepends=True), [], False
    for line in lines:
        if _HEADER.match(line):
            ours = bool(_TABLE.match(line))
        if not ours:
            kept.append(line)
    if len(kept) != len(lines) and not force:
        fail(f"{pyproject} already has [tool.codegen]; pass --force to replace it")
    body = "".join(kept)
    return body + ("" if body.endswith("\n") or not body else "\n") + CONFIG
