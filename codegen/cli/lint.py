"""`codegen lint` (plans) and `codegen check-template` (hand-written Liquid against a plan)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..checks.lint import RULES
from ..plan.diagnostics import Diagnostic
from ..plan.suggest import did_you_mean
from .options import FormatOpt, PlanArg, PlanOpt, StrictOpt, TemplateFormatOpt
from .policy import (
    Format,
    conclude,
    counted,
    fail,
    load_plans,
    out,
    plans_or_configured,
    read_text,
    require_plan,
    settings,
)


def lint(
    plans: PlanArg = None,
    fmt: FormatOpt = None,
    strict: StrictOpt = None,
    rules: Annotated[bool, typer.Option("--rules", help="List the rules and exit.")] = False,
) -> None:
    """Check plan(s): format, references, conventions."""
    if rules:
        for code, r in sorted(RULES.items()):
            out.print(f"{code:32} {r.level!s:8} {r.summary}", markup=False)
        return
    config = settings()
    loaded = load_plans(plans_or_configured(plans, "lint"))
    diagnostics = [d for _, one in loaded for d in one.diagnostics]
    strict = config.strict if strict is None else strict
    conclude(
        diagnostics,
        Format(config.format("lint", fmt)),
        counted(len(loaded), "plan"),
        strict=bool(strict),
    )


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
    fmt: TemplateFormatOpt = None,
    strict: StrictOpt = None,
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
    config = settings()
    strict = config.strict if strict is None else strict
    conclude(
        diagnostics,
        Format(config.format("check-template", fmt)),
        counted(len(templates), "template"),
        strict=bool(strict),
    )
