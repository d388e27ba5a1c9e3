"""Generation speed: `codegen generate` against datamodel-codegen alone, on the same plan.

For each size, in this process:
  baseline  datamodel-codegen (CLI defaults: black + isort) on the plan's bundled JSON Schema,
            the way most teams run it;
  cold      `codegen generate` (every target) with an empty cache;
  warm      `codegen generate` again on the unchanged plan: the content-hash cache skips
            datamodel-codegen and black;
  import    `from <pkg> import Tracker` of the generated SDK in a fresh interpreter.
Ratios are against the baseline. Usage: python bench/generate.py [50 200 1000]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthetic import plan_yaml  # bench/ is on sys.path when run as a script

from codegen import Options, generate, load_plan_text
from codegen.output.writer import write


def measure(size: int, root: Path) -> tuple[float, float, float, float]:
    loaded = load_plan_text(plan_yaml(size, f"synthetic_{size}"))
    assert loaded.plan is not None, [d.render() for d in loaded.diagnostics]
    plan = loaded.plan
    bundle = root / "plan.schema.json"
    bundle.write_text(generate(plan, Options(targets=("schemas",)))["schemas/plan.schema.json"])

    start = time.perf_counter()
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
    baseline = time.perf_counter() - start

    options = Options(cache_dir=root / "cache")
    start = time.perf_counter()
    output = generate(plan, options)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    generate(plan, options)
    warm = time.perf_counter() - start

    write(root / "out", output)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", f"from synthetic_{size} import Tracker"],
        cwd=root / "out" / "python",
        check=True,
    )
    return baseline, cold, warm, time.perf_counter() - start


def main(sizes: list[int]) -> None:
    print(
        f"{'events':>6} {'baseline s':>11} {'cold s':>8} {'warm s':>8} {'cold/base':>10} "
        f"{'warm/base':>10} {'import s':>9}"
    )
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            baseline, cold, warm, imported = measure(size, Path(tmp))
        print(
            f"{size:>6} {baseline:>11.2f} {cold:>8.2f} {warm:>8.2f} {cold / baseline:>10.2f} "
            f"{warm / baseline:>10.3f} {imported:>9.2f}"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [50, 200, 1000])
