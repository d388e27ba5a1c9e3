"""`codegen audit` and `codegen simulate`: event logs replayed the way Customer.io merges people."""

from __future__ import annotations

import contextlib
import enum
import re
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from .options import AuditFormatOpt, PlanOpt, SimulateFormatOpt
from .policy import ExitCode, err, fail, out, require_files, require_plan, settings

if TYPE_CHECKING:
    from ..journeys.engine import Engine
    from ..journeys.spark import SparkEngine
    from ..plan import ir


class JourneyFormat(enum.StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


LogsArg = Annotated[
    list[str] | None,
    typer.Argument(
        help="Event logs: JSON Lines (.jsonl, .gz) or Parquet, Segment message shape.",
        show_default=False,
    ),
]


class Source(enum.StrEnum):
    logs = "logs"
    segment_warehouse = "segment-warehouse"


SourceOpt = Annotated[
    Source,
    typer.Option(
        "--source",
        help="What the SQL reads: the event logs given, or Segment's warehouse tables "
        "(identifies, aliases, tracks, one table per event; with --emit-sql).",
    ),
]
DialectOpt = Annotated[
    str,
    typer.Option(
        "--dialect",
        help="SQL dialect of --emit-sql --source segment-warehouse: duckdb, postgres, "
        "snowflake, bigquery, redshift or spark.",
    ),
]
EngineOpt = Annotated[
    str, typer.Option("--engine", help="Where it runs: duckdb (in-process) or spark.")
]
MasterOpt = Annotated[str, typer.Option("--master", help="Spark master URL for --engine spark.")]
SchemaOpt = Annotated[
    str | None,
    typer.Option("--schema", help="Warehouse schema of the Segment source (default: none)."),
]
EmitOpt = Annotated[bool, typer.Option("--emit-sql", help="Print the SQL instead of running it.")]
MemoryOpt = Annotated[
    str | None,
    typer.Option(
        "--memory-limit",
        help="Cap DuckDB's memory (e.g. `1GB`); it spills to a temporary folder beyond it.",
    ),
]
AllowUnreadableOpt = Annotated[
    int,
    typer.Option(
        "--allow-unreadable",
        min=0,
        help="How many log lines that cannot be used (bad bytes, not JSON, not an object) "
        "are acceptable; more exit with 1 after the report.",
    ),
]
GlobOpt = Annotated[
    bool,
    typer.Option("--glob", help="Expand the log arguments as glob patterns (else literal)."),
]
Result = TypeVar("Result")


def _logs(logs: list[str], glob: bool) -> list[str]:
    """Literal paths unless ``--glob``; DuckDB itself never sees a pattern or a URL."""
    if not glob:
        return logs
    import glob as globbing

    expanded = []
    for pattern in logs:
        found = sorted(globbing.glob(pattern, recursive=True))
        if not found:
            fail(f"--glob `{pattern}` matches no file")
        expanded += found
    return expanded


def _unreadable_exit(count: int, allowed: int) -> None:
    if count > allowed:
        fail(
            f"{count:,} log line{'s' * (count != 1)} could not be used (allowed: {allowed:,}); "
            f"fix the export, or pass --allow-unreadable {count}",
            ExitCode.FINDINGS,
        )


def _window(window: str | None) -> ir.Window | None:
    from ..plan.segments import parse_window

    suppression = parse_window(window) if window else None
    if window and suppression is None:
        fail(f"`{window}` is not a window (e.g. `1 hour`)")
    return suppression


def _spark(engine_name: str, emit_sql: bool, memory_limit: str | None) -> bool:
    """Whether ``--engine`` is spark (after checking the options that go with it)."""
    if engine_name not in ("duckdb", "spark"):
        fail(f"--engine `{engine_name}` is not duckdb or spark")
    if engine_name == "spark" and emit_sql:
        fail("--emit-sql with --engine spark: use --source segment-warehouse --dialect spark")
    if engine_name == "spark" and memory_limit is not None:
        fail("--memory-limit is DuckDB's; Spark's memory is set by its own configuration")
    return engine_name == "spark"


@contextlib.contextmanager
def _spark_engine(
    plan: Path, logs: list[str] | None, glob: bool, window: str | None, master: str
) -> Iterator[SparkEngine]:
    """A Spark engine over the logs (local paths must exist; URIs go to Spark as given)."""
    from ..journeys.spark import SparkEngine

    usable = require_plan(plan)
    sources = _logs(logs or [], glob)
    if not sources:
        fail("no event logs given")
    require_files([s for s in sources if "://" not in s or s.startswith("file://")])
    engine = SparkEngine(usable.plan, sources, _window(window), master=master)
    try:
        yield engine
    finally:
        engine.close()


@contextlib.contextmanager
def _progress(verb: str) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr naming the stage under way (reading the logs, each table of the
    analysis), only when stderr is a terminal; reports go to stdout, and rich leaves out colour
    under NO_COLOR. Gone when the run ends."""
    if not err.is_terminal:
        yield lambda stage: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(f"{verb}: starting", total=None)
        yield lambda stage: bar.update(task, description=f"{verb}: {stage}")


def _engine(
    plan: Path,
    logs: list[str],
    window: str | None,
    memory_limit: str | None,
    phase: Callable[[str], None] | None = None,
) -> Engine:
    from ..journeys.engine import Engine

    usable = require_plan(plan)
    if not logs:
        fail("no event logs given (or pass --source segment-warehouse --emit-sql)")
    require_files(logs)
    suppression = _window(window)
    # TODO(journeys): DuckDB's size syntax belongs next to the Engine that sets it.
    if memory_limit is not None and not re.fullmatch(
        r"\d+(\.\d+)?\s*[KMGT]i?B", memory_limit, re.IGNORECASE
    ):
        fail(f"--memory-limit `{memory_limit}` is not a size (e.g. `1GB`)")
    return Engine(usable.plan, usable.spec.lint, logs, suppression, memory_limit, phase)


@contextlib.contextmanager
def _journey_errors() -> Iterator[None]:
    """A plan or log the audit SQL cannot handle: an error line (exit 2), not a traceback."""
    from ..journeys.sql import JourneyError

    try:
        yield
    except JourneyError as exc:
        fail(str(exc))


def _print(
    fmt: JourneyFormat,
    result: Result,
    plan_name: str,
    as_json: Callable[[Result], str],
    as_markdown: Callable[[Result, str], str],
    as_text: Callable[[Result], str],
) -> None:
    # emoji=False: an id such as `anon:ghost` is data, not rich's `:ghost:` emoji code
    if fmt is JourneyFormat.json:
        out.print(as_json(result), markup=False, emoji=False)
    elif fmt is JourneyFormat.markdown:
        out.print(as_markdown(result, plan_name), markup=False, emoji=False, end="")
    else:
        out.print(as_text(result), markup=False, emoji=False)


def audit(
    plan: PlanOpt,
    logs: LogsArg = None,
    fmt: AuditFormatOpt = None,
    window: Annotated[
        str | None,
        typer.Option(
            "--window",
            help="Suppression window for late purchases (default: the plan's QA "
            "segment, else 1 hour).",
        ),
    ] = None,
    emit_sql: EmitOpt = False,
    memory_limit: MemoryOpt = None,
    allow_unreadable: AllowUnreadableOpt = 0,
    glob: GlobOpt = False,
    source: SourceOpt = Source.logs,
    dialect: DialectOpt = "duckdb",
    schema: SchemaOpt = None,
    engine_name: EngineOpt = "duckdb",
    master: MasterOpt = "local[*]",
) -> None:
    """Replay event logs the way Customer.io merges people, and report journeys that would
    misfire a trigger (phantom abandoners, unstitched anonymous carts, duplicates...)."""
    from ..journeys import report

    if source is Source.segment_warehouse:
        _emit_warehouse(plan, logs, window, emit_sql, dialect, schema)
        return
    if dialect != "duckdb" or schema is not None:
        fail("--dialect and --schema are for --source segment-warehouse")
    if _spark(engine_name, emit_sql, memory_limit):
        with _journey_errors(), _spark_engine(plan, logs, glob, window, master) as spark_engine:
            result = spark_engine.audit()
        plan_name = spark_engine.plan.name
    else:
        with _journey_errors():
            if emit_sql:
                engine = _engine(plan, _logs(logs or [], glob), window, memory_limit)
                sys.stdout.write(engine.emit(None, audit=True, simulate=False))
                return
            with _progress("auditing") as phase:
                engine = _engine(plan, _logs(logs or [], glob), window, memory_limit, phase)
                result = engine.audit()
        plan_name = engine.plan.name
    _print(
        JourneyFormat(settings().format("audit", fmt)),
        result,
        plan_name,
        report.audit_json,
        report.audit_markdown,
        report.audit_text,
    )
    _unreadable_exit(int(result.totals["unreadable"]), allow_unreadable)


def simulate(
    logs: LogsArg,
    plan: PlanOpt,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Point in time, ISO 8601 with a UTC offset (`2026-03-10T12:00:00Z`, "
            "`+02:00`); default: the last timestamp in the logs.",
        ),
    ] = None,
    fmt: SimulateFormatOpt = None,
    emit_sql: EmitOpt = False,
    memory_limit: MemoryOpt = None,
    allow_unreadable: AllowUnreadableOpt = 0,
    glob: GlobOpt = False,
    engine_name: EngineOpt = "duckdb",
    master: MasterOpt = "local[*]",
) -> None:
    """Evaluate every segment of the plan over the replayed logs: who would be in it."""
    from ..journeys import report

    moment = None
    if at is not None:
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            fail(f"--at `{at}` is not an ISO 8601 time")
        if moment.utcoffset() is None:  # else it would depend on this machine's time zone
            fail(f"--at `{at}` has no UTC offset; add one, e.g. `{at}Z` or `{at}+02:00`")
    if _spark(engine_name, emit_sql, memory_limit):
        with _journey_errors(), _spark_engine(plan, logs, glob, None, master) as spark_engine:
            result = spark_engine.simulate(moment)
        plan_name = spark_engine.plan.name
    else:
        with _journey_errors():
            if emit_sql:
                engine = _engine(plan, _logs(logs or [], glob), None, memory_limit)
                sys.stdout.write(engine.emit(moment, audit=True, simulate=True))
                return
            with _progress("simulating") as phase:
                engine = _engine(plan, _logs(logs or [], glob), None, memory_limit, phase)
                result = engine.simulate(moment)
        plan_name = engine.plan.name
    _print(
        JourneyFormat(settings().format("simulate", fmt)),
        result,
        plan_name,
        report.simulation_json,
        report.simulation_markdown,
        report.simulation_text,
    )
    _unreadable_exit(result.unreadable, allow_unreadable)


def _emit_warehouse(
    plan: Path,
    logs: list[str] | None,
    window: str | None,
    emit_sql: bool,
    dialect: str,
    schema: str | None,
) -> None:
    """The audit as SQL over Segment's warehouse tables, in one dialect."""
    from ..journeys import warehouse
    from ..journeys.dialects import Dialect
    from ..journeys.engine import suppression_window
    from ..journeys.roles import roles

    if not emit_sql:
        fail("--source segment-warehouse writes SQL to run in the warehouse: add --emit-sql")
    if logs:
        fail("--source segment-warehouse reads tables, not log files: leave out the logs")
    if dialect not in {d.value for d in Dialect}:
        fail(f"--dialect `{dialect}` is not one of {', '.join(d.value for d in Dialect)}")
    usable = require_plan(plan)
    suppression = _window(window) or suppression_window(usable.plan, roles(usable.plan))[0]
    with _journey_errors():
        text = warehouse.emit(usable.plan, Dialect(dialect), schema, suppression)
    sys.stdout.write(text)
