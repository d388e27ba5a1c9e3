"""`--engine spark`: every journey test log audited and simulated by PySpark and by DuckDB, with
identical findings, totals and memberships. One Spark session for the whole run (its start-up is
slow)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from codegen.journeys.engine import Engine
from codegen.journeys.spark import SparkEngine, session
from codegen.pipeline import load_plan, load_plan_text

from .conftest import CASES, ROOT
from .test_journeys import BROWSED_PHANTOM, injected_plan
from .test_journeys_dirty import ALIAS_LOG, NEW_PROFILE_LOG, NULL_TRAIT_LOG
from .test_regressions import ARRAY_TRAIT_LOG, ARRAY_TRAITS
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
    assert found.totals["unreadable"] == 1


# -- simulate: every simulate test log, at the moment its test uses -----------------------------


def _messages(name: str) -> list[dict[str, Any]]:
    text = (CASES / "journeys" / f"{name}.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


_JOURNEYS = CASES / "journeys" / "plan.yaml"
_GLOW = ROOT / "plans" / "glow_shop.yaml"
_MARCH_10 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SIMULATIONS: dict[str, tuple[Callable[[], Any], list[dict[str, Any]], datetime | None]] = {
    "every_condition_kind": (lambda: load_plan(_JOURNEYS), _messages("simulate"), _MARCH_10),
    "last_timestamp": (lambda: load_plan(_JOURNEYS), _messages("simulate"), None),
    "injected_plan": (injected_plan, _messages("simulate"), None),
    "qa_phantoms": (
        lambda: load_plan(_GLOW),
        BROWSED_PHANTOM,
        datetime(2026, 3, 1, 10, 4, tzinfo=UTC),
    ),
    "new_profiles": (lambda: load_plan(_JOURNEYS), NEW_PROFILE_LOG, _MARCH_10),
    "null_clears_trait": (lambda: load_plan(_JOURNEYS), NULL_TRAIT_LOG, _MARCH_10),
    "alias_merges": (lambda: load_plan(_JOURNEYS), ALIAS_LOG, _MARCH_10),
    "array_contains": (
        lambda: load_plan_text(ARRAY_TRAITS, "plan.yaml"),
        ARRAY_TRAIT_LOG,
        datetime(2026, 1, 2, tzinfo=UTC),
    ),
    "every_finding": (lambda: load_plan(_GLOW), LOGS["every_finding"][1], None),
}


@pytest.mark.parametrize("case", sorted(SIMULATIONS))
def test_spark_simulates_what_duckdb_simulates(case: str, spark: Any, tmp_path: Path) -> None:
    plan_of, messages, at = SIMULATIONS[case]
    loaded = plan_of()
    assert loaded.plan is not None and loaded.spec is not None
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(m) + "\n" for m in messages) + "{not json\n")
    expected = Engine(loaded.plan, loaded.spec.lint, [str(log)]).simulate(at)
    engine = SparkEngine(loaded.plan, [str(log)], spark=spark)
    try:
        found = engine.simulate(at)
    finally:
        engine.close()
    assert found == expected
    assert found.unreadable == 1
    assert any(m.members for m in found.segments)  # a comparison of empty lists proves nothing
