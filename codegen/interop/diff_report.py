"""A plan diff as text for the terminal and Markdown for a pull-request comment."""

from __future__ import annotations

from ..generators.render import md, md_code
from .changes import Change
from .diff import Report

_LABELS = {"breaking": "BREAKING", "compatible": "compatible", "doc": "doc"}


def _verdict(report: Report) -> str:
    counts = {k: sum(c.kind == k for c in report.changes) for k in _LABELS}
    summary = ", ".join(f"{n} {k}" for k, n in counts.items()) or "no changes"
    needs = "no" if report.required == "none" else f"a {report.required}"
    line = (
        f"{summary}: needs {needs} version bump; declared "
        f"{report.old_version} → {report.new_version} ({report.declared})"
    )
    if report.declared == "lower":
        line += "\nerror: the version went down; it must not be lower than the old one"
    elif not report.version_ok:
        line += f"\nerror: the version must get at least a {report.required} bump"
    return line


def _said(c: Change) -> str:
    """The message, with why it matters for a live campaign when the change says."""
    return f"{c.message} ({c.reason})" if c.reason else c.message


def text(report: Report) -> str:
    lines = [f"{_LABELS[c.kind]:<10} {c.path}: {_said(c)}" for c in report.changes]
    return "\n".join([*lines, _verdict(report)])


def markdown(report: Report) -> str:
    rows = ["| Kind | Where | Change |", "| --- | --- | --- |"]
    rows += [f"| {_LABELS[c.kind]} | {md_code(c.path)} | {md(_said(c))} |" for c in report.changes]
    verdict = _verdict(report).replace("\n", "\n\n")
    title = "### Tracking plan changes"
    return "\n".join([title, "", *(rows if report.changes else ["No changes."]), "", verdict])
