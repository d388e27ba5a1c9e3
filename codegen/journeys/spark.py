"""The audit on Apache Spark: the logs read by Spark, the analysis of :mod:`.analysis` translated
to Spark SQL by SQLGlot and run over temporary views, the rows assembled as in DuckDB.

Local files are sniffed and decoded by :mod:`.inputs` first (UTF-16, JSON documents, gzip without
a ``.gz`` name); any other URI (``s3a://``, ``hdfs://``, ...) goes to Spark as given and must be
UTF-8 JSON Lines (gzip named ``.gz``) or Parquet (named ``.parquet``).

``seq`` is a struct (file, position in the file, position in a batch): Spark orders and compares
structs, so the log order needs no global sort.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..plan import ir
from . import analysis, inputs
from .dialects import Dialect, translate
from .engine import Audit, suppression_window, totals_dict
from .roles import Roles, roles
from .sql import JourneyError


def session(master: str = "local[*]", partitions: int = 8) -> Any:
    """A Spark session for the audit (UTC, no UI)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise JourneyError(
            "--engine spark needs pyspark: pip install 'tracking-plan-codegen[spark]'"
        ) from None
    try:
        spark = (
            SparkSession.builder.master(master)
            .appName("codegen-audit")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", str(partitions))
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        return spark
    except Exception as exc:  # no Java, a master that cannot be reached
        raise JourneyError(f"cannot start Spark on `{master}`: {exc}") from None


def _string(value: str) -> str:
    """A Spark SQL string literal (Spark reads backslash escapes)."""
    from sqlglot import exp

    return exp.Literal.string(value).sql(dialect="spark")


def _path(*keys: str) -> str:
    for key in keys:
        if "'" in key or "]" in key or "\\" in key:
            raise JourneyError(f"property name {key!r} cannot be used in a Spark JSON path")
    return _string("$" + "".join(f"['{k}']" for k in keys))


def messages_query(event_roles: Roles) -> str:
    """``raw(file, line, value)`` as the ``messages`` relation (Spark SQL: the Spark loader)."""

    def text(*keys: str) -> str:
        return f"get_json_object(json, {_path(*keys)})"

    money = [f"TRY_CAST({text('properties', m)} AS DOUBLE)" for m in event_roles.money]
    # x - x = 0 only for finite numbers: NaN and Infinity are not amounts
    amount = ", ".join(f"CASE WHEN {m} - {m} = 0 THEN {m} END" for m in money) or "NULL"
    identify = f"{text('type')} = 'identify'"
    return f"""
SELECT named_struct('file', file, 'line', line, 'pos', pos) AS seq,
  coalesce({text('type')}, CASE WHEN {text('event')} IS NOT NULL THEN 'track' END) AS type,
  {text('event')} AS event,
  nullif({text('userId')}, '') AS user_id,
  nullif({text('anonymousId')}, '') AS anonymous_id,
  nullif({text('previousId')}, '') AS previous_id,
  {text('messageId')} AS message_id,
  TRY_CAST({text('timestamp')} AS TIMESTAMP) AS ts,
  TRY_CAST({text('receivedAt')} AS TIMESTAMP) AS received_at,
  CASE WHEN {identify} THEN {text('traits', 'email')} END AS email,
  CASE WHEN {identify} THEN {text('traits', 'phone')} END AS phone,
  {text('properties', event_roles.checkout_key)} AS checkout_key,
  {text('properties', event_roles.cart_key)} AS cart_key,
  {text('properties', event_roles.order_key)} AS order_key,
  coalesce({amount}) AS amount
FROM expanded WHERE usable"""


def values_query(plan: ir.Plan) -> str:
    """``message_values`` in Spark SQL: every trait of every identify (a map of strings: Spark
    writes a number or an object as its JSON text), and the properties maintained traits copy."""
    seq = "named_struct('file', file, 'line', line, 'pos', pos)"
    parts = [f"""
SELECT {seq} AS seq, 'traits' AS source, t.name, t.value
FROM expanded
LATERAL VIEW explode(from_json(get_json_object(json, '$.traits'), 'map<string,string>'))
  t AS name, value
WHERE usable AND get_json_object(json, '$.type') = 'identify'"""]
    copied = {(m.event, m.property) for m in plan.maintained if m.property is not None}
    for event, prop in sorted(copied):
        parts.append(f"""
SELECT {seq}, 'properties', {_string(prop)}, get_json_object(json, {_path('properties', prop)})
FROM expanded
WHERE usable AND get_json_object(json, '$.event') = {_string(event)}
  AND coalesce(get_json_object(json, '$.type'), 'track') = 'track'""")
    return "\nUNION ALL".join(parts)


EXPANDED = """
SELECT file, line, pos, json, coalesce(json_object_keys(json) IS NOT NULL, FALSE) AS usable
FROM raw
LATERAL VIEW OUTER posexplode(
  CASE WHEN substr(ltrim(get_json_object(value, '$.batch')), 1, 1) = '['
       THEN from_json(get_json_object(value, '$.batch'), 'array<string>')
       ELSE array(value) END) AS pos, json
WHERE trim(value) <> ''"""


class SparkEngine:
    """The audit of one set of logs in one Spark session."""

    def __init__(
        self,
        plan: ir.Plan,
        sources: Sequence[str],
        suppression: ir.Window | None = None,
        spark: Any = None,
        master: str = "local[*]",
    ) -> None:
        self.plan = plan
        self.roles = roles(plan)
        found, note = suppression_window(plan, self.roles)
        self.suppression = suppression or found
        self.notes = list(self.roles.notes) + ([note] if note and not suppression else [])
        self._folder = tempfile.TemporaryDirectory(prefix="codegen-spark-")
        local = [s for s in sources if not _is_uri(s)]
        self.inputs = inputs.prepare(local, Path(self._folder.name))
        self.notes += list(self.inputs.notes)
        self.files = [
            *self.inputs.jsonl,
            *self.inputs.parquet,
            *(s for s in sources if _is_uri(s)),
        ]
        self.spark = spark if spark is not None else session(master)
        self.cached: list[Any] = []

    def _load(self) -> None:
        from pyspark.sql import functions as f

        frames = []
        for i, path in enumerate(self.files):
            if path.endswith(".parquet"):
                frame = self.spark.read.parquet(path).select(
                    f.to_json(f.struct("*")).alias("value")
                )
            else:
                frame = self.spark.read.text(path)
            frames.append(
                frame.select(
                    f.lit(i).alias("file"),
                    f.monotonically_increasing_id().alias("line"),
                    "value",
                )
            )
        raw = frames[0]
        for frame in frames[1:]:
            raw = raw.unionByName(frame)
        raw.createOrReplaceTempView("raw")
        expanded = self.spark.sql(EXPANDED).localCheckpoint(eager=True)
        expanded.createOrReplaceTempView("expanded")
        self.cached.append(expanded)

    def _run(self, relations: Sequence[analysis.Relation]) -> None:
        for relation in relations:
            query = relation.query
            if relation.name not in ("messages", "message_values"):
                query = translate(query, Dialect.spark, pretty=False)[0]
            # Every relation materialised with its lineage cut: as views (or cached tables),
            # Spark's plans would nest the whole chain and grow with every reuse (out of
            # memory on the final union).
            frame = self.spark.sql(query).localCheckpoint(eager=True)
            frame.createOrReplaceTempView(relation.name)
            self.cached.append(frame)

    def audit(self) -> Audit:
        try:
            self._load()
            pattern = self.plan.identity.user_id_pattern
            traits = analysis.TraitCheck.of(self.plan, every_key=True)
            self._run(
                [
                    analysis.Relation("messages", messages_query(self.roles)),
                    analysis.Relation("message_values", values_query(self.plan)),
                    *analysis.relations(self.roles, pattern, self.suppression, None, traits),
                ]
            )
            usage = [tuple(r) for r in self.spark.sql("SELECT * FROM trait_usage").collect()]
            columns = ", ".join(analysis.FINDING_COLUMNS)
            rows = self.spark.sql(f"SELECT {columns} FROM audit_findings").collect()
            unreadable = self.spark.sql("SELECT count(*) FROM expanded WHERE NOT usable")
            totals = self.spark.sql("SELECT * FROM audit_totals").collect()[0]
            count = int(unreadable.collect()[0][0])
        except JourneyError:
            raise
        except Exception as exc:  # pyspark's AnalysisException and friends: one line
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise JourneyError(f"Spark could not run the audit: {first}") from None
        findings = analysis.assemble([tuple(r) for r in rows], pattern)
        return Audit(
            findings,
            totals_dict((*totals, count), self.inputs.unreadable),
            tuple(self.notes),
            self.suppression,
            analysis.trait_usage(usage, (t.name for t in self.plan.traits)),
        )

    def close(self) -> None:
        for frame in self.cached:
            frame.unpersist()
        self._folder.cleanup()


def _is_uri(source: str) -> bool:
    return "://" in source and not source.startswith("file://")
