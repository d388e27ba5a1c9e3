"""`codegen import segment|jsonschema` and `codegen export segment`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..interop.build import Imported
from ..plan.diagnostics import Level
from .options import OutPlanOpt
from .policy import (
    ExitCode,
    counted,
    err,
    exit_code,
    fail,
    require_plan,
    show,
    stop,
    write_text,
)

SourceArg = Annotated[Path, typer.Argument(show_default=False)]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace the output plan if it exists.")]


def _write_import(imported: Imported, output: Path, force: bool) -> None:
    """Write the imported plan, unless the import reported errors (then exit 1, or 2 when a
    source could not be read); an existing plan is replaced only with ``--force``."""
    from ..interop.files import write_plan

    diagnostics = sorted(imported.diagnostics)
    show(diagnostics)
    code = exit_code(diagnostics)
    if code is not ExitCode.OK or imported.text is None:
        stop(max(code, ExitCode.FINDINGS))
    refused = write_plan(imported.text, output, force=force)
    if refused is not None:
        show([refused])
        stop(ExitCode.UNUSABLE)
    warnings = sum(d.level is Level.WARNING for d in diagnostics)
    err.print(f"wrote {output} ({counted(warnings, 'warning')})", markup=False)


def import_segment(file: SourceArg, output: OutPlanOpt, force: ForceOpt = False) -> None:
    """A Segment Protocols export (Config API v1 or Public API shape) → plan YAML."""
    from ..interop.segment import import_segment_file

    _write_import(import_segment_file(file), output, force)


def import_jsonschema(source: SourceArg, output: OutPlanOpt, force: ForceOpt = False) -> None:
    """JSON Schema files (draft-04 to 2020-12, Snowplow self-describing) → plan YAML: one event
    per schema."""
    from ..interop.jsonschemas import import_schemas

    if not source.exists():
        fail(f"no such file or folder: {source}")
    _write_import(import_schemas(source), output, force)


def export_segment(plan: SourceArg, output: OutPlanOpt) -> None:
    """A plan → Segment Public API tracking plan JSON (rules with draft-07 jsonSchema)."""
    from ..interop.segment import export_segment as convert

    document = convert(require_plan(plan).plan)
    write_text(output, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    err.print(f"wrote {output}", markup=False)
