"""`codegen validate`: logged Segment messages checked against the plan."""

from __future__ import annotations

from typing import Annotated

import typer

from . import formats
from .options import PlanOpt, ValidateFormatOpt
from .policy import ExitCode, err, fail, out, require_files, require_plan, settings, stop


def validate(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="JSON Lines files, Segment batch documents, .gz files, or - for stdin.",
            show_default=False,
        ),
    ],
    plan: PlanOpt,
    fmt: ValidateFormatOpt = None,
    max_violations: Annotated[
        int, typer.Option(help="Exit 0 while there are at most this many violations.")
    ] = 0,
    workers: Annotated[int | None, typer.Option(help="Processes (default: every core).")] = None,
) -> None:
    """Check logged Segment messages against the plan. Exit 1 on violations (beyond
    --max-violations)."""
    from ..validate import validate_sources
    from ..validate.inputs import InputError, size
    from .validate_report import ViolationPrinter, print_summary

    shape = settings().format("validate", fmt)
    resolved = require_plan(plan).plan
    require_files(sources)
    total = None if "-" in sources else sum(size(source) or 0 for source in sources)
    printer = ViolationPrinter(shape, out, err)
    try:
        with printer.progress() as advance:
            summary = validate_sources(resolved, sources, printer.add, advance, workers, total)
    except InputError as exc:
        fail(str(exc))
    printer.finish(summary)
    if shape == formats.TEXT:
        print_summary(summary, out)
    stop(ExitCode.FINDINGS if summary.violations > max_violations else ExitCode.OK)
