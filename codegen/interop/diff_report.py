"""A plan diff as text for the terminal and Markdown for a pull-request comment."""

from __future__ import annotations

from ..generators.render import md, md_code
from .diff import Report

_LABELS = {"breaking": "BREAKING", "compatible": "compatible", "doc": "doc"}


def _verdict(report: Report) -> str:
    counts = {k: sum(c.kind == k for c in report.changes) for k in _LABELS}
    summary = ", ".join(f"{n} {k}" for k, n in counts.items()) or "no changes"
    line = (
        f"{summary}: needs a {report.required} version bump; declared "
        f"{report.old_version} → {report.new_version} ({report.declared})"
    )
    if not report.version_ok:
        line += f"\nerror: the version must get at least a {report.required} bump"
    return line


def text(report: Report) -> str:
    lines = [f"{_LABELS[c.kind]:<10} {c.path}: {c.message}" for c in report.changes]
    return "\n".join([*lines, _verdict(report)])


def markdown(report: Report) -> str:
    rows = ["| Kind | Where | Change |", "| --- | --- | --- |"]
    rows += [f"| {_LABELS[c.kind]} | {md_code(c.path)} | {md(c.message)} |" for c in report.changes]
    verdict = _verdict(report).replace("\n", "\n\n")
    title = "### Tracking plan changes"
    return "\n".join([title, "", *(rows if report.changes else ["No changes."]), "", verdict])
