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
from .checker import Checker, Outcome, Violation
from .inputs import Block, FileRange, ranges

SINGLE_PROCESS_BELOW = 8_000_000  # bytes: smaller inputs are not worth starting workers


@dataclass
class Summary:
    """Counts only: memory does not grow with the number of messages."""

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
            name = outcome.event or "(none)"
            counts = self.by_event.setdefault(name, [0, 0])
            counts[0] += 1
            counts[1] += outcome.status == "invalid"
        for v in outcome.violations:
            self.violations += 1
            self.by_kind[v.kind] += 1
            self.by_field[f"{v.event or '(none)'} {_generic(v.pointer)}"] += 1

    def add_valid(self, counts: Counter[str]) -> None:
        """Many valid messages at once, by event."""
        total = sum(counts.values())
        self.messages += total
        self.valid += total
        for event, n in counts.items():
            self.by_event.setdefault(event, [0, 0])[0] += n

    def merge(self, other: Summary) -> None:
        for name in ("lines", "messages", "valid", "invalid", "skipped", "malformed", "violations"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for event, (read, invalid) in other.by_event.items():
            counts = self.by_event.setdefault(event, [0, 0])
            counts[0] += read
            counts[1] += invalid
        self.by_kind.update(other.by_kind)
        self.by_field.update(other.by_field)

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
        }


def _generic(pointer: str) -> str:
    """``/properties/products/3/sku`` → ``/properties/products/*/sku`` for grouping."""
    return "/".join("*" if part.isdigit() else part for part in pointer.split("/"))


ChunkResult = tuple[Summary, list[Violation], int]  # + newlines read, for line numbers
_WORKER: dict[str, Checker] = {}  # one Checker per worker process, built by the initializer


def _init_worker(plan: ir.Plan) -> None:
    if "checker" not in _WORKER:  # inherited from the parent when processes are forked
        _WORKER["checker"] = Checker(plan)


def _check_item(item: Block | FileRange) -> ChunkResult:
    return check_item(_WORKER["checker"], item)


def check_item(checker: Checker, item: Block | FileRange) -> ChunkResult:
    block = item.read() if isinstance(item, FileRange) else item
    summary = Summary()
    found: list[Violation] = []
    if block.document:
        accepted: dict[str, int] = {}
        summary.lines, rest = 1, [(block.first_line, block.data)]
    else:
        accepted, summary.lines, rest = checker.fast.accept_lines(block.data, block.first_line)
    for number, line in rest:
        for outcome in checker.check_precisely(line, block.source, number):
            summary.add(outcome)
            found.extend(outcome.violations)
    summary.add_valid(Counter(accepted))
    newlines = 0 if block.document else block.data.count(b"\n")
    return summary, found, newlines


def _items(sources: Iterable[str], on_bytes: Callable[[int], None]) -> Iterator[Block | FileRange]:
    for source in sources:
        for item in ranges(source):
            on_bytes(item.end - item.start if isinstance(item, FileRange) else len(item.data))
            yield item


def validate_sources(
    plan: ir.Plan,
    sources: list[str],
    on_violation: Callable[[Violation], None],
    on_bytes: Callable[[int], None] = lambda n: None,
    workers: int | None = None,
    total_bytes: int | None = None,
) -> Summary:
    """Validate every message of ``sources`` in order; violations are handed to ``on_violation``
    as they are found (in input order), only counts are kept."""
    workers = workers or os.cpu_count() or 1
    summary = Summary()
    lines = _LineNumbers()
    items = _items(sources, on_bytes)
    if workers == 1 or (total_bytes is not None and total_bytes < SINGLE_PROCESS_BELOW):
        checker = Checker(plan)
        for item in items:
            _collect(summary, item, check_item(checker, item), on_violation, lines)
        return summary
    # Build once in the parent: forked workers inherit it instead of rebuilding it.
    _WORKER["checker"] = Checker(plan)
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    )
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(plan,)
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
