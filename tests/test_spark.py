"""`codegen audit --engine spark`: every journey test log audited by PySpark and by DuckDB, with
identical findings and totals. One Spark session for the whole run (its start-up is slow)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codegen.journeys.engine import Engine
from codegen.journeys.spark import SparkEngine, session
from codegen.pipeline import load_plan

from .test_warehouse import LOGS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    pytest.importorskip("pyspark", reason="the [spark] extra is not installed")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime (.ci/run installs default-jre-headless)")
    spark = session("local[2]", partitions=2)
    yield spark
    spark.stop()


@pytest.mark.parametrize("case", sorted(LOGS))
def test_spark_finds_what_duckdb_finds(case: str, spark: Any, tmp_path: Path) -> None:
    plan_path, messages = LOGS[case]
    plan = load_plan(plan_path).plan
    assert plan is not None
    log = tmp_path / "spark.jsonl"
    # a batch line and an unreadable line: both engines expand and count them alike
    lines = [json.dumps(m) for m in messages[2:]]
    lines += [json.dumps({"batch": messages[:2]}), "{not json"]
    log.write_text("\n".join(lines) + "\n")
    loaded = load_plan(plan_path)
    assert loaded.spec is not None
    expected = Engine(plan, loaded.spec.lint, [str(log)]).audit()
    engine = SparkEngine(plan, [str(log)], spark=spark)
    try:
        found = engine.audit()
    finally:
        engine.close()
    assert found.findings == expected.findings
    assert found.totals == expected.totals
    assert found.traits == expected.traits
    assert found.totals["unreadable"] == 1
