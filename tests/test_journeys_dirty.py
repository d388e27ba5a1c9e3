"""`codegen audit` and `codegen simulate` on dirty production logs (issue 13): one log per
problem, with the exact findings expected."""

from __future__ import annotations

import codecs
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from codegen.config import Options
from codegen.generators import docs
from codegen.journeys.sql import JourneyError
from codegen.plan import profile_rules

from .conftest import CliFn
from .test_journeys import JOURNEYS, engine, identify, log, track


def checkout(i: int, cart: str, user: str | None = None) -> dict[str, Any]:
    return track(
        "Checkout Started",
        f"c{i}",
        "10:00",
        user=user or f"c_user{i:04d}",
        checkout_id=f"C{i}",
        cart_id=cart,
        value=10,
    )


def purchase(i: int, cart: str | None, user: str | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {"order_id": f"O{i}", "checkout_id": f"C{i}", "revenue": 10}
    if cart is not None:
        properties["cart_id"] = cart
    return track("Order Completed", f"o{i}", "10:05", user=user or f"c_user{i:04d}", **properties)


def with_emails(n: int) -> list[dict[str, Any]]:
    return [
        identify(f"i{i}", "09:00", f"c_user{i:04d}", email=f"u{i}@example.com") for i in range(n)
    ]


# -- 1. repeated identifiers ---------------------------------------------------------------------


def test_a_shared_cart_id_is_one_finding_and_joins_nothing(tmp_path: Path) -> None:
    # 8 people send cart_id "undefined"; half of them buy. Without the rule every checkout
    # matched every other person's purchase: 8 x 4 - 4 = 28 phantom abandoners.
    messages = with_emails(8)
    messages += [checkout(i, "undefined") for i in range(8)]
    messages += [purchase(i, "undefined") for i in range(4)]
    result = engine([log(tmp_path, messages)]).audit()
    assert [(f.kind, f.profiles, f.message_ids, f.revenue, f.detail) for f in result.findings] == [
        (
            "shared_identifier",
            tuple(f"c_user{i:04d}" for i in range(5)),
            ("c0", "c1", "c2", "c3", "c4"),
            None,
            'cart id "undefined" is sent by 8 profiles on 12 messages (Checkout Started, '
            "Order Completed): a client default, not an id; left out of cart/checkout/order "
            "matching",
        )
    ]
    assert result.findings[0].facts == {
        "key": "cart",
        "value": "undefined",
        "events": ["Checkout Started", "Order Completed"],
        "profile_count": 8,
        "message_count": 12,
    }
    assert result.totals["true_abandoners"] == 4  # c_user0004..7: matched by checkout_id


def test_an_id_shared_by_few_profiles_is_still_matched(tmp_path: Path) -> None:
    # Phone (anonymous), tablet (anonymous) and the person: 3 profiles, under the threshold.
    messages = [
        track("Product Added", "a1", "10:00", anon="phone", cart_id="K1"),
        track("Product Added", "a2", "10:01", anon="tablet", cart_id="K1"),
        identify("i1", "10:02", "c_alice01", email="alice@example.com"),
        purchase(1, "K1", user="c_alice01"),
    ]
    kinds = [f.kind for f in engine([log(tmp_path, messages)]).audit().findings]
    assert kinds.count("phantom_abandoner") == 2 and "shared_identifier" not in kinds


def test_shared_ids_keep_the_audit_linear(tmp_path: Path) -> None:
    # 3,000 people on one cart_id, all buying: 9,000,000 rows through the old join.
    n = 3000
    messages = with_emails(n)
    messages += [checkout(i, "0") for i in range(n)]
    messages += [purchase(i, "0") for i in range(n)]
    e = engine([log(tmp_path, messages)])
    result = e.audit()
    assert [f.kind for f in result.findings] == ["shared_identifier"]
    assert result.totals["true_abandoners"] == 0
    (rows,) = e.connection.execute("SELECT count(*) FROM starts").fetchone() or (0,)
    assert rows == n  # only the checkout_id rows take part in matching


# -- 2. true abandoners ----------------------------------------------------------------------


def test_a_purchase_without_the_optional_cart_id_is_not_an_abandonment(tmp_path: Path) -> None:
    messages = with_emails(2)
    messages += [checkout(0, "K0"), purchase(0, None), checkout(1, "K1")]
    result = engine([log(tmp_path, messages)]).audit()
    assert result.totals["true_abandoners"] == 1  # only c_user0001
    assert result.findings == ()


# -- 3. nothing unreadable dropped silently ---------------------------------------------------

DUPLICATES = [
    identify("d1", "09:00", "c_jane0001", email="jane@example.com"),
    identify("d2", "09:05", "c_jane0002", email="jane@example.com"),
    track("Checkout Started", "d3", "09:06", user="c_jane0002", checkout_id="C9"),
]


def lines(messages: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(m) + "\n" for m in messages)


def test_a_bad_byte_is_counted_not_silently_dropped(tmp_path: Path) -> None:
    text = (
        lines(DUPLICATES)
        .encode()
        .replace(b'"c_jane0002", "messageId": "d2"', b'"c_jane0002\xff", "messageId": "d2"')
    )
    path = tmp_path / "bad.jsonl"
    path.write_bytes(text + b"42\n\n")  # a bad byte; a JSON value that is not a message
    result = engine([str(path)]).audit()
    assert (result.totals["messages"], result.totals["unreadable"]) == (2, 2)


@pytest.mark.parametrize(
    "name, encode",
    [
        ("utf16.jsonl", lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le")),
        ("utf16be-no-bom.jsonl", lambda text: text.encode("utf-16-be")),
        ("bom.jsonl", lambda text: codecs.BOM_UTF8 + text.encode()),
        ("export.json", lambda text: gzip.compress(text.encode())),  # gzip, no .gz name
        (
            "pretty.json",
            lambda text: json.dumps(
                {"batch": [json.loads(x) for x in text.splitlines()]}, indent=2
            ).encode(),
        ),
        (
            "array.json",
            lambda text: json.dumps([json.loads(x) for x in text.splitlines()], indent=2).encode(
                "utf-16"
            ),
        ),
    ],
)
def test_every_readable_format_gives_the_same_findings(
    tmp_path: Path, name: str, encode: Any
) -> None:
    path = tmp_path / name
    path.write_bytes(encode(lines(DUPLICATES)))
    result = engine([str(path)]).audit()
    assert (result.totals["messages"], result.totals["unreadable"]) == (3, 0)
    assert [(f.kind, f.profiles) for f in result.findings] == [
        ("duplicate_profile", ("c_jane0001", "c_jane0002"))
    ]


def test_a_utf16_line_with_a_broken_character_is_counted(tmp_path: Path) -> None:
    good = lines(DUPLICATES).encode("utf-16-le")
    # a lone high surrogate in the second line: undecodable UTF-16
    lone = (
        lines(DUPLICATES[1:2]).encode("utf-16-le").replace("j".encode("utf-16-le"), b"\x00\xd8", 1)
    )
    path = tmp_path / "broken16.jsonl"
    path.write_bytes(codecs.BOM_UTF16_LE + good + lone)
    result = engine([str(path)]).audit()
    assert (result.totals["messages"], result.totals["unreadable"]) == (3, 1)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_broken_document_keeps_the_messages_before_the_break(
    tmp_path: Path, encoding: str
) -> None:
    """Documents are read by validate's streaming reader (one reader): a document cut short
    gives its whole messages and one unreadable message (it was all unreadable, counted as its
    line count, when the audit parsed the whole text at once)."""
    extra = track("Order Completed", "d4", "09:07", user="c_jane0002", order_id="O9")
    text = json.dumps({"batch": [*DUPLICATES, extra]}, indent=2)
    path = tmp_path / "cut.json"
    path.write_bytes(text[: text.index('"d4"')].encode(encoding))
    result = engine([str(path)]).audit()
    assert (result.totals["messages"], result.totals["unreadable"]) == (3, 1)
    assert [(f.kind, f.profiles) for f in result.findings] == [
        ("duplicate_profile", ("c_jane0001", "c_jane0002"))
    ]


def test_a_one_line_array_of_messages_is_a_document(tmp_path: Path) -> None:
    path = tmp_path / "compact.json"
    path.write_text(json.dumps(DUPLICATES) + "\n")
    result = engine([str(path)]).audit()
    assert (result.totals["messages"], result.totals["unreadable"]) == (3, 0)


def parquet(tmp_path: Path, select: str) -> str:
    source = log(tmp_path, DUPLICATES, "p.jsonl")
    target = tmp_path / "p.parquet"
    duckdb.sql(
        f"COPY (SELECT {select} FROM read_json_auto('{source}')) TO '{target}' (FORMAT parquet)"
    )
    return str(target)


@pytest.mark.parametrize(
    "select, error",
    [
        (
            "* REPLACE (to_json(traits)::VARCHAR AS traits)",
            "column `traits` is VARCHAR; expected STRUCT or MAP or JSON (JSON stored as text: "
            "store it as a struct)",
        ),
        (
            "* EXCLUDE (userId), userId AS user_id",
            "column `user_id` is not read; the audit reads Segment's `userId` (rename the column)",
        ),
        ("messageId, traits", "no column `type` or `event`: these are not messages"),
    ],
)
def test_a_wrong_parquet_schema_is_an_error_naming_the_column(
    tmp_path: Path, select: str, error: str
) -> None:
    path = parquet(tmp_path, select)
    with pytest.raises(JourneyError) as raised:
        engine([path])
    assert str(raised.value) == f"{path}: {error}"


def test_cli_reports_unreadable_lines_and_exits_1(cli: CliFn, tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(lines(DUPLICATES) + "{not json\n")
    args = ("audit", "--plan", "plans/glow_shop.yaml", str(path))
    text = cli(*args)
    assert text.exit_code == 1 and "unreadable lines (not used): 1" in text.stdout
    assert "1 log line could not be used (allowed: 0)" in text.stderr
    document = cli(*args, "--format", "json", "--allow-unreadable", "1")
    assert document.exit_code == 0 and json.loads(document.stdout)["unreadable"] == 1
    sim = cli("simulate", "--plan", "plans/glow_shop.yaml", str(path), "--format", "json")
    assert sim.exit_code == 1 and json.loads(sim.stdout)["unreadable"] == 1


# -- 4. literal paths, no network ---------------------------------------------------------------


def test_paths_are_literal_unless_glob(cli: CliFn, tmp_path: Path) -> None:
    star = tmp_path / "*.jsonl"
    star.write_text(lines(DUPLICATES[:1]))
    (tmp_path / "other.jsonl").write_text(lines(DUPLICATES[1:]))
    args = ("audit", "--plan", "plans/glow_shop.yaml", "--format", "json")
    literal = json.loads(cli(*args, str(star)).stdout)
    assert literal["totals"]["messages"] == 1  # the file named `*.jsonl`, once
    expanded = json.loads(cli(*args, "--glob", str(star)).stdout)
    assert expanded["totals"]["messages"] == 3  # `*.jsonl` (1) and other.jsonl (2)
    none = cli(*args, "--glob", str(tmp_path / "*.parquet"))
    assert none.exit_code == 2 and "matches no file" in none.stderr


def test_no_run_touches_the_network(cli: CliFn, tmp_path: Path) -> None:
    result = cli("audit", "--plan", "plans/glow_shop.yaml", "http://127.0.0.1:9/log.jsonl")
    assert result.exit_code == 2 and "no such file" in result.stderr
    e = engine([log(tmp_path, DUPLICATES)])
    settings = e.connection.execute(
        "SELECT current_setting('autoinstall_known_extensions'), "
        "current_setting('autoload_known_extensions')"
    ).fetchone()
    assert settings == (False, False)


# -- 5. valid JSON, explicit time zones ---------------------------------------------------------


def test_json_report_never_prints_nan(cli: CliFn, tmp_path: Path) -> None:
    path = tmp_path / "nan.jsonl"
    order = purchase(1, "K1")
    order["properties"]["revenue"] = "NaN"
    infinite = purchase(2, "K2")
    infinite["properties"]["revenue"] = "Infinity"
    path.write_text(lines([order, infinite]))
    result = cli("audit", "--plan", "plans/glow_shop.yaml", str(path), "--format", "json")
    document = json.loads(result.stdout, parse_constant=lambda c: pytest.fail(c))
    assert document["totals"]["revenue"] == 0 and document["totals"]["purchases"] == 2


def test_a_naive_at_is_a_usage_error(cli: CliFn, tmp_path: Path) -> None:
    path = log(tmp_path, DUPLICATES)
    result = cli("simulate", "--plan", "plans/glow_shop.yaml", path, "--at", "2026-03-01T10:00")
    assert result.exit_code == 2
    assert "--at `2026-03-01T10:00` has no UTC offset; add one" in result.stderr
    ok = cli("simulate", "--plan", "plans/glow_shop.yaml", path, "--at", "2026-03-01T10:00Z")
    assert ok.exit_code == 0


# -- 6. simulate follows what the docs say (codegen.plan.profile_rules) --------------------------


def at(day: int, hour: int) -> str:
    return f"2026-03-{day:02d}T{hour:02d}:00:00Z"


def member_lists(tmp_path: Path, messages: list[dict[str, Any]]) -> dict[str, list[str]]:
    result = engine([log(tmp_path, messages)], JOURNEYS).simulate(
        datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    )
    return {m.segment: list(m.members) for m in result.segments}


# The logs of the tests below (also simulated on Spark by tests/test_spark.py).
NEW_PROFILE_LOG = [
    {**identify("i1", "00:00", "c_old", email="old@example.com"), "timestamp": at(1, 0)},
    {**track("Checkout Started", "c1", "00:00", user="c_old"), "timestamp": at(10, 11)},
    {**track("Checkout Started", "c2", "00:00", user="c_new"), "timestamp": at(10, 11)},
]
NULL_TRAIT_LOG = [
    {**identify("i1", "00:00", "c_ann", loyalty_tier="gold"), "timestamp": at(1, 0)},
    {**identify("i2", "00:00", "c_ann", loyalty_tier=None), "timestamp": at(2, 0)},
    {**identify("i3", "00:00", "c_bob", loyalty_tier="gold"), "timestamp": at(1, 0)},
    {**identify("i4", "00:00", "c_bob", email="bob@example.com"), "timestamp": at(2, 0)},
]
ALIAS_LOG = [
    {**identify("i1", "00:00", "c_old", loyalty_tier="gold"), "timestamp": at(1, 0)},
    {**track("Product Added", "a1", "00:00", user="c_old", cart_id="K"), "timestamp": at(2, 0)},
    {
        "type": "alias",
        "previousId": "c_old",
        "userId": "c_new",
        "messageId": "al",
        "timestamp": at(3, 0),
    },
    {**identify("i2", "00:00", "c_new", email="new@example.com"), "timestamp": at(4, 0)},
    {**track("Product Added", "a2", "00:00", user="c_new", cart_id="K"), "timestamp": at(5, 0)},
]


def test_brand_new_profiles_are_not_in_has_not_performed_within(tmp_path: Path) -> None:
    # no_order_1d: performed Checkout Started, not performed Order Completed within 1 day
    assert member_lists(tmp_path, NEW_PROFILE_LOG)["no_order_1d"] == ["c_old"]


def test_a_trait_sent_as_null_clears_it(tmp_path: Path) -> None:
    members = member_lists(tmp_path, NULL_TRAIT_LOG)
    assert (members["gold"], members["not_gold"]) == (["c_bob"], ["c_ann"])


def test_an_alias_between_user_ids_merges_the_people(tmp_path: Path) -> None:
    members = member_lists(tmp_path, ALIAS_LOG)
    assert (members["gold"], members["added_twice"], members["has_email"]) == (
        ["c_new"],
        ["c_new"],
        ["c_new"],
    )
    assert "c_old" not in {p for m in members.values() for p in m}


def test_docs_and_simulate_state_the_same_rules(tmp_path: Path) -> None:
    sql = engine([log(tmp_path, DUPLICATES)], JOURNEYS).emit(None, audit=True, simulate=True)
    assert JOURNEYS.plan is not None
    files = docs.generate(JOURNEYS.plan, Options(targets=("docs",), cache_dir=None))
    text = "".join(v for k, v in files.items() if k.startswith("docs/segments/"))
    for rule in profile_rules.RULES:
        assert f"rule {rule.id}" in sql, rule.id
        assert rule.text.split("{", 1)[0] in text and rule.text.rsplit("}", 1)[-1] in text, rule.id
