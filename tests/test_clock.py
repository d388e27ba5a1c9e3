"""Nothing codegen writes depends on the wall clock: generated files, and audit/simulate reports
(whose default point in time is the last timestamp in the log, not "now").

The clock is frozen with time-machine, which patches ``time.time``, ``datetime.now`` and
``date.today`` at the C level, at two dates decades apart."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import time_machine

from codegen import Options, generate

from .conftest import ROOT, CliFn, glow_shop

CLOCKS = (datetime(1971, 2, 3, 4, 5, 6, tzinfo=UTC), datetime(2093, 12, 31, 23, 59, tzinfo=UTC))
# DuckDB reads its own clock, which no Python patch reaches: the SQL must not ask for it.
SQL_CLOCK = re.compile(r"\b(now|current_timestamp|current_date|today|get_current_time)\b", re.I)


def test_generated_output_does_not_depend_on_the_clock() -> None:
    plan = glow_shop()
    options = Options(workers=1)  # worker processes would not see the frozen clock; no disk cache
    outputs = []
    for moment in CLOCKS:
        with time_machine.travel(moment, tick=False):
            outputs.append(generate(plan, options))
    assert outputs[0] == outputs[1]
    for path, text in outputs[0].items():
        for moment in CLOCKS:
            assert str(moment.year) not in text, path


def test_simulate_default_time_is_the_log_not_the_clock(cli: CliFn, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    messages = [
        {
            "type": "track",
            "event": "Checkout Started",
            "messageId": f"m{i}",
            "anonymousId": "phone-1",
            "timestamp": f"2026-03-01T10:0{i}:00Z",
            "properties": {"checkout_id": "C1", "value": 30},
        }
        for i in range(3)
    ]
    log.write_text("".join(json.dumps(m) + "\n" for m in messages), encoding="utf-8")
    plan = ROOT / "plans" / "glow_shop.yaml"
    reports = []
    for moment in CLOCKS:
        with time_machine.travel(moment, tick=False):
            result = cli("simulate", "--plan", plan, log, "--format", "json")
        assert result.exit_code == 0, result.stderr
        reports.append(result.stdout)
    assert reports[0] == reports[1]
    assert "2026-03-01T10:02:00" in reports[0]


def test_journey_sql_never_reads_the_clock(cli: CliFn, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text("", encoding="utf-8")
    for command in ("audit", "simulate"):
        result = cli(command, "--plan", ROOT / "plans" / "glow_shop.yaml", log, "--emit-sql")
        assert result.exit_code == 0, result.stderr
        assert "SET VARIABLE as_of" in result.stdout
        assert not SQL_CLOCK.findall(result.stdout), command
