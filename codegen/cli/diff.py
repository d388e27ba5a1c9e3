"""`codegen diff`: field-level changes between two plans and the semver check."""

from __future__ import annotations

import enum
import json
import subprocess
from pathlib import Path
from typing import Annotated

import typer

from ..pipeline import Loaded, load_plan, load_plan_text
from .options import DiffFormatOpt
from .policy import ExitCode, baseline, fail, load, out, settings, stop, usable


class DiffFormat(enum.StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


def diff(
    plans: Annotated[
        list[Path], typer.Argument(help="OLD NEW, or just NEW with --base.", show_default=False)
    ],
    base: Annotated[
        str | None,
        typer.Option("--base", help="Compare with the plan at this git ref (branch, tag, commit)."),
    ] = None,
    fmt: DiffFormatOpt = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on", help="Exit 1 on changes of this kind or worse: breaking, compatible, doc."
        ),
    ] = None,
) -> None:
    """Field-level changes between two plans, classified, with the semver bump they need.
    Exit 1 when the declared version is bumped too little (or --fail-on matches)."""
    from ..interop.diff import SEVERITY, diff_plans
    from ..interop.diff_report import markdown, text

    shape = DiffFormat(settings().format("diff", fmt))
    if fail_on is not None and fail_on not in SEVERITY:
        fail(f"--fail-on takes {', '.join(SEVERITY)}")
    if base is not None and len(plans) == 1:
        old, new = _plan_at(base, plans[0]), plans[0]
    elif base is None and len(plans) == 2:
        old, new = load_plan(plans[0]), plans[1]
    else:
        fail("give OLD NEW, or NEW with --base REF")
    before = baseline(old)
    [after] = usable([load(new)])
    result = diff_plans(before.plan, after.plan)
    if shape is DiffFormat.json:
        # TODO(interop): this document belongs in interop/diff_report.py next to text/markdown.
        document = {
            "old_version": result.old_version,
            "new_version": result.new_version,
            "required_bump": result.required,
            "declared_bump": result.declared,
            "version_ok": result.version_ok,
            "changes": [c.as_dict() for c in result.changes],
        }
        out.print(json.dumps(document, indent=2, ensure_ascii=False), markup=False)
    elif shape is DiffFormat.markdown:
        out.print(markdown(result), markup=False)
    else:
        out.print(text(result), markup=False)
    failing = fail_on is not None and any(
        SEVERITY[c.kind] >= SEVERITY[fail_on] for c in result.changes
    )
    stop(ExitCode.FINDINGS if failing or not result.version_ok else ExitCode.OK)


def _plan_at(ref: str, path: Path) -> Loaded:
    """The plan file as it was at a git ref (same path), loaded like any plan."""
    folder = path.resolve().parent
    try:
        shown = subprocess.run(
            ["git", "-C", str(folder), "show", f"{ref}:./{path.name}"],
            capture_output=True,
            text=True,
        )
    except OSError as exc:
        fail(f"cannot run git: {exc}")
    if shown.returncode != 0:
        fail(f"cannot read {path} at {ref}: {shown.stderr.strip()}")
    return load_plan_text(shown.stdout, f"{ref}:{path}")
