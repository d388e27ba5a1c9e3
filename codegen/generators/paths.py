"""File names derived from plan names: unique, and unable to leave the output folder."""

from __future__ import annotations

from pathlib import PurePosixPath

from ..plan import ir


class UnsafeOutputError(Exception):
    """The output folder or a path in it is not ours to write."""


def safe_relative(path: str) -> PurePosixPath:
    """Reject absolute paths, ``..`` and anything else that would leave the output folder."""
    pure = PurePosixPath(path)
    if (
        pure.is_absolute()
        or not pure.parts
        or any(p in ("", ".", "..") for p in pure.parts)
        or "\\" in path
        or "\x00" in path
    ):
        raise UnsafeOutputError(f"refusing to write outside the output folder: {path!r}")
    return pure


def event_stem(event: ir.Event) -> str:
    """The file stem of one event's outputs: its code name (unique, checked at load)."""
    return event.code_name


def event_stems(plan: ir.Plan) -> dict[str, str]:
    """``{event name: file stem}``. Resolution already rejected plans where two events share a
    stem (``naming/code-collision``); this re-checks so no file is ever silently overwritten."""
    stems = {event.name: event_stem(event) for event in plan.events}
    if len(set(stems.values())) != len(stems):
        raise ValueError("two events map to one file name; the plan was not resolved")
    return stems
