"""What the collector knows: messages checked by `codegen validate`'s checker, kept bounded.

Memory does not grow with traffic: the last ``keep`` messages (each at most 32 KB) and their
violations are kept; everything else is counts (``validate.Summary``, whose event and field
groups are capped too).
"""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from ..plan import ir
from ..validate import Checker, Summary, Violation, coverage
from ..validate.checker import Outcome, malformed

VIOLATIONS_PER_MESSAGE = 20  # kept per kept message on average; all are counted


@dataclass(frozen=True)
class Limits:
    """Bounds of one collector: messages kept, and how long a request body may take."""

    keep: int = 1000
    read_timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class Received:
    """One kept message: its arrival number (the ``line`` of its violations) and outcome."""

    line: int
    at: str
    endpoint: str
    text: bytes
    status: str
    event: str | None
    violations: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "received_at": self.at,
            "endpoint": self.endpoint,
            "status": self.status,
            "event": self.event,
            "violations": self.violations,
            "message": orjson.Fragment(self.text),
        }


class Collector:
    """Validates arriving messages; the state behind the API, the page and the metrics. Used
    from one event loop (no locks): every method runs to completion between requests."""

    def __init__(self, plan: ir.Plan, limits: Limits = Limits()) -> None:
        if limits.keep < 1:
            raise ValueError(f"keep must be at least 1, not {limits.keep}")
        self.plan = plan
        self.limits = limits
        self.checker = Checker(plan)
        self.reset()

    def reset(self) -> None:
        """Forget everything (``DELETE /api/violations``): numbering starts again at 1."""
        self.arrived = 0
        self.summary = Summary()
        self.messages: deque[Received] = deque(maxlen=self.limits.keep)
        self.violations: deque[Violation] = deque(maxlen=self.limits.keep * VIOLATIONS_PER_MESSAGE)
        self.requests: Counter[int] = Counter()
        self.forwarded: Counter[str] = Counter()
        self.since = _now()

    # -- intake --------------------------------------------------------------------------------

    def check(self, messages: list[tuple[Any, bytes]], endpoint: str) -> list[Outcome]:
        """Validate messages in arrival order, exactly as `codegen validate` checks JSON Lines:
        the fast path over all of them at once, then the precise pass for what it rejects."""
        at = _now()
        source = f"/v1/{endpoint}"
        first = self.arrived + 1
        self.arrived += len(messages)
        rest = self._fast(messages, first)
        outcomes = []
        for offset, (message, text) in enumerate(messages):
            number = first + offset
            if number in rest:
                outcome = self._precise(message, source, number)
                self.summary.add(outcome)
                self.violations.extend(outcome.violations)
            else:
                outcome = _accepted(message)
                self.summary.add_valid(Counter({outcome.event or "(none)": 1}))
            self.checker.observer.outcome(self.summary.coverage, outcome)
            outcomes.append(outcome)
            self.messages.append(
                Received(
                    number,
                    at,
                    endpoint,
                    text,
                    outcome.status,
                    outcome.event,
                    len(outcome.violations),
                )
            )
        self.summary.lines += len(messages)
        return outcomes

    def _fast(self, messages: list[tuple[Any, bytes]], first: int) -> set[int]:
        """Numbers of the messages the fast path does not accept. Texts are compact JSON (no
        newline), so one block of lines is what `validate` would read."""
        fast = self.checker.fast
        try:
            _, _, rest = fast.accept_lines(b"\n".join(text for _, text in messages), first)
            return {number for number, _ in rest}
        except Exception:  # hostile input the decoder chokes on: one at a time
            left = set()
            for offset, (_, text) in enumerate(messages):
                try:
                    accepted = fast.accepts(text)
                except Exception:
                    accepted = None
                if accepted is None:
                    left.add(first + offset)
            return left

    def _precise(self, message: Any, source: str, number: int) -> Outcome:
        try:
            return self.checker.check_message(message, source, number)
        except Exception as exc:  # as Checker.check_precisely: one message never stops intake
            return malformed(
                source,
                number,
                f"could not be checked ({type(exc).__name__}: {exc})",
                "please report this message to the codegen maintainers",
            )

    # -- views ---------------------------------------------------------------------------------

    def violation_list(self) -> dict[str, Any]:
        """``{"violations": [...]}`` with the fields of ``validate --format json``."""
        return {
            "violations": [v.as_dict() for v in self.violations],
            "total": self.summary.violations,
            "kept": len(self.violations),
        }

    def summary_dict(self) -> dict[str, Any]:
        """``validate``'s summary with its coverage (``validate --format json`` has the same)."""
        summary = self.summary.as_dict()
        summary["coverage"] = coverage.report(self.plan, self.summary.coverage).as_dict()
        summary["since"] = self.since
        summary["kept_messages"] = len(self.messages)
        summary["requests"] = {str(k): n for k, n in sorted(self.requests.items())}
        summary["forwarded"] = dict(sorted(self.forwarded.items()))
        return summary

    def message_list(self, limit: int | None = None) -> dict[str, Any]:
        kept = list(self.messages)
        if limit is not None:
            kept = kept[-limit:] if limit > 0 else []
        return {"messages": [m.as_dict() for m in kept], "arrived": self.arrived}

    def metrics(self) -> str:
        """Prometheus text exposition format (version 0.0.4)."""
        s = self.summary
        out: list[str] = []

        def family(name: str, kind: str, help_: str, samples: list[tuple[str, int]]) -> None:
            out.append(f"# HELP {name} {help_}")
            out.append(f"# TYPE {name} {kind}")
            out.extend(f"{name}{labels} {value}" for labels, value in samples)

        family(
            "codegen_serve_messages_total",
            "counter",
            "Messages received, by outcome.",
            [
                (_labels(outcome=o), n)
                for o, n in (
                    ("valid", s.valid),
                    ("invalid", s.invalid),
                    ("skipped", s.skipped),
                    ("malformed", s.malformed),
                )
            ],
        )
        family(
            "codegen_serve_violations_total",
            "counter",
            "Violations found, by kind.",
            [(_labels(kind=k), n) for k, n in sorted(s.by_kind.items())],
        )
        family(
            "codegen_serve_event_messages_total",
            "counter",
            "Messages by event (identify for identify calls).",
            [(_labels(event=e), r) for e, (r, _) in sorted(s.by_event.items())],
        )
        family(
            "codegen_serve_event_invalid_total",
            "counter",
            "Invalid messages by event.",
            [(_labels(event=e), i) for e, (_, i) in sorted(s.by_event.items())],
        )
        family(
            "codegen_serve_requests_total",
            "counter",
            "Requests to the tracking endpoints, by HTTP status.",
            [(_labels(code=str(c)), n) for c, n in sorted(self.requests.items())],
        )
        family(
            "codegen_serve_forwarded_total",
            "counter",
            "Forwarding upstream, by result.",
            [(_labels(result=r), n) for r, n in sorted(self.forwarded.items())],
        )
        covered = coverage.report(self.plan, s.coverage)
        family(
            "codegen_serve_planned_events_unseen",
            "gauge",
            "Planned events not seen yet.",
            [("", len(covered.events.never_seen))],
        )
        family(
            "codegen_serve_planned_traits_unseen",
            "gauge",
            "Planned traits no identify call has sent yet.",
            [("", len(covered.traits.never_seen))],
        )
        family("codegen_serve_kept_messages", "gauge", "Messages kept.", [("", len(self.messages))])
        return "\n".join(out) + "\n"


def _accepted(message: Any) -> Outcome:
    """The outcome of a message the fast path accepted: its event (``identify`` and its traits
    for identify calls)."""
    if isinstance(message, dict):
        if message.get("type") == "identify":
            return Outcome("valid", "identify", (), coverage.trait_keys(message))
        event = message.get("event")
        return Outcome("valid", event if isinstance(event, str) else None)
    return Outcome("valid", None)


def _labels(**values: str) -> str:
    inner = ",".join(f'{k}="{_label_value(v)}"' for k, v in values.items())
    return "{" + inner + "}"


def _label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _now() -> str:
    return datetime.fromtimestamp(time.time(), UTC).isoformat(timespec="milliseconds")
