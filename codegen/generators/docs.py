"""Markdown for the team wiki: event catalog, traits, data dictionary, segments, messages.

Pages link to each other with relative paths inside ``docs/`` only, so the folder can be copied to
a wiki or read on GitHub as is. Plan text reaches the pages through the Markdown filters.
"""

from __future__ import annotations

import dataclasses
import json
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..config import Options
from ..plan import ir, profile_rules
from ..plan.names import file_stem
from . import liquid
from .cache import per_event
from .render import render
from .samples import Sampler, unix_seconds


@dataclass(frozen=True)
class Row:
    """One property row of a table (nested fields flattened to ``products[].sku``)."""

    name: str
    type: str
    required: bool
    allowed: tuple[str, ...]
    constraints: str
    example: str
    description: str
    deprecated: str | None
    depth: int
    maintained: str = ""  # traits: what keeps it current (``count of Order Completed``)


@dataclass(frozen=True)
class CommerceView:
    """An event's commerce meaning, as resolved in the ir (template context of event pages)."""

    role: str  # purchase | checkout | cart
    declared: bool  # from the plan's `role:`; else inferred from its properties
    properties: tuple[tuple[str, str], ...]  # (what, property name): "Order id", "order_id"


def commerce_view(event: ir.Event) -> CommerceView | None:
    """None for events with no commerce role and no money."""
    c = event.commerce
    if c.role is ir.Role.OTHER and not c.money:
        return None
    named = [
        *(("Money", m) for m in c.money),
        ("Order id", c.order_id),
        ("Checkout id", c.checkout_id),
        ("Cart id", c.cart_id),
        ("Currency", c.currency),
        ("Line items", c.line_items),
    ]
    return CommerceView(
        c.role.value, c.declared, tuple((what, n) for what, n in named if n is not None)
    )


@dataclass
class Usage:
    """Where each event, trait and segment is used (filled by walking segments and messages)."""

    event_segments: dict[str, list[str]] = field(default_factory=dict)
    event_messages: dict[str, list[str]] = field(default_factory=dict)
    trait_segments: dict[str, list[str]] = field(default_factory=dict)
    trait_messages: dict[str, list[str]] = field(default_factory=dict)
    segment_messages: dict[str, list[str]] = field(default_factory=dict)
    segment_segments: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Link:
    """A cross-reference: its text (plan text, escaped by the template) and target page."""

    kind: str  # segment | message
    text: str
    target: str


def used_by(plan: ir.Plan, usage: Usage, kind: str, name: str) -> list[Link]:
    """Segments, then messages, that use an event, trait or segment."""
    segments = {
        "event": usage.event_segments,
        "trait": usage.trait_segments,
        "segment": usage.segment_segments,
    }[kind].get(name, [])
    messages = {
        "event": usage.event_messages,
        "trait": usage.trait_messages,
        "segment": usage.segment_messages,
    }[kind].get(name, [])
    links = []
    for segment_id in dict.fromkeys(segments):
        segment = plan.segment(segment_id)
        links.append(
            Link("segment", segment.name if segment else segment_id, segment_page(segment_id))
        )
    names = {m.id: m.name for m in plan.messages}
    for message_id in dict.fromkeys(messages):
        links.append(
            Link(
                "message",
                names.get(message_id, message_id),
                f"messages.md#{anchor('message', message_id)}",
            )
        )
    return links


def generate(plan: ir.Plan, options: Options) -> dict[str, str]:
    usage = _usage(plan)
    sampler = Sampler(plan)
    common = {
        "plan": plan,
        "usage": usage,
        "href": href,
        "kind": condition_kind,
        "event_page": event_page,
        "segment_page": segment_page,
        "anchor": anchor,
        "describe": describe_type,
        "used_by": lambda kind, name: used_by(plan, usage, kind, name),
        "rules": profile_rules,  # what Customer.io does, as `codegen simulate` computes it
        "unix": unix_seconds,
    }
    out = {
        "docs/index.md": render("docs/index.md.j2", options.templates, page="index.md", **common),
        "docs/traits.md": render(
            "docs/traits.md.j2",
            options.templates,
            page="traits.md",
            rows=trait_rows(plan),
            **common,
        ),
        "docs/dictionary.md": render(
            "docs/dictionary.md.j2",
            options.templates,
            page="dictionary.md",
            library=rows(plan.library, plan),
            types=[(t, rows(t.fields, plan)) for t in plan.types],
            **common,
        ),
        "docs/events/index.md": render(
            "docs/events_index.md.j2", options.templates, page="events/index.md", **common
        ),
        "docs/segments/index.md": render(
            "docs/segments_index.md.j2", options.templates, page="segments/index.md", **common
        ),
        "docs/messages.md": render(
            "docs/messages.md.j2",
            options.templates,
            page="messages.md",
            templates={m.id: liquid.generate_one(plan, m, options) for m in plan.messages},
            **common,
        ),
    }
    for event in plan.events:
        page = event_page(event.name, plan)

        def event_doc(page: str = page, event: ir.Event = event) -> str:
            return render(
                "docs/event.md.j2",
                options.templates,
                page=page,
                event=event,
                commerce=commerce_view(event),
                rows=rows(event.fields, plan),
                sample=json.dumps(
                    sampler.track(event, anonymous=event.anonymous_allowed),
                    indent=2,
                    ensure_ascii=False,
                ),
                **common,
            )

        # Rendered only when the event, or what every page reads, changed.
        out[f"docs/{page}"] = per_event("doc-event", event, event_doc, f"docs/{page}")
    for segment in plan.segments:
        page = segment_page(segment.id)
        out[f"docs/{page}"] = render(
            "docs/segment.md.j2",
            options.templates,
            page=page,
            segment=segment,
            depends=list(_dependencies(plan, segment.condition)),
            windows=list(_windows(segment.condition)),
            **common,
        )
    out["mkdocs.yml"] = render("docs/mkdocs.yml.j2", options.templates, **common)
    return out


# -- links -------------------------------------------------------------------------------------


def event_page(name: str, plan: ir.Plan) -> str:
    stem = _stems(plan).get(name)
    return f"events/{stem if stem is not None else file_stem(name)}.md"


_last_stems: tuple[ir.Plan, dict[str, str]] | None = None


def _stems(plan: ir.Plan) -> dict[str, str]:
    """``{event: code name}`` of the plan last asked about (pages link every event: a search
    per link made the docs quadratic in the number of events)."""
    global _last_stems
    if _last_stems is None or _last_stems[0] is not plan:
        _last_stems = (plan, {e.name: e.code_name for e in plan.events})
    return _last_stems[1]


def segment_page(segment_id: str) -> str:
    return f"segments/{segment_id}.md"


def href(from_page: str, to: str) -> str:
    """Relative link from one page to another (``to`` may carry a ``#fragment``)."""
    target, _, fragment = to.partition("#")
    path = posixpath.relpath(target, posixpath.dirname(from_page) or ".")
    return path + (f"#{fragment}" if fragment else "")


def anchor(kind: str, name: str) -> str:
    """Stable HTML anchor ids: ``trait-first_name``, ``type-product``."""
    return f"{kind}-{file_stem(name)}"


# -- tables ------------------------------------------------------------------------------------


def trait_rows(plan: ir.Plan) -> list[Row]:
    """The traits' rows, each saying which events maintain it."""
    out = []
    for row in rows(plan.traits, plan):
        maintained = plan.maintainer(row.name) if not row.depth else None
        out.append(
            dataclasses.replace(row, maintained=maintained.describe()) if maintained else row
        )
    return out


def rows(
    fields: tuple[ir.Field, ...], plan: ir.Plan, prefix: str = "", depth: int = 0
) -> list[Row]:
    out = []
    for f in fields:
        t = f.type
        item = t.items if t.kind is ir.Kind.ARRAY and t.items else t
        example = _example_text(f.doc.examples[0]) if f.doc.examples else ""
        out.append(
            Row(
                name=prefix + f.name,
                type=describe_type(t),
                required=f.required,
                allowed=tuple(
                    json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v
                    for v in (item.bounds.enum or ())
                ),
                constraints="; ".join(c for c in (constraints(t), storage(f)) if c),
                example=example,
                description=f.doc.description,
                deprecated=f.doc.deprecated,
                depth=depth,
            )
        )
        if item.fields and not item.type_ref:  # reusable types: documented once, in the dictionary
            suffix = "[]." if t.kind is ir.Kind.ARRAY else "."
            out += rows(item.fields, plan, prefix + f.name + suffix, depth + 1)
    return out


# How a date trait's storage reads in the docs. Customer.io's timestamp conditions match only
# Unix seconds (Timestamp Conditions FAQ: https://docs.customer.io/journeys/faq-timestamps).
STORAGE_WORDS: dict[ir.DateStorage, str] = {
    "unix": "stored in Customer.io as Unix seconds",
    "iso": "stored in Customer.io as ISO 8601 text: timestamp conditions never match it",
}


def storage(f: ir.Field) -> str:
    """How Customer.io stores a date or datetime trait, with a sample, or ""."""
    if f.stored_as is None:
        return ""
    value = Sampler.stored_sample(f)
    return f"{STORAGE_WORDS[f.stored_as]} (`{value}`)"


def _example_text(value: ir.JSON) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def describe_type(t: ir.FieldType) -> str:
    text = t.describe()
    if t.bounds.format and t.kind is ir.Kind.STRING:
        text = f"string ({t.bounds.format})"
        text += " or null" if t.nullable else ""
    return text


_CONSTRAINT_WORDS = (
    ("minimum", "≥ "),
    ("maximum", "≤ "),
    ("exclusive_minimum", "> "),
    ("exclusive_maximum", "< "),
    ("min_length", "min length "),
    ("max_length", "max length "),
    ("min_items", "min items "),
    ("max_items", "max items "),
)


def constraints(t: ir.FieldType) -> str:
    """Human form of the bounds, as Markdown; a list's own bounds (``min_items``) first, then
    its items' (``each item: ...``)."""
    if t.kind is ir.Kind.ARRAY and t.items is not None:
        own, each = _bounds(t), _bounds(t.items)
        return "; ".join([*([own] if own else []), *([f"each item: {each}"] if each else [])])
    return _bounds(t)


def _bounds(t: ir.FieldType) -> str:
    from .render import md_code

    parts = [f"matches {md_code(t.bounds.pattern)}"] if t.bounds.pattern else []
    for attr, words in _CONSTRAINT_WORDS:
        value = getattr(t.bounds, attr)
        if value is not None:
            parts.append(f"{words}{value}")
    if t.bounds.unique_items:
        parts.append("unique items")
    return "; ".join(parts)


# -- segments ----------------------------------------------------------------------------------


def condition_kind(c: ir.Condition | None) -> str:
    return {
        ir.Group: "group",
        ir.EventCondition: "event",
        ir.TraitCondition: "trait",
        ir.SegmentCondition: "segment",
    }.get(type(c), "none")


@dataclass(frozen=True)
class Dependency:
    kind: str  # event | property | trait | segment
    name: str
    type: str
    allowed: tuple[str, ...]
    link: str  # page (and anchor) inside docs/


def _dependencies(plan: ir.Plan, c: ir.Condition | None) -> Iterator[Dependency]:
    seen: set[tuple[str, str]] = set()
    for dep in _deps(plan, c):
        if (dep.kind, dep.name) not in seen:
            seen.add((dep.kind, dep.name))
            yield dep


def _deps(plan: ir.Plan, condition: ir.Condition | None) -> Iterator[Dependency]:
    for c in ir.leaves(condition):
        if isinstance(c, ir.EventCondition):
            page = event_page(c.event, plan)
            yield Dependency("event", c.event, "event", (), page)
            for f in c.filters:
                item = f.field_type.items if f.field_type.items else f.field_type
                yield Dependency(
                    "property",
                    f"{c.event}: {'.'.join(f.path)}",
                    describe_type(f.field_type),
                    _allowed(item),
                    page,
                )
        elif isinstance(c, ir.TraitCondition):
            yield Dependency(
                "trait",
                c.trait,
                describe_type(c.field_type),
                _allowed(c.field_type),
                f"traits.md#{anchor('trait', c.trait)}",
            )
        else:
            yield Dependency("segment", c.segment, "segment", (), segment_page(c.segment))


def _allowed(t: ir.FieldType) -> tuple[str, ...]:
    return tuple(str(v) for v in (t.bounds.enum or ()))


def _windows(
    condition: ir.Condition | None,
) -> Iterator[tuple[ir.EventCondition, ir.Window]]:
    for c in ir.leaves(condition):
        if isinstance(c, ir.EventCondition) and c.window is not None:
            yield c, c.window


def _usage(plan: ir.Plan) -> Usage:
    usage = Usage()
    for s in plan.segments:
        for dep in _dependencies(plan, s.condition):
            target = {
                "event": usage.event_segments,
                "trait": usage.trait_segments,
                "segment": usage.segment_segments,
            }.get(dep.kind)
            if target is not None:
                target.setdefault(dep.name, []).append(s.id)
    for m in plan.messages:
        if m.trigger:
            usage.event_messages.setdefault(m.trigger, []).append(m.id)
        if m.audience:
            usage.segment_messages.setdefault(m.audience, []).append(m.id)
        for ref in m.fields:
            namespace, _, rest = ref.partition(".")
            if namespace == "customer":
                usage.trait_messages.setdefault(rest.split(".")[0], []).append(m.id)
    return usage
