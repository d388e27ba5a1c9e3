"""Coverage of real traffic: which planned events and traits messages exercised, and what
they sent that the plan does not name. Counted once here, read by `codegen validate` (merged
across its workers) and by the live collector of `codegen serve`.

What counts as *seen*:

- an event: a track message naming it, valid or not (an invalid message still shows the
  event is sent); an event the plan does not name is counted as unplanned;
- a trait: a key of the ``traits`` object of an identify message, valid or not, whatever its
  value (``null`` included: it clears the person attribute, so the attribute is in use).
  ``context.traits`` of track messages is not counted: the checker does not validate it, and
  Customer.io's Segment destination makes person attributes from identify traits.

Memory stays bounded: planned names are bounded by the plan; unplanned names past ``GROUPS``
are counted as "(other)", like the summary's groups.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec

from ..plan import ir

if TYPE_CHECKING:
    from .checker import Outcome

GROUPS = 1000  # distinct unplanned names counted by name; the rest are "(other)"
OTHER = "(other)"
_IDENTIFY = b'"identify"'


def trait_keys(message: dict[str, Any]) -> tuple[str, ...]:
    """The traits an identify message sends: the keys of its ``traits`` object (none when
    ``traits`` is missing or not an object)."""
    traits = message.get("traits")
    return tuple(traits) if isinstance(traits, dict) else ()


@dataclass
class Coverage:
    """Counts of messages by planned event and trait, and of unplanned names. Plan-free, so
    that worker results merge; :class:`Observer` decides what is planned."""

    identify: int = 0  # identify messages
    events: Counter[str] = field(default_factory=Counter)  # planned event -> messages
    traits: Counter[str] = field(default_factory=Counter)  # planned trait -> identify messages
    unplanned_events: Counter[str] = field(default_factory=Counter)
    unplanned_traits: Counter[str] = field(default_factory=Counter)

    def merge(self, other: Coverage) -> None:
        self.identify += other.identify
        self.events.update(other.events)
        self.traits.update(other.traits)
        for name, n in other.unplanned_events.items():
            self.unplanned_events[group(self.unplanned_events, name)] += n
        for name, n in other.unplanned_traits.items():
            self.unplanned_traits[group(self.unplanned_traits, name)] += n


class _Probe(msgspec.Struct, gc=False):
    """Just enough of a message to read its traits (the rest is skipped, not decoded)."""

    type: Any = None
    traits: dict[str, msgspec.Raw] | None = None


class Observer:
    """Counts what messages exercise into a :class:`Coverage`. Build once per plan."""

    def __init__(self, plan: ir.Plan) -> None:
        self.events = frozenset(e.name for e in plan.events)
        self.traits = frozenset(t.name for t in plan.traits)
        self._probe = msgspec.json.Decoder(_Probe)

    def outcome(self, coverage: Coverage, outcome: Outcome) -> None:
        """One checked message (its outcome carries the traits of an identify message)."""
        if outcome.traits is not None:
            coverage.identify += 1
            self.add_traits(coverage, outcome.traits)
        elif outcome.status in ("valid", "invalid") and outcome.event is not None:
            self.add_event(coverage, outcome.event, 1)

    def add_event(self, coverage: Coverage, event: str, n: int) -> None:
        if event in self.events:
            coverage.events[event] += n
        else:
            coverage.unplanned_events[group(coverage.unplanned_events, event)] += n

    def add_traits(self, coverage: Coverage, keys: tuple[str, ...], n: int = 1) -> None:
        """``n`` identify messages sending the traits ``keys``."""
        for key in keys:
            if key in self.traits:
                coverage.traits[key] += n
            else:
                coverage.unplanned_traits[group(coverage.unplanned_traits, key)] += n

    def accepted(
        self, coverage: Coverage, counts: dict[str, int], data: bytes, rest: list[tuple[int, bytes]]
    ) -> None:
        """Messages the fast path accepted in a block of JSON Lines (``counts`` by event,
        ``identify`` for identify calls); their traits are read from the identify lines of
        ``data`` that are not in ``rest`` (the lines left for the precise pass)."""
        for event, n in counts.items():
            if event == "identify":
                coverage.identify += n
            else:
                self.add_event(coverage, event, n)
        if counts.get("identify"):
            # most identify calls send one of a few sets of traits: count each set once
            lines = _accepted_identify_lines(data, rest)
            for keys, n in Counter(map(self._traits, lines)).items():
                self.add_traits(coverage, keys, n)

    def _traits(self, line: bytes) -> tuple[str, ...]:
        try:
            probe = self._probe.decode(line)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return ()  # not reached for lines the fast path accepted; kept total
        if probe.type != "identify" or probe.traits is None:
            return ()  # a track message that merely mentions "identify"
        return tuple(probe.traits)


def _accepted_identify_lines(data: bytes, rest: list[tuple[int, bytes]]) -> list[bytes]:
    """Lines of ``data`` that mention ``"identify"`` and are not in ``rest``: found by one
    search over the block (only blocks with accepted identify calls are searched). A line is
    left out by its bytes, which decide the fast path's answer: an equal line got the same."""
    left = {line for _, line in rest}
    found = []
    at = data.find(_IDENTIFY)
    while at >= 0:
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        end = len(data) if end < 0 else end
        line = data[start:end]
        if line not in left:
            found.append(line)
        at = data.find(_IDENTIFY, end)
    return found


@dataclass(frozen=True)
class Names:
    """Coverage of one vocabulary (events or traits): ``counts`` of the planned names seen (in
    plan order), ``never_seen`` the others, ``unplanned`` the names sent that the plan lacks
    (most sent first)."""

    planned: int
    never_seen: tuple[str, ...]
    counts: dict[str, int]
    unplanned: dict[str, int]

    @property
    def seen(self) -> int:
        return len(self.counts)

    @classmethod
    def of(
        cls,
        planned: list[str],
        seen: Counter[str],
        unplanned: Counter[str],
        deprecated: frozenset[str] = frozenset(),
    ) -> Names:
        """A ``deprecated`` name never seen is not missed (its senders are meant to stop):
        it is left out of ``planned`` and ``never_seen``, and counted when it is seen."""
        expected = [name for name in planned if seen[name] or name not in deprecated]
        return cls(
            len(expected),
            tuple(name for name in expected if not seen[name]),
            {name: seen[name] for name in expected if seen[name]},
            _sorted(unplanned),
        )


@dataclass(frozen=True)
class Report:
    """Coverage for every output: ``validate``'s formats and ``serve``'s API."""

    events: Names
    traits: Names
    identify: int  # identify calls

    @property
    def unseen(self) -> int:
        """Planned events and traits never seen."""
        return len(self.events.never_seen) + len(self.traits.never_seen)

    def as_dict(self) -> dict[str, Any]:
        """``planned``, ``seen``, ``never_seen`` and ``identify_seen`` are about events (the
        collector's API since its first version); traits are under ``traits``."""
        return {
            "planned": self.events.planned,
            "seen": self.events.seen,
            "never_seen": list(self.events.never_seen),
            "identify_seen": self.identify > 0,
            "identify": self.identify,
            "events": self.events.counts,
            "unplanned_events": self.events.unplanned,
            "traits": {
                "planned": self.traits.planned,
                "seen": self.traits.seen,
                "never_seen": list(self.traits.never_seen),
                "counts": self.traits.counts,
                "unplanned": self.traits.unplanned,
            },
        }


def report(plan: ir.Plan, coverage: Coverage) -> Report:
    """What ``coverage`` says about ``plan``."""
    events = frozenset(e.name for e in plan.events if e.doc.deprecated)
    traits = frozenset(t.name for t in plan.traits if t.doc.deprecated)
    return Report(
        Names.of([e.name for e in plan.events], coverage.events, coverage.unplanned_events, events),
        Names.of([t.name for t in plan.traits], coverage.traits, coverage.unplanned_traits, traits),
        coverage.identify,
    )


def _sorted(counts: Counter[str]) -> dict[str, int]:
    """Most sent first, then by name: the order of every output."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def group(counts: dict[str, Any], name: str) -> str:
    """``name``, or "(other)" once ``GROUPS`` names are counted; long names are clipped. The
    one grouping rule of every count by name (the summary's too)."""
    if name in counts:
        return name
    if len(counts) >= GROUPS:
        return OTHER
    return name if len(name) <= 200 else name[:200] + "…"
