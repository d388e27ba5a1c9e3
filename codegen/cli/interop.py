"""`codegen import segment|jsonschema` and `codegen export segment`."""

from __future__ import annotations

import json
from collections.abc import Mapping
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
    read_json,
    require_plan,
    show,
    stop,
    write_text,
)

SourceArg = Annotated[Path, typer.Argument(show_default=False)]


def _write_import(imported: Imported, output: Path) -> None:
    """Write the imported plan, unless the import reported errors (then exit 1, or 2 when a
    source could not be read)."""
    diagnostics = sorted(imported.diagnostics)
    show(diagnostics)
    code = exit_code(diagnostics)
    if code is not ExitCode.OK or imported.text is None:
        stop(max(code, ExitCode.FINDINGS))
    write_text(output, imported.text)
    warnings = sum(d.level is Level.WARNING for d in diagnostics)
    err.print(f"wrote {output} ({counted(warnings, 'warning')})", markup=False)


def import_segment(file: SourceArg, output: OutPlanOpt) -> None:
    """A Segment Protocols export (Config API v1 or Public API shape) → plan YAML."""
    from ..interop.segment import import_segment as convert

    document = read_json(file)
    # Not an object: the converter reports that it is not a tracking plan, as for `{}`.
    _write_import(convert(document if isinstance(document, Mapping) else {}, str(file)), output)


def import_jsonschema(source: SourceArg, output: OutPlanOpt) -> None:
    """JSON Schema files (draft-04 to 2020-12, Snowplow self-describing) → plan YAML: one event
    per schema."""
    from ..interop.jsonschemas import import_schemas

    if not source.exists():
        fail(f"no such file or folder: {source}")
    _write_import(import_schemas(source), output)


def export_segment(plan: SourceArg, output: OutPlanOpt) -> None:
    """A plan → Segment Public API tracking plan JSON (rules with draft-07 jsonSchema)."""
    from ..interop.segment import export_segment as convert

    document = convert(require_plan(plan).plan)
    write_text(output, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    err.print(f"wrote {output}", markup=False)
