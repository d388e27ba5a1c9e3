"""Output of `codegen validate`: violations as they stream in, then the summary."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ..plan.diagnostics import Diagnostic, Level, Location
from ..validate import Summary, Violation
from .diagnostics import github

SHOWN_IN_TEXT = 50


class ViolationPrinter:
    """Prints violations in the chosen format without keeping them (memory stays flat)."""

    def __init__(self, fmt: str, out: Console, err: Console) -> None:
        self.fmt = fmt
        self.out = out
        self.err = err
        self.count = 0

    @contextmanager
    def progress(self) -> Iterator[Callable[[int], None]]:
        """A live counter on the terminal (text format only; silent when piped)."""
        if self.fmt != "text" or not self.err.is_terminal:
            yield lambda n: None
            return
        with Progress(
            SpinnerColumn(),
            TextColumn("validating"),
            BarColumn(),
            TextColumn("{task.completed:,.0f} bytes"),
            TimeElapsedColumn(),
            console=self.err,
            transient=True,
        ) as bar:
            task = bar.add_task("validate", total=None)
            yield lambda n: bar.advance(task, n)

    def add(self, v: Violation) -> None:
        self.count += 1
        if self.fmt == "json":
            prefix = '{"violations": [\n' if self.count == 1 else ",\n"
            self.out.file.write(prefix + json.dumps(v.as_dict(), ensure_ascii=False))
        elif self.count <= SHOWN_IN_TEXT:
            if self.fmt == "github":
                self.out.print(github(_diagnostic(v)), markup=False, soft_wrap=True)
            else:
                self.out.print(_text(v), soft_wrap=True)

    def finish(self, summary: Summary) -> None:
        if self.fmt == "json":
            if self.count == 0:
                self.out.file.write('{"violations": [')
            self.out.file.write('\n], "summary": ' + json.dumps(summary.as_dict()) + "}\n")
        elif self.count > SHOWN_IN_TEXT:
            more = f"... and {self.count - SHOWN_IN_TEXT:,} more violations (--format json for all)"
            if self.fmt == "github":
                self.out.print(f"::notice title=codegen validate::{more}", markup=False)
            else:
                self.out.print(more, markup=False)


def _text(v: Violation) -> Text:
    text = Text()
    text.append(f"{v.file}:{v.line}: ", style="bold")
    text.append(v.kind, style="red")
    if v.event:
        text.append(f" [{v.event}]", style="dim")
    if v.pointer:
        text.append(f" {v.pointer}", style="bold")
    text.append(f": {v.message}")
    if v.message_id:
        text.append(f" (messageId {v.message_id})", style="dim")
    if v.hint:
        text.append("\n    hint: ", style="green")
        text.append(v.hint)
    return text


def _diagnostic(v: Violation) -> Diagnostic:
    where = f"{v.event or 'message'} {v.pointer}".strip()
    return Diagnostic(
        Location(v.file, v.line, 1), v.kind, Level.ERROR, f"{where}: {v.message}", v.hint
    )


def print_summary(summary: Summary, out: Console) -> None:
    totals = Table(title="codegen validate", show_header=False)
    for label, value in (
        ("lines", summary.lines),
        ("messages", summary.messages),
        ("valid", summary.valid),
        ("invalid", summary.invalid),
        ("skipped (page, screen, group, alias)", summary.skipped),
        ("malformed lines", summary.malformed),
        ("violations", summary.violations),
    ):
        totals.add_row(label, f"{value:,}")
    out.print(totals)
    if summary.by_event:
        events = Table("event", "messages", "invalid")
        for event, (read, invalid) in sorted(summary.by_event.items()):
            events.add_row(Text(event), f"{read:,}", f"{invalid:,}")
        out.print(events)
    if summary.by_kind:
        kinds = Table("violation kind", "count")
        for kind, count in summary.by_kind.most_common():
            kinds.add_row(kind, f"{count:,}")
        out.print(kinds)
    if summary.by_field:
        fields = Table("top offending fields", "violations")
        for name, count in summary.by_field.most_common(10):
            fields.add_row(Text(name), f"{count:,}")
        out.print(fields)
