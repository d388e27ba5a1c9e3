"""Audit and simulation results as text, JSON, and Markdown for the wiki."""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

from ..generators.render import md, md_cell, md_code
from ..validate.shown import visible
from .engine import Audit, Simulation

KINDS = (
    "shared_identifier",
    "phantom_abandoner",
    "unstitched_anonymous",
    "duplicate_profile",
    "email_as_user_id",
    "late_event",
    "missing_email",
    "stale_trait",
)
SHOWN = 20


def _finite(value: Any) -> Any:
    """JSON has no NaN or Infinity: such a number becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def dumps(payload: dict[str, Any]) -> str:
    return json.dumps(_finite(payload), indent=2, ensure_ascii=False, default=str, allow_nan=False)


def audit_json(audit: Audit) -> str:
    return dumps(
        {
            "unreadable": audit.totals["unreadable"],
            "totals": {**audit.totals, "stitched_share": round(audit.stitched_share, 4)},
            "suppression_window": str(audit.suppression),
            "notes": list(audit.notes),
            "findings": [f.as_dict() for f in audit.findings],
            "traits": audit.traits.as_dict() if audit.traits else None,
        }
    )


def _totals(audit: Audit) -> list[tuple[str, str]]:
    t = audit.totals
    return [
        ("messages", f"{t['messages']:,}"),
        ("unreadable lines (not used)", f"{t['unreadable']:,}"),
        ("people (userIds)", f"{t['people']:,}"),
        ("anonymous profiles never stitched", f"{t['anonymous_profiles']:,}"),
        ("stitched share of anonymousIds", f"{audit.stitched_share:.1%}"),
        ("true abandoners (checkout, no purchase anywhere)", f"{t['true_abandoners']:,}"),
        ("purchases", f"{t['purchases']:,}"),
        ("revenue", f"{t['revenue']:,.2f}"),
    ]


def audit_text(audit: Audit) -> str:
    lines = [f"{label}: {value}" for label, value in _totals(audit)]
    counts = Counter(f.kind for f in audit.findings)
    at_stake: dict[str, float] = {}
    for f in audit.findings:
        at_stake[f.kind] = at_stake.get(f.kind, 0.0) + (f.revenue or 0.0)
    lines.append("")
    for kind in KINDS:
        lines.append(
            f"{kind}: {counts[kind]:,} finding{'s' * (counts[kind] != 1)}"
            + (f", {at_stake[kind]:,.2f} at stake" if at_stake.get(kind) else "")
        )
    for kind in KINDS:
        found = [f for f in audit.findings if f.kind == kind]
        for f in found[:SHOWN]:
            lines.append(
                f"  {kind} {_listed(f.profiles)}: {visible(f.detail)} "
                f"[{_listed(f.message_ids)}]" + (f" revenue {f.revenue:,.2f}" if f.revenue else "")
            )
        if len(found) > SHOWN:
            lines.append(f"  ... {len(found) - SHOWN:,} more {kind} (--format json for all)")
    lines += _trait_lines(audit)
    lines += [f"note: {n}" for n in audit.notes]
    return "\n".join(lines)


def _listed(values: Any) -> str:
    """Ids from the log, joined, safe on a terminal (a missing messageId is empty)."""
    return ", ".join(visible(v or "") for v in values)


def _name(name: str) -> str:
    """A name from the log as shown: escaped, and ``""`` spelled out so it is seen."""
    return visible(name) if name else '""'


def _trait_lines(audit: Audit) -> list[str]:
    usage = audit.traits
    if usage is None:
        return ["traits: not counted (the source keeps only planned traits)"]
    lines = [f"unplanned traits (sent, not in the plan): {len(usage.unplanned):,}"]
    lines += [
        f"  {_name(trait)}: {messages:,} message{'s' * (messages != 1)}, "
        f"{profiles:,} profile{'s' * (profiles != 1)}"
        for trait, messages, profiles in usage.unplanned[:SHOWN]
    ]
    if len(usage.unplanned) > SHOWN:
        lines.append(f"  ... {len(usage.unplanned) - SHOWN:,} more (--format json for all)")
    unused = f"unused traits (planned, never sent): {len(usage.unused):,}"
    return [*lines, unused + (f": {', '.join(usage.unused)}" if usage.unused else "")]


def audit_markdown(audit: Audit, plan_name: str) -> str:
    lines = [f"# Journey audit: {md(plan_name)}", "", "| | |", "| --- | --- |"]
    lines += [f"| {label} | {value} |" for label, value in _totals(audit)]
    lines += ["", f"Suppression window: {audit.suppression}.", ""]
    for kind in KINDS:
        found = [f for f in audit.findings if f.kind == kind]
        lines += [f"## {kind} ({len(found)})", ""]
        if not found:
            lines += ["None found.", ""]
            continue
        lines += ["| Profiles | Messages | Revenue | Detail |", "| --- | --- | --- | --- |"]
        for f in found[:200]:
            lines.append(
                f"| {', '.join(md_code(visible(p)) for p in f.profiles)} | "
                f"{', '.join(md_code(visible(m or '')) for m in f.message_ids)} | "
                f"{f'{f.revenue:,.2f}' if f.revenue else ' '} | {md_cell(visible(f.detail))} |"
            )
        lines.append("")
    if audit.traits is not None:
        lines += ["## Traits", "", "| Trait | Planned | Messages | Profiles |"]
        lines += ["| --- | --- | --- | --- |"]
        lines += [
            f"| {md_code(_name(t))} | no | {m:,} | {p:,} |" for t, m, p in audit.traits.unplanned
        ]
        lines += [f"| {md_code(t)} | yes | 0 | 0 |" for t in audit.traits.unused]
        lines.append("")
    lines += [f"- {md(n)}" for n in audit.notes]
    return "\n".join(lines).rstrip() + "\n"


def simulation_json(simulation: Simulation) -> str:
    payload: dict[str, Any] = {
        "at": simulation.at.isoformat() if simulation.at else None,
        "unreadable": simulation.unreadable,
        "notes": list(simulation.notes),
        "segments": [
            {
                "id": m.segment,
                "name": m.name,
                "count": len(m.members),
                "members": list(m.members),
                "phantom_abandoners": list(m.phantom_members),
            }
            for m in simulation.segments
        ],
    }
    return dumps(payload)


def simulation_text(simulation: Simulation) -> str:
    lines = [
        f"segment membership at {simulation.at}",
        f"unreadable lines (not used): {simulation.unreadable:,}",
    ]
    for m in simulation.segments:
        lines.append(f"{m.segment} ({m.name}): {len(m.members):,} members")
        if m.members:
            shown = _listed(m.members[:SHOWN])
            lines.append(f"  {shown}" + (" ..." if len(m.members) > SHOWN else ""))
        if m.phantom_members:
            lines.append(
                f"  phantom abandoners in this QA segment: {_listed(m.phantom_members[:SHOWN])}"
            )
    lines += [f"note: {n}" for n in simulation.notes]
    return "\n".join(lines)


def simulation_markdown(simulation: Simulation, plan_name: str) -> str:
    lines = [
        f"# Segment simulation: {md(plan_name)}",
        "",
        f"At {simulation.at}. Unreadable lines (not used): {simulation.unreadable:,}.",
        "",
        "| Segment | Members | Phantom abandoners |",
        "| --- | --- | --- |",
    ]
    for m in simulation.segments:
        lines.append(
            f"| {md_cell(m.name)} | {len(m.members):,} | "
            f"{len(m.phantom_members) if m.phantom_members else ' '} |"
        )
    return "\n".join(lines) + "\n"
