"""A README for the output folder: what is here, where it came from, how to regenerate."""

from __future__ import annotations

from ..config import Options
from ..plan import ir
from .render import render

_DESCRIPTIONS = (
    ("schemas/events/", "JSON Schema of one track event's whole Segment message"),
    ("schemas/identify.schema.json", "JSON Schema of identify() and its traits"),
    ("schemas/plan.schema.json", "JSON Schema of any planned message, dispatching on `event`"),
    ("python/", "the typed Python SDK package"),
    ("docs/", "Customer.io segment docs and the event catalog (Markdown)"),
    ("liquid/", "sample Customer.io Liquid templates"),
)


def describe(path: str) -> str:
    return next((text for prefix, text in _DESCRIPTIONS if path.startswith(prefix)), "")


def generate(plan: ir.Plan, options: Options, files: list[str]) -> dict[str, str]:
    """``files`` are the other generators' outputs; sub-packages are listed by folder."""
    shown = sorted({_top(f) for f in files})
    return {
        "README.md": render(
            "output/README.md.j2", options.templates, plan=plan, files=shown, describe=describe
        )
    }


def _top(path: str) -> str:
    for folder in ("python/", "docs/", "liquid/"):
        if path.startswith(folder):
            return folder
    return path
