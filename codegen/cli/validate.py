"""`codegen validate`: logged Segment messages checked against the plan."""

from __future__ import annotations

from typing import Annotated

import typer

from . import formats
from .options import PlanOpt, ValidateFormatOpt
from .policy import ExitCode, err, fail, out, require_plan, settings, stop


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
    workers: Annotated[
        int | None, typer.Option(min=1, help="Processes (default: every core).")
    ] = None,
    max_message_bytes: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Longer messages (lines) are reported malformed, unread. Default: 1 MiB "
            "(Segment's own limit is 32 KB).",
        ),
    ] = None,
    fail_on_unseen: Annotated[
        bool,
        typer.Option(
            "--fail-on-unseen",
            help="Exit 1 when a planned event or trait was never seen (coverage is otherwise "
            "information only).",
        ),
    ] = False,
) -> None:
    """Check logged Segment messages against the plan, and report coverage: planned events and
    traits never seen, unplanned ones seen. Exit 1 on violations (beyond --max-violations)."""
    from ..validate import coverage, validate_sources
    from ..validate.inputs import MAX_MESSAGE_BYTES, InputError, size, unreadable
    from .validate_report import ViolationPrinter, print_summary

    shape = settings().format("validate", fmt)
    resolved = require_plan(plan).plan
    for source in sources:  # files, stdin (-), pipes and /dev/fd/N
        if problem := unreadable(source):
            fail(f"cannot read {source}: {problem}")
    sizes = [size(source) for source in sources]  # None: stdin or a pipe, size unknown
    total = None if None in sizes else sum(s or 0 for s in sizes)
    printer = ViolationPrinter(shape, out, err)
    with printer.report():  # the JSON report is closed as one document whatever happens
        try:
            with printer.progress() as advance:
                summary = validate_sources(
                    resolved,
                    sources,
                    printer.add,
                    advance,
                    workers,
                    total,
                    max_message_bytes or MAX_MESSAGE_BYTES,
                )
        except InputError as exc:
            printer.fail(str(exc))
            fail(str(exc))
        covered = coverage.report(resolved, summary.coverage)
        printer.finish(summary, covered)
    if shape == formats.TEXT:
        print_summary(summary, covered, out)
    for error in summary.errors:
        err.print(f"error: cannot read {error}", markup=False)
    if summary.errors:
        stop(ExitCode.UNUSABLE)
    unseen = fail_on_unseen and covered.unseen > 0
    stop(ExitCode.FINDINGS if summary.violations > max_violations or unseen else ExitCode.OK)
