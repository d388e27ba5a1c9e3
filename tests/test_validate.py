"""`codegen validate`: every violation kind with exact pointers, inputs of every shape, bounded
memory, and agreement with pure-Python jsonschema."""

from __future__ import annotations

import copy
import gzip
import json
import os
import random
import re
import tracemalloc
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegen.generators.jsonschema import event_document
from codegen.generators.samples import Sampler
from codegen.validate import Violation, validate_sources
from codegen.validate.checker import Checker
from codegen.validate.fast import CERTAIN_FORMATS

from .conftest import CliFn, glow_shop
from .terminal_support import COLOUR, run_codegen

PLAN = glow_shop()
SAMPLER = Sampler(PLAN)
CHECKER = Checker(PLAN)


def order(**changes: Any) -> dict[str, Any]:
    message = SAMPLER.track(PLAN.event("Order Completed"), full=True)  # type: ignore[arg-type]
    message["userId"] = "c_abc1234"
    for path, value in changes.items():
        *parents, last = path.split(".")
        target = message
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value
    return message


DELETE = object()


def violations(message: Any) -> list[tuple[str, str]]:
    line = json.dumps(message).encode()
    return sorted(
        (v.kind, v.pointer) for o in CHECKER.check_line(line, "t", 1) for v in o.violations
    )


def only(message: Any) -> Violation:
    found = [
        v for o in CHECKER.check_line(json.dumps(message).encode(), "t", 1) for v in o.violations
    ]
    assert len(found) == 1, found
    return found[0]


def test_valid_messages_pass_both_paths() -> None:
    for event in PLAN.events:
        for full in (True, False):
            message = SAMPLER.track(event, full=full)
            line = json.dumps(message).encode()
            assert CHECKER.fast.accepts(line) == event.name, event.name
            assert violations(message) == []
    assert violations(SAMPLER.identify()) == []


@pytest.mark.parametrize(
    ("changes", "kind", "pointer"),
    [
        ({"properties.revenue": "42.00"}, "type", "/properties/revenue"),
        ({"properties.products.0.quantity": "2"}, "type", "/properties/products/0/quantity"),
        ({"properties.order_id": DELETE}, "required", "/properties"),
        ({"properties.products.0.sku": DELETE}, "required", "/properties/products/0"),
        ({"properties.payment_method": "bitcoin"}, "enum", "/properties/payment_method"),
        ({"properties.completed_at": "yesterday"}, "format", "/properties/completed_at"),
        ({"properties.currency": "usd"}, "pattern", "/properties/currency"),
        ({"properties.revenue": -1}, "minimum", "/properties/revenue"),
        ({"properties.products": []}, "minItems", "/properties/products"),
        ({"properties.utm_source": "x"}, "additionalProperties", "/properties"),
        (
            {"properties.products.0.image_url": "not a uri"},
            "format",
            "/properties/products/0/image_url",
        ),
        (
            {"context": {"tracking_plan": {"name": "other_plan"}}},
            "const",
            "/context/tracking_plan/name",
        ),
    ],
)
def test_schema_violations_name_keyword_and_pointer(
    changes: dict[str, Any], kind: str, pointer: str
) -> None:
    assert violations(order(**changes)) == [(kind, pointer)]


def test_enum_near_miss_hint() -> None:
    v = only(order(**{"properties.products.0.category": "skin-care"}))
    assert (v.kind, v.pointer, v.hint) == (
        "enum",
        "/properties/products/0/category",
        "did you mean `Skincare`?",
    )


def test_unplanned_event_with_did_you_mean() -> None:
    purchase = only({**order(), "event": "Purchase"})
    assert (purchase.kind, purchase.hint) == (
        "unplanned_event",
        "did you mean `Order Completed`? (the Segment spec name for `Purchase`)",
    )
    typo = only({**order(), "event": "order_completed"})
    assert typo.hint == "did you mean `Order Completed`?"


@pytest.mark.parametrize(
    ("identity", "message"),
    [
        ({"userId": None, "anonymousId": None}, "neither userId nor anonymousId"),
        ({"userId": None, "anonymousId": "anon-1"}, "requires a known person"),
        ({"userId": "12345"}, "does not match"),
        ({"userId": "jane@example.com"}, "userId is an email address"),
    ],
)
def test_identity(identity: dict[str, Any], message: str) -> None:
    v = only({**order(), **identity})
    assert (v.kind, v.pointer) == ("identity", "/userId")
    assert message in v.message


def test_anonymous_is_fine_where_the_plan_allows_it() -> None:
    viewed = SAMPLER.track(PLAN.event("Product Viewed"), anonymous=True)  # type: ignore[arg-type]
    assert viewed["userId"] is None
    assert violations(viewed) == []
    assert violations({**viewed, "anonymousId": None}) == [("identity", "/userId")]


def test_every_problem_not_just_the_first() -> None:
    found = violations(
        order(
            **{
                "properties.revenue": "1",
                "properties.currency": "usd",
                "properties.order_id": DELETE,
                "userId": "jane@example.com",
            }
        )
    )
    assert found == [
        ("identity", "/userId"),
        ("pattern", "/properties/currency"),
        ("required", "/properties"),
        ("type", "/properties/revenue"),
    ]


def test_identify_and_other_types() -> None:
    bad = SAMPLER.identify()
    bad["traits"]["loyalty_tier"] = "diamond"
    assert violations(bad) == [("enum", "/traits/loyalty_tier")]
    outcomes = CHECKER.check_line(b'{"type":"page","name":"Home","userId":"c_abc1234"}', "t", 1)
    assert [o.status for o in outcomes] == ["skipped"]


def write_log(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def run(sources: list[str], workers: int = 1) -> tuple[Any, list[Violation]]:
    found: list[Violation] = []
    summary = validate_sources(PLAN, sources, found.append, workers=workers)
    return summary, found


def test_malformed_lines_have_line_numbers_and_do_not_stop(tmp_path: Path) -> None:
    good = json.dumps(order()).encode()
    log = write_log(tmp_path / "log.jsonl", [good, b"{not json", b"", good, b"[1, 2", good])
    summary, found = run([str(log)])
    assert [(v.kind, v.line) for v in found] == [("malformed", 2), ("malformed", 5)]
    assert (summary.messages, summary.valid, summary.malformed) == (3, 3, 2)


def test_gzip_batch_lines_and_batch_documents(tmp_path: Path) -> None:
    good, bad = order(), order(**{"properties.revenue": "x"})
    batch_line = json.dumps({"batch": [good, bad], "sentAt": "2026-01-01T00:00:00Z"}).encode()
    gz = tmp_path / "log.jsonl.gz"
    gz.write_bytes(gzip.compress(b"\n".join([json.dumps(good).encode(), batch_line]) + b"\n"))
    pretty = tmp_path / "export.json"
    pretty.write_text(json.dumps({"batch": [bad, good, bad]}, indent=2))
    summary, found = run([str(gz), str(pretty)])
    assert summary.messages == 6 and summary.invalid == 3
    assert [(v.file.rsplit("/", 1)[-1], v.line, v.pointer) for v in found] == [
        ("log.jsonl.gz", 2, "/properties/revenue"),
        ("export.json", 1, "/properties/revenue"),
        ("export.json", 1, "/properties/revenue"),
    ]


def _stream(count: int, seed: int = 3) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        event = PLAN.events[i % len(PLAN.events)]
        message = SAMPLER.track(event, full=bool(i % 2), anonymous=event.anonymous_allowed)
        if rng.random() < 0.2:
            _mutate(message, rng)
        out.append(json.dumps(message).encode())
    return out


def _mutate(message: dict[str, Any], rng: random.Random) -> None:
    props = message["properties"]
    key = rng.choice(sorted(props)) if props else None
    choice = rng.randrange(6)
    if choice == 0 and key:
        props[key] = {"wrong": True}
    elif choice == 1 and key:
        del props[key]
    elif choice == 2:
        props["unplanned"] = 1
    elif choice == 3:
        message["userId"] = "jane@example.com"
    elif choice == 4 and key:
        props[key] = "5" if not isinstance(props[key], str) else 5
    else:
        message["timestamp"] = "not a time"


def test_line_numbers_across_parallel_ranges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codegen.validate import inputs
    from codegen.validate import run as run_module

    lines = _stream(3000)
    log = write_log(tmp_path / "log.jsonl", lines)
    monkeypatch.setattr(inputs, "RANGE_BYTES", 40_000)  # many ranges, cut inside lines
    monkeypatch.setattr(run_module, "SINGLE_PROCESS_BELOW", 0)
    serial = run([str(log)], workers=1)[1]
    parallel = run([str(log)], workers=2)[1]
    assert len(serial) > 300
    assert [(v.line, v.pointer, v.kind) for v in parallel] == [
        (v.line, v.pointer, v.kind) for v in serial
    ]
    for v in serial[:50]:
        assert json.loads(lines[v.line - 1]).get("messageId") == v.message_id


def test_agreement_with_pure_python_jsonschema(tmp_path: Path) -> None:
    """Same set of (line, pointer, keyword) as a reference validation with `jsonschema`."""
    lines = _stream(1500, seed=11)
    _, found = run([str(write_log(tmp_path / "log.jsonl", lines))])
    ours = {(v.line, v.pointer, v.kind) for v in found}
    reference: set[tuple[int, str, str]] = set()
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    validators = {
        e.name: jsonschema.Draft202012Validator(event_document(PLAN, e), format_checker=checker)
        for e in PLAN.events
    }
    for number, line in enumerate(lines, start=1):
        message = json.loads(line)
        email_id = "@" in str(message.get("userId"))
        for error in validators[message["event"]].iter_errors(message):
            pointer = "".join(f"/{p}" for p in error.absolute_path)
            if pointer == "/anonymousId":
                reference.add((number, pointer, "identity"))
            elif (
                pointer == "/userId"
                or error.validator == "anyOf"
                or (error.validator == "required" and "userId" in error.message)
            ):
                reference.add((number, "/userId", "identity"))
            else:
                reference.add((number, pointer, str(error.validator)))
        if email_id:
            reference.add((number, "/userId", "identity"))
    assert len(reference) > 200
    assert ours == reference


def test_memory_stays_flat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory is bounded by the range size, not the input: shown at 256 KB ranges."""
    from codegen.validate import inputs

    monkeypatch.setattr(inputs, "RANGE_BYTES", 256_000)
    monkeypatch.setattr(inputs, "BLOCK_BYTES", 64_000)
    lines = _stream(500)
    small = write_log(tmp_path / "small.jsonl", lines * 4)
    large = write_log(tmp_path / "large.jsonl", lines * 40)
    peaks = []
    for log in (small, large):
        # the lower of two runs: a one-off resize of an interpreter-wide table (interned
        # strings) can land in either run, depending on what ran before
        runs = []
        for _ in range(2):
            tracemalloc.start()
            summary = validate_sources(PLAN, [str(log)], lambda v: None, workers=1)
            runs.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
            assert summary.lines == len(log.read_bytes().splitlines())
        peaks.append(min(runs))
    assert large.stat().st_size > 3 * peaks[1]  # the file never sits in memory
    assert peaks[1] < peaks[0] * 1.5 + 1_000_000  # 10x the input, about the same peak


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_certain_format_shapes_are_valid_for_jsonschema_rs(data: st.DataObject) -> None:
    """The fast path accepts these shapes without asking jsonschema-rs: they must be valid."""
    fmt = data.draw(st.sampled_from(sorted(CERTAIN_FORMATS)))
    value = data.draw(
        st.from_regex("^" + CERTAIN_FORMATS[fmt].removesuffix("\\Z") + "$", fullmatch=True)
    )
    value = value.rstrip("\n")
    if not re.match("^" + CERTAIN_FORMATS[fmt], value):
        return
    validator = jsonschema_rs.validator_for({"format": fmt}, validate_formats=True)
    assert validator.is_valid(value), (fmt, value)


def test_cli_text_json_github_and_exit_codes(cli: CliFn, tmp_path: Path) -> None:
    good = json.dumps(order()).encode()
    bad = json.dumps(order(**{"properties.revenue": "42"})).encode()
    clean = write_log(tmp_path / "clean.jsonl", [good, good])
    dirty = write_log(tmp_path / "dirty.jsonl", [good, bad, b"oops"])
    plan = "plans/glow_shop.yaml"
    assert cli("validate", "--plan", plan, clean).exit_code == 0
    text = cli("validate", "--plan", plan, dirty)
    assert text.exit_code == 1
    assert "dirty.jsonl:2: type [Order Completed] /properties/revenue" in text.stdout
    assert "malformed" in text.stdout and "violations" in text.stdout
    assert cli("validate", "--plan", plan, "--max-violations", "2", dirty).exit_code == 0
    document = json.loads(cli("validate", "--plan", plan, "--format", "json", dirty).stdout)
    assert document["summary"]["invalid"] == 1 and document["summary"]["malformed"] == 1
    assert [v["kind"] for v in document["violations"]] == ["type", "malformed"]
    assert set(document["violations"][0]) == {
        "file",
        "line",
        "message_id",
        "event",
        "kind",
        "pointer",
        "message",
        "hint",
    }
    empty = json.loads(cli("validate", "--plan", plan, "--format", "json", clean).stdout)
    assert empty["violations"] == [] and empty["summary"]["valid"] == 2
    github = cli("validate", "--plan", plan, "--format", "github", dirty).stdout
    assert github.startswith("::error file=") and ",line=2," in github
    assert cli("validate", "--plan", plan, tmp_path / "missing.jsonl").exit_code == 2
    assert cli("validate", "--plan", "tests/cases/bad/yaml_syntax.yaml", clean).exit_code == 2


def test_cli_reads_stdin(tmp_path: Path) -> None:
    import subprocess
    import sys

    from .conftest import ROOT

    bad = json.dumps(order(**{"properties.currency": "usd"}))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "codegen",
            "validate",
            "--plan",
            "plans/glow_shop.yaml",
            "--format",
            "json",
            "-",
        ],
        input=bad + "\n",
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result.stderr
    [violation] = json.loads(result.stdout)["violations"]
    assert (violation["file"], violation["line"], violation["pointer"]) == (
        "-",
        1,
        "/properties/currency",
    )


def test_copy_is_unchanged() -> None:
    """The helpers above must not mutate shared samples between tests."""
    assert order() == copy.deepcopy(order())


# -- progress and colour on a real terminal ---------------------------------------------------


def _validate_with_stderr(log: Path, terminal: bool, **env: str) -> tuple[bytes, bytes]:
    """`codegen validate --format json` in a subprocess, stderr on a pseudo-terminal or a pipe;
    stdout is always a pipe."""
    args = ["validate", "--plan", "plans/glow_shop.yaml", "--format", "json", str(log)]
    return run_codegen(args, terminal, **env)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_progress_only_when_stderr_is_a_terminal_and_no_color_respected(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", [json.dumps(order()).encode()] * 50)
    for terminal, env in ((True, {}), (True, {"NO_COLOR": "1"}), (False, {})):
        stdout, stderr = _validate_with_stderr(log, terminal, **env)
        assert json.loads(stdout)["summary"]["valid"] == 50  # the report is untouched
        assert (b"validating" in stderr) is terminal, (terminal, env, stderr)
        coloured = COLOUR.search(stderr.decode("utf-8", "replace")) is not None
        assert coloured is (terminal and not env), (terminal, env, stderr)
