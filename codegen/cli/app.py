"""Wiring: every command registered on one typer app whose groups apply the policy."""

from __future__ import annotations

import contextlib
import gc
import os
import sys

import typer

from ..generators.pysdk.models import end_workers
from . import diff, docs, generate, init, interop, journeys, lint, root, schema, status, validate
from .policy import Group
from .serve import serve as serve_command

app = typer.Typer(
    cls=Group,
    name="codegen",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion
    help="Tracking plan in YAML → JSON Schemas, typed Python SDK, Customer.io docs and checks. "
    "Exit codes: 0 ok, 1 findings, 2 unreadable input or usage error, 3 internal error.",
)
import_app = typer.Typer(cls=Group, help="Import a plan from another tool.", no_args_is_help=True)
export_app = typer.Typer(cls=Group, help="Export a plan to another tool.", no_args_is_help=True)

app.callback()(root.root)
app.command()(generate.generate)
app.command()(generate.check)
app.command()(lint.lint)
app.command("check-template")(lint.check_template)
app.command()(validate.validate)
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
import_app.command("segment")(interop.import_segment)
import_app.command("jsonschema")(interop.import_jsonschema)
export_app.command("segment")(interop.export_segment)
app.command()(diff.diff)
app.command()(journeys.audit)
app.command()(journeys.simulate)
app.command()(schema.schema)
app.add_typer(docs.app, name="docs")
app.command()(init.init)
app.command()(status.status)
app.command("serve")(serve_command)


# Commands that load plans, work on them and exit: in their own process the cycle collector is
# off from start to exit (see config.collector_paused). Turned back on at the end, it would walk
# everything once more before exit (measured with farm-bench: a one-event `codegen generate` at
# 1000 events 0.5 s faster, the same peak memory). And once their output is written and flushed,
# the process ends without tearing down every object one by one (0.65 s after a one-event
# `generate` at 1000 events), as mypy does. Long-running commands keep the usual way.
_SHORT_COMMANDS = frozenset({"generate", "check", "lint", "diff", "status"})


def main() -> None:
    if not (sys.argv[1:2] and sys.argv[1] in _SHORT_COMMANDS):
        app()
        return
    gc.disable()
    try:
        app()
        code = 0
    except SystemExit as exc:  # how click ends every command
        code = _exit_status(exc.code)
    end_workers()  # none is left waiting for work after an error
    for stream in (sys.stdout, sys.stderr):  # None when started with the stream closed
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    os._exit(code)


def _exit_status(code: object) -> int:
    """What Python does with ``SystemExit(code)``: ``None`` is 0, an int is itself, anything
    else is printed to stderr and the status is 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1
