"""Condition-level changes of segments and messages, and what each does to a live campaign.

A change that **narrows** an audience is breaking: people already in a running campaign leave
it (a segment-triggered campaign stops for them, a filter drops their next message). One that
**widens** it is compatible: people who did not qualify start receiving the campaign, which is
what adding an `any` branch means to do. One whose direction cannot be told (operator, event or
value replaced) is breaking: it changes who matches.

Conditions are matched by what they test (the event and performed/not, the trait, the segment),
not by position, so reordering is no change; nor is spelling the same test another way
(``60 minutes`` for ``1 hour``, an ``in`` list reordered, an ``all`` nested in an ``all``, a
group of one condition): :func:`canonical` is what is compared. Inside ``not_performed`` (and
``any``) the direction turns around: a longer "has not performed X in N days" window excludes
more people.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from ..plan import ir
from .changes import Change

NARROWS = (
    "breaking",
    "narrows the audience: people already in a running campaign drop out of it",
)
WIDENS = (
    "compatible",
    "widens the audience: people who did not qualify before start receiving the campaign",
)
CHANGES = ("breaking", "changes who matches: check the running campaign's audience first")


@dataclass(frozen=True)
class _Effect:
    """How a change moves the audience: narrows (True), widens (False), or cannot tell."""

    narrows: bool | None

    def flipped(self, flip: bool) -> _Effect:
        return _Effect(None if self.narrows is None else self.narrows != flip)

    def verdict(self) -> tuple[str, str]:
        return CHANGES if self.narrows is None else NARROWS if self.narrows else WIDENS


def _change(path: str, category: str, message: str, effect: _Effect) -> Change:
    kind, reason = effect.verdict()
    return Change(kind, path, message, category, reason)


# -- segments ------------------------------------------------------------------------------------


def renamed_segments(old: ir.Plan, new: ir.Plan) -> dict[str, str]:
    """Segments whose id changed and nothing else that decides membership (kind, conditions):
    the same audience, old id → new id."""
    old_ids, new_ids = {s.id for s in old.segments}, {s.id for s in new.segments}
    came = [s for s in new.segments if s.id not in old_ids]
    renames: dict[str, str] = {}
    for gone in (s for s in old.segments if s.id not in new_ids):
        test = (gone.kind, canonical(gone.condition))
        hit = next(
            (
                c
                for c in came
                if c.id not in renames.values() and (c.kind, canonical(c.condition)) == test
            ),
            None,
        )
        if hit is not None:
            renames[gone.id] = hit.id
    return renames


def with_segments_renamed(plan: ir.Plan, renames: Mapping[str, str]) -> ir.Plan:
    """``plan`` with its segments' ids, the segment conditions and the messages' audiences that
    name them, renamed: what is left to compare after a rename is the rest of the change."""
    if not renames:
        return plan
    segments = tuple(
        replace(s, id=renames.get(s.id, s.id), condition=_refs(s.condition, renames))
        for s in plan.segments
    )
    messages = tuple(
        replace(m, audience=renames.get(m.audience, m.audience)) if m.audience else m
        for m in plan.messages
    )
    return replace(plan, segments=segments, messages=messages)


def _refs(c: ir.Condition | None, renames: Mapping[str, str]) -> ir.Condition | None:
    if isinstance(c, ir.SegmentCondition):
        return replace(c, segment=renames.get(c.segment, c.segment))
    if isinstance(c, ir.Group):
        children = tuple(_refs(child, renames) for child in c.children)
        return replace(c, children=tuple(child for child in children if child is not None))
    return c


def segment_changes(path: str, old: ir.Segment, new: ir.Segment) -> Iterator[Change]:
    if (old.name, old.doc, old.qa) != (new.name, new.doc, new.qa):
        yield Change("doc", path, "name, description, owner or QA flag changed")
    if old.kind != new.kind:
        yield _change(path, "kind-changed", f"kind changed: {old.kind} → {new.kind}", _Effect(None))
        return
    yield from _node(f"{path}.conditions", old.condition, new.condition, flip=False)


def canonical(c: ir.Condition | None) -> object:
    """What a condition tests, in one spelling: windows in seconds, ``in`` lists and a group's
    children as sets, a group nested in a group of the same mode spliced in, a group of one
    condition that condition. Two conditions with equal canonical forms match the same people."""
    match c:
        case None:
            return None
        case ir.EventCondition():
            filters = frozenset((f.path, _canonical_comparison(f.comparison)) for f in c.filters)
            window = c.window.seconds if c.window else None
            return ("event", c.event, c.performed, window, c.count_operator, c.count, filters)
        case ir.TraitCondition():
            return ("trait", c.trait, _canonical_comparison(c.comparison))
        case ir.SegmentCondition():
            return ("segment", c.segment, c.member)
        case ir.Group():
            children = frozenset(_spliced(c.mode, c.children))
            if len(children) == 1:
                return next(iter(children))
            return ("group", c.mode, children)


def _spliced(mode: str, children: Sequence[ir.Condition]) -> Iterator[object]:
    for child in children:
        if isinstance(child, ir.Group) and (child.mode == mode or len(child.children) == 1):
            yield from _spliced(mode, child.children)
        else:
            yield canonical(child)


def _canonical_comparison(c: ir.Comparison) -> object:
    value = c.value
    if isinstance(value, ir.Window):
        return (c.operator, value.seconds)
    if isinstance(value, tuple):
        return (c.operator, frozenset(_tagged(v) for v in value))
    return (c.operator, _tagged(value))


def _tagged(value: object) -> object:
    """A value with its type: ``true`` is not ``1``, though Python finds them equal."""
    return (type(value).__name__ if isinstance(value, bool | str) else "number", value)


def _node(
    path: str, old: ir.Condition | None, new: ir.Condition | None, flip: bool
) -> Iterator[Change]:
    if canonical(old) == canonical(new):
        return
    if old is None or new is None:
        added = old is None
        yield _change(
            path,
            "condition-added" if added else "condition-removed",
            "conditions added" if added else "conditions removed",
            _Effect(added).flipped(flip),
        )
        return
    if isinstance(old, ir.Group) or isinstance(new, ir.Group):
        yield from _group(path, _as_group(old, new), _as_group(new, old), flip)
        return
    yield from _leaf(path, old, new, flip)


def _as_group(node: ir.Condition, other: ir.Condition) -> ir.Group:
    """A single condition compared with a group is that group's mode with one child."""
    if isinstance(node, ir.Group):
        return node
    mode = other.mode if isinstance(other, ir.Group) else "all"
    return ir.Group(mode, (node,))


def _group(path: str, old: ir.Group, new: ir.Group, flip: bool) -> Iterator[Change]:
    if old.mode != new.mode:
        yield _change(
            path,
            "operator-changed",
            f"match {old.mode.upper()} → match {new.mode.upper()}",
            # all → any widens, any → all narrows (for two or more children)
            _Effect(new.mode == "all").flipped(flip),
        )
        return
    # under `all` a condition more narrows; under `any` it widens
    more_narrows = new.mode == "all"
    pairs, gone, came = _match(old.children, new.children)
    for (_, a), (j, b) in pairs:
        yield from _node(f"{path}.{new.mode}[{j}]", a, b, flip)
    replaced = _same_kind(gone, came)
    for (_, a), (j, b) in replaced:
        yield from _replaced(f"{path}.{new.mode}[{j}]", a, b)
    gone = [g for g in gone if all(g is not r[0] for r in replaced)]
    came = [c for c in came if all(c is not r[1] for r in replaced)]
    for i, a in gone:
        yield _change(
            f"{path}.{old.mode}[{i}]",
            "condition-removed",
            f"condition removed: {_describe(a)}",
            _Effect(not more_narrows).flipped(flip),
        )
    for j, b in came:
        yield _change(
            f"{path}.{new.mode}[{j}]",
            "condition-added",
            f"condition added: {_describe(b)}",
            _Effect(more_narrows).flipped(flip),
        )


Indexed = tuple[int, ir.Condition]


def _match(
    old: Sequence[ir.Condition], new: Sequence[ir.Condition]
) -> tuple[list[tuple[Indexed, Indexed]], list[Indexed], list[Indexed]]:
    """Pairs of children that test the same thing (unchanged ones first, then in order), then
    the unpaired ones."""
    pairs: list[tuple[Indexed, Indexed]] = []
    unused = list(enumerate(new))
    left = list(enumerate(old))
    for same in (_unchanged, _same_test):
        rest: list[Indexed] = []
        for i, a in left:
            hit = next((k for k, (_, b) in enumerate(unused) if same(a, b)), None)
            if hit is None:
                rest.append((i, a))
            else:
                pairs.append(((i, a), unused.pop(hit)))
        left = rest
    pairs.sort(key=lambda pair: pair[1][0])
    return pairs, left, unused


def _unchanged(a: ir.Condition, b: ir.Condition) -> bool:
    return canonical(a) == canonical(b)


def _same_test(a: ir.Condition, b: ir.Condition) -> bool:
    return _key(a) == _key(b)


def _same_kind(gone: list[Indexed], came: list[Indexed]) -> list[tuple[Indexed, Indexed]]:
    """Unpaired children, old and new, of the same kind: one took the other's place."""
    out: list[tuple[Indexed, Indexed]] = []
    free = list(came)
    for g in gone:
        hit = next((c for c in free if type(c[1]) is type(g[1])), None)
        if hit is not None:
            free.remove(hit)
            out.append((g, hit))
    return out


def _key(c: ir.Condition) -> tuple[object, ...]:
    match c:
        case ir.EventCondition():
            return ("event", c.event, c.performed)
        case ir.TraitCondition():
            return ("trait", c.trait)
        case ir.SegmentCondition():
            return ("segment", c.segment)
        case ir.Group():
            return ("group", c.mode)


def _replaced(path: str, old: ir.Condition, new: ir.Condition) -> Iterator[Change]:
    """A condition in the place of another: the event, trait or segment it tests changed."""
    if isinstance(old, ir.EventCondition) and isinstance(new, ir.EventCondition):
        if old.event != new.event:
            yield _change(
                path,
                "event-changed",
                f"event changed: {old.event} → {new.event}",
                _Effect(None),
            )
            return
        yield _change(
            path,
            "operator-changed",
            f"{_performed(old)} → {_performed(new)} {new.event}",
            _Effect(None),
        )
        return
    if isinstance(old, ir.TraitCondition) and isinstance(new, ir.TraitCondition):
        message = f"trait changed: {old.trait} → {new.trait}"
        yield _change(path, "trait-changed", message, _Effect(None))
        return
    if isinstance(old, ir.SegmentCondition) and isinstance(new, ir.SegmentCondition):
        message = f"segment changed: {old.segment} → {new.segment}"
        yield _change(path, "segment-changed", message, _Effect(None))
        return
    message = f"condition replaced: {_describe(old)} → {_describe(new)}"
    yield _change(path, "condition-replaced", message, _Effect(None))


def _leaf(path: str, old: ir.Condition, new: ir.Condition, flip: bool) -> Iterator[Change]:
    if _key(old) != _key(new):
        yield from _replaced(path, old, new)
    elif isinstance(old, ir.EventCondition) and isinstance(new, ir.EventCondition):
        yield from _event(path, old, new, flip)
    elif isinstance(old, ir.TraitCondition) and isinstance(new, ir.TraitCondition):
        yield from _comparison(path, old.comparison, new.comparison, flip)
    elif (
        isinstance(old, ir.SegmentCondition)
        and isinstance(new, ir.SegmentCondition)
        and old.member != new.member
    ):
        yield _change(
            path, "operator-changed", f"{_describe(old)} → {_describe(new)}", _Effect(None)
        )


def _event(
    path: str, old: ir.EventCondition, new: ir.EventCondition, flip: bool
) -> Iterator[Change]:
    # "has not performed" excludes: what narrows "performed" widens it
    flip = flip != (not new.performed)
    if (old.window and old.window.seconds) != (new.window and new.window.seconds):
        yield _window(path, old.window, new.window, flip)
    if (old.count_operator, old.count) != (new.count_operator, new.count):
        yield _count(path, old, new, flip)
    pairs, gone, came = _filters(old.filters, new.filters)
    for a, b in pairs:
        where = f"{path}.where.{'.'.join(b.path)}"
        yield from _comparison(where, a.comparison, b.comparison, flip)
    for a in gone:
        yield _change(
            f"{path}.where.{'.'.join(a.path)}",
            "condition-removed",
            f"event property filter removed: {'.'.join(a.path)}",
            _Effect(False).flipped(flip),
        )
    for b in came:
        yield _change(
            f"{path}.where.{'.'.join(b.path)}",
            "condition-added",
            f"event property filter added: {'.'.join(b.path)}",
            _Effect(True).flipped(flip),
        )


def _filters(old: Sequence[ir.PropertyFilter], new: Sequence[ir.PropertyFilter]) -> tuple[
    list[tuple[ir.PropertyFilter, ir.PropertyFilter]],
    list[ir.PropertyFilter],
    list[ir.PropertyFilter],
]:
    after = {f.path: f for f in new}
    before = {f.path: f for f in old}
    pairs = [
        (f, after[f.path])
        for f in old
        if f.path in after
        and _canonical_comparison(f.comparison) != _canonical_comparison(after[f.path].comparison)
    ]
    gone = [f for f in old if f.path not in after]
    came = [f for f in new if f.path not in before]
    return pairs, gone, came


def _window(path: str, old: ir.Window | None, new: ir.Window | None, flip: bool) -> Change:
    if old is None or new is None:
        added = old is None
        return _change(
            path,
            "window-added" if added else "window-removed",
            f"time window {'added: ' + str(new) if added else 'removed: was ' + str(old)}",
            _Effect(added).flipped(flip),
        )
    shorter = new.seconds < old.seconds
    return _change(
        path,
        "window-shortened" if shorter else "window-lengthened",
        f"window {'shortened' if shorter else 'lengthened'}: {old} → {new}",
        _Effect(shorter).flipped(flip),
    )


def _count(path: str, old: ir.EventCondition, new: ir.EventCondition, flip: bool) -> Change:
    before = f"{old.count_operator} {old.count}" if old.count_operator else "any number"
    after = f"{new.count_operator} {new.count}" if new.count_operator else "any number"
    effect = _Effect(None)
    if old.count_operator == new.count_operator == "at_least":
        effect = _Effect((new.count or 0) > (old.count or 0))
    elif old.count_operator == new.count_operator == "at_most":
        effect = _Effect((new.count or 0) < (old.count or 0))
    elif old.count_operator is None:
        effect = _Effect(True)
    elif new.count_operator is None:
        effect = _Effect(False)
    category = "value-changed" if old.count_operator == new.count_operator else "operator-changed"
    return _change(path, category, f"count changed: {before} → {after}", effect.flipped(flip))


def _comparison(path: str, old: ir.Comparison, new: ir.Comparison, flip: bool) -> Iterator[Change]:
    if _canonical_comparison(old) == _canonical_comparison(new):
        return
    if old.operator != new.operator:
        yield _change(
            path,
            "operator-changed",
            f"operator changed: {_show(old)} → {_show(new)}",
            _Effect(None),
        )
        return
    if old.operator == "within" and isinstance(old.value, ir.Window):
        new_window = new.value if isinstance(new.value, ir.Window) else None
        yield _window(path, old.value, new_window, flip)
        return
    yield _change(
        path,
        "value-changed",
        f"value changed: {_show(old)} → {_show(new)}",
        _value_effect(old, new).flipped(flip),
    )


def _value_effect(old: ir.Comparison, new: ir.Comparison) -> _Effect:
    a, b = old.value, new.value
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
    if numeric and old.operator in ("greater_than", "less_than"):
        bigger = b > a  # type: ignore[operator]
        return _Effect(bigger if old.operator == "greater_than" else not bigger)
    if isinstance(a, tuple) and isinstance(b, tuple) and old.operator in ("in", "not_in"):
        fewer, more = set(a) - set(b), set(b) - set(a)
        if fewer and more:
            return _Effect(None)
        return _Effect(bool(fewer) == (old.operator == "in"))
    return _Effect(None)


# -- messages ------------------------------------------------------------------------------------


def message_changes(path: str, old: ir.Message, new: ir.Message) -> Iterator[Change]:
    if (old.name, old.subject, old.doc) != (new.name, new.subject, new.doc):
        yield Change("doc", path, "name, subject or description changed")
    if old.channel != new.channel:
        message = f"channel changed: {old.channel} → {new.channel}"
        yield _change(path, "channel-changed", message, _Effect(None))
    if old.trigger != new.trigger:
        yield _change(
            f"{path}.trigger",
            "event-changed",
            f"trigger changed: {old.trigger or 'a segment'} → {new.trigger or 'a segment'}",
            _Effect(None),
        )
    if old.audience != new.audience:
        effect = _Effect(True if old.audience is None else False if new.audience is None else None)
        yield _change(
            f"{path}.audience",
            "audience-changed",
            f"audience changed: {old.audience or 'everyone'} → {new.audience or 'everyone'}",
            effect,
        )
    gone = [f for f in old.fields if f not in new.fields]
    came = [f for f in new.fields if f not in old.fields]
    if gone or came:
        shown = ", ".join([*(f"-{f}" for f in gone), *(f"+{f}" for f in came)])
        yield Change(
            "compatible",
            f"{path}.fields",
            f"fields shown changed: {shown}",
            "fields-changed",
            "regenerate the Liquid sample and update the message in Customer.io",
        )


# -- wording -------------------------------------------------------------------------------------


def _performed(c: ir.EventCondition) -> str:
    return "performed" if c.performed else "not performed"


def _describe(c: ir.Condition) -> str:
    match c:
        case ir.EventCondition():
            window = f" within {c.window}" if c.window else ""
            return f"{_performed(c)} {c.event}{window}"
        case ir.TraitCondition():
            return f"trait {c.trait} {_show(c.comparison)}"
        case ir.SegmentCondition():
            return f"{'in' if c.member else 'not in'} segment {c.segment}"
        case ir.Group():
            return f"match {c.mode.upper()} of {len(c.children)}"


def _show(c: ir.Comparison) -> str:
    value = c.value
    if isinstance(value, tuple):
        text = "[" + ", ".join(map(str, value)) + "]"
    elif isinstance(value, bool):
        text = str(value).lower()
    else:
        text = str(value)
    return f"{c.operator} {text}"
