"""The audit over Segment's warehouse tables, in any dialect SQLGlot writes.

Segment's documented layout (https://www.twilio.com/docs/segment/connections/storage/warehouses/schema,
"Warehouse Schemas"): one schema per source holding ``identifies`` (traits as columns),
``aliases``, ``tracks`` (every track call, the event name in ``event_text``) and one table per
event named by its snake_case name, with the event's properties as columns (nested objects
flattened with ``_``, arrays as JSON text) besides ``id``, ``anonymous_id``, ``user_id``,
``received_at``, ``timestamp`` and ``context_*``. Collection and property names are converted
to snake_case (Segment uses go-snakecase; :func:`codegen.plan.names.snake` splits words the same
way for the names plans use).

This module only writes the loader (a ``messages`` query in the shape of
:data:`codegen.journeys.analysis.MESSAGE_COLUMNS`); the audit is :mod:`.analysis`, translated by
:mod:`.dialects`. Plan text reaches the SQL as string literals (event names) or as snake_case
identifiers (letters, digits and ``_`` only), never as SQL.
"""

from __future__ import annotations

import re

from ..plan import ir
from ..plan.names import snake
from . import analysis, dialects
from .dialects import Dialect
from .roles import Roles, roles
from .sql import UnsupportedError, literal

SCHEMA_DOCS = "https://www.twilio.com/docs/segment/connections/storage/warehouses/schema"
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$-]*)?")


def schema_name(schema: str | None) -> str | None:
    """A schema (or ``project.dataset``) as given, when it is a plain name; else an error."""
    if schema is not None and not _SCHEMA_NAME.fullmatch(schema):
        raise UnsupportedError(
            f"--schema `{schema}` is not a schema name (letters, digits and `_`, optionally "
            "`project.dataset`)"
        )
    return schema


def table_name(name: str) -> str:
    """The warehouse name of an event table or a property column."""
    table = snake(name)
    if not table or not re.fullmatch(r"[a-z_][a-z0-9_]*", table):
        raise UnsupportedError(f"`{name}` has no warehouse table or column name")
    return table


def _table(schema: str | None, name: str) -> str:
    return ".".join(f'"{part}"' for part in [*(schema.split(".") if schema else []), name])


def _row(
    kind: str,
    source: str,
    *,
    event: str = "CAST(NULL AS VARCHAR)",
    anonymous: str = "nullif(CAST(anonymous_id AS VARCHAR), '')",
    previous: str = "CAST(NULL AS VARCHAR)",
    email: str = "CAST(NULL AS VARCHAR)",
    phone: str = "CAST(NULL AS VARCHAR)",
    keys: tuple[str, str, str] = ("CAST(NULL AS VARCHAR)",) * 3,
    amount: str = "CAST(NULL AS DOUBLE)",
    where: str = "",
) -> str:
    return (
        f"SELECT {literal(kind)} AS type, {event} AS event, "
        "nullif(CAST(user_id AS VARCHAR), '') AS user_id, "
        f"{anonymous} AS anonymous_id, {previous} AS previous_id, "
        'CAST(id AS VARCHAR) AS message_id, CAST("timestamp" AS TIMESTAMPTZ) AS ts, '
        "CAST(received_at AS TIMESTAMPTZ) AS received_at, "
        f"{email} AS email, {phone} AS phone, {keys[0]} AS checkout_key, "
        f"{keys[1]} AS cart_key, {keys[2]} AS order_key, {amount} AS amount\n"
        f"  FROM {source}{where}"
    )


def messages(plan: ir.Plan, event_roles: Roles, schema: str | None) -> analysis.Relation:
    """Every identify, alias and track as one ``messages`` relation. Commerce events come from
    their own tables (their properties are columns there); other track calls from ``tracks``.
    A property or trait the plan does not declare is not read (Segment creates a column only
    once a value arrived, so naming undeclared ones could fail)."""
    traits = {t.name for t in plan.traits}

    def trait(name: str) -> str:
        return f"CAST({name} AS VARCHAR)" if name in traits else "CAST(NULL AS VARCHAR)"

    parts = [
        _row(
            "identify",
            _table(schema, "identifies"),
            email=trait("email"),
            phone=trait("phone"),
        ),
        _row(
            "alias",
            _table(schema, "aliases"),
            anonymous="CAST(NULL AS VARCHAR)",
            previous="nullif(CAST(previous_id AS VARCHAR), '')",
        ),
    ]
    commerce = [name for name, _ in event_roles.events]
    others = ", ".join(literal(name) for name in commerce)
    parts.append(
        _row(
            "track",
            _table(schema, "tracks"),
            event="CAST(event_text AS VARCHAR)",
            where=f"\n  WHERE event_text NOT IN ({others})" if others else "",
        )
    )
    for name in commerce:
        event = plan.event(name)
        declared = {f.name for f in event.fields} if event else set()

        def column(prop: str, declared: set[str] = declared) -> str:
            if prop not in declared:
                return "CAST(NULL AS VARCHAR)"
            return f"CAST({table_name(prop)} AS VARCHAR)"

        money = [f"CAST({table_name(m)} AS DOUBLE)" for m in event_roles.money if m in declared]
        parts.append(
            _row(
                "track",
                _table(schema, table_name(name)),
                event="CAST(event_text AS VARCHAR)",
                keys=(
                    column(event_roles.checkout_key),
                    column(event_roles.cart_key),
                    column(event_roles.order_key),
                ),
                amount=f"coalesce({', '.join(money)})" if money else "CAST(NULL AS DOUBLE)",
                where=f"\n  WHERE event_text = {literal(name)}",
            )
        )
    union = "\nUNION ALL\n".join(parts)
    # A warehouse keeps no log order: time, then arrival, then id order the messages.
    return analysis.Relation(
        "messages",
        "SELECT ROW_NUMBER() OVER (ORDER BY ts, received_at, message_id, type) AS seq, u.*\n"
        f"FROM (\n{union}\n) AS u",
    )


def message_values(plan: ir.Plan, schema: str | None) -> analysis.Relation:
    """``message_values`` of the maintained traits (columns of ``identifies``) and of the
    properties they copy (columns of the event's table), joined to ``messages`` by message id.
    A NULL column is a trait not sent: a warehouse cannot tell it from a trait cleared with
    ``null``, so a cleared maintained trait keeps its previous value here."""
    parts = []
    for trait in sorted({m.trait for m in plan.maintained}):
        column = table_name(trait)
        parts.append(
            f"SELECT m.seq, 'traits' AS source, {literal(trait)} AS name, "
            f"CAST(t.{column} AS VARCHAR) AS value\n"
            f"  FROM {_table(schema, 'identifies')} AS t JOIN messages AS m\n"
            "    ON m.type = 'identify' AND m.message_id = CAST(t.id AS VARCHAR)\n"
            f"  WHERE t.{column} IS NOT NULL"
        )
    copied = {(m.event, m.property) for m in plan.maintained if m.property is not None}
    for event, prop in sorted(copied):
        column = table_name(prop)
        parts.append(
            f"SELECT m.seq, 'properties', {literal(prop)}, CAST(t.{column} AS VARCHAR)\n"
            f"  FROM {_table(schema, table_name(event))} AS t JOIN messages AS m\n"
            f"    ON m.type = 'track' AND m.event = {literal(event)}\n"
            "    AND m.message_id = CAST(t.id AS VARCHAR)"
        )
    return analysis.Relation("message_values", "\nUNION ALL\n".join(parts))


def audit_relations(
    plan: ir.Plan, schema: str | None, suppression: ir.Window
) -> list[analysis.Relation]:
    """The loader, then the audit. Traits are columns here: only the planned ones can be
    named, so unplanned and unused traits are not counted (``trait_usage`` is left out)."""
    event_roles = roles(plan)
    schema = schema_name(schema)
    loaded = [messages(plan, event_roles, schema)]
    traits = None
    if plan.maintained:
        loaded.append(message_values(plan, schema))
        traits = analysis.TraitCheck.of(plan, every_key=False)
    pattern = plan.identity.user_id_pattern
    return [*loaded, *analysis.relations(event_roles, pattern, suppression, None, traits)]


FINDINGS_SELECT = (
    f"SELECT {', '.join(analysis.FINDING_COLUMNS)} FROM audit_findings "
    "ORDER BY kind, finding, item, ord"
)
TOTALS_SELECT = f"SELECT {', '.join(analysis.TOTAL_NAMES)} FROM audit_totals"


def queries(
    plan: ir.Plan, dialect: Dialect, schema: str | None, suppression: ir.Window
) -> tuple[str, str]:
    """The findings query and the totals query, in ``dialect``."""
    relations = audit_relations(plan, schema, suppression)
    findings = dialects.with_query(relations, "audit_findings", FINDINGS_SELECT)
    totals = dialects.with_query(relations, "audit_totals", TOTALS_SELECT)
    return (
        dialects.translate(findings, dialect)[0],
        dialects.translate(totals, dialect)[0],
    )


def emit(plan: ir.Plan, dialect: Dialect, schema: str | None, suppression: ir.Window) -> str:
    findings, totals = queries(plan, dialect, schema, suppression)
    where = f"schema `{schema}`" if schema else "the default schema (search path)"
    head = [
        f"-- Generated by codegen: the journey audit of plan `{_comment(plan.name)}` in "
        f"{dialect.value},",
        f"-- over Segment's warehouse tables in {where}. Layout: {SCHEMA_DOCS}",
        f"-- Suppression window for late purchases: {suppression}.",
        "-- Two queries. 1: the findings, one row per profile, message id or event of each",
        "-- finding (kind, finding), in order `ord`. 2: the totals.",
    ]
    return "\n".join(head) + f"\n\n{findings};\n\n{totals};\n"


def _comment(text: str) -> str:
    return " ".join(text.split()).replace("*/", "* /")
