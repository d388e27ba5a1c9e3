"""Generators map the resolved plan to output files: ``{relative posix path: text}``.

Adding a target means adding one module here with a ``generate(plan, options)`` function and
registering it in :data:`TARGETS`.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import Options, collector_paused
from ..plan import ir
from . import docs, jsonschema, liquid, readme
from .cache import OutputStore, Pieces, code_key, pieces_from, writable
from .paths import safe_relative
from .pysdk import sdk as python
from .render import compiled_templates_in
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

# The previous generation's per-file texts, as last loaded or stored in this process:
# (output key, {piece key: text}). Saves reading the whole output back from disk.
_last: tuple[str, dict[str, str]] | None = None


def generate(plan: ir.Plan, options: Options | None = None) -> Output:
    """Every target's files for a resolved ``plan``; pure apart from the optional cache
    (``options.cache_dir``), which keeps formatted modules and the last outputs whole, keyed by
    everything output depends on: an unchanged plan is read back, not regenerated, and a
    changed one reuses every file whose own inputs did not change (:class:`.cache.Pieces`).
    Plans that cannot be generated are rejected at load (``codegen.load_plan``)."""
    options = options or Options()
    with collector_paused():
        if not options.cache_dir:
            return _generate(plan, options)
        return _generate_cached(plan, options, options.cache_dir)


def _generate_cached(plan: ir.Plan, options: Options, cache_dir: Path) -> Output:
    code = code_key(options.templates)
    # compiled templates: per version of codegen's code and templates (not under `check`)
    compiled = cache_dir / "templates" / code[:16] if writable() else None
    with compiled_templates_in(compiled):
        return _generate_keyed(plan, options, cache_dir, code)


def _generate_keyed(plan: ir.Plan, options: Options, cache_dir: Path, code: str) -> Output:
    global _last
    try:
        pieces = Pieces(plan, code)
    except (pickle.PicklingError, TypeError, AttributeError):  # not an ir we know: no reuse
        return _generate(plan, options)
    key = pieces.output_key(options.targets)
    store = OutputStore(cache_dir)
    if (hit := store.get(key)) is not None:
        return dict(hit["output"])  # the same plan, options, templates and code as before
    pointer = hashlib.sha256(
        "\0".join([plan.slug, *options.targets, str(options.templates), code]).encode()
    ).hexdigest()
    pieces.previous = _previous(store, pointer)
    with pieces_from(pieces):
        output = _generate(plan, options)
    if writable():  # (not under `codegen check`, which writes nothing)
        files = {k: p for k, p in pieces.paths.items() if output.get(p) == pieces.made[k]}
        values = {k: t for k, t in pieces.made.items() if k not in files}
        store.put(key, {"output": output, "files": files, "values": values})
        store.set_last(pointer, key)
        _last = (key, {**values, **{k: output[p] for k, p in files.items()}})
    return output


def _previous(store: OutputStore, pointer: str) -> dict[str, str]:
    last = store.last(pointer)
    if last is None:
        return {}
    if _last is not None and _last[0] == last:
        return _last[1]
    data: dict[str, Any] | None = store.get(last)
    if data is None:
        return {}
    output = data["output"]
    found = {str(k): str(v) for k, v in dict(data.get("values", {})).items()}
    for k, path in dict(data.get("files", {})).items():
        if isinstance(output.get(path), str):
            found[str(k)] = output[path]
    return found


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
