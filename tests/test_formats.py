"""One format vocabulary: every judge of a message agrees on every string format.

Judges: plan/formats.py (the definition), the generated SDK's model field of that format,
python-jsonschema's FormatChecker (with ``jsonschema[format-nongpl]``), jsonschema-rs with
``validate_formats=True``, and ``codegen validate`` on a whole message (fast path, then the
precise pass). Every intentional difference is listed once, in ``KNOWN_DIFFERENCES``, with its
reason; anything else fails, and so does a listed difference that no longer happens.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from codegen.generators.samples import _FORMATS as SAMPLE_VALUES
from codegen.generators.samples import from_pattern
from codegen.pipeline import load_plan_text
from codegen.plan import formats
from codegen.validate.checker import Checker
from codegen.validate.fast import CERTAIN_FORMATS, FastPath

from .conftest import plan_from
from .known_differences import KNOWN_DIFFERENCES, TABLE
from .sdk_support import import_sdk, write_sdk

FORMAT_CHECKER = jsonschema.Draft202012Validator.FORMAT_CHECKER

# One event with a property of each format, so the SDK and `validate` judge real fields.
PLAN_TEXT = """
plan: {name: Formats, slug: formats_plan, version: 1.0.0}
identity: {primary_id: customer_id, user_id_pattern: "^c_[0-9a-z]{6,}$"}
events:
  Formats Checked:
    properties:
      email: {type: string, format: email}
      uri: {type: string, format: uri}
      hostname: {type: string, format: hostname}
      uuid: {type: string, format: uuid}
      ipv4: {type: string, format: ipv4}
      ipv6: {type: string, format: ipv6}
      date_time: {type: string, format: date-time}
      date: {type: string, format: date}
      at: {type: datetime}
      day: {type: date}
      digits: {type: string, pattern: "^\\\\d+$"}
      named: {type: string, pattern: "^(?<word>[a-z]+)-(?<=[a-z]-)[a-z]+$"}
"""
PLAN = plan_from(PLAN_TEXT)
CHECKER = Checker(PLAN)
FIELD = {fmt: fmt.replace("-", "_") for fmt in TABLE}


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return import_sdk(write_sdk(PLAN, tmp_path_factory.mktemp("sdk")), "formats_plan")


def _model(sdk: ModuleType) -> Any:
    return sdk.FormatsCheckedProperties


def _message(properties: dict[str, Any], timestamp: str = "2026-01-15T09:30:00Z") -> bytes:
    return json.dumps(
        {
            "type": "track",
            "event": "Formats Checked",
            "userId": "c_abcdef1",
            "timestamp": timestamp,
            "properties": properties,
        }
    ).encode()


def _verdicts(sdk: ModuleType, fmt: str, value: str) -> dict[str, bool]:
    rs = jsonschema_rs.validator_for({"format": fmt}, validate_formats=True)
    line = _message({FIELD[fmt]: value})
    try:
        _model(sdk).model_validate_json(json.dumps({FIELD[fmt]: value}))
        sdk_ok = True
    except ValidationError:
        sdk_ok = False
    return {
        "formats.py": formats.conforms(fmt, value),
        "sdk": sdk_ok,
        "python-jsonschema": FORMAT_CHECKER.conforms(value, fmt),
        "jsonschema-rs": rs.is_valid(value),
        "validate": CHECKER.check_line(line, "log", 1)[0].status == "valid",
    }


CASES = [(fmt, value, valid) for fmt, rows in TABLE.items() for value, valid in rows]


@pytest.mark.parametrize(("fmt", "value", "valid"), CASES, ids=[repr(c[:2]) for c in CASES])
def test_every_judge_agrees_or_the_difference_is_listed(
    sdk: ModuleType, fmt: str, value: str, valid: bool
) -> None:
    verdicts = _verdicts(sdk, fmt, value)
    assert verdicts["formats.py"] is valid
    unexplained = {
        judge: ok
        for judge, ok in verdicts.items()
        if ok is not valid and (judge, fmt, value) not in KNOWN_DIFFERENCES
    }
    assert unexplained == {}
    for judge, ok in verdicts.items():  # a listed difference must still be one
        if (judge, fmt, value) in KNOWN_DIFFERENCES:
            assert ok is not valid, (judge, "no longer differs: remove it from the list")


def test_known_differences_are_all_in_the_table() -> None:
    rows = {(fmt, value) for fmt, value, _ in CASES}
    listed = {(fmt, value) for _, fmt, value in KNOWN_DIFFERENCES if fmt in TABLE}
    assert listed <= rows  # the other topics are whole-message rules (tests/test_oracle.py)


def test_formats_never_accept_what_a_published_judge_rejects() -> None:
    """The stricter side is always ours: whatever formats.py accepts, every judge accepts."""
    for fmt, value, valid in CASES:
        if valid:
            rs = jsonschema_rs.validator_for({"format": fmt}, validate_formats=True)
            assert rs.is_valid(value) and FORMAT_CHECKER.conforms(value, fmt), (fmt, value)


_NEAR = st.sampled_from([*'aZ09-._:/@?#[]%+ \t\nTtz"\\<>ü٣', "--", "::", "xn--", "%2"])


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_mutated_values_formats_never_looser_than_jsonschema_rs(data: st.DataObject) -> None:
    fmt = data.draw(st.sampled_from(sorted(TABLE)))
    seed = data.draw(st.sampled_from([v for v, ok in TABLE[fmt] if ok]))
    chars = list(seed)
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(chars)))
        if data.draw(st.booleans()) and chars:
            chars[min(i, len(chars) - 1)] = data.draw(_NEAR)
        else:
            chars.insert(i, data.draw(_NEAR))
    value = "".join(chars)
    if formats.conforms(fmt, value):
        rs = jsonschema_rs.validator_for({"format": fmt}, validate_formats=True)
        assert rs.is_valid(value), (fmt, value)
        assert FORMAT_CHECKER.conforms(value, fmt), (fmt, value)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_certain_fast_path_shapes_are_valid_formats(data: st.DataObject) -> None:
    fmt = data.draw(st.sampled_from(sorted(CERTAIN_FORMATS)))
    value = data.draw(
        st.from_regex("^" + CERTAIN_FORMATS[fmt].removesuffix("\\Z") + "$", fullmatch=True)
    ).rstrip("\n")
    if re.match("^" + CERTAIN_FORMATS[fmt], value):
        assert formats.conforms(fmt, value), (fmt, value)


def test_sample_values_are_valid() -> None:
    assert {fmt: formats.conforms(fmt, v) for fmt, v in SAMPLE_VALUES.items()} == {
        fmt: True for fmt in SAMPLE_VALUES
    }
    assert set(SAMPLE_VALUES) == set(formats.FORMATS)


# -- regression tests for the disagreements this module fixed --------------------------------


@pytest.mark.parametrize("stamp", ["2026-03-01 10:00:00Z", "2026-03-01T10:00:00+0100"])
def test_fast_path_rejects_non_rfc3339_timestamps_and_datetimes(stamp: str) -> None:
    fast = FastPath(PLAN)
    assert fast.accepts(_message({})) == "Formats Checked"
    assert fast.accepts(_message({}, timestamp=stamp)) is None
    assert fast.accepts(_message({"at": stamp})) is None
    assert CHECKER.check_line(_message({"at": stamp}), "log", 1)[0].status == "invalid"
    assert CHECKER.check_line(_message({}, timestamp=stamp), "log", 1)[0].status == "invalid"


def test_fast_path_checks_string_date_time_formats() -> None:
    assert FastPath(PLAN).accepts(_message({"date_time": "yesterday"})) is None


@pytest.mark.parametrize(("value", "ok"), [("123", True), ("٣٣٣", False), ("123\n", False)])
def test_patterns_have_ecma_meaning_in_every_judge(sdk: ModuleType, value: str, ok: bool) -> None:
    """``\\d`` is ASCII and ``$`` is the end of the string, as in JSON Schema."""
    assert formats.search(r"^\d+$", value) is ok
    assert (CHECKER.check_line(_message({"digits": value}), "log", 1)[0].status == "valid") is ok
    try:
        _model(sdk)(digits=value)
        assert ok
    except ValidationError:
        assert not ok


def test_ecma_only_pattern_runs_everywhere(sdk: ModuleType) -> None:
    """A named group Python's re cannot read: the ECMA engine runs it, everywhere."""
    assert formats.python_regex("^(?<word>[a-z]+)-(?<=[a-z]-)[a-z]+$") is None
    for value, ok in (("ab-cd", True), ("ab-", False), ("ab-1", False)):
        line = _message({"named": value})
        assert (CHECKER.check_line(line, "log", 1)[0].status == "valid") is ok
        assert (FastPath(PLAN).accepts(line) == "Formats Checked") is ok
        try:
            _model(sdk)(named=value)
            assert ok
        except ValidationError:
            assert not ok


def test_user_id_with_trailing_newline_is_rejected(sdk: ModuleType) -> None:
    line = json.dumps(
        {"type": "track", "event": "Formats Checked", "userId": "c_abcdef1\n", "properties": {}}
    ).encode()
    assert CHECKER.check_line(line, "log", 1)[0].status == "invalid"
    tracker = sdk.Tracker(_Recorder(), mode="strict")
    with pytest.raises(sdk.TrackingPlanViolation, match="userId"):
        tracker.formats_checked(user_id="c_abcdef1\n")


def test_datetime_with_offset_seconds_is_not_shifted(sdk: ModuleType) -> None:
    odd = timezone(timedelta(hours=1, seconds=30))
    moment = datetime(2026, 3, 1, 10, 0, 0, tzinfo=odd)
    client = _Recorder()
    sdk.Tracker(client, mode="strict").formats_checked(user_id="c_abcdef1", at=moment)
    sent = client.calls[0]["properties"]["at"]
    assert formats.is_date_time(sent)
    assert datetime.fromisoformat(sent) == moment.astimezone(UTC)


def test_sdk_formats_need_no_jsonschema_extras(sdk: ModuleType) -> None:
    """The SDK checks uri/hostname itself, not through jsonschema's optional packages."""
    runtime = Path(sdk.__file__).with_name("_runtime.py").read_text(encoding="utf-8")
    assert "jsonschema" not in runtime
    with pytest.raises(ValidationError):
        _model(sdk)(uri="not a uri", hostname="-bad-")


@pytest.mark.parametrize(
    "pattern", ["^c_\\d+\\Z", "(?P<n>x)", "(?>a)", "(?i)abc", "a{,3}", "[a-z\\-]+\\-"]
)
def test_python_only_patterns_are_rejected_with_a_location(pattern: str) -> None:
    text = PLAN_TEXT.replace('pattern: "^\\\\d+$"', f"pattern: {json.dumps(pattern)}")
    loaded = load_plan_text(text, "plan.yaml")
    assert loaded.plan is None
    (problem,) = [d for d in loaded.diagnostics if d.code == "type/bad-pattern"]
    rendered = problem.render()
    assert "plan.yaml:17:30:" in rendered and "digits.pattern" in rendered, rendered
    assert "ECMA-262" in rendered


def test_patterns_jsonschema_rs_cannot_run_are_rejected() -> None:
    """Valid ECMA-262, but `codegen validate` would fail on it: a plan error, not a traceback."""
    text = PLAN_TEXT.replace('pattern: "^\\\\d+$"', 'pattern: "\\\\k<w>(?<w>a)"')
    loaded = load_plan_text(text, "plan.yaml")
    assert loaded.plan is None
    assert any("jsonschema-rs" in d.message for d in loaded.diagnostics)


def test_samples_only_build_values_the_ecma_engine_accepts() -> None:
    assert from_pattern("^[0-9]{3}$") == "000"
    assert from_pattern("^a$") == "a"
    # Python reads `\Z` as an end anchor; ECMA rejects the pattern, so no sample either
    assert from_pattern("^a\\Z") is None


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def track(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)

    def identify(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)
