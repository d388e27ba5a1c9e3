"""Diagnostics as text for people, JSON for tools and GitHub workflow annotations."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.text import Text

from ..plan.diagnostics import Diagnostic, Level

_STYLES = {Level.ERROR: "bold red", Level.WARNING: "yellow", Level.INFO: "cyan"}


def human(diagnostic: Diagnostic) -> Text:
    """Rich text built from parts, so plan text can never inject console markup."""
    d = diagnostic
    text = Text()
    text.append(f"{d.location}: ", style="bold")
    text.append(f"{d.level}", style=_STYLES[d.level])
    text.append(f"[{d.code}]", style="dim")
    if d.location.path:
        text.append(f" {d.location.dotted}:", style="bold")
    text.append(f" {d.message}")
    for other in d.related:
        text.append(
            f"\n    see also {other}" + (f" ({other.dotted})" if other.path else ""), style="dim"
        )
    if d.hint:
        text.append("\n    hint: ", style="green")
        text.append(d.hint)
    return text


def as_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps([to_dict(d) for d in diagnostics], indent=2, ensure_ascii=False)


def to_dict(d: Diagnostic) -> dict[str, object]:
    return {
        "file": d.location.file,
        "line": d.location.line,
        "column": d.location.column,
        "path": d.location.dotted,
        "level": str(d.level),
        "code": d.code,
        "message": d.message,
        "hint": d.hint,
        "related": [
            {"file": r.file, "line": r.line, "column": r.column, "path": r.dotted}
            for r in d.related
        ],
    }


def github(d: Diagnostic) -> str:
    """``::error file=…,line=…,col=…,title=…::message`` with GitHub's escaping."""
    command = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "notice"}[d.level]
    props = [f"file={_prop(d.location.file)}"]
    if d.location.line:
        props += [f"line={d.location.line}", f"col={d.location.column}"]
    props.append(f"title={_prop(d.code)}")
    message = d.message if not d.location.path else f"{d.location.dotted}: {d.message}"
    if d.hint:
        message += f"\nhint: {d.hint}"
    return f"::{command} {','.join(props)}::{_data(message)}"


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    counts = {level: sum(d.level is level for d in diagnostics) for level in Level}
    parts = [
        f"{counts[Level.ERROR]} error{'s' * (counts[Level.ERROR] != 1)}",
        f"{counts[Level.WARNING]} warning{'s' * (counts[Level.WARNING] != 1)}",
    ]
    if counts[Level.INFO]:
        parts.append(f"{counts[Level.INFO]} info")
    return ", ".join(parts)
