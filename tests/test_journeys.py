"""`codegen audit` and `codegen simulate` on hand-written journey logs with known answers."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from codegen.journeys.engine import Engine
from codegen.pipeline import load_plan

from .conftest import CASES, ROOT, CliFn
from .terminal_support import COLOUR, run_codegen

GLOW = load_plan(ROOT / "plans" / "glow_shop.yaml")
JOURNEYS = load_plan(CASES / "journeys" / "plan.yaml")


def log(tmp_path: Path, messages: list[dict[str, Any]], name: str = "log.jsonl") -> str:
    path = tmp_path / name
    path.write_text("".join(json.dumps(m) + "\n" for m in messages))
    return str(path)


def engine(sources: list[str], loaded: Any = GLOW) -> Engine:
    assert loaded.plan is not None and loaded.spec is not None
    return Engine(loaded.plan, loaded.spec.lint, sources)


def track(
    event: str,
    message_id: str,
    at: str,
    user: str | None = None,
    anon: str | None = None,
    **properties: Any,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "track",
        "event": event,
        "messageId": message_id,
        "timestamp": f"2026-03-01T{at}:00Z",
        "properties": properties,
    }
    if user:
        message["userId"] = user
    if anon:
        message["anonymousId"] = anon
    return message


def identify(
    message_id: str, at: str, user: str, anon: str | None = None, **traits: Any
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "identify",
        "userId": user,
        "messageId": message_id,
        "timestamp": f"2026-03-01T{at}:00Z",
        "traits": traits,
    }
    if anon:
        message["anonymousId"] = anon
    return message


def findings(tmp_path: Path, messages: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    result = engine([log(tmp_path, messages)]).audit()
    return [(f.kind, f.profiles, f.message_ids, f.revenue) for f in result.findings]


CLEAN = [
    track("Product Added", "m1", "10:00", anon="phone-1", cart_id="K1", value=30),
    identify("m2", "10:01", "c_alice01", anon="phone-1", email="alice@example.com"),
    track(
        "Checkout Started",
        "m3",
        "10:02",
        user="c_alice01",
        anon="phone-1",
        checkout_id="C1",
        cart_id="K1",
        value=30,
    ),
    {
        **track(
            "Order Completed",
            "m4",
            "10:05",
            user="c_alice01",
            order_id="O1",
            checkout_id="C1",
            cart_id="K1",
            revenue=30,
        ),
        "receivedAt": "2026-03-01T10:05:02Z",
    },
]


# Checkout on the phone, never stitched; the purchase lands on the person (logged in on a laptop).
PHANTOM = [
    track("Checkout Started", "m1", "10:00", anon="phone-1", checkout_id="C1", value=30),
    identify("m2", "10:02", "c_alice01", anon="laptop-1", email="alice@example.com"),
    track(
        "Order Completed",
        "m3",
        "10:05",
        user="c_alice01",
        order_id="O1",
        checkout_id="C1",
        revenue=30,
    ),
]


def test_a_clean_journey_has_no_findings(tmp_path: Path) -> None:
    assert findings(tmp_path, CLEAN) == []


def test_phantom_abandoner(tmp_path: Path) -> None:
    found = findings(tmp_path, PHANTOM)
    assert ("phantom_abandoner", ("anon:phone-1", "c_alice01"), ("m1", "m3"), 30.0) in found


def test_unstitched_anonymous(tmp_path: Path) -> None:
    messages = [
        track("Cart Viewed", "m1", "11:00", anon="ghost", cart_id="K9", value=99),
        track("Product Added", "m2", "11:01", anon="ghost", cart_id="K9"),
    ]
    assert findings(tmp_path, messages) == [
        ("unstitched_anonymous", ("anon:ghost",), ("m1", "m2"), 99.0)
    ]


def test_duplicate_profile(tmp_path: Path) -> None:
    messages = [
        identify("m1", "09:00", "c_jane001", email="jane@example.com"),
        identify("m2", "09:05", "c_jane002", email="JANE@example.com"),
        identify("m3", "09:06", "c_other01", phone="+4915112345678"),
        identify("m4", "09:07", "c_other02", phone="+4915112345678"),
    ]
    assert findings(tmp_path, messages) == [
        ("duplicate_profile", ("c_jane001", "c_jane002"), ("m1", "m2"), None),
        ("duplicate_profile", ("c_other01", "c_other02"), ("m3", "m4"), None),
    ]


def test_email_as_user_id(tmp_path: Path) -> None:
    messages = [
        identify("m1", "09:00", "jane@example.com"),
        track("Product Viewed", "m2", "09:01", user="12345"),
    ]
    result = engine([log(tmp_path, messages)]).audit()
    assert [(f.kind, f.profiles, f.detail) for f in result.findings] == [
        ("email_as_user_id", ("12345",), "userId does not match ^c_[0-9a-z]{6,}$"),
        ("email_as_user_id", ("jane@example.com",), "userId is an email address"),
    ]


def test_late_event(tmp_path: Path) -> None:
    late = {
        **track(
            "Order Completed",
            "m1",
            "10:00",
            user="c_alice01",
            order_id="O1",
            checkout_id="C1",
            revenue=42,
        ),
        "receivedAt": "2026-03-01T12:30:00Z",
    }
    on_time = {**late, "messageId": "m2", "receivedAt": "2026-03-01T10:20:00Z"}
    result = engine([log(tmp_path, [late, on_time])]).audit()
    assert [(f.kind, f.message_ids, f.revenue) for f in result.findings] == [
        ("late_event", ("m1",), 42.0)
    ]
    assert str(result.suppression) == "1 hour"  # from the plan's QA segment


def test_missing_email(tmp_path: Path) -> None:
    messages = [
        identify("m1", "09:00", "c_bob00001", loyalty_tier="gold"),
        track("Checkout Started", "m2", "09:05", user="c_bob00001", checkout_id="C2", value=12),
        identify("m3", "09:00", "c_carl0001", email="carl@example.com"),
        track("Checkout Started", "m4", "09:06", user="c_carl0001", checkout_id="C3"),
    ]
    found = findings(tmp_path, messages)
    assert ("missing_email", ("c_bob00001",), ("m2",), 12.0) in found
    assert not any(f[0] == "missing_email" and f[1] == ("c_carl0001",) for f in found)


def profiles(tmp_path: Path, messages: list[dict[str, Any]]) -> dict[str, str]:
    e = engine([log(tmp_path, messages)])
    e.audit()
    rows = e.connection.execute("SELECT message_id, profile FROM resolved").fetchall()
    return dict(rows)


@pytest.mark.parametrize("order", ["identify_after", "identify_before"])
def test_identity_stitching_before_and_after_identify(tmp_path: Path, order: str) -> None:
    browse = track("Product Viewed", "v1", "10:00", anon="a-1")
    link = identify("i1", "10:05", "c_dana0001", anon="a-1")
    later = track("Product Viewed", "v2", "10:10", anon="a-1")
    messages = [browse, link, later] if order == "identify_after" else [link, browse, later]
    assert profiles(tmp_path, messages) == {
        "v1": "c_dana0001",
        "i1": "c_dana0001",
        "v2": "c_dana0001",
    }


def test_alias_and_two_devices(tmp_path: Path) -> None:
    messages = [
        track("Product Viewed", "p1", "10:00", anon="phone"),
        track("Product Viewed", "d1", "10:01", anon="desktop"),
        {
            "type": "alias",
            "previousId": "phone",
            "userId": "c_eve00001",
            "messageId": "al",
            "timestamp": "2026-03-01T10:02:00Z",
        },
        identify("i1", "10:03", "c_eve00001", anon="desktop"),
        track("Product Viewed", "x1", "10:04", anon="stranger"),
    ]
    assert profiles(tmp_path, messages) == {
        "p1": "c_eve00001",
        "d1": "c_eve00001",
        "i1": "c_eve00001",
        "x1": "anon:stranger",
    }


def test_totals(tmp_path: Path) -> None:
    result = engine([log(tmp_path, CLEAN)]).audit()
    t = result.totals
    assert (t["messages"], t["people"], t["purchases"], t["revenue"]) == (4, 1, 1, 30.0)
    assert result.stitched_share == 1.0 and t["true_abandoners"] == 0


def test_batch_lines_gzip_and_parquet_inputs(tmp_path: Path) -> None:
    import gzip

    batch = tmp_path / "batch.jsonl.gz"
    batch.write_bytes(gzip.compress((json.dumps({"batch": CLEAN[:2]}) + "\n").encode()))
    rest = log(tmp_path, CLEAN[2:3], "rest.jsonl")
    parquet = tmp_path / "order.parquet"
    order = CLEAN[3]
    duckdb.sql(
        f"COPY (SELECT * FROM read_json_auto('{log(tmp_path, [order], 'o.jsonl')}')) "
        f"TO '{parquet}' (FORMAT parquet)"
    )
    result = engine([str(batch), rest, str(parquet)]).audit()
    assert result.totals["messages"] == 4 and result.findings == ()


# -- simulate ------------------------------------------------------------------------------------

EXPECTED = {
    "performed_1h": ["c_ann"],
    "no_order_1d": ["c_ann"],
    "added_twice": ["c_bob"],
    "added_once": ["anon:anon-d", "c_ann"],
    "added_skincare": ["anon:anon-d", "c_ann"],
    "bought_haircare": ["c_bob"],
    "gold": ["c_ann", "c_cy"],
    "no_email": ["anon:anon-d", "c_bob"],
    "many_orders": ["c_ann", "c_bob"],
    "vip": ["c_ann", "c_bob", "c_cy"],
    # a person who never sent the trait is "not equal" / "not in" (c_late has not arrived yet)
    "not_gold": ["anon:anon-d", "c_bob"],
    "not_vip": ["anon:anon-d"],
    "few_orders": ["c_cy"],
    "cy_mail": ["c_cy"],
    "has_email": ["c_ann", "c_cy"],
    "recent_buyer": ["c_ann"],
    "nested": ["c_ann", "c_bob", "c_cy"],
    "gold_not_twice": ["c_ann", "c_cy"],
}


def test_simulate_every_condition_kind() -> None:
    result = engine([str(CASES / "journeys" / "simulate.jsonl")], JOURNEYS).simulate(
        datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    )
    assert {m.segment: list(m.members) for m in result.segments} == EXPECTED


def test_simulate_defaults_to_the_last_timestamp() -> None:
    result = engine([str(CASES / "journeys" / "simulate.jsonl")], JOURNEYS).simulate(None)
    assert result.at == datetime(2026, 3, 10, 12, 30, tzinfo=UTC)
    performed = {m.segment: m.members for m in result.segments}["performed_1h"]
    assert performed == ("c_late",)  # the window is (at - 1 hour, at]: c_ann at 11:30 is out


# The phone browsed an hour earlier: a brand-new profile is in no "has not performed within 1
# hour" segment (profile_rules.NEW_PROFILES).
BROWSED_PHANTOM = [track("Product Viewed", "m0", "09:00", anon="phone-1"), *PHANTOM]


def test_qa_segment_marks_phantom_abandoners(tmp_path: Path) -> None:
    result = engine([log(tmp_path, BROWSED_PHANTOM)]).simulate(
        datetime(2026, 3, 1, 10, 4, tzinfo=UTC)
    )
    qa = {m.segment: m for m in result.segments}["qa_checkout_abandoned_1h"]
    assert qa.members == ("anon:phone-1",) and qa.phantom_members == ("anon:phone-1",)


def test_emitted_sql_runs_on_its_own(tmp_path: Path, cli: CliFn) -> None:
    path = log(
        tmp_path,
        [
            *CLEAN,
            identify("d1", "11:00", "c_x0000001", email="a@b.co"),
            identify("d2", "11:00", "c_x0000002", email="a@b.co"),
        ],
    )
    result = cli("audit", "--plan", "plans/glow_shop.yaml", path, "--emit-sql")
    assert result.exit_code == 0
    assert "SET VARIABLE json_sources" in result.stdout
    connection = duckdb.connect()
    connection.execute(result.stdout)
    rows = connection.execute("SELECT kind, profiles FROM findings").fetchall()
    assert rows == [("duplicate_profile", ["c_x0000001", "c_x0000002"])]


def injected_plan() -> Any:
    """The journeys plan with SQL in an enum value and a segment's `in` list."""
    from codegen.pipeline import load_plan_text

    return load_plan_text(
        (CASES / "journeys" / "plan.yaml")
        .read_text()
        .replace(
            "enum: [bronze, gold, platinum]",
            'enum: [bronze, gold, "x\'); DROP TABLE messages; --"]',
        )
        .replace("in: [gold, platinum]", 'in: [gold, "x\'); DROP TABLE messages; --"]')
    )


def test_plan_text_cannot_inject_sql(tmp_path: Path) -> None:
    loaded = injected_plan()
    result = engine([str(CASES / "journeys" / "simulate.jsonl")], loaded).simulate(None)
    assert {m.segment: list(m.members) for m in result.segments}["vip"] == ["c_ann", "c_cy"]


def test_cli_formats(cli: CliFn, tmp_path: Path) -> None:
    path = log(
        tmp_path, [track("Cart Viewed", "m1", "11:00", anon="ghost", cart_id="K9", value=99)]
    )
    text = cli("audit", "--plan", "plans/glow_shop.yaml", path)
    assert text.exit_code == 0 and "unstitched_anonymous: 1 finding, 99.00 at stake" in text.stdout
    document = json.loads(
        cli("audit", "--plan", "plans/glow_shop.yaml", path, "--format", "json").stdout
    )
    assert document["findings"][0]["kind"] == "unstitched_anonymous"
    markdown = cli("audit", "--plan", "plans/glow_shop.yaml", path, "--format", "markdown")
    assert markdown.stdout.startswith("# Journey audit: Glow Shop")
    sim = json.loads(
        cli(
            "simulate",
            "--plan",
            str(CASES / "journeys" / "plan.yaml"),
            str(CASES / "journeys" / "simulate.jsonl"),
            "--at",
            "2026-03-10T12:00:00+00:00",
            "--format",
            "json",
        ).stdout
    )
    assert {s["id"]: s["members"] for s in sim["segments"]} == EXPECTED
    assert cli("audit", "--plan", "plans/glow_shop.yaml", "missing.jsonl").exit_code == 2


def test_memory_limit_gives_the_same_answer(cli: CliFn, tmp_path: Path) -> None:
    path = log(
        tmp_path, [track("Cart Viewed", "m1", "11:00", anon="ghost", cart_id="K9", value=99)]
    )
    args = ("audit", "--plan", "plans/glow_shop.yaml", path, "--format", "json")
    unlimited = cli(*args)
    limited = cli(*args, "--memory-limit", "256MB")
    assert limited.exit_code == 0 and limited.stdout == unlimited.stdout
    bad = cli(*args, "--memory-limit", "lots")
    assert bad.exit_code == 2 and "--memory-limit `lots` is not a size" in bad.stderr


def test_what_the_sql_cannot_express_is_an_error_line(cli: CliFn, tmp_path: Path) -> None:
    plan = (CASES / "journeys" / "plan.yaml").read_text()
    lookahead = tmp_path / "lookahead.yaml"
    lookahead.write_text(plan.replace('user_id_pattern: "^c_"', 'user_id_pattern: "^(?!c_x)c_"'))
    quoted = tmp_path / "quoted.yaml"
    quoted.write_text(
        plan.replace(
            "      cart_id: {type: string, required: true}\n      category:",
            '      cart_id: {type: string, required: true}\n      "cat\\"x":',
        ).replace("property: category", 'property: "cat\\"x"')
    )
    logs = str(CASES / "journeys" / "simulate.jsonl")
    result = cli("audit", "--plan", str(lookahead), logs)
    assert result.exit_code == 2 and "Traceback" not in result.stderr + result.stdout
    assert "user_id_pattern `^(?!c_x)c_` cannot be checked in SQL" in result.stderr
    result = cli("simulate", "--plan", str(quoted), logs)
    assert result.exit_code == 2
    assert "property name 'cat\"x' cannot be used in a JSON path" in result.stderr


# -- progress on a real terminal ---------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize("command", ["audit", "simulate"])
def test_progress_only_when_stderr_is_a_terminal_and_no_color_respected(command: str) -> None:
    """Issue 17: audit and simulate show the stage under way on stderr, like validate, only on a
    terminal and without colour under NO_COLOR; the report on stdout is the same either way."""
    args = [command, "--plan", "plans/glow_shop.yaml", "--format", "json"]
    args.append(str(CASES / "journeys" / "simulate.jsonl"))
    reports = []
    verb = {"audit": b"auditing", "simulate": b"simulating"}[command]
    for terminal, env in ((True, {}), (True, {"NO_COLOR": "1"}), (False, {})):
        stdout, stderr = run_codegen(args, terminal, **env)
        reports.append(json.loads(stdout))
        assert (verb in stderr) is terminal, (terminal, env, stderr)
        coloured = COLOUR.search(stderr.decode("utf-8", "replace")) is not None
        assert coloured is (terminal and not env), (terminal, env, stderr)
    assert reports[0] == reports[1] == reports[2]


def test_engine_names_each_stage_as_it_starts() -> None:
    """The stages progress shows: the logs read, the messages loaded, then each table."""
    stages: list[str] = []
    assert JOURNEYS.plan is not None and JOURNEYS.spec is not None
    run = Engine(
        JOURNEYS.plan,
        JOURNEYS.spec.lint,
        [str(CASES / "journeys" / "simulate.jsonl")],
        phase=stages.append,
    )
    run.simulate(None)
    assert stages[:2] == ["reading logs", "loading messages"]
    assert "phantom pairs" in stages and stages[-1] == "membership"
    assert "" not in stages
