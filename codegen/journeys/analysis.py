"""The audit, defined once: named SELECT queries over a ``messages`` relation, in the subset of
DuckDB's SQL that SQLGlot translates to every warehouse dialect and to Spark.

What this module owns:

- the contract of ``messages`` (:data:`MESSAGE_COLUMNS`): one row per Segment message, made by a
  loader per source (:func:`codegen.journeys.sql.load` from JSON logs in DuckDB,
  :mod:`codegen.journeys.warehouse` from Segment's warehouse tables,
  :mod:`codegen.journeys.spark` from logs in Spark);
- the contract of ``message_values`` (:data:`VALUE_COLUMNS`), the traits of identify calls and
  the properties maintained traits copy, one row per message and name, made by the same loaders
  (:func:`codegen.journeys.sql.message_values`, :func:`codegen.journeys.warehouse.message_values`,
  :func:`codegen.journeys.spark.values_query`);
- the queries (:func:`relations`), each a portable ``SELECT``: no lists, no JSON functions, no
  ``getvariable``, no DuckDB-only joins. Parameters are inlined as literals made by
  :func:`codegen.journeys.sql.literal`; SQLGlot re-escapes them for each dialect;
- the one result, ``audit_findings``, in long form (one row per profile, message id or event of a
  finding, :data:`FINDING_COLUMNS`), because arrays are not portable (Redshift has none), and
  :func:`assemble`, which turns those rows into :class:`Finding` values and words each finding.

Every engine runs these queries and calls :func:`assemble`: that is what makes their answers
identical.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, assert_never

from ..plan import ir
from ..plan.profile_rules import ALIAS_MERGES, ANONYMOUS_MERGE
from .roles import Roles
from .sql import SHARED_ID_PROFILES, interval, literal

MESSAGE_COLUMNS = (
    "seq",  # a unique number giving the order of the messages in the logs (ties in time)
    "type",
    "event",
    "user_id",
    "anonymous_id",
    "previous_id",
    "message_id",
    "ts",  # TIMESTAMP WITH TIME ZONE, from `timestamp`
    "received_at",
    "email",  # the email trait of an identify, else NULL
    "phone",
    "checkout_key",
    "cart_key",
    "order_key",
    "amount",  # DOUBLE: the first of the plan's money properties that is a finite number
)

VALUE_COLUMNS = (
    "seq",  # the message, as in ``messages``
    "source",  # 'traits' (of an identify) or 'properties' (of a track)
    "name",  # the trait or property
    "value",  # VARCHAR: the value as text, NULL for a JSON null
)

FIRST = 5  # message ids (and shared-id profiles) listed per finding
LAST = 2147483647  # the order of an item listed after all others

FINDING_COLUMNS = (
    "kind",
    "finding",  # numbers the findings of one kind
    "revenue",
    "note",  # phantom: the id matched; duplicate: the contact; email_as_user_id: `email`
    "key_kind",
    "key_value",
    "profile_count",
    "message_count",
    "ts",
    "received_at",
    "expected",
    "item",  # profile | message | event
    "ord",
    "item_value",
)
_HEAD_TYPES = {
    "revenue": "DOUBLE",
    "note": "VARCHAR",
    "key_kind": "VARCHAR",
    "key_value": "VARCHAR",
    "profile_count": "BIGINT",
    "message_count": "BIGINT",
    "ts": "TIMESTAMPTZ",
    "received_at": "TIMESTAMPTZ",
    "expected": "VARCHAR",  # stale_trait: the value the events give (last_value)
}


@dataclass(frozen=True)
class Relation:
    """One named query of the analysis; later ones read earlier ones by name."""

    name: str
    query: str


@dataclass(frozen=True)
class Finding:
    kind: str
    profiles: tuple[str, ...]
    message_ids: tuple[str, ...]
    revenue: float | None
    detail: str
    facts: dict[str, Any] | None = None  # shared_identifier: key, value, events, counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "profiles": list(self.profiles),
            "message_ids": list(self.message_ids),
            "revenue": self.revenue,
            "detail": self.detail,
            **({"facts": self.facts} if self.facts is not None else {}),
        }


_COMPARE_AS = {
    ir.Kind.INTEGER: "DOUBLE",
    ir.Kind.NUMBER: "DOUBLE",
    ir.Kind.DATETIME: "TIMESTAMPTZ",
    ir.Kind.DATE: "DATE",
}


@dataclass(frozen=True)
class TraitCheck:
    """What the trait part of the audit needs. The loader made ``message_values``
    (:data:`VALUE_COLUMNS`) holding at least the maintained traits of every identify and the
    properties they copy. ``every_key``: it holds every trait key sent, so unplanned and unused
    traits can be counted (true of logs; a warehouse has traits as columns, and only planned
    ones can be named)."""

    maintained: tuple[ir.Maintained, ...]
    every_key: bool
    casts: tuple[tuple[str, str], ...] = ()  # trait -> SQL type its values compare as

    @classmethod
    def of(cls, plan: ir.Plan, every_key: bool) -> TraitCheck:
        casts = []
        for m in plan.maintained:
            trait = plan.trait(m.trait)
            cast = _COMPARE_AS.get(trait.type.kind) if trait else None
            if cast:
                casts.append((m.trait, cast))
        return cls(plan.maintained, every_key, tuple(casts))


@dataclass(frozen=True)
class TraitUsage:
    """Traits sent in identify that the plan does not declare (with how many messages and
    profiles sent each), and planned traits no identify sent."""

    unplanned: tuple[tuple[str, int, int], ...]
    unused: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "unplanned": [{"trait": t, "messages": m, "profiles": p} for t, m, p in self.unplanned],
            "unused": list(self.unused),
        }


def trait_usage(rows: Iterable[Sequence[Any]], planned: Iterable[str]) -> TraitUsage:
    """``trait_usage`` rows (trait, messages, profiles) split against the plan's traits."""
    planned = set(planned)
    sent = {str(r[0]): (int(r[1]), int(r[2])) for r in rows}
    return TraitUsage(
        tuple((t, *sent[t]) for t in sorted(set(sent) - planned)),
        tuple(sorted(planned - set(sent))),
    )


# -- queries -------------------------------------------------------------------------------------


def role_case(roles: Roles, column: str = "m.event") -> str:
    """The commerce role of an event as a CASE (VALUES lists are not portable to BigQuery)."""
    if not roles.events:
        return "CAST(NULL AS VARCHAR)"
    whens = " ".join(f"WHEN {literal(e)} THEN {literal(r.value)}" for e, r in roles.events)
    return f"CASE {column} {whens} END"


def identities(roles: Roles, as_of: datetime | None) -> list[Relation]:
    """An identify (or alias) carrying both ids links an anonymousId to a person; the first
    link wins, as when Customer.io merges the anonymous profile into the person."""
    moment = f"CAST({literal(as_of.isoformat())} AS TIMESTAMPTZ)" if as_of else None
    links = Relation(
        "links",
        f"""
-- rule {ANONYMOUS_MERGE.id}: an identify carrying both ids merges the anonymous profile
SELECT anonymous_id, user_id, linked_at FROM (
  SELECT anonymous_id, user_id, MIN(ts) OVER (PARTITION BY anonymous_id) AS linked_at,
         ROW_NUMBER() OVER (PARTITION BY anonymous_id ORDER BY ts NULLS LAST, seq) AS pick
  FROM (
    SELECT anonymous_id, user_id, ts, seq FROM messages
    WHERE type = 'identify' AND anonymous_id IS NOT NULL AND user_id IS NOT NULL
    UNION ALL
    SELECT previous_id, user_id, ts, seq FROM messages
    WHERE type = 'alias' AND previous_id IS NOT NULL AND user_id IS NOT NULL
  ) AS pairs
) AS ranked
WHERE pick = 1""",
    )
    user_links = Relation(
        "user_links",
        f"""
-- rule {ALIAS_MERGES.id}: an alias from a userId to another merges the first person into the
-- second (one step), from the moment of the alias
SELECT from_user, user_id, linked_at FROM (
  SELECT previous_id AS from_user, user_id,
         MIN(ts) OVER (PARTITION BY previous_id) AS linked_at,
         ROW_NUMBER() OVER (PARTITION BY previous_id ORDER BY ts NULLS LAST, seq) AS pick
  FROM messages
  WHERE type = 'alias' AND user_id IS NOT NULL AND previous_id <> user_id
    AND previous_id IN (SELECT user_id FROM messages WHERE user_id IS NOT NULL)
) AS ranked
WHERE pick = 1""",
    )
    linked = f" AND l.linked_at <= {moment}" if moment else ""
    user_linked = f" AND u.linked_at <= {moment}" if moment else ""
    before = f"\n  AND m.ts <= {moment}" if moment else ""
    resolved = Relation(
        "resolved",
        f"""
SELECT m.*,
       coalesce(u.user_id, m.user_id, l.user_id, 'anon:' || m.anonymous_id) AS profile,
       m.user_id IS NULL AND l.user_id IS NULL AS anonymous,
       {role_case(roles)} AS role
FROM messages AS m
LEFT JOIN links AS l ON m.user_id IS NULL AND l.anonymous_id = m.anonymous_id{linked}
LEFT JOIN user_links AS u ON u.from_user = coalesce(m.user_id, l.user_id){user_linked}
WHERE m.type IN ('track', 'identify')
  AND coalesce(m.user_id, m.anonymous_id) IS NOT NULL{before}""",
    )
    return [links, user_links, resolved]


def _head(name: str, source: str, **columns: str) -> Relation:
    """One row per finding: ``finding`` plus the head columns (typed NULL when not given) plus
    the columns the items join on."""
    keys = columns.pop("keys")
    selects = [columns.pop("finding") + " AS finding"]
    selects += [
        f"{columns.pop(c)} AS {c}" if c in columns else f"CAST(NULL AS {t}) AS {c}"
        for c, t in _HEAD_TYPES.items()
    ]
    assert not columns, columns
    return Relation(name, f"SELECT {', '.join(selects)}, {keys}\n{source}")


def findings(
    roles: Roles,
    user_id_pattern: str | None,
    suppression: ir.Window,
    traits: TraitCheck | None = None,
) -> list[Relation]:
    out = [
        # One row per (message, id) for every cart, checkout and purchase carrying an id.
        Relation(
            "keyed",
            """
SELECT seq, profile, message_id, event, role, ts, amount, anonymous,
       'checkout' AS key_kind, checkout_key AS key_value
FROM resolved WHERE role IN ('checkout', 'cart', 'purchase') AND checkout_key IS NOT NULL
UNION ALL
SELECT seq, profile, message_id, event, role, ts, amount, anonymous, 'cart', cart_key
FROM resolved WHERE role IN ('checkout', 'cart', 'purchase') AND cart_key IS NOT NULL""",
        ),
        # Degenerate ids first: counted with a hash aggregate, before any join on ids.
        Relation(
            "shared_keys",
            f"""
SELECT key_kind, key_value FROM keyed GROUP BY key_kind, key_value
HAVING count(DISTINCT profile) > {SHARED_ID_PROFILES}""",
        ),
        Relation("starts", _unshared("role IN ('checkout', 'cart')")),
        Relation("purchases", _unshared("role = 'purchase'")),
        # A cart or checkout is bought when a purchase carries any one of its ids (a purchase
        # may omit the optional cart_id); `own_bought` when that purchase is on the same profile.
        Relation("bought", _bought("")),
        Relation("own_bought", _bought(" AND p.profile = s.profile")),
    ]
    out += _phantom() + _shared() + _unstitched() + _duplicates()
    out += _email_as_user_id(user_id_pattern) + _late(suppression) + _missing_email()
    if traits is not None:
        out += _stale(traits.maintained, dict(traits.casts))
    kinds = [r.name.removesuffix("_heads") for r in out if r.name.endswith("_heads")]
    head = ", ".join(f"h.{c}" for c in ("finding", *_HEAD_TYPES))
    out.append(
        Relation(
            "audit_findings",
            "\nUNION ALL\n".join(
                f"SELECT {literal(kind)} AS kind, {head}, i.item, i.ord, i.item_value\n"
                f"FROM {kind}_heads AS h JOIN {kind}_items AS i ON i.finding = h.finding"
                for kind in kinds
            ),
        )
    )
    out.append(Relation("audit_totals", _TOTALS))
    if traits is not None and traits.every_key:
        out.append(Relation("trait_usage", _TRAIT_USAGE))
    return out


def _unshared(where: str) -> str:
    return f"""
SELECT k.* FROM keyed AS k
WHERE {where} AND NOT EXISTS (
  SELECT 1 FROM shared_keys AS x WHERE x.key_kind = k.key_kind AND x.key_value = k.key_value)"""


def _bought(same_profile: str) -> str:
    return f"""
SELECT DISTINCT s.seq FROM starts AS s
WHERE EXISTS (
  SELECT 1 FROM purchases AS p
  WHERE p.key_kind = s.key_kind AND p.key_value = s.key_value{same_profile})"""


def _first(source: str, partition: str, finding: str) -> str:
    """Item rows for the first :data:`FIRST` message ids of each finding, in log order."""
    return f"""
SELECT h.finding, 'message' AS item, r.ord, r.message_id AS item_value FROM (
  SELECT {partition}, message_id, ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY seq) AS ord
  {source}
) AS r JOIN {finding} AS h ON {" AND ".join(f"h.{c} = r.{c}" for c in partition.split(", "))}
WHERE r.ord <= {FIRST}"""


def _phantom() -> list[Relation]:
    # phantom_abandoner: cart/checkout on one profile, the purchase with the same id on another
    pairs = Relation(
        "phantom_pairs",
        """
SELECT s.profile, p.profile AS buyer, p.message_id AS purchase_id, p.amount AS revenue,
       s.message_id AS start_id, s.key_kind || ' id ' || s.key_value AS via,
       DENSE_RANK() OVER (ORDER BY s.profile, p.profile, p.message_id, p.amount) AS finding
FROM starts AS s
JOIN purchases AS p
  ON p.key_kind = s.key_kind AND p.key_value = s.key_value AND p.profile <> s.profile
WHERE NOT EXISTS (SELECT 1 FROM own_bought AS o WHERE o.seq = s.seq)""",
    )
    heads = _head(
        "phantom_abandoner_heads",
        "FROM phantom_pairs GROUP BY finding, revenue, profile, buyer, purchase_id",
        finding="finding",
        revenue="revenue",
        note="min(via)",
        keys="profile, buyer, purchase_id",
    )
    items = Relation(
        "phantom_abandoner_items",
        f"""
SELECT finding, 'profile' AS item, 1 AS ord, profile AS item_value FROM phantom_abandoner_heads
UNION ALL
SELECT finding, 'profile', 2, buyer FROM phantom_abandoner_heads
UNION ALL
SELECT finding, 'message', DENSE_RANK() OVER (PARTITION BY finding ORDER BY start_id), start_id
FROM (SELECT DISTINCT finding, start_id FROM phantom_pairs WHERE start_id IS NOT NULL) AS d
UNION ALL
SELECT finding, 'message', {LAST}, purchase_id FROM phantom_abandoner_heads""",
    )
    return [pairs, heads, items]


def _shared() -> list[Relation]:
    # shared_identifier: one id on the carts/checkouts/orders of many profiles
    source = """FROM keyed AS k
WHERE EXISTS (
  SELECT 1 FROM shared_keys AS x WHERE x.key_kind = k.key_kind AND x.key_value = k.key_value)"""
    heads = _head(
        "shared_identifier_heads",
        source + "\nGROUP BY k.key_kind, k.key_value",
        finding="DENSE_RANK() OVER (ORDER BY k.key_kind, k.key_value)",
        key_kind="k.key_kind",
        key_value="k.key_value",
        profile_count="count(DISTINCT k.profile)",
        message_count="count(*)",
        keys="k.key_kind AS kind_of_key, k.key_value AS value_of_key",
    )
    shared = "SELECT DISTINCT k.key_kind, k.key_value, k.{0} " + source
    join = "h.kind_of_key = d.key_kind AND h.value_of_key = d.key_value"
    items = Relation(
        "shared_identifier_items",
        f"""
SELECT finding, 'profile' AS item, ord, item_value FROM (
  SELECT h.finding, d.profile AS item_value,
         ROW_NUMBER() OVER (PARTITION BY h.finding ORDER BY d.profile) AS ord
  FROM ({shared.format("profile")}) AS d JOIN shared_identifier_heads AS h ON {join}
) AS p WHERE ord <= {FIRST}
UNION ALL
SELECT h.finding, 'event', ROW_NUMBER() OVER (PARTITION BY h.finding ORDER BY d.event), d.event
FROM ({shared.format("event")}) AS d JOIN shared_identifier_heads AS h ON {join}
UNION ALL
SELECT finding, 'message', ord, item_value FROM (
  SELECT h.finding, k.message_id AS item_value,
         ROW_NUMBER() OVER (PARTITION BY h.finding ORDER BY k.seq) AS ord
  FROM keyed AS k JOIN shared_identifier_heads AS h
    ON h.kind_of_key = k.key_kind AND h.value_of_key = k.key_value
) AS m WHERE ord <= {FIRST}""",
    )
    return [heads, items]


def _per_profile(kind: str, where: str, revenue: str | None) -> list[Relation]:
    """Findings of one profile each: the profile, a count and the first message ids."""
    source = f"FROM resolved WHERE {where}"
    heads = _head(
        f"{kind}_heads",
        source + " GROUP BY profile",
        finding="DENSE_RANK() OVER (ORDER BY profile)",
        message_count="count(*)",
        keys="profile",
        **({"revenue": revenue} if revenue else {}),
    )
    items = Relation(
        f"{kind}_items",
        f"SELECT finding, 'profile' AS item, 1 AS ord, profile AS item_value FROM {kind}_heads"
        "\nUNION ALL" + _first(source, "profile", f"{kind}_heads"),
    )
    return [heads, items]


def _unstitched() -> list[Relation]:
    # unstitched_anonymous: cart/checkout activity on an anonymousId that never identified
    return _per_profile(
        "unstitched_anonymous", "anonymous AND role IN ('checkout', 'cart')", "max(amount)"
    )


def _duplicates() -> list[Relation]:
    # duplicate_profile: several userIds with one email or phone
    contacts = Relation(
        "contacts",
        """
SELECT user_id, message_id, seq, 'email ' || lower(email) AS contact
FROM messages WHERE type = 'identify' AND user_id IS NOT NULL AND coalesce(email, '') <> ''
UNION ALL
SELECT user_id, message_id, seq, 'phone ' || phone
FROM messages WHERE type = 'identify' AND user_id IS NOT NULL AND coalesce(phone, '') <> ''""",
    )
    heads = _head(
        "duplicate_profile_heads",
        "FROM contacts GROUP BY contact HAVING count(DISTINCT user_id) > 1",
        finding="DENSE_RANK() OVER (ORDER BY contact)",
        note="contact",
        keys="contact",
    )
    items = Relation(
        "duplicate_profile_items",
        """
SELECT h.finding, 'profile' AS item,
       ROW_NUMBER() OVER (PARTITION BY h.finding ORDER BY d.user_id) AS ord, d.user_id AS item_value
FROM (SELECT DISTINCT contact, user_id FROM contacts) AS d
JOIN duplicate_profile_heads AS h ON h.contact = d.contact
UNION ALL""" + _first("FROM contacts", "contact", "duplicate_profile_heads"),
    )
    return [contacts, heads, items]


def _email_as_user_id(pattern: str | None) -> list[Relation]:
    # email_as_user_id: a userId that is an email, or does not match the plan's pattern
    mismatch = f" OR NOT regexp_matches(user_id, {literal(pattern)})" if pattern else ""
    source = f"FROM messages WHERE user_id IS NOT NULL AND (user_id LIKE '%@%'{mismatch})"
    heads = _head(
        "email_as_user_id_heads",
        source + " GROUP BY user_id",
        finding="DENSE_RANK() OVER (ORDER BY user_id)",
        note="CASE WHEN user_id LIKE '%@%' THEN 'email' ELSE 'pattern' END",
        keys="user_id",
    )
    items = Relation(
        "email_as_user_id_items",
        "SELECT finding, 'profile' AS item, 1 AS ord, user_id AS item_value "
        "FROM email_as_user_id_heads\nUNION ALL"
        + _first(source, "user_id", "email_as_user_id_heads"),
    )
    return [heads, items]


def _late(suppression: ir.Window) -> list[Relation]:
    # late_event: a purchase received later than the suppression window after it happened
    heads = _head(
        "late_event_heads",
        f"FROM resolved WHERE role = 'purchase' AND received_at > ts + {interval(suppression)}",
        finding="ROW_NUMBER() OVER (ORDER BY seq)",
        revenue="amount",
        ts="ts",
        received_at="received_at",
        keys="profile, message_id",
    )
    items = Relation(
        "late_event_items",
        """
SELECT finding, 'profile' AS item, 1 AS ord, profile AS item_value FROM late_event_heads
UNION ALL
SELECT finding, 'message', 1, message_id FROM late_event_heads""",
    )
    return [heads, items]


def _missing_email() -> list[Relation]:
    # missing_email: a known person reached checkout and no email trait was ever sent
    return _per_profile(
        "missing_email",
        "role = 'checkout' AND NOT anonymous AND profile NOT IN (\n"
        "  SELECT user_id FROM messages WHERE type = 'identify' AND user_id IS NOT NULL\n"
        "    AND coalesce(email, '') <> '')",
        "max(amount)",
    )


def _stale(maintained: Sequence[ir.Maintained], casts: dict[str, str]) -> list[Relation]:
    # stale_trait: a trait maintained by events, behind the person's events at the end of the log
    if not maintained:
        return []
    names = ", ".join(literal(m.trait) for m in maintained)
    state = Relation(
        "trait_state",
        f"""
-- The trait as the person has it: the last identify (in log order) that sent it
SELECT profile, trait, value, message_id FROM (
  SELECT r.profile, v.name AS trait, v.value, r.message_id,
         ROW_NUMBER() OVER (PARTITION BY r.profile, v.name ORDER BY r.seq DESC) AS pick
  FROM message_values AS v JOIN resolved AS r ON r.seq = v.seq
  WHERE v.source = 'traits' AND r.type = 'identify' AND v.name IN ({names})
) AS ranked
WHERE pick = 1""",
    )
    checks = Relation(
        "stale_checks",
        "\nUNION ALL\n".join(_stale_check(m, casts.get(m.trait)) for m in maintained),
    )
    heads = _head(
        "stale_trait_heads",
        "FROM stale_checks",
        finding="DENSE_RANK() OVER (ORDER BY trait, profile)",
        note="trait",
        key_kind="upkeep",
        key_value="value",
        message_count="events",
        ts="last_ts",
        received_at="trait_ts",
        expected="expected",
        keys="trait, profile, event, set_id, last_id",
    )
    items = Relation(
        "stale_trait_items",
        """
SELECT finding, 'profile' AS item, 1 AS ord, profile AS item_value FROM stale_trait_heads
UNION ALL
SELECT finding, 'event', 1, event FROM stale_trait_heads
UNION ALL
SELECT finding, 'message', 1, set_id FROM stale_trait_heads
UNION ALL
SELECT finding, 'message', 2, last_id FROM stale_trait_heads""",
    )
    return [state, checks, heads, items]


def _stale_check(m: ir.Maintained, cast: str | None) -> str:
    """The profiles whose trait ``m.trait`` is behind their ``m.event`` events: one row each,
    with the trait's value, the count and time of the events and the latest event's value."""
    value = "CAST(NULL AS VARCHAR)"
    source = f"FROM resolved WHERE type = 'track' AND event = {literal(m.event)}"
    if m.upkeep is ir.Upkeep.LAST_VALUE:
        # the latest event carrying the property gives the value
        value = "value"
        source = f"""FROM (
    SELECT r.profile, r.message_id, r.ts, r.seq, v.value
    FROM resolved AS r LEFT JOIN message_values AS v
      ON v.seq = r.seq AND v.source = 'properties' AND v.name = {literal(m.property)}
    WHERE r.type = 'track' AND r.event = {literal(m.event)}) AS r"""
    latest = f"""
  SELECT profile, message_id, ts, seq, {value} AS value,
         count(*) OVER (PARTITION BY profile) AS events,
         ROW_NUMBER() OVER (PARTITION BY profile ORDER BY {_LATEST}) AS pick
  {source}"""
    if m.upkeep is ir.Upkeep.LAST_VALUE:
        latest = f"""
  SELECT profile, message_id, ts, value, events,
         ROW_NUMBER() OVER (PARTITION BY profile, value IS NULL ORDER BY {_LATEST}) AS pick
  FROM ({latest}) AS carried"""
    trait_ts = "CAST(NULL AS TIMESTAMPTZ)"
    expected = "CAST(NULL AS VARCHAR)"
    match m.upkeep:
        case ir.Upkeep.COUNT:
            stale = "TRY_CAST(s.value AS DOUBLE) < e.events"
        case ir.Upkeep.LAST_TIMESTAMP:
            trait_ts = "TRY_CAST(s.value AS TIMESTAMPTZ)"
            stale = f"e.ts > {trait_ts}"
        case ir.Upkeep.LAST_VALUE:
            expected = "e.value"
            had, says = ("s.value", "e.value")
            if cast:  # compared as numbers or times: 3 is 3.0
                had, says = f"TRY_CAST({had} AS {cast})", f"TRY_CAST({says} AS {cast})"
            stale = f"e.value IS NOT NULL AND {had} <> {says}"
        case unreachable:
            assert_never(unreachable)
    if cast == "DOUBLE" and m.upkeep is ir.Upkeep.LAST_VALUE:
        expected = _number_text(expected)
    value = _number_text("s.value") if cast == "DOUBLE" else "s.value"
    return f"""
SELECT {literal(m.trait)} AS trait, {literal(m.upkeep.value)} AS upkeep,
       {literal(m.event)} AS event, s.profile, {value} AS value, s.message_id AS set_id,
       e.events, e.ts AS last_ts, {trait_ts} AS trait_ts, {expected} AS expected,
       e.message_id AS last_id
FROM trait_state AS s
JOIN ({latest}
) AS e ON e.profile = s.profile AND e.pick = 1
WHERE s.trait = {literal(m.trait)} AND {stale}"""


def _number_text(value: str) -> str:
    """A number sent as text, written alike by every engine when it is whole (``2.0`` and ``2``
    are ``2``; engines print doubles differently)."""
    number = f"TRY_CAST({value} AS DOUBLE)"
    return (
        f"CASE WHEN {number} = FLOOR({number}) AND ABS({number}) < 1e15 "
        f"THEN CAST(CAST({number} AS BIGINT) AS VARCHAR) ELSE {value} END"
    )


_LATEST = "ts DESC NULLS LAST, seq DESC"

_TRAIT_USAGE = """
SELECT v.name AS trait, count(*) AS messages, count(DISTINCT r.profile) AS profiles
FROM message_values AS v JOIN resolved AS r ON r.seq = v.seq
WHERE v.source = 'traits' AND r.type = 'identify'
GROUP BY v.name"""


_TOTALS = """
SELECT
  (SELECT count(*) FROM messages) AS messages,
  (SELECT count(DISTINCT user_id) FROM messages WHERE user_id IS NOT NULL) AS people,
  (SELECT count(DISTINCT anonymous_id) FROM messages WHERE anonymous_id IS NOT NULL)
    AS anonymous_ids,
  (SELECT count(*) FROM links WHERE anonymous_id IN (
     SELECT anonymous_id FROM messages WHERE anonymous_id IS NOT NULL)) AS stitched,
  (SELECT count(DISTINCT profile) FROM resolved WHERE anonymous) AS anonymous_profiles,
  (SELECT count(DISTINCT profile) FROM starts AS s
     WHERE role = 'checkout' AND NOT EXISTS (SELECT 1 FROM bought AS b WHERE b.seq = s.seq))
    AS true_abandoners,
  (SELECT count(*) FROM resolved WHERE role = 'purchase') AS purchases,
  (SELECT coalesce(sum(amount), 0) FROM resolved WHERE role = 'purchase') AS revenue"""

TOTAL_NAMES = (
    "messages",
    "people",
    "anonymous_ids",
    "stitched",
    "anonymous_profiles",
    "true_abandoners",
    "purchases",
    "revenue",
)


def relations(
    roles: Roles,
    user_id_pattern: str | None,
    suppression: ir.Window,
    as_of: datetime | None,
    traits: TraitCheck | None = None,
) -> list[Relation]:
    """The whole audit after loading: identities, then findings and totals (and the traits,
    when the loader made ``message_values``)."""
    return identities(roles, as_of) + findings(roles, user_id_pattern, suppression, traits)


# -- results -------------------------------------------------------------------------------------


def assemble(rows: Iterable[Sequence[Any]], pattern: str | None) -> tuple[Finding, ...]:
    """``audit_findings`` rows (in :data:`FINDING_COLUMNS` order, any row order) as findings,
    sorted by kind, profiles, message ids and detail (two stale traits share the messages)."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in rows:
        record = dict(zip(FINDING_COLUMNS, row, strict=True))
        groups.setdefault((record["kind"], int(record["finding"])), []).append(record)
    out = []
    for (kind, _), records in groups.items():
        items: dict[str, list[tuple[int, Any]]] = {"profile": [], "message": [], "event": []}
        for r in records:
            items[r["item"]].append((int(r["ord"]), r["item_value"]))
        listed = {
            k: tuple(v for _, v in sorted(pairs, key=lambda p: p[0])) for k, pairs in items.items()
        }
        head = records[0]
        revenue = float(head["revenue"]) if head["revenue"] is not None else None
        detail, facts = _words(kind, head, listed, pattern)
        out.append(Finding(kind, listed["profile"], listed["message"], revenue, detail, facts))
    return tuple(
        sorted(
            out,
            key=lambda f: (f.kind, f.profiles, tuple(m or "" for m in f.message_ids), f.detail),
        )
    )


def _words(
    kind: str, head: dict[str, Any], listed: dict[str, tuple[Any, ...]], pattern: str | None
) -> tuple[str, dict[str, Any] | None]:
    profiles = listed["profile"]
    if kind == "phantom_abandoner":
        return (
            f"cart recovery would fire on {profiles[0]} although {profiles[1]} bought "
            f"({head['note']})",
            None,
        )
    if kind == "shared_identifier":
        events = list(listed["event"])
        count, messages = int(head["profile_count"]), int(head["message_count"])
        value = json.dumps(head["key_value"], ensure_ascii=False)
        facts = {
            "key": head["key_kind"],
            "value": head["key_value"],
            "events": events,
            "profile_count": count,
            "message_count": messages,
        }
        return (
            f"{head['key_kind']} id {value} is sent by {count} profiles on {messages} messages "
            f"({', '.join(events)}): a client default, not an id; left out of cart/checkout/"
            "order matching",
            facts,
        )
    if kind == "unstitched_anonymous":
        return f"{head['message_count']} cart/checkout events, never linked to a person", None
    if kind == "duplicate_profile":
        return f"userIds share {head['note']}", None
    if kind == "email_as_user_id":
        if head["note"] == "email":
            return "userId is an email address", None
        return f"userId does not match {pattern}", None
    if kind == "late_event":
        return f"received {duration(head['received_at'] - head['ts'])} after it happened", None
    if kind == "stale_trait":
        return _stale_words(head, listed["event"][0])
    assert kind == "missing_email", kind
    return "reached checkout with no email trait", None


def _stale_words(head: dict[str, Any], event: str) -> tuple[str, dict[str, Any]]:
    trait, upkeep, value = head["note"], head["key_kind"], head["key_value"]
    events = int(head["message_count"])
    facts = {"trait": trait, "as": upkeep, "event": event, "value": value, "events": events}
    if upkeep == "count":
        said = f"the log has {events} {event} event{'s' * (events != 1)}"
    elif upkeep == "last_timestamp":
        said = f"the last {event} is {duration(head['ts'] - head['received_at'])} later"
    else:
        facts["expected"] = head["expected"]
        said = f"the last {event} says {head['expected']}"
    return f"{trait} is {value} but {said}", facts


def duration(delta: Any) -> str:
    """A time difference as DuckDB prints an interval: ``02:30:00``, ``2 days 02:30:05.5``."""
    micros = round(delta.total_seconds() * 1_000_000)
    sign, micros = ("-", -micros) if micros < 0 else ("", micros)
    days, micros = divmod(micros, 86_400_000_000)
    seconds, fraction = divmod(micros, 1_000_000)
    clock = f"{seconds // 3600:02}:{seconds % 3600 // 60:02}:{seconds % 60:02}"
    if fraction:
        clock += f".{fraction:06}".rstrip("0")
    prefix = f"{sign}{days} day{'s' * (days != 1)} " if days else sign
    return prefix + clock
