"""Generation speed: `codegen generate` against datamodel-codegen alone, on the same plan.

For each size, in this process unless said otherwise:
  baseline  datamodel-codegen (CLI defaults: black + isort) on the plan's bundled JSON Schema,
            the way most teams run it;
  cold      `codegen generate` (every target) with an empty cache;
  warm      `codegen generate` again on the unchanged plan: the cache holds the whole output
            under a key of everything it depends on, and hands it back;
  1 event   the plan with one property added to one event, same cache: only the files (and
            parts of files: bundle definitions, tracker methods) whose slice of the plan
            changed are made again; the Python SDK rebuilds one model module (the first
            datamodel-codegen run in this process also imports it);
  1 ev py   the same for the Python SDK alone (another property added): the part this
            change costs in the SDK generator;
  1 ev new  another property added, generated in a new process (as the CLI does) with the
            same disk cache: `generate()`'s own time, without start-up and plan loading (in
            that process nothing of the last generation is in memory: it is read back);
  check     `codegen check` (a new process, as in CI) on the cold output, written and recorded
            as `codegen generate` does, with an EMPTY cache: the folder's input record matches,
            the plan is not even loaded;
  check+    the same without the input record (as after a codegen upgrade that does not touch
            the Python generator): the plan is loaded and schemas/docs regenerated, the Python
            package's manifest vouches for every module (no datamodel-codegen, no black);
  import    `from <pkg> import Tracker` of the generated SDK in a fresh interpreter;
  cli 1 ev  `codegen generate` of the plan with one event changed, as a developer runs it: a
            new process, timed whole (start-up, loading and checking the plan, generating with
            the cache of the runs above, writing the changed files into the output folder).
"speed-up" is baseline / cold wall time (higher is better); "cpu" is the CPU seconds of baseline
and cold (workers included), which other load on the machine barely changes. The load average
is printed before and after: the machine is shared, so compare ratios within one run.
Usage: python bench/generate.py [50 200 1000]
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from synthetic import plan_yaml  # bench/ is on sys.path when run as a script

from codegen import Options, generate, load_plan_text
from codegen.output.manifest import INPUTS, inputs_digest, record_inputs
from codegen.output.writer import write

EVENT_0 = "Synthetic event number 0.\n    properties:\n"


def cpu() -> float:
    """CPU seconds of this process and of its finished children (worker processes included):
    unlike wall time, barely affected by other load on the machine."""
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass(frozen=True)
class Row:
    baseline: float
    baseline_cpu: float
    cold: float
    cold_cpu: float
    warm: float
    one_event: float
    one_event_python: float
    one_event_new: float
    check: float
    check_loaded: float
    imported: float
    cli_one_event: float


def measure(size: int, root: Path) -> Row:
    # The CLI lints; the synthetic plan's reusable LineItem.quantity (minimum 1) differs from
    # the events' quantity (minimum 0) on purpose, so that rule is off here.
    text = plan_yaml(size, f"synthetic_{size}").replace(
        "commerce/cart-id]", "commerce/cart-id, consistency/property-type]"
    )
    loaded = load_plan_text(text)
    assert loaded.plan is not None, [d.render() for d in loaded.diagnostics]
    plan = loaded.plan
    bundle = root / "plan.schema.json"
    bundle.write_text(generate(plan, Options(targets=("schemas",)))["schemas/plan.schema.json"])

    start, used = time.perf_counter(), cpu()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "datamodel_code_generator",
            "--input",
            str(bundle),
            "--input-file-type",
            "jsonschema",
            "--output",
            str(root / "models"),
            "--output-model-type",
            "pydantic_v2.BaseModel",
            "--disable-timestamp",
        ],
        check=True,
        capture_output=True,
    )
    baseline, baseline_cpu = time.perf_counter() - start, cpu() - used

    options = Options(cache_dir=root / "cache")
    start, used = time.perf_counter(), cpu()
    output = generate(plan, options)
    cold, cold_cpu = time.perf_counter() - start, cpu() - used
    start = time.perf_counter()
    generate(plan, options)
    warm = time.perf_counter() - start

    assert EVENT_0 in text
    changed = load_plan_text(text.replace(EVENT_0, EVENT_0 + "      note: {type: string}\n"))
    assert changed.plan is not None
    start = time.perf_counter()
    generate(changed.plan, options)
    one_event = time.perf_counter() - start
    again = load_plan_text(text.replace(EVENT_0, EVENT_0 + "      other: {type: string}\n"))
    assert again.plan is not None
    start = time.perf_counter()
    generate(again.plan, replace(options, targets=("python",)))
    one_event_python = time.perf_counter() - start

    one_event_new = _generate_in_new_process(
        root, text.replace(EVENT_0, EVENT_0 + "      third: {type: string}\n")
    )

    write(root / "out", output)
    (root / "plan.yaml").write_text(text, encoding="utf-8")
    record_inputs(root / "out", inputs_digest(text.encode(), Options()))
    check = _check(root, "up to date (inputs unchanged)")
    (root / "out" / INPUTS).unlink()
    check_loaded = _check(root, "up to date")

    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", f"from synthetic_{size} import Tracker"],
        cwd=root / "out" / "python",
        check=True,
    )
    imported = time.perf_counter() - start

    (root / "plan.yaml").write_text(
        text.replace(EVENT_0, EVENT_0 + "      fifth: {type: string}\n"), encoding="utf-8"
    )
    start = time.perf_counter()
    command = ["generate", "plan.yaml", "-o", "out", "--cache-dir", "cache"]
    run = subprocess.run(
        [sys.executable, "-m", "codegen", *command],
        cwd=root,
        capture_output=True,
        text=True,
    )
    cli_one_event = time.perf_counter() - start
    assert run.returncode == 0 and " changed" in run.stderr, run.stderr
    return Row(
        baseline,
        baseline_cpu,
        cold,
        cold_cpu,
        warm,
        one_event,
        one_event_python,
        one_event_new,
        check,
        check_loaded,
        imported,
        cli_one_event,
    )


def _generate_in_new_process(root: Path, text: str) -> float:
    (root / "changed.yaml").write_text(text, encoding="utf-8")
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from codegen import Options, generate, load_plan_text\n"
        "plan = load_plan_text(Path('changed.yaml').read_text()).plan\n"
        "start = time.perf_counter()\n"
        "generate(plan, Options(cache_dir=Path('cache')))\n"
        "print(time.perf_counter() - start)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True
    )
    return float(run.stdout)


def _check(root: Path, expect: str) -> float:
    """`codegen check` in a new process with an empty cache; asserts it regenerated nothing."""
    empty = root / "empty-cache"
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "codegen", "check", "plan.yaml", "-o", "out", "--cache-dir", empty],
        cwd=root,
        capture_output=True,
        text=True,
    )
    took = time.perf_counter() - start
    assert run.returncode == 0 and expect in run.stderr, run.stderr
    assert not empty.exists(), "check regenerated something"
    return took


def main(sizes: list[int]) -> None:
    print(f"load average before: {os.getloadavg()[0]:.2f} (on {os.cpu_count()} cores)")
    print(
        f"{'events':>6} {'baseline s':>11} {'cold s':>8} {'speed-up':>9} {'cpu: base':>10} "
        f"{'cold':>6} {'warm s':>8} "
        f"{'1 event s':>10} {'1 ev py s':>10} {'1 ev new s':>11} "
        f"{'check s':>8} {'check+ s':>9} {'import s':>9} {'cli 1 ev s':>11}"
    )
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            row = measure(size, Path(tmp))
        print(
            f"{size:>6} {row.baseline:>11.2f} {row.cold:>8.2f} {row.baseline / row.cold:>8.2f}x "
            f"{row.baseline_cpu:>10.1f} {row.cold_cpu:>6.1f} "
            f"{row.warm:>8.2f} {row.one_event:>10.2f} {row.one_event_python:>10.2f} "
            f"{row.one_event_new:>11.2f} "
            f"{row.check:>8.2f} {row.check_loaded:>9.2f} {row.imported:>9.2f} "
            f"{row.cli_one_event:>11.2f}",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print("speed-up = baseline / cold (wall, same run); goal: at least 2x at 1000 events")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [50, 200, 1000])
