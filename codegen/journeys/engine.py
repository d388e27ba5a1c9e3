"""Run the journey SQL in DuckDB (in-process) and read the results back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..plan import ir
from ..plan.filemodel import LintConfig
from . import sql
from .roles import Roles, roles

DEFAULT_SUPPRESSION = ir.Window(1, "hour")


@dataclass(frozen=True)
class Finding:
    kind: str
    profiles: tuple[str, ...]
    message_ids: tuple[str, ...]
    revenue: float | None
    detail: str
    facts: dict[str, Any] | None = None  # shared_identifier: key, value, events, counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "profiles": list(self.profiles),
            "message_ids": list(self.message_ids),
            "revenue": self.revenue,
            "detail": self.detail,
            **({"facts": self.facts} if self.facts is not None else {}),
        }


@dataclass(frozen=True)
class Audit:
    findings: tuple[Finding, ...]
    totals: dict[str, float]
    notes: tuple[str, ...]
    suppression: ir.Window

    @property
    def stitched_share(self) -> float:
        return (
            self.totals["stitched"] / self.totals["anonymous_ids"]
            if self.totals["anonymous_ids"]
            else 1.0
        )


@dataclass(frozen=True)
class Membership:
    segment: str
    name: str
    members: tuple[str, ...]
    phantom_members: tuple[str, ...]  # for QA segments: members that are phantom abandoners


@dataclass(frozen=True)
class Simulation:
    at: datetime | None
    segments: tuple[Membership, ...]
    notes: tuple[str, ...]


def suppression_window(plan: ir.Plan, event_roles: Roles) -> tuple[ir.Window, str | None]:
    """The window of the plan's QA segment ("no purchase within X"), else the default."""
    for segment in plan.segments:
        if not segment.qa:
            continue
        for condition in ir.leaves(segment.condition):
            if (
                isinstance(condition, ir.EventCondition)
                and not condition.performed
                and condition.window is not None
                and condition.event in event_roles.named(ir.Role.PURCHASE)
            ):
                return (
                    condition.window,
                    f"suppression window {condition.window} from QA segment `{segment.id}`",
                )
    return DEFAULT_SUPPRESSION, None


class Engine:
    """One DuckDB connection over one set of logs.

    ``config`` is not read: what events mean commercially is in the ir (``plan.commerce``,
    ``event.commerce``); the parameter stays until the CLI stops passing it.
    """

    def __init__(
        self,
        plan: ir.Plan,
        config: LintConfig,
        sources: Sequence[str],
        suppression: ir.Window | None = None,
        memory_limit: str | None = None,
    ) -> None:
        import duckdb

        self.plan = plan
        self.roles = roles(plan)
        found, note = suppression_window(plan, self.roles)
        self.suppression = suppression or found
        self.notes = list(self.roles.notes) + ([note] if note and not suppression else [])
        self.sources = list(sources)
        self.filters = sql.filter_columns(plan)
        self.connection = duckdb.connect()
        self._loaded = False  # the messages table is read once per engine
        self.connection.execute("SET enable_progress_bar = false")  # output is ours to print
        if memory_limit:
            self.connection.execute(f"SET memory_limit = {sql.literal(memory_limit)}")
        pattern = plan.identity.user_id_pattern
        if pattern:
            try:
                self.connection.execute("SELECT regexp_matches('', ?)", [pattern])
            except duckdb.Error as exc:
                raise sql.JourneyError(
                    f"identity.user_id_pattern `{pattern}` cannot be checked in SQL: DuckDB's "
                    f"regular expressions (RE2) have no look-around or back-references ({exc})"
                ) from None

    def script(
        self, at: datetime | None, audit: bool, simulate: bool, load: bool = True
    ) -> sql.Script:
        """The SQL, standalone unless ``load`` is false (the messages table already exists)."""
        script = sql.Script()
        script.parameters["as_of"] = (
            f"CAST({sql.literal(at.isoformat())} AS TIMESTAMPTZ)" if at else "NULL::TIMESTAMPTZ"
        )
        script.parameters["suppression"] = sql.interval(self.suppression)
        if load:
            sql.load(script, self.sources, self.roles, self.filters)
        sql.identities(script)
        if audit:
            sql.findings(script, self.plan.identity.user_id_pattern)
        if simulate:
            sql.segments(script, self.plan, self.filters)
        return script

    def _run(self, script: sql.Script) -> None:
        import duckdb

        try:
            for name, value in script.parameters.items():
                self.connection.execute(f"SET VARIABLE {name} = {value}")
            for statement in script.statements:
                self.connection.execute(statement)
        except duckdb.Error as exc:
            raise sql.JourneyError(f"DuckDB could not run the audit: {exc}") from None

    def audit(self) -> Audit:
        self._run(self.script(None, audit=True, simulate=False, load=not self._loaded))
        self._loaded = True
        rows = self.connection.execute(
            "SELECT kind, profiles, message_ids, revenue, detail, facts FROM findings "
            "ORDER BY kind, profiles, message_ids"
        ).fetchall()
        findings = tuple(
            Finding(k, tuple(p), tuple(m or ()), r, d, json.loads(f) if f else None)
            for k, p, m, r, d, f in rows
        )
        cursor = self.connection.execute("SELECT * FROM totals")
        names = [d[0] for d in cursor.description]
        values = cursor.fetchone() or ()
        return Audit(
            findings, dict(zip(names, values, strict=True)), tuple(self.notes), self.suppression
        )

    def simulate(self, at: datetime | None) -> Simulation:
        # Phantom abandoners come from the whole log: a purchase that lands after `at` on
        # another profile is exactly what makes a QA-segment member a phantom.
        phantoms = {f.profiles[0] for f in self.audit().findings if f.kind == "phantom_abandoner"}
        if at is None:
            row = self.connection.execute("SELECT max(ts) FROM messages").fetchone()
            at = row[0] if row else None
        self._run(self.script(at, audit=False, simulate=True, load=False))  # audit() loaded
        out = []
        for segment in self.plan.segments:
            members = tuple(
                row[0]
                for row in self.connection.execute(
                    f'SELECT profile FROM membership WHERE "seg_{segment.id}" ORDER BY profile'
                ).fetchall()
            )
            phantom = tuple(m for m in members if m in phantoms) if segment.qa else ()
            out.append(Membership(segment.id, segment.name, members, phantom))
        return Simulation(at, tuple(out), tuple(self.notes))

    def emit(self, at: datetime | None, audit: bool, simulate: bool) -> str:
        return self.script(at, audit, simulate).text()
