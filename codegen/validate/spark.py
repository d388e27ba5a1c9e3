"""`codegen validate --engine spark`: the same checker (fast path, then the precise pass) run
inside Spark partitions, violations written to a folder as JSON Lines or Parquet.

The driver cuts the sources into the work items of :func:`.inputs.ranges`: a plain JSON Lines
file becomes byte ranges (three numbers each, read by the executor itself), a gzip file or a JSON
document is one item read whole by one executor (neither can be split), stdin and pipes are read
by the driver into blocks. Each partition builds the plan's :class:`.Checker` once (cached per
Python worker) and runs :func:`.run.check_item` on its items: the answers are those of the local
run, line numbers included (ranges are numbered from 1 and shifted once every range's newlines
are known, as :class:`.run._LineNumbers` does). Executors need this package installed and the
local paths readable (a shared file system on a cluster).
"""

from __future__ import annotations

import enum
import json
import os
import re
import sys
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..plan import ir
from .checker import Checker, Violation
from .inputs import MAX_MESSAGE_BYTES, Block, FileRange, InputError, ranges, size
from .run import Summary, check_item


class SparkError(Exception):
    """Spark cannot start or cannot run the job; the message says why in one line."""


class OutputFormat(enum.StrEnum):
    jsonl = "jsonl"
    parquet = "parquet"


def session(master: str = "local[*]", partitions: int = 8, name: str = "codegen") -> Any:
    """A Spark session (UTC, no UI, quiet); the one place codegen configures Spark."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkError(
            "--engine spark needs pyspark: pip install 'tracking-plan-codegen[spark]'"
        ) from None
    try:
        builder = (
            SparkSession.builder.master(master)
            .appName(name)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", str(partitions))
        )
        if master.startswith("local"):  # workers run this interpreter, not `python3` on PATH
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
        return spark
    except Exception as exc:  # no Java, a master that cannot be reached
        raise SparkError(f"cannot start Spark on `{master}`: {first_line(exc)}") from None


def first_line(exc: BaseException) -> str:
    """The line of a Spark error that says what went wrong (for a Python worker's traceback:
    its last exception line, not the JVM's stack)."""
    lines = str(exc).strip().splitlines()
    raised = [line for line in lines if re.match(r"[\w.]+(Error|Exception): ", line)]
    if raised and "Traceback" in str(exc):
        return raised[-1]
    return lines[0] if lines else type(exc).__name__


@dataclass(frozen=True)
class WholeSource:
    """A gzip file or a JSON document: read from the start by one executor."""

    source: str


@dataclass(frozen=True)
class Unreadable:
    """A source the driver could not open: its error, in its place among the sources."""

    error: str


Unit = FileRange | Block | WholeSource | Unreadable
# per unit: its index, the summary, violations and newlines read (to number the next range)
Checked = tuple[int, Summary, list[Violation], int]

_CHECKERS: dict[str, tuple[Checker, int]] = {}  # per Python worker: run token -> checker


def units(sources: Sequence[str], limit: int) -> list[Unit]:
    """The work of ``sources`` in order."""
    out: list[Unit] = []
    for source in sources:
        try:
            items = ranges(source, limit)
            first = next(items, None)
            if isinstance(first, Block) and size(source) is not None:
                out.append(WholeSource(source))  # gzip or a document: the executor reads it
                continue
            out += [first, *items] if first is not None else []
        except InputError as exc:
            out.append(Unreadable(str(exc)))
    return out


def _check_partition(plan: Any, limit: int, rows: Iterable[tuple[int, Unit]]) -> Iterator[Checked]:
    """Runs on an executor: the checker built once per worker, then every unit checked."""
    token, value = plan.value
    if token not in _CHECKERS:
        _CHECKERS.clear()
        _CHECKERS[token] = (Checker(value), limit)
    checker, limit = _CHECKERS[token]
    for index, unit in rows:
        yield (index, *_check_unit(checker, unit, limit))


def _check_unit(checker: Checker, unit: Unit, limit: int) -> tuple[Summary, list[Violation], int]:
    if isinstance(unit, Unreadable):
        summary = Summary()
        summary.errors.append(unit.error)
        return summary, [], 0
    if not isinstance(unit, WholeSource):
        try:
            return check_item(checker, unit, limit)
        except InputError as exc:
            summary = Summary()
            summary.errors.append(str(exc))
            return summary, [], 0
    summary, found = Summary(), []
    try:  # as run._items: what was read before a source fails still counts
        for item in ranges(unit.source, limit):
            part, violations, _ = check_item(checker, item, limit)
            summary.merge(part)
            found += violations
    except InputError as exc:
        summary.errors.append(str(exc))
    return summary, found, 0


def validate_to(
    spark: Any,
    plan: ir.Plan,
    sources: Sequence[str],
    output: str,
    output_format: OutputFormat = OutputFormat.jsonl,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
) -> Summary:
    """Validate ``sources`` in Spark and write every violation (the fields of ``--format json``,
    in input order) to the folder ``output``; returns the summary of the local run."""
    from pyspark import StorageLevel

    limit = max_message_bytes
    summary = Summary()
    work = units(sources, limit)
    context = spark.sparkContext
    broadcast = context.broadcast((uuid.uuid4().hex, plan))
    try:
        slices = max(1, min(len(work), context.defaultParallelism * 4))
        checked = (
            context.parallelize(list(enumerate(work)), slices)
            .mapPartitions(lambda rows: _check_partition(broadcast, limit, rows))
            .persist(StorageLevel.MEMORY_AND_DISK)
        )
        counts = checked.map(lambda c: (c[0], c[1], c[3])).collect()
        bases = _line_bases(work, counts, summary)
        shift = context.broadcast(bases)
        violations = checked.flatMap(
            lambda c: [v.shifted(shift.value[c[0]]).as_dict() for v in c[2]]
        )
        _write(spark, violations, output, output_format)
        checked.unpersist()
    except SparkError:
        raise
    except Exception as exc:  # pyspark's errors: one line
        raise SparkError(f"Spark could not run validate: {first_line(exc)}") from None
    finally:
        broadcast.unpersist()
    return summary


def _line_bases(
    work: Sequence[Unit], counts: Iterable[tuple[int, Summary, int]], summary: Summary
) -> dict[int, int]:
    """Merge the summaries in input order; the line number each range starts after."""
    seen: dict[str, int] = {}
    bases: dict[int, int] = {}
    for index, part, newlines in sorted(counts, key=lambda c: c[0]):
        summary.merge(part)
        unit = work[index]
        if isinstance(unit, FileRange):
            bases[index] = seen.get(unit.source, 0)
            seen[unit.source] = bases[index] + newlines
        else:
            bases[index] = 0  # blocks and whole sources carry their own line numbers
    return bases


FIELDS = ("file", "line", "message_id", "event", "kind", "pointer", "message", "hint")


def _write(spark: Any, violations: Any, output: str, output_format: OutputFormat) -> None:
    if output_format is OutputFormat.parquet:
        from pyspark.sql.types import LongType, StringType, StructField, StructType

        schema = StructType(
            [StructField(f, LongType() if f == "line" else StringType()) for f in FIELDS]
        )
        rows = violations.map(lambda v: tuple(v[f] for f in FIELDS))
        spark.createDataFrame(rows, schema).write.mode("errorifexists").parquet(output)
        return
    # the very text of `--format json`, one violation a line
    lines = violations.map(lambda v: (json.dumps(v, ensure_ascii=False),))
    spark.createDataFrame(lines, "value string").write.mode("errorifexists").text(output)
