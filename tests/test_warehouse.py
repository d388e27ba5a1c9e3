"""The audit as SQL over Segment's warehouse tables: run on a real PostgreSQL server and in
DuckDB with answers identical to the audit of the same logs, golden files per dialect that
SQLGlot parses back, and plan text only ever as escaped literals."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from codegen.journeys import analysis, warehouse
from codegen.journeys.dialects import Dialect
from codegen.journeys.engine import Audit, Engine, suppression_window
from codegen.journeys.roles import roles
from codegen.pipeline import load_plan, load_plan_text

from . import pg_support
from .conftest import CASES, ROOT, CliFn
from .test_journeys import CLEAN, PHANTOM
from .test_journeys_traits import MAINTAINED, TRAITS_PLAN

GLOW = ROOT / "plans" / "glow_shop.yaml"
JOURNEY_PLAN = CASES / "journeys" / "plan.yaml"
GOLDEN = CASES / "warehouse"


def _messages(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# Every journey test log, with its plan: the case files and the scenarios of test_journeys.py.
LOGS: dict[str, tuple[Path, list[dict[str, Any]]]] = {
    "every_finding": (GLOW, _messages(GOLDEN / "every_finding.jsonl")),
    "simulate": (JOURNEY_PLAN, _messages(CASES / "journeys" / "simulate.jsonl")),
    "clean": (GLOW, CLEAN),
    "phantom": (GLOW, PHANTOM),
    "maintained": (TRAITS_PLAN, MAINTAINED),
}


def duckdb_audit(plan_path: Path, messages: list[dict[str, Any]], tmp_path: Path) -> Audit:
    loaded = load_plan(plan_path)
    assert loaded.plan is not None and loaded.spec is not None
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(m) + "\n" for m in messages))
    return Engine(loaded.plan, loaded.spec.lint, [str(log)]).audit()


def warehouse_audit(
    connection: Any, plan_path: Path, messages: list[dict[str, Any]], schema: str, dialect: Dialect
) -> tuple[tuple[analysis.Finding, ...], dict[str, Any]]:
    plan = load_plan(plan_path).plan
    assert plan is not None
    placeholder = "%s" if dialect is Dialect.postgres else "?"
    pg_support.load(connection, pg_support.warehouse_tables(messages, plan), schema, placeholder)
    window, _ = suppression_window(plan, roles(plan))
    findings_sql, totals_sql = warehouse.queries(plan, dialect, schema, window)
    rows = connection.execute(findings_sql).fetchall()
    totals = connection.execute(totals_sql).fetchone()
    return (
        analysis.assemble(rows, plan.identity.user_id_pattern),
        dict(zip(analysis.TOTAL_NAMES, totals, strict=True)),
    )


def _expected_totals(audit: Audit) -> dict[str, Any]:
    return {name: audit.totals[name] for name in analysis.TOTAL_NAMES}


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """One PostgreSQL server for the run (installed by .ci/run), one connection."""
    bin_dir = pg_support.server_binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not installed (.ci/run installs `postgresql`)")
    import psycopg

    with pg_support.postgres_server(bin_dir) as dsn, psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SET TIME ZONE 'UTC'")
        yield c


@pytest.mark.parametrize("case", sorted(LOGS))
def test_postgres_finds_what_duckdb_finds(case: str, postgres: Any, tmp_path: Path) -> None:
    plan_path, messages = LOGS[case]
    expected = duckdb_audit(plan_path, messages, tmp_path)
    found, totals = warehouse_audit(postgres, plan_path, messages, f"wh_{case}", Dialect.postgres)
    assert found == expected.findings
    assert totals == _expected_totals(expected)


def test_every_finding_kind_is_compared(tmp_path: Path) -> None:
    """The equality above means something: the case log has a finding of every kind."""
    plan_path, messages = LOGS["every_finding"]
    kinds = {f.kind for f in duckdb_audit(plan_path, messages, tmp_path).findings}
    assert kinds == {
        "phantom_abandoner",
        "shared_identifier",
        "unstitched_anonymous",
        "duplicate_profile",
        "email_as_user_id",
        "late_event",
        "missing_email",
    }
    plan_path, messages = LOGS["maintained"]
    kinds = {f.kind for f in duckdb_audit(plan_path, messages, tmp_path).findings}
    assert kinds == {"stale_trait"}


@pytest.mark.parametrize("case", sorted(LOGS))
def test_duckdb_dialect_finds_the_same(case: str, tmp_path: Path) -> None:
    plan_path, messages = LOGS[case]
    expected = duckdb_audit(plan_path, messages, tmp_path)
    connection = duckdb.connect()
    found, totals = warehouse_audit(connection, plan_path, messages, "segment", Dialect.duckdb)
    assert found == expected.findings
    assert totals == _expected_totals(expected)


def _emit(plan_text: str, dialect: Dialect, schema: str | None = "glow_shop") -> str:
    plan = load_plan_text(plan_text).plan
    assert plan is not None
    window, _ = suppression_window(plan, roles(plan))
    return warehouse.emit(plan, dialect, schema, window)


@pytest.mark.parametrize("dialect", list(Dialect))
def test_golden_sql_per_dialect(dialect: Dialect) -> None:
    text = _emit(GLOW.read_text(), dialect)
    golden = GOLDEN / f"glow_shop.{dialect.value}.sql"
    if os.environ.get("CODEGEN_UPDATE_GOLDENS"):
        golden.write_text(text)
    assert text == golden.read_text(), f"refresh with CODEGEN_UPDATE_GOLDENS=1: {golden}"
    statements = [s for s in sqlglot.parse(golden.read_text(), read=dialect.value) if s]
    assert len(statements) == 2 and all(isinstance(s, exp.Select) for s in statements)


HOSTILE = "'); DROP TABLE tracks; -- \\ \" `"
PATTERN = "^c_[')]; DROP TABLE identifies; -- \\.\"`"


@pytest.mark.parametrize("dialect", list(Dialect))
def test_plan_text_is_only_ever_a_literal(dialect: Dialect) -> None:
    """A hostile event name and user_id_pattern reach every dialect as string literals."""
    text = JOURNEY_PLAN.read_text()
    assert 'user_id_pattern: "^c_"' in text and "  Checkout Started:" in text
    event = "Checkout " + HOSTILE
    text = text.replace("Checkout Started", json.dumps(event))
    text = text.replace('user_id_pattern: "^c_"', f"user_id_pattern: {json.dumps(PATTERN)}")
    sql = _emit(text, dialect)
    statements = [s for s in sqlglot.parse(sql, read=dialect.value) if s]
    assert len(statements) == 2
    for statement in statements:
        assert isinstance(statement, exp.Select)
        assert not list(statement.find_all(exp.Drop))
    literals = {lit.this for s in statements for lit in s.find_all(exp.Literal) if lit.is_string}
    assert {event, PATTERN} <= literals


def test_schema_name_is_checked() -> None:
    with pytest.raises(warehouse.UnsupportedError, match="is not a schema name"):
        _emit(GLOW.read_text(), Dialect.postgres, 'glow"; DROP TABLE x; --')
    assert 'FROM "proj"."glow"."identifies"' in _emit(
        GLOW.read_text(), Dialect.postgres, "proj.glow"
    )


def test_cli_emits_warehouse_sql(cli: CliFn) -> None:
    args = ("audit", "--plan", str(GLOW), "--emit-sql", "--source", "segment-warehouse")
    result = cli(*args, "--dialect", "bigquery", "--schema", "glow_shop")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (GOLDEN / "glow_shop.bigquery.sql").read_text()
    bad = cli(*args, "--schema", "a b")
    assert bad.exit_code == 2 and "--schema `a b` is not a schema name" in bad.stderr
    unrun = cli("audit", "--plan", str(GLOW), "--source", "segment-warehouse")
    assert unrun.exit_code == 2 and "add --emit-sql" in unrun.stderr
    no_logs = cli("audit", "--plan", str(GLOW))
    assert no_logs.exit_code == 2 and "no event logs" in no_logs.stderr


def test_regression_an_id_is_not_an_emoji_code(cli: CliFn) -> None:
    """`anon:ghost` was printed as `anon👻` (rich's emoji codes) in the text report."""
    log = str(GOLDEN / "every_finding.jsonl")
    result = cli("audit", "--plan", str(GLOW), log)
    assert "unstitched_anonymous anon:ghost:" in result.stdout and "👻" not in result.stdout
