"""`--engine spark`: every journey test log audited and simulated by PySpark and by DuckDB, with
identical findings, totals and memberships. One Spark session for the whole run (its start-up is
slow)."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from codegen.journeys.engine import Engine
from codegen.journeys.spark import SparkEngine, session
from codegen.pipeline import load_plan, load_plan_text
from codegen.validate import Summary, Violation, validate_sources
from codegen.validate.spark import validate_to

from .conftest import CASES, ROOT, CliFn
from .test_journeys import BROWSED_PHANTOM, injected_plan
from .test_journeys_dirty import ALIAS_LOG, NEW_PROFILE_LOG, NULL_TRAIT_LOG
from .test_regressions import ARRAY_TRAIT_LOG, ARRAY_TRAITS
from .test_validate import PLAN as VALIDATE_PLAN
from .test_validate import _stream, write_log
from .test_validate import order as validate_order
from .test_validate_hostile import BAD, GOOD, _hostile_files, hostile_contents
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


# -- validate: every validate test log through Spark partitions, violations as the local run ----


def _validate_logs(folder: Path) -> list[Path]:
    """The hostile files of test_validate_hostile.py and the logs of test_validate.py."""
    good, bad = validate_order(), validate_order(**{"properties.revenue": "x"})
    logs = [folder / name for name in sorted(_hostile_files(folder))]
    batch_line = json.dumps({"batch": [good, bad], "sentAt": "2026-01-01T00:00:00Z"}).encode()
    gz = folder / "v_batch_line.jsonl.gz"
    gz.write_bytes(gzip.compress(b"\n".join([json.dumps(good).encode(), batch_line]) + b"\n"))
    pretty = folder / "v_export.json"
    pretty.write_text(json.dumps({"batch": [bad, good, bad]}, indent=2))
    encoded = json.dumps(good).encode()
    logs += [
        gz,
        pretty,
        write_log(
            folder / "v_malformed.jsonl", [encoded, b"{not json", b"", encoded, b"[1, 2", encoded]
        ),
        write_log(folder / "v_stream.jsonl", _stream(3000)),  # many ranges: see the fixture
        write_log(
            folder / "v_deep_and_bad_utf8.jsonl",
            [
                GOOD,
                b'{"type": "track", "event": "Order \xff Completed", "userId": "c_abc1234"}',
                b'{"type": [], "event": "Order Completed"}',
                b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
                GOOD,
                BAD,
            ],
        ),
    ]
    return logs


@dataclass(frozen=True)
class _Runs:
    logs: list[Path]
    local: tuple[Summary, list[Violation]]
    spark: tuple[Summary, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def validated(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> _Runs:
    """Every log validated once locally and once in Spark (one job for all of them)."""
    from codegen.validate import inputs

    folder = tmp_path_factory.mktemp("validate-logs")
    logs = _validate_logs(folder)
    limit = 2 << 20
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(inputs, "RANGE_BYTES", 40_000)  # many ranges, cut inside lines
        found: list[Violation] = []
        summary = validate_sources(
            VALIDATE_PLAN, [str(p) for p in logs], found.append, workers=1, max_message_bytes=limit
        )
        output = folder / "out"
        on_spark = validate_to(
            spark, VALIDATE_PLAN, [str(p) for p in logs], str(output), max_message_bytes=limit
        )
    written = [
        json.loads(line)
        for part in sorted(output.glob("part-*"))
        for line in part.read_text().splitlines()
    ]
    return _Runs(logs, (summary, found), (on_spark, written))


def test_validate_logs_cover_ranges_gzip_documents_and_unreadable(validated: _Runs) -> None:
    summary, found = validated.local
    assert len(validated.logs) >= 55 and len(found) > 300 and summary.errors
    assert {Path(v.file).name for v in found} >= {"v_stream.jsonl", "v_batch_line.jsonl.gz"}


def test_spark_validate_summary_is_the_local_summary(validated: _Runs) -> None:
    assert validated.spark[0].as_dict(top=1000) == validated.local[0].as_dict(top=1000)


VALIDATE_LOG_NAMES = [
    *sorted(hostile_contents()),
    "v_batch_line.jsonl.gz",
    "v_export.json",
    "v_malformed.jsonl",
    "v_stream.jsonl",
    "v_deep_and_bad_utf8.jsonl",
]


@pytest.mark.parametrize("name", VALIDATE_LOG_NAMES)
def test_spark_validate_finds_what_validate_finds(name: str, validated: _Runs) -> None:
    expected = [v.as_dict() for v in validated.local[1] if Path(v.file).name == name]
    assert [v for v in validated.spark[1] if Path(v["file"]).name == name] == expected


# -- the CLI -------------------------------------------------------------------------------------


def test_cli_simulate_on_spark_prints_what_duckdb_prints(spark: Any, cli: CliFn) -> None:
    args = ["simulate", "--plan", str(_JOURNEYS), str(CASES / "journeys" / "simulate.jsonl")]
    args += ["--at", "2026-03-10T12:00:00Z", "--format", "json"]
    local = cli(*args)
    on_spark = cli(*args, "--engine", "spark", "--master", "local[2]")
    assert (on_spark.exit_code, on_spark.stdout) == (local.exit_code, local.stdout)
    assert json.loads(on_spark.stdout)["segments"]
    wrong = cli(*args, "--engine", "spark", "--memory-limit", "1GB")
    assert wrong.exit_code == 2 and "--memory-limit is DuckDB's" in wrong.stderr


def test_cli_validate_on_spark_writes_the_json_report_violations(
    spark: Any, cli: CliFn, tmp_path: Path
) -> None:
    log = write_log(tmp_path / "log.jsonl", [GOOD, BAD, b"{oops", GOOD])
    gz = tmp_path / "more.jsonl.gz"
    gz.write_bytes(gzip.compress(BAD + b"\n\xff\n"))
    args = ["validate", "--plan", "plans/glow_shop.yaml", str(log), str(gz)]
    report = cli(*args, "--format", "json")
    expected = json.loads(report.stdout)
    text = cli(*args, "--engine", "spark", "--output", tmp_path / "out")
    assert text.exit_code == report.exit_code == 1
    assert "malformed lines" in text.stdout and "4 violations written to" in text.stdout
    written = [
        json.loads(line)
        for part in sorted((tmp_path / "out").glob("part-*"))
        for line in part.read_text().splitlines()
    ]
    assert written == expected["violations"] and len(written) == 4
    as_json = cli(
        *args,
        "--engine",
        "spark",
        "--output",
        tmp_path / "pq",
        "--output-format",
        "parquet",
        "--format",
        "json",
    )
    assert json.loads(as_json.stdout)["summary"] == expected["summary"]
    rows = spark.read.parquet(str(tmp_path / "pq")).collect()
    assert sorted(json.dumps(r.asDict(), sort_keys=True) for r in rows) == sorted(
        json.dumps(v, sort_keys=True) for v in expected["violations"]
    )


def test_cli_validate_on_spark_usage_errors(cli: CliFn, tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", [GOOD])
    args = ["validate", "--plan", "plans/glow_shop.yaml", str(log)]
    missing = cli(*args, "--engine", "spark")
    assert missing.exit_code == 2 and "give --output DIR" in missing.stderr
    exists = cli(*args, "--engine", "spark", "--output", tmp_path)
    assert exists.exit_code == 2 and "exists; give a new folder" in exists.stderr
    local = cli(*args, "--output", tmp_path / "new")
    assert local.exit_code == 2 and "--output is for --engine spark" in local.stderr
    engine = cli(*args, "--engine", "flink", "--output", tmp_path / "new")
    assert engine.exit_code == 2 and "not local or spark" in engine.stderr
