"""Run the journey SQL in DuckDB (in-process) and read the results back."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..plan import ir
from ..plan.filemodel import LintConfig
from . import analysis, inputs, sql
from .analysis import Finding
from .roles import Roles, roles

DEFAULT_SUPPRESSION = ir.Window(1, "hour")


@dataclass(frozen=True)
class Audit:
    findings: tuple[Finding, ...]
    totals: dict[str, float]
    notes: tuple[str, ...]
    suppression: ir.Window
    traits: analysis.TraitUsage | None = None  # None: the source cannot tell (a warehouse)

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
    unreadable: int = 0  # lines of the logs that could not be used


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
        phase: Callable[[str], None] | None = None,
    ) -> None:
        import duckdb

        self.phase = phase or _quiet  # told each stage as it starts ("reading logs", a table)
        self.plan = plan
        self.roles = roles(plan)
        found, note = suppression_window(plan, self.roles)
        self.suppression = suppression or found
        self.notes = list(self.roles.notes) + ([note] if note and not suppression else [])
        self.sources = list(sources)  # as given: the emitted SQL names them
        self.filters = sql.filter_columns(plan)
        self.connection = duckdb.connect()
        self._loaded = False  # the messages table is read once per engine
        self.connection.execute("SET enable_progress_bar = false")  # output is ours to print
        # No run touches the network: no extension is downloaded or loaded behind our back.
        self.connection.execute("SET autoinstall_known_extensions = false")
        self.connection.execute("SET autoload_known_extensions = false")
        self._folder = tempfile.TemporaryDirectory(prefix="codegen-audit-")
        self.phase("reading logs")
        self.inputs = inputs.prepare(self.sources, Path(self._folder.name))
        parquet_names = [s for s in self.sources if _is_parquet(s)]
        inputs.check_parquet(self.connection, self.inputs.parquet, parquet_names)
        self.notes += list(self.inputs.notes)
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
        self,
        at: datetime | None,
        audit: bool,
        simulate: bool,
        load: bool = True,
        standalone: bool = False,
    ) -> sql.Script:
        """The SQL; it loads the logs unless ``load`` is false (the messages table exists).
        ``standalone``: it names the files as given (to be run elsewhere) rather than the
        decoded copies this engine reads."""
        script = sql.Script()
        script.parameters["as_of"] = (
            f"CAST({sql.literal(at.isoformat())} AS TIMESTAMPTZ)" if at else "NULL::TIMESTAMPTZ"
        )
        script.parameters["suppression"] = sql.interval(self.suppression)
        if load:
            sources = self.sources if standalone else [*self.inputs.jsonl, *self.inputs.parquet]
            sql.load(script, sources, self.roles, self.filters, self.plan.maintained)
            sql.message_values(script, self.plan.maintained)
        relations = analysis.identities(self.roles, at)
        if audit:
            pattern = self.plan.identity.user_id_pattern
            traits = analysis.TraitCheck.of(self.plan, every_key=True)
            relations += analysis.findings(self.roles, pattern, self.suppression, traits)
        script.statements += [
            f"CREATE OR REPLACE TEMP TABLE {r.name} AS\n{r.query.strip()}" for r in relations
        ]
        if audit:
            script.statements.append(_FINDINGS)
        if simulate:
            sql.segments(script, self.plan, self.filters)
        return script

    def _run(self, script: sql.Script) -> None:
        import duckdb

        try:
            for name, value in script.parameters.items():
                self.connection.execute(f"SET VARIABLE {name} = {value}")
            for statement in script.statements:
                if label := stage(statement):
                    self.phase(label)
                self.connection.execute(statement)
        except duckdb.Error as exc:
            raise sql.JourneyError(f"DuckDB could not run the audit: {exc}") from None

    def audit(self) -> Audit:
        self._run(self.script(None, audit=True, simulate=False, load=not self._loaded))
        self._loaded = True
        columns = ", ".join(analysis.FINDING_COLUMNS)
        rows = self.connection.execute(f"SELECT {columns} FROM audit_findings").fetchall()
        findings = analysis.assemble(rows, self.plan.identity.user_id_pattern)
        row = self.connection.execute(
            "SELECT * FROM audit_totals, (SELECT unreadable FROM input_stats)"
        ).fetchone()
        totals = totals_dict(row or (), self.inputs.unreadable)
        usage = self.connection.execute("SELECT * FROM trait_usage").fetchall()
        traits = analysis.trait_usage(usage, (t.name for t in self.plan.traits))
        return Audit(findings, totals, tuple(self.notes), self.suppression, traits)

    def simulate(self, at: datetime | None) -> Simulation:
        # Phantom abandoners come from the whole log: a purchase that lands after `at` on
        # another profile is exactly what makes a QA-segment member a phantom.
        audited = self.audit()
        phantoms = {f.profiles[0] for f in audited.findings if f.kind == "phantom_abandoner"}
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
        return Simulation(at, tuple(out), tuple(self.notes), int(audited.totals["unreadable"]))

    def emit(self, at: datetime | None, audit: bool, simulate: bool) -> str:
        return self.script(at, audit, simulate, standalone=True).text()

    def close(self) -> None:
        self.connection.close()
        self._folder.cleanup()


_FINDINGS = """
-- The findings as lists, for reading in DuckDB (audit_findings is the portable long form)
CREATE OR REPLACE TEMP TABLE findings AS
SELECT kind, finding,
       list(item_value ORDER BY ord) FILTER (WHERE item = 'profile') AS profiles,
       list(item_value ORDER BY ord) FILTER (WHERE item = 'message') AS message_ids,
       list(item_value ORDER BY ord) FILTER (WHERE item = 'event') AS events,
       any_value(revenue) AS revenue, any_value(note) AS note
FROM audit_findings GROUP BY kind, finding ORDER BY kind, finding"""


def _quiet(stage: str) -> None:
    """No progress to show."""


_CREATED = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\s+)?(?:TABLE|VIEW)\s+(\w+)", re.I)


def stage(statement: str) -> str:
    """What a statement of the script builds, for a progress line: the table it creates
    (``messages`` is the load of the logs), else nothing (the previous stage goes on)."""
    found = _CREATED.search(statement)
    if found is None:
        return ""
    name = found.group(1)
    return "loading messages" if name in ("messages", "messages_in") else name.replace("_", " ")


def totals_dict(row: Sequence[Any], unreadable: int) -> dict[str, float]:
    """``audit_totals`` (then the unreadable lines the engine counted) as the report's totals."""
    values = dict(zip((*analysis.TOTAL_NAMES, "unreadable"), row, strict=True))
    values["unreadable"] = int(values["unreadable"] or 0) + unreadable
    order = ("messages", "unreadable", *analysis.TOTAL_NAMES[1:])
    return {name: values[name] for name in order}


def _is_parquet(source: str) -> bool:
    with open(source, "rb") as handle:
        return handle.read(4) == inputs.PARQUET_MAGIC
