"""The command line: the only module that reads arguments, prints and picks exit codes.

Exit codes: 0 clean; 1 errors (or warnings with ``--strict``), stale output, violations;
2 when a plan or input cannot be read at all.
"""

from __future__ import annotations

import contextlib
import enum
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ..checks.lint import RULES
from ..config import Options
from ..generators import generate as generate_files
from ..generators.cache import default_cache_dir
from ..generators.paths import UnsafeOutputError
from ..output.writer import changes, write
from ..pipeline import Loaded, load_plan
from ..plan.diagnostics import Diagnostic, Level, PlanError, has_errors
from ..plan.filemodel import format_json_schema
from . import diagnostics as report

app = typer.Typer(
    name="codegen",
    no_args_is_help=True,
    add_completion=False,
    help="Tracking plan in YAML → JSON Schemas, typed Python SDK, Customer.io docs and checks.",
)
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)

EXIT_OK, EXIT_FAIL, EXIT_UNREADABLE = 0, 1, 2


class Format(enum.StrEnum):
    human = "human"
    json = "json"
    github = "github"


PlanArg = Annotated[
    list[Path], typer.Argument(help="Plan files, or folders of *.yaml plans.", show_default=False)
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="Output folder (one plan) or root folder (several). Default: generated/<slug>/.",
    ),
]
TemplatesOpt = Annotated[
    Path | None,
    typer.Option(
        "--templates",
        help="Folder of templates overriding shipped ones by file name.",
        exists=True,
        file_okay=False,
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", help="Diagnostics format.")]
CacheOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help="Cache of generated Python by content hash. Default: "
        "$CODEGEN_CACHE_DIR or ~/.cache/codegen.",
    ),
]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Do not read or write the cache.")]


def _options(templates: Path | None, cache_dir: Path | None, no_cache: bool) -> Options:
    return Options(
        templates=templates, cache_dir=None if no_cache else (cache_dir or default_cache_dir())
    )


@dataclass(frozen=True)
class Job:
    source: Path
    loaded: Loaded
    out_dir: Path | None


def _plan_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        else:
            files.append(path)
    return files


def _load(paths: list[Path], out_dir: Path | None) -> list[Job]:
    files = _plan_files(paths)
    jobs = []
    for file in files:
        loaded = load_plan(file, str(file))
        target = None
        if loaded.plan is not None:
            if out_dir is not None and len(files) == 1:
                target = out_dir
            else:
                target = (out_dir or Path("generated")) / loaded.plan.slug
        jobs.append(Job(file, loaded, target))
    return jobs


def _print(diagnostics: list[Diagnostic], fmt: Format) -> None:
    if fmt is Format.json:
        out.print(report.as_json(diagnostics), markup=False)
    elif fmt is Format.github:
        for d in diagnostics:
            out.print(report.github(d), markup=False)
    else:
        for d in diagnostics:
            err.print(report.human(d))


def _exit_code(jobs: list[Job], strict: bool = False) -> int:
    diagnostics = [d for j in jobs for d in j.loaded.diagnostics]
    if any(j.loaded.spec is None for j in jobs):
        return EXIT_UNREADABLE
    if has_errors(diagnostics) or (strict and any(d.level is Level.WARNING for d in diagnostics)):
        return EXIT_FAIL
    return EXIT_OK


def _generate_all(jobs: list[Job], options: Options) -> dict[Path, dict[str, str]] | int:
    results: dict[Path, dict[str, str]] = {}
    failed: list[Diagnostic] = []
    for job in jobs:
        assert job.loaded.plan is not None and job.out_dir is not None
        try:
            results[job.out_dir] = generate_files(job.loaded.plan, options)
        except PlanError as exc:
            failed.extend(exc.diagnostics)
    if failed:
        _print(failed, Format.human)
        return EXIT_FAIL
    return results


def _generate_valid(
    plans: list[Path], out_dir: Path | None, options: Options
) -> dict[Path, dict[str, str]]:
    """Load, report diagnostics and generate in memory; exit if any plan has errors."""
    jobs = _load(plans, out_dir)
    _print([d for j in jobs for d in j.loaded.diagnostics], Format.human)
    code = _exit_code(jobs)
    if code != EXIT_OK:
        raise typer.Exit(code)
    results = _generate_all(jobs, options)
    if isinstance(results, int):
        raise typer.Exit(results)
    return results


@app.command()
def generate(
    plans: PlanArg,
    out_dir: OutOpt = None,
    templates: TemplatesOpt = None,
    cache_dir: CacheOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Generate every artefact from the plan(s). Writes nothing if any plan has errors."""
    results = _generate_valid(plans, out_dir, _options(templates, cache_dir, no_cache))
    if not results:
        err.print("error: no plan files (*.yaml, *.yml) found", markup=False)
        raise typer.Exit(EXIT_UNREADABLE)
    for target, files in results.items():
        try:
            changed = write(target, files)
        except (UnsafeOutputError, OSError) as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(EXIT_FAIL) from None
        err.print(f"{target}: {len(files)} files, {len(changed)} changed", markup=False)


@app.command()
def check(
    plans: PlanArg,
    out_dir: OutOpt = None,
    templates: TemplatesOpt = None,
    diff: Annotated[bool, typer.Option("--diff", help="Show what would change.")] = False,
    cache_dir: CacheOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Exit 1 when the generated folder is not what the plan generates now."""
    results = _generate_valid(plans, out_dir, _options(templates, cache_dir, no_cache))
    stale = False
    for target, files in results.items():
        found = changes(target, files)
        stale = stale or bool(found)
        for change in found:
            err.print(f"{target}: {change.kind} {change.path}", markup=False)
            if diff:
                out.print(change.diff(), markup=False, end="")
        if not found:
            err.print(f"{target}: up to date", markup=False)
    if stale:
        err.print("run `codegen generate` to update", markup=False)
        raise typer.Exit(EXIT_FAIL)


@app.command()
def lint(
    plans: Annotated[list[Path] | None, typer.Argument(show_default=False)] = None,
    fmt: FormatOpt = Format.human,
    strict: Annotated[bool, typer.Option(help="Warnings fail too.")] = False,
    rules: Annotated[bool, typer.Option("--rules", help="List the rules and exit.")] = False,
) -> None:
    """Check plan(s): format, references, conventions. Exit 1 on errors, 2 if unreadable."""
    if rules:
        for code, r in sorted(RULES.items()):
            out.print(f"{code:32} {r.level!s:8} {r.summary}", markup=False)
        return
    if not plans:
        err.print("error: give at least one plan", markup=False)
        raise typer.Exit(EXIT_UNREADABLE)
    jobs = _load(plans, None)
    diagnostics = [d for j in jobs for d in j.loaded.diagnostics]
    _print(diagnostics, fmt)
    if fmt is Format.human:
        err.print(
            f"{len(jobs)} plan{'s' * (len(jobs) != 1)}: {report.summary(diagnostics)}", markup=False
        )
    raise typer.Exit(_exit_code(jobs, strict))


@app.command("check-template")
def check_template_command(
    templates: Annotated[list[Path], typer.Argument(help="Liquid templates to check.")],
    plan: Annotated[Path, typer.Option("--plan", help="The tracking plan.")],
    trigger: Annotated[
        str | None,
        typer.Option(
            "--trigger", help="Event that triggers the message (omit for segment-triggered)."
        ),
    ] = None,
    message: Annotated[
        str | None, typer.Option("--message", help="A message id of the plan: use its trigger.")
    ] = None,
    fmt: FormatOpt = Format.human,
    strict: Annotated[bool, typer.Option(help="Warnings fail too.")] = False,
) -> None:
    """Check hand-written Customer.io Liquid against the plan: unknown fields, wrong namespaces,
    optional fields without `default`. Exit 1 on errors, 2 if the plan cannot be read."""
    from ..checks.liquid import check_template
    from ..plan.resolve import did_you_mean

    loaded = load_plan(plan, str(plan))
    if loaded.plan is None:
        _print(list(loaded.diagnostics), Format.human)
        raise typer.Exit(EXIT_UNREADABLE)
    resolved = loaded.plan
    if message is not None:
        found = next((m for m in resolved.messages if m.id == message), None)
        if found is None:
            hint = did_you_mean(message, [m.id for m in resolved.messages]) or ""
            err.print(f"error: no message `{message}` in the plan {hint}", markup=False)
            raise typer.Exit(EXIT_UNREADABLE)
        trigger = found.trigger
    event = resolved.event(trigger) if trigger else None
    if trigger and event is None:
        hint = did_you_mean(trigger, [e.name for e in resolved.events]) or ""
        err.print(f"error: `{trigger}` is not a planned event {hint}", markup=False)
        raise typer.Exit(EXIT_UNREADABLE)
    found_all: list[Diagnostic] = []
    for path in templates:
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            err.print(f"error: cannot read {path}: {exc}", markup=False)
            raise typer.Exit(EXIT_UNREADABLE) from None
        found_all += check_template(resolved, source, str(path), event)
    _print(found_all, fmt)
    if fmt is Format.human:
        err.print(
            f"{len(templates)} template{'s' * (len(templates) != 1)}: {report.summary(found_all)}",
            markup=False,
        )
    failing = has_errors(found_all) or (strict and any(d.level is Level.WARNING for d in found_all))
    raise typer.Exit(EXIT_FAIL if failing else EXIT_OK)


@app.command()
def validate(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="JSON Lines files, Segment batch documents, .gz files, or - for stdin.",
            show_default=False,
        ),
    ],
    plan: Annotated[Path, typer.Option("--plan", help="The tracking plan.")],
    fmt: Annotated[
        Format, typer.Option("--format", help="text (human), json or github.")
    ] = Format.human,
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
) -> None:
    """Check logged Segment messages against the plan. Exit 1 on violations (beyond
    --max-violations), 2 when the plan or an input cannot be read."""
    from ..validate import validate_sources
    from ..validate.inputs import MAX_MESSAGE_BYTES, InputError, size, unreadable
    from .validate_report import ViolationPrinter, print_summary

    loaded = load_plan(plan, str(plan))
    if loaded.plan is None or not loaded.ok:
        _print(list(loaded.diagnostics), Format.human)
        raise typer.Exit(EXIT_UNREADABLE)
    for source in sources:
        if problem := unreadable(source):
            err.print(f"error: cannot read {source}: {problem}", markup=False)
            raise typer.Exit(EXIT_UNREADABLE)
    sizes = [size(source) for source in sources]  # None: stdin or a pipe, size unknown
    printer = ViolationPrinter(fmt.value, out, err)
    with printer.report():
        try:
            with printer.progress() as advance:
                summary = validate_sources(
                    loaded.plan,
                    sources,
                    printer.add,
                    advance,
                    workers,
                    None if None in sizes else sum(s or 0 for s in sizes),
                    max_message_bytes or MAX_MESSAGE_BYTES,
                )
        except InputError as exc:
            err.print(f"error: {exc}", markup=False)
            printer.fail(str(exc))
            raise typer.Exit(EXIT_UNREADABLE) from None
        printer.finish(summary)
    if fmt is Format.human:
        print_summary(summary, out)
    for error in summary.errors:
        err.print(f"error: cannot read {error}", markup=False)
    if summary.errors:
        raise typer.Exit(EXIT_UNREADABLE)
    raise typer.Exit(EXIT_FAIL if summary.violations > max_violations else EXIT_OK)


import_app = typer.Typer(help="Import a plan from another tool.", no_args_is_help=True)
export_app = typer.Typer(help="Export a plan to another tool.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
OutPlanOpt = Annotated[Path, typer.Option("--out", "-o", help="The plan YAML to write.")]


def _write_import(imported: Any, output: Path) -> None:
    diagnostics = sorted(imported.diagnostics)
    _print(diagnostics, Format.human)
    if imported.text is None:
        raise typer.Exit(EXIT_FAIL)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(imported.text, encoding="utf-8")
    warnings = sum(d.level is Level.WARNING for d in diagnostics)
    err.print(f"wrote {output} ({warnings} warning{'s' * (warnings != 1)})", markup=False)


@import_app.command("segment")
def import_segment_command(
    file: Annotated[Path, typer.Argument(show_default=False)], output: OutPlanOpt
) -> None:
    """A Segment Protocols export (Config API v1 or Public API shape) → plan YAML."""
    from ..interop.segment import import_segment

    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        err.print(f"error: cannot read {file}: {exc}", markup=False)
        raise typer.Exit(EXIT_UNREADABLE) from None
    _write_import(import_segment(document, str(file)), output)


@import_app.command("jsonschema")
def import_jsonschema_command(
    source: Annotated[Path, typer.Argument(show_default=False)], output: OutPlanOpt
) -> None:
    """JSON Schema files (draft-04 to 2020-12, Snowplow self-describing) → plan YAML: one event
    per schema."""
    from ..interop.jsonschemas import import_schemas

    if not source.exists():
        err.print(f"error: no such file or folder: {source}", markup=False)
        raise typer.Exit(EXIT_UNREADABLE)
    _write_import(import_schemas(source), output)


@export_app.command("segment")
def export_segment_command(
    plan: Annotated[Path, typer.Argument(show_default=False)], output: OutPlanOpt
) -> None:
    """A plan → Segment Public API tracking plan JSON (rules with draft-07 jsonSchema)."""
    from ..interop.segment import export_segment

    loaded = load_plan(plan, str(plan))
    _print(list(loaded.diagnostics), Format.human)
    if loaded.plan is None or not loaded.ok:
        raise typer.Exit(EXIT_UNREADABLE if loaded.spec is None else EXIT_FAIL)
    output.write_text(
        json.dumps(export_segment(loaded.plan), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    err.print(f"wrote {output}", markup=False)


class DiffFormat(enum.StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


@app.command()
def diff(
    plans: Annotated[
        list[Path], typer.Argument(help="OLD NEW, or just NEW with --base.", show_default=False)
    ],
    base: Annotated[
        str | None,
        typer.Option("--base", help="Compare with the plan at this git ref (branch, tag, commit)."),
    ] = None,
    fmt: Annotated[DiffFormat, typer.Option("--format")] = DiffFormat.text,
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

    if fail_on is not None and fail_on not in SEVERITY:
        err.print(f"error: --fail-on takes {', '.join(SEVERITY)}", markup=False)
        raise typer.Exit(EXIT_UNREADABLE)
    if base is not None and len(plans) == 1:
        old_loaded = _plan_at(base, plans[0])
        new_path = plans[0]
    elif base is None and len(plans) == 2:
        old_loaded = load_plan(plans[0], str(plans[0]))
        new_path = plans[1]
    else:
        err.print("error: give OLD NEW, or NEW with --base REF", markup=False)
        raise typer.Exit(EXIT_UNREADABLE)
    new_loaded = load_plan(new_path, str(new_path))
    for loaded in (old_loaded, new_loaded):
        if loaded.plan is None:
            _print(list(loaded.diagnostics), Format.human)
            raise typer.Exit(EXIT_UNREADABLE)
    assert old_loaded.plan is not None and new_loaded.plan is not None
    result = diff_plans(old_loaded.plan, new_loaded.plan)
    if fmt is DiffFormat.json:
        out.print(
            json.dumps(
                {
                    "old_version": result.old_version,
                    "new_version": result.new_version,
                    "required_bump": result.required,
                    "declared_bump": result.declared,
                    "version_ok": result.version_ok,
                    "changes": [c.as_dict() for c in result.changes],
                },
                indent=2,
                ensure_ascii=False,
            ),
            markup=False,
        )
    elif fmt is DiffFormat.markdown:
        out.print(markdown(result), markup=False)
    else:
        out.print(text(result), markup=False)
    failing = fail_on is not None and any(
        SEVERITY[c.kind] >= SEVERITY[fail_on] for c in result.changes
    )
    raise typer.Exit(EXIT_FAIL if failing or not result.version_ok else EXIT_OK)


def _plan_at(ref: str, path: Path) -> Any:
    """The plan file as it was at a git ref (same path), loaded like any plan."""
    import subprocess

    from ..pipeline import load_plan_text

    folder = path.resolve().parent
    result = subprocess.run(
        ["git", "-C", str(folder), "show", f"{ref}:./{path.name}"], capture_output=True, text=True
    )
    if result.returncode != 0:
        err.print(f"error: cannot read {path} at {ref}: {result.stderr.strip()}", markup=False)
        raise typer.Exit(EXIT_UNREADABLE)
    return load_plan_text(result.stdout, f"{ref}:{path}")


class JourneyFormat(enum.StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


LogsArg = Annotated[
    list[str],
    typer.Argument(
        help="Event logs: JSON Lines (.jsonl, .gz) or Parquet, Segment message shape.",
        show_default=False,
    ),
]
PlanOpt = Annotated[Path, typer.Option("--plan", help="The tracking plan.")]
EmitOpt = Annotated[bool, typer.Option("--emit-sql", help="Print the SQL instead of running it.")]
MemoryOpt = Annotated[
    str | None,
    typer.Option(
        "--memory-limit",
        help="Cap DuckDB's memory (e.g. `1GB`); it spills to a temporary folder beyond it.",
    ),
]


def _journey_engine(
    plan: Path, logs: list[str], window: str | None, memory_limit: str | None
) -> Any:
    from ..journeys.engine import Engine
    from ..plan.segments import parse_window

    loaded = load_plan(plan, str(plan))
    if loaded.plan is None or loaded.spec is None or not loaded.ok:
        _print(list(loaded.diagnostics), Format.human)
        raise typer.Exit(EXIT_UNREADABLE)
    for log in logs:
        if not Path(log).is_file():
            err.print(f"error: cannot read {log}: no such file", markup=False)
            raise typer.Exit(EXIT_UNREADABLE)
    suppression = parse_window(window) if window else None
    if window and suppression is None:
        err.print(f"error: `{window}` is not a window (e.g. `1 hour`)", markup=False)
        raise typer.Exit(EXIT_UNREADABLE)
    if memory_limit is not None and not re.fullmatch(
        r"\d+(\.\d+)?\s*[KMGT]i?B", memory_limit, re.IGNORECASE
    ):
        err.print(
            f"error: --memory-limit `{memory_limit}` is not a size (e.g. `1GB`)", markup=False
        )
        raise typer.Exit(EXIT_UNREADABLE)
    engine = Engine(loaded.plan, loaded.spec.lint, logs, suppression, memory_limit)
    return engine, loaded.plan


def _journey_report(
    fmt: JourneyFormat,
    as_json: Callable[[Any], str],
    as_markdown: Callable[[Any, str], str],
    as_text: Callable[[Any], str],
    result: Any,
    resolved: Any,
) -> None:
    if fmt is JourneyFormat.json:
        out.print(as_json(result), markup=False)
    elif fmt is JourneyFormat.markdown:
        out.print(as_markdown(result, resolved.name), markup=False, end="")
    else:
        out.print(as_text(result), markup=False)


@contextlib.contextmanager
def _journey_errors() -> Iterator[None]:
    """A plan or log the audit SQL cannot handle: an error line, not a traceback."""
    from ..journeys.sql import JourneyError

    try:
        yield
    except JourneyError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(EXIT_UNREADABLE) from None


@app.command()
def audit(
    logs: LogsArg,
    plan: PlanOpt,
    fmt: Annotated[JourneyFormat, typer.Option("--format")] = JourneyFormat.text,
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
) -> None:
    """Replay event logs the way Customer.io merges people, and report journeys that would
    misfire a trigger (phantom abandoners, unstitched anonymous carts, duplicates...)."""
    from ..journeys import report

    with _journey_errors():
        engine, resolved = _journey_engine(plan, logs, window, memory_limit)
        if emit_sql:
            sys.stdout.write(engine.emit(None, audit=True, simulate=False))
            return
        result = engine.audit()
    _journey_report(
        fmt, report.audit_json, report.audit_markdown, report.audit_text, result, resolved
    )


@app.command()
def simulate(
    logs: LogsArg,
    plan: PlanOpt,
    at: Annotated[
        str | None,
        typer.Option(
            "--at", help="Point in time (ISO 8601); default: the last timestamp in the logs."
        ),
    ] = None,
    fmt: Annotated[JourneyFormat, typer.Option("--format")] = JourneyFormat.text,
    emit_sql: EmitOpt = False,
    memory_limit: MemoryOpt = None,
) -> None:
    """Evaluate every segment of the plan over the replayed logs: who would be in it."""
    from datetime import datetime

    from ..journeys import report

    moment = None
    if at is not None:
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            err.print(f"error: --at `{at}` is not an ISO 8601 time", markup=False)
            raise typer.Exit(EXIT_UNREADABLE) from None
    with _journey_errors():
        engine, resolved = _journey_engine(plan, logs, None, memory_limit)
        if emit_sql:
            sys.stdout.write(engine.emit(moment, audit=True, simulate=True))
            return
        result = engine.simulate(moment)
    _journey_report(
        fmt,
        report.simulation_json,
        report.simulation_markdown,
        report.simulation_text,
        result,
        resolved,
    )


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Write to a file.")] = None,
) -> None:
    """Print the JSON Schema of the plan format (for yaml-language-server)."""
    text = json.dumps(format_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def main() -> None:
    app()
