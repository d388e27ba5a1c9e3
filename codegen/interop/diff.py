"""What changed between two versions of a plan, how bad each change is, and the semver bump it
needs. Breaking: producers or consumers that followed the old plan can fail. Compatible: only
additions and loosenings. Doc: descriptions, examples, owners, tags, deprecations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..plan import ir
from ..plan.names import loose_key
from .audience import message_changes, renamed_segments, segment_changes, with_segments_renamed
from .changes import SEVERITY, Change

__all__ = ["SEVERITY", "Change", "Report", "diff_plans", "version_bump"]
BUMPS = {"breaking": "major", "compatible": "minor", "doc": "patch"}
_BUMP_ORDER = ["none", "patch", "minor", "major"]


@dataclass(frozen=True)
class Report:
    changes: tuple[Change, ...]
    old_version: str
    new_version: str

    @property
    def required(self) -> str:
        worst = max((SEVERITY[c.kind] for c in self.changes), default=0)
        return next((BUMPS[k] for k, v in SEVERITY.items() if v == worst), "none")

    @property
    def declared(self) -> str:
        return version_bump(self.old_version, self.new_version)

    @property
    def version_ok(self) -> bool:
        declared = self.declared
        if declared == "lower":
            return False
        return _BUMP_ORDER.index(declared) >= _BUMP_ORDER.index(self.required)


def version_bump(old: str, new: str) -> str:
    """``major``/``minor``/``patch``/``none``, or ``lower`` when the version went down, by
    semver precedence: ``2.0.0-rc.1`` < ``2.0.0-rc.10`` < ``2.0.0``, build metadata ignored. The
    same numbers with another pre-release (``2.0.0-rc.1`` → ``2.0.0``) are a ``patch``."""
    a, b = _precedence(old), _precedence(new)
    if b < a:
        return "lower"
    if b[0] > a[0]:
        return "major"
    if b[1] > a[1]:
        return "minor"
    if b > a:
        return "patch"
    return "none"


def _precedence(version: str) -> tuple[int, int, int, tuple[tuple[int, int | str], ...]]:
    """Semver precedence: numbers, then a release above any of its pre-releases, whose dotted
    identifiers compare numerically when numeric, below text otherwise."""
    match = re.match(r"(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?", version)
    if not match:
        return (0, 0, 0, ((1, version),))
    pre = match[4]
    if pre is None:
        rank: tuple[tuple[int, int | str], ...] = ((2, ""),)  # a release: above every pre-release
    else:
        rank = tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split("."))
    return int(match[1]), int(match[2]), int(match[3]), rank


def diff_plans(old: ir.Plan, new: ir.Plan) -> Report:
    changes: list[Change] = []
    changes += _named(
        "events", {e.name: e for e in old.events}, {e.name: e for e in new.events}, _event_changes
    )
    changes += _named(
        "types", {t.name: t for t in old.types}, {t.name: t for t in new.types}, _type_changes
    )
    changes += list(_fields("traits", old.traits, new.traits))
    changes += list(_identity(old.identity, new.identity))
    changes += list(_maintained(old, new))
    renames = renamed_segments(old, new)
    for before, after in renames.items():
        changes.append(
            Change(
                "compatible",
                f"segments.{after}",
                f"renamed from `{before}`, conditions unchanged: the same audience (links to its "
                "docs page change)",
                "segment-renamed",
                "no one joins or leaves: messages and segments that used the old id follow it",
            )
        )
    old = with_segments_renamed(old, renames)
    changes += _named(
        "segments",
        {s.id: s for s in old.segments},
        {s.id: s for s in new.segments},
        segment_changes,
        added="compatible",
        removed="compatible",
    )
    changes += _named(
        "messages",
        {m.id: m for m in old.messages},
        {m.id: m for m in new.messages},
        message_changes,
        added="compatible",
        removed="compatible",
    )
    if (old.name, old.doc) != (new.name, new.doc):
        changes.append(Change("doc", "plan", "plan name or description changed"))
    money = ("default_currency", "locale")
    if [getattr(old.commerce, k) for k in money] != [getattr(new.commerce, k) for k in money]:
        changes.append(
            Change(
                "compatible",
                "plan",
                f"money formatting changed: currency {old.commerce.default_currency!r} → "
                f"{new.commerce.default_currency!r}, locale {old.commerce.locale!r} → "
                f"{new.commerce.locale!r} (regenerate the Liquid samples)",
            )
        )
    return Report(tuple(changes), old.version, new.version)


def _maintained(old: ir.Plan, new: ir.Plan) -> Iterator[Change]:
    """``maintained_by`` added, removed or changed on a trait both plans have: what the docs
    promise producers keep current, and what the audit checks (``stale_trait``)."""
    before = {m.trait: m for m in old.maintained}
    after = {m.trait: m for m in new.maintained}
    kept = {t.name for t in old.traits} & {t.name for t in new.traits}
    for trait in sorted(kept & (before.keys() | after.keys())):
        a, b = before.get(trait), after.get(trait)
        if a == b:
            continue
        was = a.describe() if a else "not maintained by events"
        now = b.describe() if b else "not maintained by events"
        yield Change("doc", f"traits.{trait}.maintained_by", f"maintained_by: {was} → {now}")


def _named(
    section: str,
    old: dict[str, object],
    new: dict[str, object],
    compare: object,
    added: str = "compatible",
    removed: str = "breaking",
) -> list[Change]:
    out: list[Change] = []
    gone = [n for n in old if n not in new]
    came = [n for n in new if n not in old]
    renamed = {g: c for g in gone for c in came if loose_key(g) == loose_key(c)}
    for name in gone:
        if name in renamed:
            out.append(
                Change(
                    "breaking",
                    f"{section}.{renamed[name]}",
                    f"renamed from `{name}`: producers sending the old name break",
                )
            )
        else:
            out.append(Change(removed, f"{section}.{name}", f"removed `{name}`"))
    for name in came:
        if name not in renamed.values():
            out.append(Change(added, f"{section}.{name}", f"added `{name}`"))
    for name in old:
        if name in new:
            out += list(compare(f"{section}.{name}", old[name], new[name]))  # type: ignore[operator]
    return out


def _event_changes(path: str, old: ir.Event, new: ir.Event) -> Iterator[Change]:
    if old.doc != new.doc:
        yield Change("doc", path, "description, owner, tags or deprecation changed")
    if old.additional_properties and not new.additional_properties:
        yield Change("breaking", path, "no longer accepts unplanned properties")
    elif new.additional_properties and not old.additional_properties:
        yield Change("compatible", path, "now accepts unplanned properties")
    yield from _fields(f"{path}.properties", old.fields, new.fields)


def _type_changes(path: str, old: ir.ObjectType, new: ir.ObjectType) -> Iterator[Change]:
    if old.doc != new.doc:
        yield Change("doc", path, "description changed")
    if old.additional_properties != new.additional_properties:
        kind = "breaking" if old.additional_properties else "compatible"
        yield Change(
            kind,
            path,
            "unplanned fields " + ("no longer" if kind == "breaking" else "now") + " accepted",
        )
    yield from _fields(f"{path}.properties", old.fields, new.fields)


def _fields(path: str, old: tuple[ir.Field, ...], new: tuple[ir.Field, ...]) -> Iterator[Change]:
    before, after = {f.name: f for f in old}, {f.name: f for f in new}
    gone = [n for n in before if n not in after]
    came = [n for n in after if n not in before]
    renamed = {g: c for g in gone for c in came if loose_key(g) == loose_key(c)}
    for name in gone:
        if name in renamed:
            yield Change("breaking", f"{path}.{renamed[name]}", f"renamed from `{name}`")
        else:
            yield Change("breaking", f"{path}.{name}", f"property `{name}` removed")
    for name in came:
        if name in renamed.values():
            continue
        kind = "breaking" if after[name].required else "compatible"
        yield Change(
            kind,
            f"{path}.{name}",
            f"{'required' if after[name].required else 'optional'} property added",
        )
    for name in before:
        if name in after:
            yield from _field(f"{path}.{name}", before[name], after[name])


def _field(path: str, old: ir.Field, new: ir.Field) -> Iterator[Change]:
    if old.required != new.required:
        yield Change(
            "breaking",
            path,
            (
                "optional → required"
                if new.required
                else "required → optional (templates and segments may rely on it)"
            ),
        )
    if old.doc != new.doc:
        yield Change("doc", path, "description, examples or deprecation changed")
    if old.stored_as and new.stored_as and old.stored_as != new.stored_as:
        yield Change(
            "breaking",
            path,
            f"stored in Customer.io as {new.stored_as} (was {old.stored_as})",
            "storage-changed",
            "timestamp conditions match only Unix seconds, and existing profiles keep the old "
            "form until the trait is sent again",
        )
    yield from _type(path, old.type, new.type)


def _type(path: str, old: ir.FieldType, new: ir.FieldType) -> Iterator[Change]:
    if (old.kind, old.type_ref, old.variants) != (new.kind, new.type_ref, new.variants):
        yield Change("breaking", path, f"type changed: {old.describe()} → {new.describe()}")
        return
    if old.nullable != new.nullable:
        yield Change(
            "compatible" if new.nullable else "breaking",
            path,
            "now nullable" if new.nullable else "no longer nullable",
        )
    yield from _bounds(path, old.bounds, new.bounds)
    if old.kind is ir.Kind.ARRAY and old.items is not None and new.items is not None:
        yield from _type(f"{path}[]", old.items, new.items)
    elif old.kind is ir.Kind.ARRAY and (old.items is None) != (new.items is None):
        yield Change("breaking" if new.items else "compatible", path, "item type changed")
    if old.fields or new.fields:
        yield from _fields(path, old.fields, new.fields)
    if old.additional_properties != new.additional_properties and old.kind is ir.Kind.OBJECT:
        yield Change(
            "breaking" if old.additional_properties else "compatible",
            path,
            "unplanned fields "
            + ("no longer" if old.additional_properties else "now")
            + " accepted",
        )


_LOWER = ("minimum", "exclusive_minimum", "min_length", "min_items")
_UPPER = ("maximum", "exclusive_maximum", "max_length", "max_items")


def _bounds(path: str, old: ir.Bounds, new: ir.Bounds) -> Iterator[Change]:
    if old.enum != new.enum:
        if old.enum is None:
            yield Change("breaking", path, "now restricted to an enum")
        elif new.enum is None:
            yield Change("compatible", path, "enum restriction removed")
        else:
            removed = [v for v in old.enum if v not in new.enum]
            added = [v for v in new.enum if v not in old.enum]
            if removed:
                yield Change("breaking", path, f"enum values removed: {_list(removed)}")
            if added:
                yield Change("compatible", path, f"enum values added: {_list(added)}")
    for attr in ("pattern", "format"):
        a, b = getattr(old, attr), getattr(new, attr)
        if a != b:
            kind = "compatible" if b is None else "breaking"
            yield Change(
                kind, path, f"{attr} {'removed' if b is None else 'changed'}: {a!r} → {b!r}"
            )
    for attr in (*_LOWER, *_UPPER):
        a, b = getattr(old, attr), getattr(new, attr)
        if a == b:
            continue
        if a is None:
            kind = "breaking"
        elif b is None:
            kind = "compatible"
        elif attr in _LOWER:
            kind = "breaking" if b > a else "compatible"
        else:
            kind = "breaking" if b < a else "compatible"
        word = "tightened" if kind == "breaking" else "loosened"
        yield Change(kind, path, f"{attr} {word}: {a} → {b}")
    if old.unique_items != new.unique_items:
        yield Change(
            "breaking" if new.unique_items else "compatible",
            path,
            "unique items " + ("required" if new.unique_items else "no longer required"),
        )


def _identity(old: ir.Identity, new: ir.Identity) -> Iterator[Change]:
    if old.primary_id != new.primary_id:
        yield Change(
            "breaking",
            "identity.primary_id",
            f"userId now carries {new.primary_id!r} (was {old.primary_id!r})",
        )
    if old.user_id_pattern != new.user_id_pattern:
        kind = "compatible" if new.user_id_pattern is None else "breaking"
        yield Change(
            kind,
            "identity.user_id_pattern",
            f"userId pattern {old.user_id_pattern!r} → {new.user_id_pattern!r}",
        )
    for name in old.anonymous_allowed:
        if name not in new.anonymous_allowed:
            yield Change(
                "breaking", "identity.anonymous_allowed", f"`{name}` now requires a known person"
            )
    for name in new.anonymous_allowed:
        if name not in old.anonymous_allowed:
            yield Change(
                "compatible", "identity.anonymous_allowed", f"`{name}` may now be sent anonymously"
            )


def _list(values: list[ir.Scalar]) -> str:
    return ", ".join(f"`{v}`" for v in values)
