"""File names derived from plan names: unique, and unable to leave the output folder."""

from __future__ import annotations

from .. import ir


def event_stems(plan: ir.Plan) -> dict[str, str]:
    """``{event name: file stem}``. Resolution already rejected plans where two events share a
    stem (``naming/code-collision``); this re-checks so no file is ever silently overwritten."""
    stems = {event.name: event.code_name for event in plan.events}
    if len(set(stems.values())) != len(stems):
        raise ValueError("two events map to one file name; the plan was not resolved")
    return stems
