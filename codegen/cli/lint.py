"""`codegen lint` (plans) and `codegen check-template` (hand-written Liquid against a plan)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..checks.lint import RULES
from ..plan.diagnostics import Diagnostic
from ..plan.suggest import did_you_mean
from .options import FormatOpt, PlanOpt, StrictOpt
from .policy import Format, conclude, counted, fail, load_plans, out, read_text, require_plan


def lint(
    plans: Annotated[list[Path] | None, typer.Argument(show_default=False)] = None,
    fmt: FormatOpt = Format.human,
    strict: StrictOpt = False,
    rules: Annotated[bool, typer.Option("--rules", help="List the rules and exit.")] = False,
) -> None:
    """Check plan(s): format, references, conventions."""
    if rules:
        for code, r in sorted(RULES.items()):
            out.print(f"{code:32} {r.level!s:8} {r.summary}", markup=False)
        return
    if not plans:
        fail("give at least one plan")
    loaded = load_plans(plans)
    diagnostics = [d for _, one in loaded for d in one.diagnostics]
    conclude(diagnostics, fmt, counted(len(loaded), "plan"), strict=strict)


def check_template(
    templates: Annotated[list[Path], typer.Argument(help="Liquid templates to check.")],
    plan: PlanOpt,
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
    strict: StrictOpt = False,
) -> None:
    """Check hand-written Customer.io Liquid against the plan: unknown fields, wrong namespaces,
    optional fields without `default`."""
    from ..checks.liquid import check_template as check

    resolved = require_plan(plan).plan
    if message is not None:
        found = next((m for m in resolved.messages if m.id == message), None)
        if found is None:
            hint = did_you_mean(message, [m.id for m in resolved.messages]) or ""
            fail(f"no message `{message}` in the plan {hint}".rstrip())
        trigger = found.trigger
    event = resolved.event(trigger) if trigger else None
    if trigger and event is None:
        hint = did_you_mean(trigger, [e.name for e in resolved.events]) or ""
        fail(f"`{trigger}` is not a planned event {hint}".rstrip())
    diagnostics: list[Diagnostic] = []
    for path in templates:
        diagnostics += check(resolved, read_text(path), str(path), event)
    conclude(diagnostics, fmt, counted(len(templates), "template"), strict=strict)
