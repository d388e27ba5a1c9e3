"""`codegen validate`: logged Segment messages checked against the plan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from . import formats
from .options import PlanOpt, ValidateFormatOpt
from .policy import ExitCode, err, fail, out, require_plan, settings, stop

if TYPE_CHECKING:
    from ..plan import ir
    from ..validate import Summary
    from ..validate.coverage import Report


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
    engine: Annotated[
        str, typer.Option("--engine", help="Where it runs: local (processes) or spark.")
    ] = "local",
    master: Annotated[
        str, typer.Option("--master", help="Spark master URL for --engine spark.")
    ] = "local[*]",
    output: Annotated[
        str | None,
        typer.Option(
            "--output", help="With --engine spark: a new folder for the violations (any URI)."
        ),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--output-format", help="Of --output: jsonl or parquet.")
    ] = "jsonl",
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
    if engine not in ("local", "spark"):
        fail(f"--engine `{engine}` is not local or spark")
    if engine == "spark":
        _on_spark(
            resolved,
            sources,
            shape,
            (master, output, output_format),
            max_message_bytes,
            max_violations,
            fail_on_unseen,
        )
    if output is not None:
        fail("--output is for --engine spark (the local engine prints the violations)")
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
    _exit(summary, covered, max_violations, fail_on_unseen)


def _on_spark(
    plan: ir.Plan,
    sources: list[str],
    shape: str,
    spark_options: tuple[str, str | None, str],
    max_message_bytes: int | None,
    max_violations: int,
    fail_on_unseen: bool,
) -> None:
    """`--engine spark`: violations written to ``output``, the summary and coverage printed as
    usual."""
    import json
    from pathlib import Path

    from ..validate import coverage
    from ..validate.inputs import MAX_MESSAGE_BYTES
    from ..validate.spark import OutputFormat, SparkError, session, validate_to
    from .validate_report import print_summary, summary_document

    master, output, output_format = spark_options
    if output is None:
        fail("--engine spark writes the violations to a folder: give --output DIR")
    if output_format not in OutputFormat.__members__:
        fail(f"--output-format `{output_format}` is not jsonl or parquet")
    if "://" not in output and Path(output).exists():
        fail(f"--output {output} exists; give a new folder (nothing is overwritten)")
    try:
        summary = validate_to(
            session(master, name="codegen-validate"),
            plan,
            sources,
            output,
            OutputFormat(output_format),
            max_message_bytes or MAX_MESSAGE_BYTES,
        )
    except SparkError as exc:
        fail(str(exc))
    covered = coverage.report(plan, summary.coverage)
    if shape == formats.JSON:
        document = summary_document(summary, covered)
        out.file.write(json.dumps({"output": output, "summary": document}) + "\n")
    else:
        print_summary(summary, covered, out)
        out.print(f"{summary.violations:,} violations written to {output}", markup=False)
    _exit(summary, covered, max_violations, fail_on_unseen)


def _exit(summary: Summary, covered: Report, max_violations: int, fail_on_unseen: bool) -> None:
    """Either engine's ending: sources that could not be read, then violations and coverage."""
    for error in summary.errors:
        err.print(f"error: cannot read {error}", markup=False)
    if summary.errors:
        stop(ExitCode.UNUSABLE)
    unseen = fail_on_unseen and covered.unseen > 0
    stop(ExitCode.FINDINGS if summary.violations > max_violations or unseen else ExitCode.OK)
