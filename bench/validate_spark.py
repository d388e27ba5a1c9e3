"""`codegen validate` locally and on Spark, on the stream of bench/validate.py, in one run.

Reports seconds and messages per second of the local run (every core) and of Spark
(``local[2]``, writing the violations as JSON Lines; Spark's start-up reported apart), and
checks that both found the same violations and the same summary.
Usage: python bench/validate_spark.py [messages] [events]   (default: 200000 200)
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from synthetic import plan_yaml  # bench/ is on sys.path when run as a script
from validate import messages

from codegen import load_plan_text
from codegen.validate import Violation, validate_sources
from codegen.validate.spark import session, validate_to


def main(count: int, events: int) -> None:
    loaded = load_plan_text(plan_yaml(events, "bench_validate"))
    assert loaded.plan is not None, [d.render() for d in loaded.diagnostics]
    plan = loaded.plan
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "messages.jsonl"
        path.write_bytes(b"\n".join(messages(plan, count)) + b"\n")
        size_mb = path.stat().st_size / 1e6
        found: list[Violation] = []
        start = time.perf_counter()
        local = validate_sources(plan, [str(path)], found.append, workers=os.cpu_count())
        local_s = time.perf_counter() - start
        start = time.perf_counter()
        spark = session("local[2]", name="bench-validate")
        started = time.perf_counter() - start
        start = time.perf_counter()
        on_spark = validate_to(spark, plan, [str(path)], str(Path(tmp) / "out"))
        spark_s = time.perf_counter() - start
        written = [
            json.loads(line)
            for part in sorted((Path(tmp) / "out").glob("part-*"))
            for line in part.read_text().splitlines()
        ]
        spark.stop()
    same = written == [v.as_dict() for v in found] and on_spark.as_dict() == local.as_dict()
    print(
        f"{count:,} messages ({size_mb:.0f} MB), {local.violations:,} violations, "
        f"{os.cpu_count()} cores"
    )
    print(f"{'engine':<24}{'seconds':>9}{'messages/s':>12}{'ratio':>7}")
    print(f"{'local, every core':<24}{local_s:>9.1f}{count / local_s:>12,.0f}{1:>6.1f}x")
    print(
        f"{'spark local[2]':<24}{spark_s:>9.1f}{count / spark_s:>12,.0f}"
        f"{spark_s / local_s:>6.1f}x  (+{started:.1f} s start-up)"
    )
    print(f"violations and summary identical: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 200_000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 200,
    )
