"""File names derived from plan names: unique, and unable to leave the output folder."""

from __future__ import annotations

from .. import ir
from ..diagnostics import Diagnostic, Level, PlanError
from ..names import file_stem


def event_stems(plan: ir.Plan) -> dict[str, str]:
    """``{event name: file stem}``; two events that map to one file are a :class:`PlanError`."""
    stems: dict[str, str] = {}
    owners: dict[str, ir.Event] = {}
    problems = []
    for event in plan.events:
        stem = file_stem(event.name)
        if stem in owners:
            first = owners[stem]
            problems.append(Diagnostic(
                event.location, "naming/file-collision", Level.ERROR,
                f"events `{first.name}` and `{event.name}` would both be written to `{stem}`",
                "rename one of them; names must differ in more than case and punctuation",
                (first.location,)))
        owners.setdefault(stem, event)
        stems[event.name] = stem
    if problems:
        raise PlanError(problems)
    return stems
