"""The audit and the simulation on Apache Spark: the logs read by Spark, the analysis of
:mod:`.analysis` and the segment SQL of :func:`.sql.segments` translated to Spark SQL by SQLGlot
and run over temporary views, the rows assembled as in DuckDB.

Local files are sniffed and decoded by :mod:`.inputs` first (UTF-16, JSON documents, gzip without
a ``.gz`` name); any other URI (``s3a://``, ``hdfs://``, ...) goes to Spark as given and must be
UTF-8 JSON Lines (gzip named ``.gz``) or Parquet (named ``.parquet``).

``seq`` is a struct (file, position in the file, position in a batch): Spark orders and compares
structs, so the log order needs no global sort.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..plan import ir
from ..validate.spark import first_line
from . import analysis, inputs, sql
from .dialects import Dialect, translate
from .engine import Audit, Membership, Simulation, suppression_window, totals_dict
from .roles import Roles, roles
from .sql import JourneyError


def session(master: str = "local[*]", partitions: int = 8) -> Any:
    """A Spark session for the audit (:func:`codegen.validate.spark.session`)."""
    from ..validate.spark import SparkError
    from ..validate.spark import session as spark_session

    try:
        return spark_session(master, partitions, "codegen-audit")
    except SparkError as exc:
        raise JourneyError(str(exc)) from None


def _string(value: str) -> str:
    """A Spark SQL string literal (Spark reads backslash escapes)."""
    from sqlglot import exp

    return exp.Literal.string(value).sql(dialect="spark")


def _path(*keys: str) -> str:
    for key in keys:
        if "'" in key or "]" in key or "\\" in key:
            raise JourneyError(f"property name {key!r} cannot be used in a Spark JSON path")
    return _string("$" + "".join(f"['{k}']" for k in keys))


def _extract(source: str, parts: Sequence[str], arrays: Sequence[bool], depth: int = 0) -> str:
    """Spark's ``json_extract_string(source, '$.a[*].b')``: a string, or an array of strings
    when the path crosses arrays (flattened, as DuckDB's ``[*]`` paths are)."""
    cut = next((i for i, many in enumerate(arrays) if many), None)
    if cut is None:
        return f"get_json_object({source}, {_path(*parts)})"
    items = f"from_json(get_json_object({source}, {_path(*parts[: cut + 1])}), 'array<string>')"
    rest, rest_arrays = parts[cut + 1 :], arrays[cut + 1 :]
    if not rest:
        return items
    x = f"x{depth}"
    inner = _extract(x, rest, rest_arrays, depth + 1)
    mapped = f"transform({items}, {x} -> {inner})"
    return f"flatten({mapped})" if any(rest_arrays) else mapped


def messages_query(event_roles: Roles, filters: Sequence[sql.FilterColumn] = ()) -> str:
    """``raw(file, line, value)`` as the ``messages`` relation (Spark SQL: the Spark loader),
    with the identify traits and the property paths segments filter on (as
    :func:`.sql.load`)."""

    def text(*keys: str) -> str:
        return f"get_json_object(json, {_path(*keys)})"

    money = [f"TRY_CAST({text('properties', m)} AS DOUBLE)" for m in event_roles.money]
    # x - x = 0 only for finite numbers: NaN and Infinity are not amounts
    amount = ", ".join(f"CASE WHEN {m} - {m} = 0 THEN {m} END" for m in money) or "NULL"
    identify = f"{text('type')} = 'identify'"
    extra = "".join(
        f",\n  {_extract('json', ('properties', *c.path), (False, *c.arrays))} AS {c.name}"
        for c in filters
    )
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
  coalesce({amount}) AS amount,
  CASE WHEN {identify} THEN {text('traits')} END AS traits{extra}
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


def segment_queries(
    plan: ir.Plan, filters: Sequence[sql.FilterColumn], at: datetime | None
) -> list[tuple[str, str]]:
    """The segment simulation of :func:`.sql.segments` as Spark SQL, one ``(table, query)`` per
    statement: SQLGlot translates it, after rewriting the few DuckDB functions it has no Spark
    spelling for (see :func:`_spark_only`)."""
    import sqlglot
    from sqlglot import exp

    script = sql.Script()
    moment = sql.literal(at.isoformat()) if at else "NULL"
    script.parameters["as_of"] = f"CAST({moment} AS TIMESTAMPTZ)"
    sql.segments(script, plan, filters)
    parameters = {
        name: sqlglot.parse_one(value, read="duckdb") for name, value in script.parameters.items()
    }
    out: list[tuple[str, str]] = []
    columns: list[str] = []  # of person_traits, for the base relation's COLUMNS(t.*)
    for statement in script.statements:
        create = sqlglot.parse_one(statement, read="duckdb")
        assert isinstance(create, exp.Create) and create.expression is not None, statement
        name = create.this.name
        query = _spark_only(create.expression, parameters, columns)
        if name == "person_traits":
            columns = [e.alias_or_name for e in query.selects if e.alias_or_name != "profile"]
        try:
            text = query.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
        except sqlglot.errors.SqlglotError as exc:
            raise JourneyError(f"the simulation cannot be written in Spark SQL: {exc}") from None
        out.append((name, text))
    return out


def _spark_only(query: Any, parameters: dict[str, Any], columns: Sequence[str]) -> Any:
    """DuckDB spellings SQLGlot does not translate, as Spark SQL with the same meaning."""
    import json

    from sqlglot import exp, parse_one

    def spark(text: str, h: exp.Expression | None = None) -> Any:
        """Spark SQL text, its column ``h`` replaced by the expression ``h``."""
        parsed: Any = parse_one(text, read="spark")
        for column in list(parsed.find_all(exp.Column)):
            if h is not None and column.name == "h" and not column.table:
                column.replace(h.copy())
        return parsed

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous):
            name = node.name.lower()
            args = node.expressions
            if name == "getvariable":
                value: exp.Expression = parameters[args[0].name].copy()
                return value
            if name == "arg_max_null":  # max_by keeps a NULL value (a trait cleared by null)
                return exp.Anonymous(this="max_by", expressions=args)
            if name == "json_contains":  # an array trait holding the element, by JSON value
                found: exp.Expression = spark(
                    "exists(try_variant_get(try_parse_json(h), '$', 'array<variant>'), "
                    f"x -> {_element_test(json.loads(args[1].name))})",
                    h=args[0],
                )
                return found
        if (
            isinstance(node, exp.EQ)
            and isinstance(node.this, exp.JSONType)
            and node.expression.name == "NULL"
        ):  # the trait is present and JSON null
            path = node.this.expression.name
            key = path.removeprefix('$."').removesuffix('"')
            if path != f'$."{key}"' or '"' in key:
                raise JourneyError(f"JSON path {path} cannot be used in Spark SQL")
            present = spark(
                f"get_json_object(h, {_path(key)}) IS NULL "
                f"AND array_contains(json_object_keys(h), {_string(key)})",
                h=node.this.this,
            )
            return exp.Paren(this=present)
        if isinstance(node, exp.Length) and isinstance(node.this, exp.ArrayFilter):
            return exp.ArraySize(this=node.this)
        return node

    query = query.transform(rewrite)
    for select in query.find_all(exp.Select):
        for i, expression in enumerate(select.expressions):
            if expression.find(exp.Columns):  # any_value(COLUMNS(t.* EXCLUDE (profile)))
                table = expression.find(exp.Column).table
                values = [spark(f"any_value({table}.{c}) AS {c}") for c in columns]
                expressions = list(select.expressions)
                expressions[i : i + 1] = values
                select.set("expressions", expressions)
                break
    return query


def _element_test(needle: object) -> str:
    """Whether the variant ``x`` is the JSON value ``needle`` (3 and 3.0 are the same number)."""
    if isinstance(needle, bool):
        value = "TRUE" if needle else "FALSE"
        return f"schema_of_variant(x) = 'BOOLEAN' AND try_variant_get(x, '$', 'boolean') = {value}"
    if isinstance(needle, int | float):
        return (
            "schema_of_variant(x) NOT IN ('STRING', 'BOOLEAN') "
            f"AND try_variant_get(x, '$', 'double') = {float(needle)!r}"
        )
    return (
        "schema_of_variant(x) = 'STRING' "
        f"AND try_variant_get(x, '$', 'string') = {_string(str(needle))}"
    )


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
        self.filters = sql.filter_columns(plan)
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

    def _run(self, relations: Sequence[analysis.Relation], spark_sql: bool = False) -> None:
        """Materialise ``relations`` (DuckDB SQL, or Spark SQL already with ``spark_sql``)."""
        for relation in relations:
            query = relation.query
            if relation.name not in ("messages", "message_values") and not spark_sql:
                query = translate(query, Dialect.spark, pretty=False)[0]
            # Every relation materialised with its lineage cut: as views (or cached tables),
            # Spark's plans would nest the whole chain and grow with every reuse (out of
            # memory on the final union).
            frame = self.spark.sql(query).localCheckpoint(eager=True)
            frame.createOrReplaceTempView(relation.name)
            self.cached.append(frame)

    def _messages(self) -> int:
        """Read the logs into the ``messages`` relation; returns the unreadable lines."""
        self._load()
        self._run([analysis.Relation("messages", messages_query(self.roles, self.filters))])
        count = self.spark.sql("SELECT count(*) FROM expanded WHERE NOT usable").collect()[0][0]
        return int(count) + self.inputs.unreadable

    def audit(self) -> Audit:
        try:
            unreadable = self._messages()
            pattern = self.plan.identity.user_id_pattern
            traits = analysis.TraitCheck.of(self.plan, every_key=True)
            self._run(
                [
                    analysis.Relation("message_values", values_query(self.plan)),
                    *analysis.relations(self.roles, pattern, self.suppression, None, traits),
                ]
            )
            usage = [tuple(r) for r in self.spark.sql("SELECT * FROM trait_usage").collect()]
            columns = ", ".join(analysis.FINDING_COLUMNS)
            rows = self.spark.sql(f"SELECT {columns} FROM audit_findings").collect()
            totals = self.spark.sql("SELECT * FROM audit_totals").collect()[0]
        except JourneyError:
            raise
        except Exception as exc:  # pyspark's AnalysisException and friends: one line
            raise JourneyError(f"Spark could not run the audit: {first_line(exc)}") from None
        findings = analysis.assemble([tuple(r) for r in rows], pattern)
        return Audit(
            findings,
            totals_dict((*totals, unreadable), 0),
            tuple(self.notes),
            self.suppression,
            analysis.trait_usage(usage, (t.name for t in self.plan.traits)),
        )

    def simulate(self, at: datetime | None) -> Simulation:
        """Segment membership at ``at`` (default: the last timestamp), as
        :meth:`.engine.Engine.simulate`: phantoms (of QA segments) from the audit of the whole
        log; without a QA segment the audit is not run."""
        qa = any(segment.qa for segment in self.plan.segments)
        phantoms: set[str] = set()
        if qa:
            audited = self.audit()
            unreadable = int(audited.totals["unreadable"])
            phantoms = {f.profiles[0] for f in audited.findings if f.kind == "phantom_abandoner"}
        try:
            if not qa:
                unreadable = self._messages()
            if at is None:
                last = self.spark.sql(
                    "SELECT date_format(max(ts), \"yyyy-MM-dd'T'HH:mm:ss.SSSSSS\") FROM messages"
                ).collect()[0][0]
                at = datetime.fromisoformat(last).replace(tzinfo=UTC) if last else None
            self._run(analysis.identities(self.roles, at))
            queries = segment_queries(self.plan, self.filters, at)
            self._run([analysis.Relation(n, q) for n, q in queries], spark_sql=True)
            rows = self.spark.sql("SELECT * FROM membership").collect()
        except JourneyError:
            raise
        except Exception as exc:
            raise JourneyError(f"Spark could not run the simulation: {first_line(exc)}") from None
        out = []
        for segment in self.plan.segments:
            column = f"seg_{segment.id}"
            members = tuple(sorted(r["profile"] for r in rows if r[column]))
            phantom = tuple(m for m in members if m in phantoms) if segment.qa else ()
            out.append(Membership(segment.id, segment.name, members, phantom))
        return Simulation(at, tuple(out), tuple(self.notes), unreadable)

    def close(self) -> None:
        for frame in self.cached:
            frame.unpersist()
        self._folder.cleanup()


def _is_uri(source: str) -> bool:
    return "://" in source and not source.startswith("file://")
