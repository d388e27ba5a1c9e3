"""The analysis in other SQL dialects: SQLGlot translates the portable DuckDB text, so no dialect
has a hand-written copy of the logic.

Literals are parsed and printed again by SQLGlot, which escapes them the way the target dialect
reads them (BigQuery and Spark with backslashes, the others by doubling quotes).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence

from .analysis import Relation
from .sql import JourneyError


class Dialect(enum.StrEnum):
    duckdb = "duckdb"
    postgres = "postgres"
    snowflake = "snowflake"
    bigquery = "bigquery"
    redshift = "redshift"
    spark = "spark"


def translate(text: str, dialect: Dialect, pretty: bool = True) -> list[str]:
    """DuckDB SQL (one or more statements) in ``dialect``, one string per statement."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    try:
        return [
            s
            for s in sqlglot.transpile(
                text,
                read="duckdb",
                write=dialect.value,
                pretty=pretty,
                unsupported_level=sqlglot.ErrorLevel.RAISE,
            )
            if s.strip()
        ]
    except SqlglotError as exc:
        raise JourneyError(f"the audit cannot be written in {dialect.value}: {exc}") from None


def needed(relations: Sequence[Relation], final: str) -> list[Relation]:
    """The relations ``final`` reads, directly or not, in their order (``final`` last)."""
    by_name = {r.name: r for r in relations}
    wanted = {final}
    for relation in reversed(relations):
        if relation.name in wanted:
            wanted |= {
                name
                for name in by_name
                if name != relation.name and re.search(rf"\b{name}\b", relation.query)
            }
    return [r for r in relations if r.name in wanted]


def with_query(relations: Sequence[Relation], final: str, select: str) -> str:
    """One statement: the relations ``final`` needs as common table expressions, then
    ``select`` (which reads ``final``)."""
    chain = needed(relations, final)
    ctes = ",\n".join(f"{r.name} AS (\n{r.query.strip()}\n)" for r in chain)
    return f"WITH {ctes}\n{select}"
