"""`codegen validate` on hostile input (issue 12): one bad line never stops a run, memory stays
bounded whatever the input's shape, the JSON report is always one document, and nothing from a
log can drive the terminal. Every input here is generated under tmp_path."""

from __future__ import annotations

import gzip
import json
import os
import random
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from codegen.cli.validate_report import ViolationPrinter
from codegen.generators.samples import Sampler
from codegen.validate import Summary, Violation, inputs, validate_sources
from codegen.validate import coverage as coverage_module
from codegen.validate import run as run_module

from .conftest import ROOT, CliFn, glow_shop

PLAN = glow_shop()
SAMPLER = Sampler(PLAN)
PLAN_FILE = "plans/glow_shop.yaml"


def order(**changes: Any) -> dict[str, Any]:
    message = SAMPLER.track(PLAN.event("Order Completed"), full=True)  # type: ignore[arg-type]
    message["userId"] = "c_abc1234"
    message.update(changes)
    return message


GOOD = json.dumps(order()).encode()
BAD = json.dumps(order(properties={**order()["properties"], "revenue": "42"})).encode()


def run(
    sources: list[Path | str], workers: int = 1, **options: Any
) -> tuple[Summary, list[Violation]]:
    found: list[Violation] = []
    summary = validate_sources(
        PLAN, [str(s) for s in sources], found.append, workers=workers, **options
    )
    return summary, found


def json_report(cli: CliFn, *args: Any) -> tuple[int, dict[str, Any]]:
    result = cli("validate", "--plan", PLAN_FILE, "--format", "json", *args)
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, json.loads(result.stdout)


def test_the_sample_messages(tmp_path: Path) -> None:
    """The tests below rely on GOOD being valid and BAD having one violation."""
    summary, found = run([_write(tmp_path / "log.jsonl", [GOOD, BAD])])
    assert summary.valid == 1
    assert [(v.line, v.kind, v.pointer) for v in found] == [(2, "type", "/properties/revenue")]


def _write(path: Path, lines: list[bytes], end: bytes = b"\n") -> Path:
    path.write_bytes(end.join(lines) + end)
    return path


# -- one bad line never stops the run -------------------------------------------------------


def test_invalid_utf8_type_list_and_deep_nesting_are_malformed_lines(
    cli: CliFn, tmp_path: Path
) -> None:
    """Each of these ended the run with a traceback and exit 1 (issue 12)."""
    log = _write(
        tmp_path / "log.jsonl",
        [
            GOOD,
            b'{"type": "track", "event": "Order \xff Completed", "userId": "c_abc1234"}',
            b'{"type": [], "event": "Order Completed"}',
            b'{"type": {"a": 1}, "event": "Order Completed"}',
            b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
            b"[" * 100_000 + b"]" * 100_000,
            GOOD,
            BAD,
        ],
    )
    code, report = json_report(cli, log)
    assert code == 1
    malformed = [(v["line"], v["kind"]) for v in report["violations"] if v["kind"] == "malformed"]
    assert malformed == [
        (2, "malformed"),
        (3, "malformed"),
        (4, "malformed"),
        (5, "malformed"),
        (6, "malformed"),
    ]
    assert [(v["line"], v["pointer"]) for v in report["violations"][-1:]] == [
        (8, "/properties/revenue")
    ]
    summary = report["summary"]
    assert (summary["lines"], summary["valid"], summary["invalid"]) == (8, 2, 3)


def test_type_list_in_a_batch_line_does_not_stop_the_batch() -> None:
    line = json.dumps({"batch": [{"type": [], "event": "x"}, order(), {"type": {}}]}).encode()
    outcomes = run_module.Checker(PLAN).check_line(line, "t", 7)
    assert [o.status for o in outcomes] == ["invalid", "valid", "invalid"]


def test_json_report_is_one_document_when_a_source_fails_part_way(
    cli: CliFn, tmp_path: Path
) -> None:
    """A gzip file cut short used to leave a truncated report and a traceback."""
    first = _write(tmp_path / "first.jsonl", [GOOD, BAD])
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzip.compress(b"\n".join([BAD] * 5000) + b"\n")[:-200])
    last = _write(tmp_path / "last.jsonl", [BAD])
    result = cli("validate", "--plan", PLAN_FILE, "--format", "json", first, cut, last)
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    files = {Path(v["file"]).name for v in report["violations"]}
    assert files == {"first.jsonl", "cut.jsonl.gz", "last.jsonl"}  # the run went on
    [error] = report["summary"]["errors"]
    assert error.startswith(str(cut)) and "cannot read" in result.stderr


def test_json_report_is_closed_by_an_unexpected_error() -> None:
    import io

    sink = io.StringIO()
    printer = ViolationPrinter("json", Console(file=sink), Console(file=io.StringIO()))
    violation = Violation("f", 1, None, None, "malformed", "", "bad", None)
    with pytest.raises(RuntimeError), printer.report():
        printer.add(violation)
        raise RuntimeError("worker died")
    document = json.loads(sink.getvalue())
    assert document["error"] == "RuntimeError: worker died"
    assert [v["message"] for v in document["violations"]] == ["bad"]


# -- memory is bounded by the block size and --max-message-bytes ---------------------------


def _peak(sources: list[Path], **options: Any) -> tuple[int, Summary, list[Violation]]:
    """Peak Python memory of a run, less that of a run over three lines (the checker)."""
    tracemalloc.start()
    try:
        run([_write(sources[0].parent / "few.jsonl", [GOOD, BAD, b"{"])], **options)
        base = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        summary, found = run(sources, **options)
        return tracemalloc.get_traced_memory()[1] - base, summary, found
    finally:
        tracemalloc.stop()


def _batch_export(path: Path, count: int) -> Path:
    """A pretty-printed Segment batch export, gzipped: compresses ~100x."""
    with gzip.open(path, "wb") as out:
        out.write(b'{\n  "batch": [\n')
        for i in range(count):
            out.write(
                b"    " + (BAD if i % 10 == 0 else GOOD) + (b",\n" if i < count - 1 else b"\n")
            )
        out.write(b'  ],\n  "sentAt": "2026-01-15T09:30:00Z"\n}\n')
    return path


def test_batch_documents_stream_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 2 MB .gz batch export reached 8.3 GB: the document was parsed whole. Shown with
    64 KB blocks: memory follows the block size, not the document."""
    monkeypatch.setattr(inputs, "BLOCK_BYTES", 64_000)
    small = _batch_export(tmp_path / "small.json.gz", 2_000)
    large = _batch_export(tmp_path / "large.json.gz", 20_000)
    peaks = []
    for export, count in ((small, 2_000), (large, 20_000)):
        peak, summary, found = _peak([export])
        peaks.append(peak)
        assert (summary.messages, summary.invalid) == (count, count // 10)
        assert summary.lines == count + 5
        assert {v.line for v in found} == {1}  # messages of a document report its first line
    raw = len(gzip.decompress(large.read_bytes()))
    assert raw > 4 * peaks[1]  # the document never sits in memory
    assert peaks[1] < peaks[0] * 2 + 2_000_000  # 10x the messages, about the same peak


def test_document_nesting_is_measured_across_chunks_and_strings() -> None:
    """The depth guard in front of ijson skips strings (brackets, escaped quotes and a
    backslash cut by a chunk end included) and gives the exact depth, whatever the chunking."""
    rng = random.Random(5)

    def reference(data: bytes) -> tuple[int, int]:
        depth = deepest = 0
        in_string = escaped = False
        for byte in data:
            if in_string:
                escaped, in_string = (False, True) if escaped else (byte == 0x5C, byte != 0x22)
            elif byte == 0x22:
                in_string = True
            elif byte in b"[{":
                depth += 1
                deepest = max(deepest, depth)
            elif byte in b"]}":
                depth -= 1
        return depth, deepest

    for _ in range(300):
        value: list[Any] = []
        current = value
        for _ in range(rng.randrange(1, 60)):
            roll = rng.random()
            if roll < 0.3:
                current.append([])
                current = current[-1]
            elif roll < 0.5:
                current.append({'k\\"[{': "v\\" + "[" * rng.randrange(5) + '"'})
            else:
                current.append("x]}\\" * rng.randrange(4))
        data = json.dumps(value).encode()
        depth, deepest = reference(data)
        for limit in (deepest, deepest - 1):
            nesting = inputs._Nesting(limit)
            fits, start = True, 0
            while start < len(data) and fits:
                step = rng.randrange(1, 8)
                fits = nesting.feed(data[start : start + step])
                start += step
            assert fits == (deepest <= limit), (data, limit)
            if fits:
                assert (nesting.depth, nesting.in_string) == (depth, False)


def test_first_line_brace_then_json_lines_is_read_line_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 200 MB file whose first line is `{` used 865 MB: it was read whole to find out."""
    monkeypatch.setattr(inputs, "BLOCK_BYTES", 64_000)
    log = _write(tmp_path / "log.jsonl", [b"{"] + [GOOD] * 10_000 + [BAD])
    peak, summary, found = _peak([log])
    assert [(v.line, v.kind) for v in found] == [(1, "malformed"), (10_002, "type")]
    assert (summary.lines, summary.valid) == (10_002, 10_000)
    assert peak < log.stat().st_size / 4


def test_one_huge_line_in_gzip_is_skipped_in_linear_time_and_bounded_memory(
    tmp_path: Path,
) -> None:
    """A .gz holding one huge line grew a buffer by concatenation: quadratic, unbounded."""
    path = tmp_path / "huge.jsonl.gz"
    with gzip.open(path, "wb") as out:
        out.write(GOOD + b"\n")
        out.write(b'{"type": "track", "event": "' + b"x" * (24 << 20))  # 24 MB, no newline yet
        out.write(b'"}\n' + BAD + b"\n")
    peak, summary, found = _peak([path], max_message_bytes=1 << 20)
    assert [(v.line, v.kind) for v in found] == [(2, "malformed"), (3, "type")]
    assert "of 25,165,8" in found[0].message and "1,048,576-byte limit" in found[0].message
    assert "32 KB" in (found[0].hint or "")
    assert (summary.lines, summary.valid, summary.malformed) == (3, 1, 1)
    assert peak < 8 << 20


def test_long_lines_in_a_plain_file_keep_line_numbers_across_ranges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inputs, "RANGE_BYTES", 64_000)
    monkeypatch.setattr(run_module, "SINGLE_PROCESS_BELOW", 0)
    huge = b'{"event": "' + b"y" * 300_000 + b'"}'
    lines = [GOOD] * 50 + [huge] + [BAD] + [GOOD] * 50 + [huge, huge] + [BAD] * 2 + [b"x" * 150_000]
    log = _write(tmp_path / "log.jsonl", lines)
    expected = [(51, "malformed"), (52, "type"), (103, "malformed"), (104, "malformed")]
    expected += [(105, "type"), (106, "type"), (107, "malformed")]
    for workers in (1, 2):
        summary, found = run([log], workers=workers, max_message_bytes=100_000)
        assert [(v.line, v.kind) for v in found] == expected, workers
        assert (summary.lines, summary.malformed, summary.valid) == (len(lines), 4, 100)


def test_range_boundary_right_after_a_newline_loses_no_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A range starting exactly at a line skipped that line (9 of 100 lost here)."""
    line = json.dumps({"type": "track", "event": "Nope", "userId": "c_abc1234"}).encode()
    log = _write(tmp_path / "log.jsonl", [line] * 100)
    monkeypatch.setattr(inputs, "RANGE_BYTES", 10 * (len(line) + 1))
    summary, found = run([log])
    assert (summary.messages, summary.lines) == (100, 100)
    assert [v.line for v in found] == list(range(1, 101))


def test_max_message_bytes_option(cli: CliFn, tmp_path: Path) -> None:
    log = _write(tmp_path / "log.jsonl", [GOOD, BAD])
    code, report = json_report(cli, "--max-message-bytes", "100", log)
    assert code == 1
    assert [(v["line"], v["kind"]) for v in report["violations"]] == [
        (1, "malformed"),
        (2, "malformed"),
    ]
    assert "limit" in report["violations"][0]["message"]
    code, report = json_report(cli, log)
    assert [v["kind"] for v in report["violations"]] == ["type"]
    usage = cli("validate", "--plan", PLAN_FILE, "--max-message-bytes", "0", log)
    assert usage.exit_code == 2 and "Traceback" not in usage.stdout + usage.stderr


def test_oversized_message_in_a_batch_document(tmp_path: Path) -> None:
    big = json.dumps(order(messageId="m" * 5000)).encode()
    doc = tmp_path / "export.json"
    doc.write_bytes(b'{"batch": [\n' + b",\n".join([GOOD, big, BAD]) + b"\n]}\n")
    summary, found = run([doc], max_message_bytes=4000)
    assert [v.kind for v in found] == ["malformed", "type"]
    assert found[0].message.startswith("message 2 of the document")
    assert (summary.valid, summary.invalid, summary.malformed) == (1, 1, 1)


# -- line counting, the terminal, options, inputs, identity --------------------------------


def test_crlf_blank_lines_are_skipped_and_line_numbers_stay_right(tmp_path: Path) -> None:
    log = _write(tmp_path / "log.jsonl", [GOOD, b"", b"  ", BAD, b"", b"{oops"], end=b"\r\n")
    summary, found = run([log])
    assert [(v.line, v.kind) for v in found] == [(4, "type"), (6, "malformed")]
    assert (summary.lines, summary.messages, summary.malformed) == (3, 2, 1)


def test_terminal_escape_codes_from_logs_are_shown_escaped(cli: CliFn, tmp_path: Path) -> None:
    evil = "Order\x1b[2J\x1b]0;owned\x07 Completed\u202e"
    log = _write(
        tmp_path / "log.jsonl",
        [
            json.dumps(order(event=evil), ensure_ascii=False).encode(),
            json.dumps(order(messageId="\x1b[31mred")).encode()[:-1] + b', "type\\u009b": 1}',
            b'{"type": "track", "event": "\x1b[5m"}',
        ],
    )
    for fmt in ("human", "github"):
        result = cli("validate", "--plan", PLAN_FILE, "--format", fmt, log)
        assert result.exit_code == 1
        for control in ("\x1b", "\x07", "\x9b", "\u202e"):
            assert control not in result.stdout, (fmt, control)
        assert "\\x1b[2J" in result.stdout and "\\u202e" in result.stdout
    _, report = json_report(cli, log)
    assert report["violations"][0]["event"] == evil  # JSON keeps the exact text


def test_workers_below_one_is_a_usage_error(cli: CliFn, tmp_path: Path) -> None:
    log = _write(tmp_path / "log.jsonl", [GOOD])
    for value in ("-1", "0"):
        result = cli("validate", "--plan", PLAN_FILE, "--workers", value, log)
        assert result.exit_code == 2
        assert "--workers" in result.stderr and "Traceback" not in result.stderr
    with pytest.raises(ValueError, match="at least 1"):
        run([log], workers=-1)


def _validate_subprocess(*sources: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "codegen",
            "validate",
            "--plan",
            PLAN_FILE,
            "--format",
            "json",
            *sources,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def test_named_pipe_is_read_as_a_stream(tmp_path: Path) -> None:
    """FIFOs were refused as "no such file"."""
    fifo = tmp_path / "log.fifo"
    os.mkfifo(fifo)
    data = gzip.compress(b"\n".join([GOOD, BAD, GOOD]) + b"\n")  # gzip through a pipe, too

    def feed() -> None:
        with fifo.open("wb") as out:
            out.write(data)

    writer = threading.Thread(target=feed)
    writer.start()
    result = _validate_subprocess(str(fifo))
    writer.join(timeout=60)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert [(v["line"], v["pointer"]) for v in report["violations"]] == [(2, "/properties/revenue")]
    assert report["summary"]["messages"] == 3


def test_process_substitution_dev_fd_is_read(tmp_path: Path) -> None:
    """`codegen validate <(zcat log.gz)` passes /dev/fd/N: a pipe, not a file."""
    read_end, write_end = os.pipe()
    payload = b"\n".join([BAD, GOOD]) + b"\n"

    def feed() -> None:
        with os.fdopen(write_end, "wb") as out:
            out.write(payload)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        result = _validate_subprocess(f"/dev/fd/{read_end}", pass_fds=(read_end,))
    finally:
        os.close(read_end)
        writer.join(timeout=60)
    assert result.returncode == 1, result.stderr
    assert [v["line"] for v in json.loads(result.stdout)["violations"]] == [1]


def test_folders_and_missing_files_are_unreadable(cli: CliFn, tmp_path: Path) -> None:
    for source, why in ((tmp_path, "folder"), (tmp_path / "missing.jsonl", "no such file")):
        result = cli("validate", "--plan", PLAN_FILE, source)
        assert result.exit_code == 2 and why in result.stderr


def test_bad_anonymous_id_is_reported_against_anonymous_id() -> None:
    checker = run_module.Checker(PLAN)
    viewed = {
        "type": "track",
        "event": "Product Viewed",
        "anonymousId": 123,
        "userId": None,
        "properties": {},
    }
    for message in (order(anonymousId=123), viewed):
        line = json.dumps(message).encode()
        found = [
            (v.kind, v.pointer) for o in checker.check_line(line, "t", 1) for v in o.violations
        ]
        assert ("identity", "/anonymousId") in found, found
    [v] = [
        v
        for o in checker.check_line(json.dumps(order(anonymousId=[1])).encode(), "t", 1)
        for v in o.violations
    ]
    assert (v.pointer, v.message.startswith("anonymousId")) == ("/anonymousId", True)


def test_violation_text_is_clipped_and_encodable() -> None:
    checker = run_module.Checker(PLAN)
    huge = order(properties={**order()["properties"], "revenue": "9" * 200_000})
    [v] = [v for o in checker.check_line(json.dumps(huge).encode(), "t", 1) for v in o.violations]
    assert len(v.message) < 1100 and "characters)" in v.message
    lone = Violation("f", 1, "\ud800", "e\udcff", "malformed", "", "m\ud800", None)
    json.dumps(lone.as_dict(), ensure_ascii=False).encode("utf-8")


def test_distinct_event_names_are_counted_in_bounded_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coverage_module, "GROUPS", 20)
    lines = [json.dumps(order(event=f"Invented {i}")).encode() for i in range(200)]
    summary, found = run([_write(tmp_path / "log.jsonl", lines)])
    assert len(found) == 200
    assert len(summary.by_event) == 21 and summary.by_event["(other)"][0] == 180
    assert len(summary.by_field) <= 21
    unplanned = summary.coverage.unplanned_events  # coverage's names are bounded the same way
    assert len(unplanned) == 21 and unplanned["(other)"] == 180


# -- a quick attack: ~50 hostile files through the real CLI ---------------------------------


def _hostile_files(folder: Path) -> dict[str, bytes]:
    files = hostile_contents()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def hostile_contents() -> dict[str, bytes]:
    """The hostile files by name (also validated on Spark by tests/test_spark.py)."""
    big_int = b'{"type":"track","event":"Order Completed","userId":"c_abc1234","properties":'
    files: dict[str, bytes] = {
        "binary.bin": bytes(range(256)) * 40,
        "random.bin": os.urandom(50_000),
        "utf16_bom.jsonl": "\ufeff".encode("utf-16-le") + GOOD.decode().encode("utf-16-le"),
        "utf16_plain.jsonl": GOOD.decode().encode("utf-16"),
        "utf8_bom.jsonl": b"\xef\xbb\xbf" + GOOD + b"\n" + GOOD + b"\n",
        "nul_bytes.jsonl": GOOD + b"\n\x00\x00\x00\n" + GOOD[:20] + b"\x00" + GOOD[20:] + b"\n",
        "nul_only.jsonl": b"\x00" * 10_000,
        "ten_mb_line.jsonl": b'{"x": "' + b"a" * (10 << 20) + b'"}\n' + GOOD + b"\n",
        "ten_mb_no_newline.jsonl": b"[" * (10 << 20),
        "deep_arrays.jsonl": b"[" * 200_000 + b"]" * 200_000 + b"\n" + GOOD + b"\n",
        "deep_objects.jsonl": b'{"a":' * 50_000 + b"0" + b"}" * 50_000 + b"\n",
        "deep_in_properties.jsonl": json.dumps(order())[:-1].encode()
        + b', "extra": '
        + b"[" * 5000
        + b"]" * 5000
        + b"}\n",
        "unclosed_deep.jsonl": b"[" * 100_000 + b"\n" + GOOD + b"\n",
        "inf_number.jsonl": big_int + b'{"revenue": 1e999}}\n',
        "neg_inf.jsonl": big_int + b'{"revenue": -1e999}}\n',
        "neg_zero.jsonl": big_int + b'{"revenue": -0, "order_id": -0.0}}\n',
        "nan_literal.jsonl": big_int + b'{"revenue": NaN}}\n',
        "huge_int.jsonl": big_int
        + b'{"products": [{"quantity": 123456789012345678901234567890}]}}\n',
        "int64_edge.jsonl": big_int + b'{"products": [{"quantity": 9223372036854775808}]}}\n',
        "huge_exponent.jsonl": big_int + b'{"revenue": 1e400000000}}\n',
        "duplicate_keys.jsonl": b'{"type":"track","type":"identify","event":"Order Completed",'
        b'"event":"x"}\n',
        "lone_surrogate.jsonl": b'{"type":"track","event":"\\ud800","userId":"c_abc1234"}\n',
        "lone_low_surrogate.jsonl": big_int + b'{}, "messageId":"\\udfff"}\n',
        "lone_surrogate_value.jsonl": big_int + b'{"order_id": "\\udfff\\ud800"}}\n',
        "escaped_controls.jsonl": b'{"type":"track","event":"\\u001b[2J\\u0000"}\n',
        "batch_not_list.jsonl": b'{"batch": "nope"}\n{"batch": {"a": 1}}\n{"batch": null}\n',
        "batch_of_scalars.jsonl": b'{"batch": [1, "two", null, [], true]}\n',
        "batch_doc_not_list.json": b'{\n  "batch": "nope"\n}\n',
        "batch_doc_scalars.json": b'{\n  "batch": [1, null, "x", ' + GOOD + b"]\n}\n",
        "batch_doc_truncated.json": b'{\n  "batch": [\n' + GOOD + b",\n" + GOOD[:40],
        "batch_doc_trailing_garbage.json": b'{\n  "batch": [\n' + GOOD + b"\n]\n}\ngarbage\n",
        "batch_doc_huge_int.json": b'{\n  "batch": [\n'
        + GOOD
        + b",\n"
        + big_int
        + b'{"x": 123456789012345678901234567890}}\n]}\n',
        "batch_doc_nested_batch.json": b'{\n "batch": [\n{"batch": [' + GOOD + b"]}\n]}\n",
        "array_doc.json": b"[\n" + GOOD + b",\n" + BAD + b",\n42\n]\n",
        "array_of_arrays.json": b"[\n[" + GOOD + b"],\n[[[]]]\n]\n",
        "concatenated_pretty.json": json.dumps(order(), indent=2).encode() * 3,
        "first_line_brace_only.jsonl": b"{\n" + GOOD + b"\n" + BAD + b"\n",
        "first_line_bracket_only.jsonl": b"[\n" + GOOD + b"\n",
        "only_whitespace.jsonl": b" \n\t\n\r\n\n",
        "empty.jsonl": b"",
        "crlf.jsonl": GOOD + b"\r\n\r\n" + BAD + b"\r\n",
        "cr_only.jsonl": GOOD + b"\r" + BAD + b"\r",
        "scalars.jsonl": b'1\n"string"\nnull\ntrue\n[]\n{}\n',
        "type_shapes.jsonl": b'{"type": []}\n{"type": {}}\n{"type": 1}\n'
        b'{"type": null, "event": []}\n{"event": {"a": 1}}\n',
        "properties_not_object.jsonl": big_int + b"[1]}\n",
        "huge_key_count.jsonl": json.dumps({f"k{i}": i for i in range(50_000)}).encode() + b"\n",
        "long_event_name.jsonl": json.dumps(order(event="Order " * 100_000)).encode() + b"\n",
        "invalid_utf8.jsonl": b'{"type":"track","event":"\xc3\x28"}\n\xff\xfe\xfd\n' + GOOD + b"\n",
        "overlong_utf8.jsonl": b'{"type":"track","event":"\xc0\xaf"}\n',
        "gzip_garbage.jsonl.gz": b"\x1f\x8b" + os.urandom(5000),
        "gzip_truncated.jsonl.gz": gzip.compress(GOOD * 2000)[:300],
        "gzip_huge_line.jsonl.gz": gzip.compress(b"{" + b" " * (3 << 20) + b"}\n" + GOOD + b"\n"),
        "gzip_of_gzip.jsonl.gz": gzip.compress(gzip.compress(GOOD + b"\n")),
        "ansi_event.jsonl": json.dumps(order(event="\x1b[31mOrder\x1b[0m")).encode() + b"\n",
    }
    return files


UNREADABLE = {"gzip_garbage.jsonl.gz", "gzip_truncated.jsonl.gz"}


def test_fifty_hostile_files_through_the_cli(cli: CliFn, tmp_path: Path) -> None:
    files = _hostile_files(tmp_path)
    assert len(files) >= 50
    for name in sorted(files):
        path = tmp_path / name
        code, report = json_report(cli, "--max-message-bytes", str(2 << 20), path)
        assert code == (2 if name in UNREADABLE else (0 if not report["violations"] else 1)), name
        summary = report["summary"]
        assert bool(summary["errors"]) == (name in UNREADABLE), name
        for v in report["violations"]:
            assert v["file"] == str(path) and v["line"] >= 1, (name, v)
            assert len(v["message"]) < 1200, name
        if name not in UNREADABLE and summary["lines"]:
            assert summary["messages"] + summary["malformed"] >= 1, name
    # every file at once, in each format: one run, one document
    every = [tmp_path / name for name in sorted(files)]
    code, report = json_report(cli, *every)
    assert code == 2 and len(report["summary"]["errors"]) == len(UNREADABLE)
    for fmt in ("human", "github"):
        result = cli("validate", "--plan", PLAN_FILE, "--format", fmt, *every)
        assert result.exit_code == 2 and "\x1b" not in result.stdout
