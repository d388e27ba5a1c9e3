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
from ..validate.coverage import Report
from ..validate.shown import visible
from .diagnostics import github

SHOWN_IN_TEXT = 50
NAMES_SHOWN = 50  # unplanned names listed in text and annotations; --format json has them all


class ViolationPrinter:
    """Prints violations in the chosen format without keeping them (memory stays flat)."""

    def __init__(self, fmt: str, out: Console, err: Console) -> None:
        self.fmt = fmt
        self.out = out
        self.err = err
        self.count = 0
        self.closed = False  # the JSON document has been closed

    @contextmanager
    def progress(self) -> Iterator[Callable[[int], None]]:
        """A live counter on stderr when it is a terminal, in any format (reports go to stdout)."""
        if not self.err.is_terminal:
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

    @contextmanager
    def report(self) -> Iterator[None]:
        """Around a run: the JSON report stays one valid document however the run ends."""
        try:
            yield
        except BaseException as exc:
            self.fail(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
            raise

    def fail(self, error: str) -> None:
        """Close the JSON report of a run that could not finish, saying why."""
        if self.fmt == "json" and not self.closed:
            self._open_if_empty()
            self.out.file.write('\n], "summary": null, "error": ' + json.dumps(error) + "}\n")
            self.closed = True

    def _open_if_empty(self) -> None:
        if self.count == 0:
            self.out.file.write('{"violations": [')

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

    def finish(self, summary: Summary, covered: Report) -> None:
        """The end of the report: the summary with its ``coverage`` (``coverage.report``)."""
        if self.fmt == "json":
            self._open_if_empty()
            document = summary_document(summary, covered)
            self.out.file.write('\n], "summary": ' + json.dumps(document) + "}\n")
            self.closed = True
            return
        if self.count > SHOWN_IN_TEXT:
            more = f"... and {self.count - SHOWN_IN_TEXT:,} more violations (--format json for all)"
            if self.fmt == "github":
                self.out.print(f"::notice title=codegen validate::{more}", markup=False)
            else:
                self.out.print(more, markup=False)
        if self.fmt == "github":
            for line in coverage_lines(covered):
                notice = visible(line).replace("%", "%25")  # no CR/LF left to escape
                self.out.print(f"::notice title=codegen validate coverage::{notice}", markup=False)


def summary_document(summary: Summary, covered: Report) -> dict[str, object]:
    """The JSON report's ``summary``: the counts and the coverage (every engine's)."""
    return {**summary.as_dict(), "coverage": covered.as_dict()}


def coverage_lines(covered: Report) -> list[str]:
    """Coverage in plain lines (text and annotations): totals, then each non-empty list."""
    events, traits, calls = covered.events, covered.traits, covered.identify
    lines = [
        f"coverage: {events.seen:,} of {events.planned:,} planned events seen; "
        f"{traits.seen:,} of {traits.planned:,} planned traits seen "
        f"in {calls:,} identify call{'s' * (calls != 1)}"
    ]
    for label, names in (
        ("planned events never seen", events.never_seen),
        ("planned traits never seen", traits.never_seen),
    ):
        if names:
            lines.append(f"{label} ({len(names):,}): {', '.join(names)}")
    for label, counts in (
        ("unplanned events seen", events.unplanned),
        ("unplanned traits seen", traits.unplanned),
    ):
        if counts:
            shown = [f"{name} ({n:,})" for name, n in list(counts.items())[:NAMES_SHOWN]]
            if len(counts) > NAMES_SHOWN:
                shown.append(f"and {len(counts) - NAMES_SHOWN:,} more (--format json for all)")
            lines.append(f"{label} ({len(counts):,}): {', '.join(shown)}")
    return lines


def _text(v: Violation) -> Text:
    text = Text()
    text.append(f"{visible(v.file)}:{v.line}: ", style="bold")
    text.append(v.kind, style="red")
    if v.event:
        text.append(f" [{visible(v.event)}]", style="dim")
    if v.pointer:
        text.append(f" {visible(v.pointer)}", style="bold")
    text.append(f": {visible(v.message)}")
    if v.message_id:
        text.append(f" (messageId {visible(v.message_id)})", style="dim")
    if v.hint:
        text.append("\n    hint: ", style="green")
        text.append(visible(v.hint))
    return text


def _diagnostic(v: Violation) -> Diagnostic:
    where = visible(f"{v.event or 'message'} {v.pointer}".strip())
    return Diagnostic(
        Location(visible(v.file), v.line, 1),
        v.kind,
        Level.ERROR,
        f"{where}: {visible(v.message)}",
        visible(v.hint) if v.hint else None,
    )


def print_summary(summary: Summary, covered: Report, out: Console) -> None:
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
            events.add_row(Text(visible(event)), f"{read:,}", f"{invalid:,}")
        out.print(events)
    if summary.by_kind:
        kinds = Table("violation kind", "count")
        for kind, count in summary.by_kind.most_common():
            kinds.add_row(kind, f"{count:,}")
        out.print(kinds)
    if summary.by_field:
        fields = Table("top offending fields", "violations")
        for name, count in summary.by_field.most_common(10):
            fields.add_row(Text(visible(name)), f"{count:,}")
        out.print(fields)
    for line in coverage_lines(covered):
        out.print(Text(visible(line)), soft_wrap=True)
