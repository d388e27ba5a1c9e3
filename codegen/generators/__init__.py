"""Generators map the resolved plan to output files: ``{relative posix path: text}``.

Adding a target means adding one module here with a ``generate(plan, options)`` function and
registering it in :data:`TARGETS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from ..config import Options
from ..plan import ir
from . import docs, jsonschema, liquid, readme
from .cache import DiskCache, output_key, reusable
from .paths import safe_relative
from .pysdk import sdk as python
from .typescript import package as typescript

Output = dict[str, str]
Generator = Callable[[ir.Plan, Options], Output]

TARGETS: dict[str, Generator] = {
    "schemas": jsonschema.generate,
    "python": python.generate,
    "liquid": liquid.generate,
    "docs": docs.generate,
    "typescript": typescript.generate,
}


def generate(plan: ir.Plan, options: Options | None = None) -> Output:
    """Every target's files for a resolved ``plan``; pure apart from the optional cache
    (``options.cache_dir``), which keeps formatted modules and, keyed by everything output
    depends on, the last outputs whole: an unchanged plan is read back, not regenerated.
    Plans that cannot be generated are rejected at load (``codegen.load_plan``)."""
    options = options or Options()
    disk = DiskCache(options.cache_dir) if options.cache_dir else None
    key = output_key(plan, options.targets, options.templates) if disk else None
    if disk is not None and key is not None and (hit := disk.get(key)) is not None:
        return dict(json.loads(hit))  # the same plan, options, templates and code as before
    output = _generate(plan, options)
    if disk is not None and key is not None and reusable() is None:
        disk.put(key, json.dumps(output))  # (not when checking a tree: check writes nothing)
    return output


def _generate(plan: ir.Plan, options: Options) -> Output:
    # The Python SDK's slow part (datamodel-code-generator, black) runs in worker processes,
    # started first, while this process makes the other targets.
    overlap = "python" in options.targets and TARGETS["python"] is python.generate
    pending = python.start(plan, options) if overlap else None
    made = {
        name: TARGETS[name](plan, options)
        for name in options.targets
        if not (name == "python" and pending is not None)
    }
    output: Output = {}
    for name in options.targets:
        if name in made:
            output.update(made[name])
        elif pending is not None:
            output.update(pending())
    output.update(readme.generate(plan, options, list(output)))
    for path in output:
        safe_relative(path)
    return dict(sorted(output.items()))
