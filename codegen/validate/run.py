"""Run the checker over many sources, on every core, with a summary that stays small."""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..plan import ir
from .checker import Checker, Outcome, Violation, malformed
from .coverage import Coverage, group
from .inputs import MAX_MESSAGE_BYTES, Block, FileRange, InputError, Problem, ranges, too_large

SINGLE_PROCESS_BELOW = 8_000_000  # bytes: smaller inputs are not worth starting workers


@dataclass
class Summary:
    """Counts only: memory does not grow with the number of messages (nor with the number of
    distinct event names and fields a hostile log can invent: past ``coverage.GROUPS`` they
    are "(other)"). ``errors`` names the sources that could not be read to the end.
    ``coverage`` is filled by the checker's observer (it knows what the plan names)."""

    lines: int = 0
    messages: int = 0
    valid: int = 0
    invalid: int = 0
    skipped: int = 0
    malformed: int = 0
    violations: int = 0
    by_event: dict[str, list[int]] = field(default_factory=dict)  # event -> [read, invalid]
    by_kind: Counter[str] = field(default_factory=Counter)
    by_field: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)

    def add(self, outcome: Outcome) -> None:
        if outcome.status == "malformed":
            self.malformed += 1
        else:
            self.messages += 1
            if outcome.status == "skipped":
                self.skipped += 1
            elif outcome.status == "valid":
                self.valid += 1
            else:
                self.invalid += 1
            name = group(self.by_event, outcome.event or "(none)")
            counts = self.by_event.setdefault(name, [0, 0])
            counts[0] += 1
            counts[1] += outcome.status == "invalid"
        for v in outcome.violations:
            self.violations += 1
            self.by_kind[v.kind] += 1
            self.by_field[group(self.by_field, f"{v.event or '(none)'} {_generic(v.pointer)}")] += 1

    def add_valid(self, counts: Counter[str]) -> None:
        """Many valid messages at once, by event."""
        total = sum(counts.values())
        self.messages += total
        self.valid += total
        for event, n in counts.items():
            self.by_event.setdefault(group(self.by_event, event), [0, 0])[0] += n

    def merge(self, other: Summary) -> None:
        for name in ("lines", "messages", "valid", "invalid", "skipped", "malformed", "violations"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for event, (read, invalid) in other.by_event.items():
            counts = self.by_event.setdefault(group(self.by_event, event), [0, 0])
            counts[0] += read
            counts[1] += invalid
        self.by_kind.update(other.by_kind)
        for name, n in other.by_field.items():
            self.by_field[group(self.by_field, name)] += n
        self.errors += other.errors
        self.coverage.merge(other.coverage)

    def as_dict(self, top: int = 10) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "messages": self.messages,
            "valid": self.valid,
            "invalid": self.invalid,
            "skipped": self.skipped,
            "malformed": self.malformed,
            "violations": self.violations,
            "by_event": {
                e: {"read": r, "invalid": i} for e, (r, i) in sorted(self.by_event.items())
            },
            "by_kind": dict(sorted(self.by_kind.items())),
            "top_fields": [
                {"field": f, "violations": n} for f, n in self.by_field.most_common(top)
            ],
            "errors": self.errors,
        }


def _generic(pointer: str) -> str:
    """``/properties/products/3/sku`` → ``/properties/products/*/sku`` for grouping."""
    return "/".join("*" if part.isdigit() else part for part in pointer.split("/"))


ChunkResult = tuple[Summary, list[Violation], int]  # + newlines read, for line numbers
_WORKER: dict[str, tuple[Checker, int]] = {}  # per worker process: checker, message size limit


def _init_worker(plan: ir.Plan, limit: int) -> None:
    if "checker" not in _WORKER:  # inherited from the parent when processes are forked
        _WORKER["checker"] = (Checker(plan), limit)


def _check_item(item: Block | FileRange) -> ChunkResult:
    checker, limit = _WORKER["checker"]
    return check_item(checker, item, limit)


def check_item(
    checker: Checker, item: Block | FileRange, limit: int = MAX_MESSAGE_BYTES
) -> ChunkResult:
    try:
        block = item.read(limit) if isinstance(item, FileRange) else item
    except OSError as exc:  # the file went away or shrank while being read
        raise InputError(f"{item.source}: {exc}") from exc
    summary = Summary()
    found: list[Violation] = []
    data, problems = block.data, list(block.problems)
    if len(data) > limit and not block.document:
        data, long_lines = _blank_long_lines(data, block.first_line, limit)
        problems += long_lines
    # a document's messages are numbered by place (for order), then all take its first line
    first = 1 if block.document else block.first_line
    accepted, lines, rest = _accept(checker, data, first)
    for number, line in rest:
        if not line.strip():
            lines -= 1  # blank but for a CR (CRLF files) or spaces: not a line to count
            continue
        for outcome in checker.check_precisely(line, block.source, number):
            summary.add(outcome)
            checker.observer.outcome(summary.coverage, outcome)
            found.extend(outcome.violations)
    for problem in problems:
        outcome = malformed(block.source, problem.line, problem.message, problem.hint)
        summary.add(outcome)
        found.extend(outcome.violations)
    if problems:
        found.sort(key=lambda v: v.line)  # stable: input order within a line
    if block.document:
        found = [v.shifted(block.first_line - v.line) for v in found]
    summary.add_valid(Counter(accepted))
    checker.observer.accepted(summary.coverage, accepted, data, rest)
    summary.lines = block.line_count if block.document else lines + len(problems)
    newlines = 0 if block.document else block.data.count(b"\n")
    return summary, found, newlines


def _blank_long_lines(data: bytes, first_line: int, limit: int) -> tuple[bytes, list[Problem]]:
    """Lines over ``limit`` become blank (they are not parsed) and problems, numbers unchanged."""
    # A line over ``limit`` covers a whole aligned window of limit/2 bytes: when every window
    # holds a newline (a few finds), there is none; otherwise look line by line.
    window = max(limit // 2, 1)
    if all(data.find(b"\n", start, start + window) >= 0 for start in range(0, len(data), window)):
        return data, []
    lines = data.split(b"\n")
    if max(map(len, lines)) <= limit:
        return data, []
    problems = [
        too_large(first_line + i, len(line), limit)
        for i, line in enumerate(lines)
        if len(line) > limit
    ]
    return b"\n".join(b"" if len(line) > limit else line for line in lines), problems


Accepted = tuple[dict[str, int], int, list[tuple[int, bytes]]]


def _accept(checker: Checker, data: bytes, first_line: int) -> Accepted:
    """The fast path over a block; if hostile input makes the decoder raise (deep nesting,
    invalid UTF-8), the block is retried line by line and the offending lines take the
    precise pass, which reports them."""
    try:
        return checker.fast.accept_lines(data, first_line)
    except Exception:
        pass
    accepted: dict[str, int] = {}
    count = 0
    rest: list[tuple[int, bytes]] = []
    for offset, line in enumerate(data.split(b"\n")):
        try:
            one, n, left = checker.fast.accept_lines(line, first_line + offset)
        except Exception:
            one, n, left = {}, 1 if line else 0, [(first_line + offset, line)]
        for event, k in one.items():
            accepted[event] = accepted.get(event, 0) + k
        count += n
        rest += left
    return accepted, count, rest


def _items(
    sources: Iterable[str], on_bytes: Callable[[int], None], limit: int, errors: list[str]
) -> Iterator[Block | FileRange]:
    """Work items of every source in order; a source that cannot be read (to the end) is
    named in ``errors`` and the run goes on with the next one."""
    for source in sources:
        try:
            for item in ranges(source, limit):
                on_bytes(item.end - item.start if isinstance(item, FileRange) else len(item.data))
                yield item
        except InputError as exc:
            errors.append(str(exc))


def validate_sources(
    plan: ir.Plan,
    sources: list[str],
    on_violation: Callable[[Violation], None],
    on_bytes: Callable[[int], None] = lambda n: None,
    workers: int | None = None,
    total_bytes: int | None = None,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
) -> Summary:
    """Validate every message of ``sources`` in order; violations are handed to ``on_violation``
    as they are found (in input order), only counts are kept. A message (line) longer than
    ``max_message_bytes`` is reported ``malformed`` without being read into memory. Sources that
    cannot be read are listed in ``Summary.errors``; the others are still checked."""
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    workers = workers or os.cpu_count() or 1
    limit = max_message_bytes
    summary = Summary()
    lines = _LineNumbers()
    items = _items(sources, on_bytes, limit, summary.errors)
    if workers == 1 or (total_bytes is not None and total_bytes < SINGLE_PROCESS_BELOW):
        checker = Checker(plan)
        for item in items:
            _collect(summary, item, check_item(checker, item, limit), on_violation, lines)
        return summary
    # Build once in the parent: forked workers inherit it instead of rebuilding it.
    _WORKER["checker"] = (Checker(plan), limit)
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    )
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(plan, limit)
    ) as pool:
        pending: deque[tuple[Block | FileRange, Future[ChunkResult]]] = deque()
        for item in items:
            pending.append((item, pool.submit(_check_item, item)))
            if len(pending) >= workers * 3:  # bounded: memory stays flat
                done, future = pending.popleft()
                _collect(summary, done, future.result(), on_violation, lines)
        while pending:
            done, future = pending.popleft()
            _collect(summary, done, future.result(), on_violation, lines)
    return summary


class _LineNumbers:
    """Turns range-relative line numbers into file line numbers (ranges arrive in order)."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def base(self, item: Block | FileRange, newlines: int) -> int:
        if isinstance(item, Block):
            return 0  # blocks carry their own line numbers
        before = self.seen.get(item.source, 0)
        self.seen[item.source] = before + newlines
        return before


def _collect(
    summary: Summary,
    item: Block | FileRange,
    result: ChunkResult,
    on_violation: Callable[[Violation], None],
    lines: _LineNumbers,
) -> None:
    part, found, newlines = result
    summary.merge(part)
    base = lines.base(item, newlines)
    for violation in found:
        on_violation(violation.shifted(base) if base else violation)
