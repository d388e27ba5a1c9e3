"""Coverage of real traffic (`codegen validate` and `codegen serve`): planned events and traits
never seen, unplanned ones seen, with counts, in every format, merged across workers, and the
same from the live collector as from `validate` on the same messages."""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import random
from pathlib import Path
from typing import Any

import pytest

from codegen.generators.samples import Sampler
from codegen.serve import Collector, Limits, create_app, start
from codegen.validate import Checker, inputs
from codegen.validate import coverage as coverage_module
from codegen.validate import run as run_module

from .conftest import ROOT, CliFn, glow_shop

PLAN = glow_shop()
SAMPLER = Sampler(PLAN)
PLAN_FILE = str(ROOT / "plans" / "glow_shop.yaml")
USER = "c_abc1234"


def order(**properties: Any) -> dict[str, Any]:
    message = SAMPLER.track(PLAN.event("Order Completed"), full=True)  # type: ignore[arg-type]
    message["userId"] = USER
    message["properties"].update(properties)
    return message


def identify(**traits: Any) -> dict[str, Any]:
    return {"type": "identify", "userId": USER, "traits": traits}


def track(planned: str, **changes: Any) -> dict[str, Any]:
    """A valid message of ``planned``, then ``changes`` (``event=`` makes it unplanned)."""
    message = SAMPLER.track(PLAN.event(planned), full=False)  # type: ignore[arg-type]
    message["userId"] = USER
    message.update(changes)
    return message


VALID_IDENTIFY = identify(customer_id=USER, email="jane@example.com", loyalty_tier="gold")
# a track message that mentions "identify" (its messageId): the fast path's identify lines are
# found by search, and this one must not count as an identify call
ORDER_SAYING_IDENTIFY = {**order(), "messageId": "identify"}
MESSAGES: list[Any] = [
    VALID_IDENTIFY,
    # invalid (phone is not E.164, nickname is unplanned): its traits count all the same
    identify(customer_id=USER, email="jane@example.com", phone=None, nickname="J"),
    ORDER_SAYING_IDENTIFY,
    order(revenue="42"),
    {"batch": [track("Order Completed", event="Purchase"), track("Product Viewed")]},
    track("Order Completed", event="Purchase"),
    # context.traits of a track message are not counted as traits (see the README)
    track("Cart Viewed", context={"traits": {"favorite_color": "red", "first_name": "Jane"}}),
    {"type": "page", "anonymousId": "a1", "name": "Home"},
]
LINES = [json.dumps(m).encode() for m in MESSAGES] + [b"{not json"]

COVERAGE = {
    "planned": 8,
    "seen": 3,
    "never_seen": [
        "Checkout Started",
        "Product Added",
        "Replenishment Due",
        "Subscription Cancelled",
        "Subscription Started",
    ],
    "identify_seen": True,
    "identify": 2,
    "events": {"Cart Viewed": 1, "Order Completed": 2, "Product Viewed": 1},
    "unplanned_events": {"Purchase": 2},
    "traits": {
        "planned": 9,
        "seen": 4,
        "never_seen": [
            "first_name",
            "last_order_at",
            "total_orders",
            "subscription_status",
            "created_at",
        ],
        "counts": {"customer_id": 2, "email": 2, "phone": 1, "loyalty_tier": 1},
        "unplanned": {"nickname": 1},
    },
}

TEXT = [
    "coverage: 3 of 8 planned events seen; 4 of 9 planned traits seen in 2 identify calls",
    "planned events never seen (5): Checkout Started, Product Added, Replenishment Due, "
    "Subscription Cancelled, Subscription Started",
    "planned traits never seen (5): first_name, last_order_at, total_orders, "
    "subscription_status, created_at",
    "unplanned events seen (1): Purchase (2)",
    "unplanned traits seen (1): nickname (1)",
]


def write(path: Path, lines: list[bytes]) -> str:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return str(path)


def report(cli: CliFn, *args: str) -> dict[str, Any]:
    result = cli("validate", "--plan", PLAN_FILE, "--format", "json", *args)
    assert result.exit_code in (0, 1), result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document["summary"]["coverage"]  # type: ignore[no-any-return]


def test_the_fixture_takes_both_paths() -> None:
    """The valid messages take the fast path (traits read by the probe), the rest the precise
    pass (traits read from the parsed message): both are covered by the tests below."""
    fast = Checker(PLAN).fast
    accepted, _, rest = fast.accept_lines(b"\n".join(LINES[:3]), 1)
    assert accepted == {"identify": 1, "Order Completed": 1}
    assert [number for number, _ in rest] == [2]


def test_check_line_gives_the_traits_of_identify_calls_on_both_paths() -> None:
    checker = Checker(PLAN)
    [fast] = checker.check_line(json.dumps(VALID_IDENTIFY).encode(), "t", 1)
    [precise] = checker.check_line(LINES[1], "t", 2)
    assert (fast.status, fast.traits) == ("valid", ("customer_id", "email", "loyalty_tier"))
    assert (precise.status, precise.traits) == (
        "invalid",
        ("customer_id", "email", "phone", "nickname"),
    )
    [track_outcome] = checker.check_line(json.dumps(order()).encode(), "t", 3)
    assert track_outcome.traits is None


def test_coverage_in_json(cli: CliFn, tmp_path: Path) -> None:
    assert report(cli, write(tmp_path / "log.jsonl", LINES)) == COVERAGE


def test_coverage_in_text(cli: CliFn, tmp_path: Path) -> None:
    result = cli("validate", "--plan", PLAN_FILE, write(tmp_path / "log.jsonl", LINES))
    assert result.exit_code == 1  # the violations, not the coverage
    assert result.stdout.splitlines()[-len(TEXT) :] == TEXT


def test_coverage_in_github_annotations(cli: CliFn, tmp_path: Path) -> None:
    log = write(tmp_path / "log.jsonl", LINES)
    result = cli("validate", "--plan", PLAN_FILE, "--format", "github", log)
    notices = [
        line.removeprefix("::notice title=codegen validate coverage::")
        for line in result.stdout.splitlines()
        if line.startswith("::notice title=codegen validate coverage::")
    ]
    assert notices == TEXT


def test_annotations_escape_names_from_logs(cli: CliFn, tmp_path: Path) -> None:
    odd = identify(customer_id=USER, email="jane@example.com", **{"50%\noff": 1})
    result = cli(
        "validate",
        "--plan",
        PLAN_FILE,
        "--format",
        "github",
        write(tmp_path / "l", [json.dumps(odd).encode()]),
    )
    assert (
        "::notice title=codegen validate coverage::unplanned traits seen (1): 50%25\\x0aoff (1)"
        in (result.stdout.splitlines())
    )


def test_coverage_does_not_change_the_exit_code_unless_asked(cli: CliFn, tmp_path: Path) -> None:
    clean = write(tmp_path / "clean.jsonl", [json.dumps(order()).encode()])
    assert cli("validate", "--plan", PLAN_FILE, clean).exit_code == 0
    assert cli("validate", "--plan", PLAN_FILE, "--fail-on-unseen", clean).exit_code == 1
    everything = [json.dumps(SAMPLER.identify()).encode()] + [
        json.dumps({**SAMPLER.track(e), "userId": USER}).encode() for e in PLAN.events
    ]
    full = write(tmp_path / "full.jsonl", everything)
    result = cli("validate", "--plan", PLAN_FILE, "--fail-on-unseen", full)
    assert result.exit_code == 0, result.stdout
    assert "coverage: 8 of 8 planned events seen; 9 of 9 planned traits seen" in result.stdout
    assert "never seen" not in result.stdout


# -- the same counts with every worker count, and from the collector -------------------------------


def _traffic(count: int, seed: int = 5) -> tuple[list[bytes], dict[str, Any]]:
    """Mixed traffic and its coverage, counted here independently of codegen."""
    rng = random.Random(seed)
    traits = [t.name for t in PLAN.traits][:6]  # the last three are never sent
    events: dict[str, int] = {}
    unplanned_events: dict[str, int] = {}
    trait_counts: dict[str, int] = {}
    unplanned_traits: dict[str, int] = {}
    identifies = 0
    full = SAMPLER.identify()["traits"]
    lines = []
    for i in range(count):
        roll = rng.random()
        if roll < 0.25:
            sent = {name: full[name] for name in rng.sample(traits, rng.randint(0, len(traits)))}
            if rng.random() < 0.2:
                sent[f"extra_{rng.randrange(5)}"] = 1
            message: dict[str, Any] = identify(**sent)
            identifies += 1
            for name in sent:
                counts = trait_counts if name in full else unplanned_traits
                counts[name] = counts.get(name, 0) + 1
        elif roll < 0.3:
            name = rng.choice(["Purchase", "add_to_cart", "Order Complete"])
            message = track("Cart Viewed", event=name)
            unplanned_events[name] = unplanned_events.get(name, 0) + 1
        else:
            event = PLAN.events[i % 5]  # the last three events are never sent
            message = {**SAMPLER.track(event, full=bool(i % 2)), "userId": USER}
            if rng.random() < 0.1:
                message["properties"]["unplanned"] = 1
            events[event.name] = events.get(event.name, 0) + 1
        lines.append(json.dumps(message).encode())
    by_count = {"key": lambda item: (-item[1], item[0])}
    planned_events = [e.name for e in PLAN.events]
    planned_traits = [t.name for t in PLAN.traits]
    expected = {
        "planned": len(planned_events),
        "seen": len(events),
        "never_seen": [e for e in planned_events if e not in events],
        "identify_seen": identifies > 0,
        "identify": identifies,
        "events": {e: events[e] for e in planned_events if e in events},
        "unplanned_events": dict(sorted(unplanned_events.items(), **by_count)),  # type: ignore[arg-type]
        "traits": {
            "planned": len(planned_traits),
            "seen": len(trait_counts),
            "never_seen": [t for t in planned_traits if t not in trait_counts],
            "counts": {t: trait_counts[t] for t in planned_traits if t in trait_counts},
            "unplanned": dict(sorted(unplanned_traits.items(), **by_count)),  # type: ignore[arg-type]
        },
    }
    return lines, expected


def test_workers_merge_to_the_same_counts(
    cli: CliFn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines, expected = _traffic(4000)
    log = write(tmp_path / "log.jsonl", lines)
    monkeypatch.setattr(inputs, "RANGE_BYTES", 40_000)  # many ranges, cut inside lines
    monkeypatch.setattr(run_module, "SINGLE_PROCESS_BELOW", 0)
    serial = report(cli, "--workers", "1", log)
    parallel = report(cli, "--workers", "2", log)
    assert expected["traits"]["never_seen"] and expected["never_seen"]  # the test can fail
    assert serial == expected
    assert parallel == expected


def _post_batch(url: str, messages: list[Any]) -> None:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    auth = "Basic " + base64.b64encode(b"key:").decode()
    try:
        body = json.dumps({"batch": messages}).encode()
        conn.request("POST", "/v1/batch", body, {"Authorization": auth})
        assert conn.getresponse().status == 200
    finally:
        conn.close()


def _summary(url: str) -> dict[str, Any]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("GET", "/api/summary")
        document: dict[str, Any] = json.loads(conn.getresponse().read())
        return document
    finally:
        conn.close()


def test_the_collector_reports_the_same_coverage_as_validate(cli: CliFn, tmp_path: Path) -> None:
    lines, _ = _traffic(600, seed=8)
    messages = (
        [json.loads(line) for line in lines]
        + [m for m in MESSAGES if "batch" not in m]
        + MESSAGES[4]["batch"]
    )
    collector = Collector(PLAN, Limits(keep=10))
    running = start(create_app(collector, "key"), collector)
    try:
        for start_at in range(0, len(messages), 100):
            _post_batch(running.url, messages[start_at : start_at + 100])
        served = _summary(running.url)["coverage"]
    finally:
        running.stop()
    log = write(tmp_path / "same.jsonl", [json.dumps(m).encode() for m in messages])
    assert served == report(cli, log)
    assert served["traits"]["unplanned"]["nickname"] == 1 and served["identify"] > 100


def test_metrics_count_unseen_traits() -> None:
    collector = Collector(PLAN)
    collector.check([(VALID_IDENTIFY, json.dumps(VALID_IDENTIFY).encode())], "identify")
    metrics = collector.metrics()
    assert "codegen_serve_planned_traits_unseen 6\n" in metrics
    assert "codegen_serve_planned_events_unseen 8\n" in metrics


def test_planned_event_after_a_flood_of_invented_names_is_seen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Regression: the collector took coverage from the summary's event groups, capped at
    GROUPS names, so a planned event arriving after that many invented names was reported
    never seen. Planned names are now counted apart from the capped unplanned ones."""
    monkeypatch.setattr(coverage_module, "GROUPS", 20)
    collector = Collector(PLAN)
    flood = [track("Cart Viewed", event=f"Invented {i}") for i in range(30)] + [order()]
    collector.check([(m, json.dumps(m).encode()) for m in flood], "batch")
    covered = collector.summary_dict()["coverage"]
    assert "Order Completed" not in covered["never_seen"]
    assert covered["events"] == {"Order Completed": 1}
    assert len(covered["unplanned_events"]) == 21 and covered["unplanned_events"]["(other)"] == 10


def test_coverage_of_batch_exports_and_gzip(cli: CliFn, tmp_path: Path) -> None:
    """Messages re-encoded from a pretty-printed batch export, and gzip: the same counts."""
    export = tmp_path / "export.json"
    export.write_text(json.dumps({"batch": [m for m in MESSAGES if "batch" not in m]}, indent=2))
    packed = tmp_path / "batch.jsonl.gz"
    packed.write_bytes(gzip.compress(LINES[4] + b"\n"))
    assert report(cli, str(export), str(packed)) == COVERAGE


def test_regression_deprecated_names_never_seen_are_not_missed(cli: CliFn, tmp_path: Path) -> None:
    """A deprecated event or trait is meant to stop arriving: never seeing it is not a gap, so
    `--fail-on-unseen` passes (was: exit 1 until the deprecated event was sent again). Seen,
    it is still counted."""
    text = Path(PLAN_FILE).read_text()
    start = text.index("  Replenishment Due:\n")
    text = (
        text[:start]
        + "  Replenishment Due:\n    deprecated: use Subscription Started\n"
        + (text[start + len("  Replenishment Due:\n") :])
    )
    text = text.replace(
        "  phone:\n", "  phone:\n    deprecated: sms moved to another provider\n", 1
    )
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(text)
    sent = [json.dumps(SAMPLER.identify()).encode()] + [
        json.dumps({**SAMPLER.track(e), "userId": USER}).encode()
        for e in PLAN.events
        if e.name != "Replenishment Due"
    ]
    log = write(tmp_path / "log.jsonl", sent)
    result = cli("validate", "--plan", plan_file, "--fail-on-unseen", "--format", "json", log)
    coverage = json.loads(result.stdout)["summary"]["coverage"]
    assert result.exit_code == 0, coverage
    assert coverage["planned"] == 7 and coverage["never_seen"] == []
    assert coverage["traits"]["counts"].get("phone"), coverage  # seen deprecated: counted
