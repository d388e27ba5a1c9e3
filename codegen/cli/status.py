"""`codegen status`: where the code sends each planned event, found in Python source by ``ast``.

A call counts when it is ``RECEIVER.method(...)`` and the receiver is a tracker: its name (a
variable, attribute or function returning it) contains ``tracker``, or the module binds it
from ``Tracker(...)`` / ``Tracker.for_segment(...)``. Method names per event come from the SDK's
model plan, the same that names the generated methods; the tracker's own methods (``identify``,
``track``, ``flush``...) are known from the runtime templates.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from ..generators.pysdk.modelplan import build
from ..generators.pysdk.reserved import reserved
from ..plan.diagnostics import Diagnostic, Level, Location
from ..plan.suggest import did_you_mean
from . import formats
from .diagnostics import github
from .options import PlanOpt, StatusFormatOpt
from .policy import ExitCode, err, fail, out, read_text, require_plan, settings, show, stop

FAIL_ON = ("never-called", "unknown-calls")


@dataclass(frozen=True)
class Call:
    method: str
    file: str
    line: int
    column: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def status(
    sources: Annotated[
        list[Path],
        typer.Argument(help="Python files, or folders searched for *.py.", show_default=False),
    ],
    plan: PlanOpt,
    fmt: StatusFormatOpt = None,
    fail_on: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when there is any of: never-called, unknown-calls (repeatable).",
        ),
    ] = None,
) -> None:
    """Which planned events the code sends and from where (file:line), planned events never
    called, and calls to tracker methods the plan no longer has."""
    for kind in fail_on or []:
        if kind not in FAIL_ON:
            fail(f"--fail-on takes {', '.join(FAIL_ON)}, not `{kind}`")
    shape = settings().format("status", fmt)
    methods = {m.name: m.event for m in build(require_plan(plan).plan).methods}
    own = reserved().tracker_attributes
    sent: dict[str, list[str]] = {event: [] for event in sorted(methods.values())}
    unknown: list[Call] = []
    for call in _calls(_python_files(sources)):
        if call.method in methods:
            sent[methods[call.method]].append(call.where)
        elif call.method not in own and not call.method.startswith("_"):
            unknown.append(call)
    never = [event for event, where in sent.items() if not where]
    hints = {c.method: did_you_mean(c.method, methods) for c in unknown}
    if shape == formats.JSON:
        document = {
            "events": sent,
            "never_called": never,
            "unknown_calls": [
                {"method": c.method, "location": c.where, "hint": hints[c.method]} for c in unknown
            ],
        }
        out.print(json.dumps(document, indent=2, ensure_ascii=False), markup=False)
    elif shape == formats.GITHUB:
        for c in unknown:
            out.print(github(_unknown(c, hints[c.method])), markup=False)
    else:
        for event, where in sent.items():
            out.print(f"{event}: {', '.join(where) or 'never called'}", markup=False)
        show([_unknown(c, hints[c.method]) for c in unknown])
        err.print(
            f"{len(sent) - len(never)} of {len(sent)} planned events sent; "
            f"{len(unknown)} unknown call{'s' * (len(unknown) != 1)}",
            markup=False,
        )
    failing = ("never-called" in (fail_on or []) and never) or (
        "unknown-calls" in (fail_on or []) and unknown
    )
    stop(ExitCode.FINDINGS if failing else ExitCode.OK)


def _unknown(call: Call, hint: str | None) -> Diagnostic:
    return Diagnostic(
        Location(call.file, call.line, call.column),
        "status/unknown-call",
        Level.WARNING,
        f"`{call.method}` is not a method of the plan's Tracker",
        hint or "the event was removed or renamed in the plan; regenerate and update the call",
    )


def _python_files(sources: list[Path]) -> list[Path]:
    files: list[Path] = []
    for source in sources:
        if source.is_dir():
            files += sorted(
                p
                for p in source.rglob("*.py")
                if not any(part.startswith(".") for part in p.relative_to(source).parts)
            )
        elif source.is_file():
            files.append(source)
        else:
            fail(f"cannot read {source}: no such file or folder")
    return files


def _calls(files: list[Path]) -> list[Call]:
    calls: list[Call] = []
    for file in files:
        try:
            tree = ast.parse(read_text(file), filename=str(file))
        except SyntaxError as exc:
            where = Location(str(file), exc.lineno or 0, exc.offset or 0)
            show([Diagnostic(where, "status/unreadable", Level.ERROR, f"not Python: {exc.msg}")])
            stop(ExitCode.UNUSABLE)
        trackers = _bound_trackers(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and _is_tracker(node.func.value, trackers)
            ):
                calls.append(Call(node.func.attr, str(file), node.lineno, node.col_offset + 1))
    return sorted(calls, key=lambda c: (c.file, c.line, c.column))


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _name(node.func)
    return None


def _is_tracker(node: ast.expr, bound: set[str]) -> bool:
    name = _name(node)
    return name is not None and ("tracker" in name.lower() or name in bound)


def _bound_trackers(tree: ast.Module) -> set[str]:
    """Names assigned ``Tracker(...)`` or ``Tracker.for_...(...)`` anywhere in the module."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            base = func.value if isinstance(func, ast.Attribute) else func
            if isinstance(base, ast.Name) and base.id == "Tracker":
                names.update(_name(t) or "" for t in node.targets)
    return names - {""}
