"""Validation speed: `codegen validate` against the parse floor and pure-Python jsonschema.

Generates a plan of 200+ events and a stream of 200,000+ messages (about 10% invalid: wrong
types, missing fields, values outside an enum, unplanned events, bad identity, bad timestamps),
then reports, in one run, messages per second for:
  parse floor      orjson.loads of each line, nothing else
  jsonschema       pure-Python jsonschema (Draft 2020-12 with formats), one schema per event
  codegen 1 core   codegen's validator in this process
  codegen          codegen's validator on every core (what `codegen validate` does)
  codegen json     the same, with every violation written as the `--format json` report
Usage: python bench/validate.py [messages] [events]
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import jsonschema
import orjson
from rich.console import Console
from synthetic import plan_yaml  # bench/ is on sys.path when run as a script

from codegen import load_plan_text
from codegen.cli.validate_report import ViolationPrinter
from codegen.generators.jsonschema import event_document
from codegen.generators.samples import Sampler
from codegen.validate import validate_sources


def messages(plan: Any, count: int, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    sampler = Sampler(plan)
    templates = [sampler.track(e, full=rng.random() < 0.5) for e in plan.events]
    out = []
    for i in range(count):
        base = templates[i % len(templates)]
        message = json.loads(json.dumps(base))
        message["messageId"] = f"m{i}"
        message["userId"] = f"c_{i:08d}"
        message["properties"]["object_id"] = f"obj-{rng.randrange(10**6)}"
        if rng.random() < 0.10:
            _break(message, rng)
        out.append(orjson.dumps(message))
    return out


def _break(message: dict[str, Any], rng: random.Random) -> None:
    kind = rng.randrange(6)
    props = message["properties"]
    if kind == 0:
        props["value"] = str(props["value"])
    elif kind == 1:
        del props["object_id"]
    elif kind == 2:
        props["category"] = "skin-care"
    elif kind == 3:
        message["event"] = "Purchase"
    elif kind == 4:
        message["userId"] = "jane@example.com"
    else:
        props["happened_at"] = "yesterday"


def _ignore(violation: object) -> None:
    """Violations are counted in the summary; the benchmark does not print them."""


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def main(count: int, events: int) -> None:
    loaded = load_plan_text(plan_yaml(events, "bench_validate"))
    assert loaded.plan is not None, [d.render() for d in loaded.diagnostics]
    plan = loaded.plan
    lines = messages(plan, count)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "messages.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        size_mb = path.stat().st_size / 1e6

        start = time.perf_counter()
        for line in lines:
            orjson.loads(line)
        floor = rate(count, time.perf_counter() - start)

        validators = {
            e.name: jsonschema.Draft202012Validator(
                event_document(plan, e),
                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
            )
            for e in plan.events
        }
        sample = lines[: max(count // 20, 2000)]
        start = time.perf_counter()
        for line in sample:
            doc = orjson.loads(line)
            validator = validators.get(doc.get("event"))
            if validator is not None:
                list(validator.iter_errors(doc))
        pure = rate(len(sample), time.perf_counter() - start)

        results = {}
        for label, workers in (("codegen 1 core", 1), ("codegen", os.cpu_count() or 1)):
            start = time.perf_counter()
            summary = validate_sources(plan, [str(path)], _ignore, workers=workers)
            results[label] = rate(count, time.perf_counter() - start)
            assert summary.messages == count
        with open(os.devnull, "w") as sink:
            printer = ViolationPrinter("json", Console(file=sink), Console(file=sink))
            start = time.perf_counter()
            summary = validate_sources(plan, [str(path)], printer.add, workers=os.cpu_count())
            printer.finish(summary)
            results["codegen json"] = rate(count, time.perf_counter() - start)

    print(
        f"{count:,} messages ({size_mb:.0f} MB), {events} events, "
        f"{summary.invalid:,} invalid ({summary.invalid / count:.1%}), "
        f"{summary.violations:,} violations, {os.cpu_count()} cores"
    )
    print(f"{'':<18}{'messages/s':>12}{'x floor':>9}{'x jsonschema':>14}")
    rows = [("parse floor", floor), ("jsonschema", pure), *results.items()]
    for label, value in rows:
        print(f"{label:<18}{value:>12,.0f}{value / floor:>9.3f}{value / pure:>14.1f}")


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 200_000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 200,
    )
