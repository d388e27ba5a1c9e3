"""Pydantic models with datamodel-code-generator, formatted, cached by content hash.

datamodel-code-generator writes every module (reusable types, traits, one per event) from a
schema built for it from the ir: titles we control name every class, reusable types are external
references mapped to the package's ``types`` module (imported, never copied), field names come
from our code names through aliases, and formats map to the SDK runtime's checked ``str`` types.
Event and trait modules go to it in batches (one run writes many modules, as it does for a
folder of schemas); the types module, which the others import, runs alone.

Everything built here is listed in the package's manifest (:data:`~..cache.MANIFEST`): each
file with the key of its inputs and the hash of its text, so that a generated tree with an
unchanged manifest can stand in for the cache (``codegen check`` on a fresh CI runner).
"""

from __future__ import annotations

import ast
import gc
import hashlib
import json
import tempfile
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from ..cache import MANIFEST, Cache, manifest_text, reusable
from .formatting import (
    as_formatted,
    format_key,
    format_piece,
    format_python,
    rules_digest,
    split,
    stable_methods,
    stable_tail,
    tail_fits,
)

TYPES_FILE = "types.schema.json"
_TOOLS = ("datamodel-code-generator", "black", "isort")


@dataclass(frozen=True)
class ModelModule:
    """One module to generate: its schema (root object or ``$defs`` only) and naming."""

    schema: dict[str, Any]
    aliases: dict[str, list[str]]
    header: str
    classes: dict[str, tuple[str, ...]]  # {class: field names} from the model plan
    drop_root: str | None = None  # class dmcg makes of a ``$defs``-only root, removed


@cache
def dmcg_options(package: str) -> dict[str, Any]:
    """Explicit, pinned options: changing one changes every generated module (and the cache)."""
    from datamodel_code_generator.enums import DataModelType, InputFileType
    from datamodel_code_generator.format import PythonVersion
    from datamodel_code_generator.parser import LiteralType

    return {
        "input_file_type": InputFileType.JsonSchema,
        "output_model_type": DataModelType.PydanticV2BaseModel,
        "target_python_version": PythonVersion.PY_311,
        "target_pydantic_version": "2.14",
        "base_class": f"{package}._runtime.PlanModel",
        "enum_field_as_literal": LiteralType.All,
        "use_title_as_name": True,
        "use_field_description": True,
        "use_schema_description": True,
        "field_constraints": True,
        "use_annotated": True,
        "use_standard_collections": True,
        "use_union_operator": True,
        "use_missing_sentinel": True,
        "use_serialization_alias": True,
        "use_double_quotes": True,
        "disable_timestamp": True,
        "formatters": [],
        "external_ref_mapping": {TYPES_FILE: f"{package}.types"},
    }


@cache
def _options_text(package: str) -> str:
    return json.dumps({k: str(v) for k, v in dmcg_options(package).items()}, sort_keys=True)


def types_text(types_schema: dict[str, Any]) -> str:
    """The reusable types' schema as :func:`cache_key` reads it."""
    return json.dumps(types_schema, sort_keys=True)


def cache_key(module: ModelModule, types_text: str, package: str) -> str:
    """Everything the module's text depends on, including the model plan's classes (checked
    when the module is built, so a hit needs no second check). ``types_text``: the reusable
    types' schema as JSON."""
    schema = json.dumps(module.schema, sort_keys=True)
    payload = json.dumps(
        {
            "module": [module.aliases, module.header, module.drop_root, module.classes],
            "options": _options_text(package),
            "versions": tool_versions(),
        },
        sort_keys=True,
    )
    digest = hashlib.sha256(schema.encode())
    digest.update(b"\0" + payload.encode())
    if f'"{TYPES_FILE}#' in schema:
        digest.update(b"\0" + types_text.encode())
    return digest.hexdigest()


@cache
def tool_versions() -> tuple[str, ...]:
    """Versions of everything that shapes generated Python: part of every cache key."""
    ours = hashlib.sha256()
    ours.update(Path(__file__).read_bytes().replace(b"\r\n", b"\n"))  # our post-processing
    ours.update(rules_digest().encode())  # and formatting rules
    return (*(version(p) for p in _TOOLS), ours.hexdigest())


def tools_record() -> dict[str, str]:
    """The manifest's readable record of what made the files (the keys hash the same)."""
    *versions, ours = tool_versions()
    return {**dict(zip(_TOOLS, versions, strict=True)), "codegen-rules": ours[:16]}


def render_modules(
    modules: dict[str, ModelModule],
    sources: dict[str, str],
    types_schema: dict[str, Any],
    package: str,
    cache: Cache,
    workers: int = 1,
) -> dict[str, str]:
    """Formatted Python for every model module (datamodel-code-generator) and every rendered
    template in ``sources``, plus the manifest of them all. Results come from the cache, else
    from a reusable tree (:func:`~..cache.reusing`), else are built, in ``workers`` processes
    when there is enough work."""
    return start_modules(modules, sources, types_schema, package, cache, workers)()


def start_modules(
    modules: dict[str, ModelModule],
    sources: dict[str, str],
    types_schema: dict[str, Any],
    package: str,
    cache: Cache,
    workers: int = 1,
    keys: dict[str, str] | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> Callable[[], dict[str, str]]:
    """:func:`render_modules` in two steps: the work is handed to worker processes now, and
    the function returned waits for it. In between, the caller's process is free for other
    targets (the workers were forked before it starts anything else). ``keys``: cache keys
    of modules already known (:func:`cache_key`); ``pool``: workers started earlier
    (:func:`early_pool`), used whatever the amount of work."""
    text = types_text(types_schema)
    keys = dict(keys or {})
    for path, m in modules.items():
        if path not in keys:
            keys[path] = cache_key(m, text, package)
    keys.update({path: format_key(text, package) for path, text in sources.items()})
    out = _lookup(keys, cache)
    build = _Build(package, types_schema, cache)
    build.models([(path, modules[path]) for path in modules if path not in out])
    for path in sources:
        if path not in out:
            build.source(path, sources[path])
    collect = build.start(workers, pool)

    def finish() -> dict[str, str]:
        for path, text in collect().items():
            cache.put(keys[path], text)
            out[path] = text
        out[MANIFEST] = manifest_text(
            {path: (keys[path], text) for path, text in out.items()}, tools_record()
        )
        return dict(sorted(out.items()))

    return finish


def _lookup(keys: dict[str, str], cache: Cache) -> dict[str, str]:
    found = {}
    extra = reusable()
    for path, key in keys.items():
        text = cache.get(key)
        if text is None and extra is not None:
            text = extra.get(key)
        if text is not None:
            found[path] = text
    return found


# Work worth a process pool (seconds, estimated): below it, starting workers costs more.
_PARALLEL_FROM = 1.5


# Estimated seconds of one job, to start the longest first and to size batches.
_MODEL_COST = 0.025
_LINE_COST = 0.0005
_BATCH = 10  # measured: 20 ms a module in tens, 26 ms in forties (dmcg is superlinear)


# Every pool this process started, until it is shut down: a process that ends without the
# interpreter's teardown (the CLI's plan commands) ends their workers first (end_workers).
_POOLS: weakref.WeakSet[ProcessPoolExecutor] = weakref.WeakSet()


def _pool(workers: int, initializer: Callable[[], None]) -> ProcessPoolExecutor:
    pool = ProcessPoolExecutor(max_workers=workers, initializer=initializer)
    _POOLS.add(pool)
    return pool


def end_workers() -> None:
    """Shut down every worker pool still open (after an error, a pool may be left running);
    a worker that does not end (a pool interrupted before it could tell its workers) is
    terminated."""
    for pool in list(_POOLS):
        workers = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(cancel_futures=True)  # waits for the workers it can reach
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():  # started but never told (an interrupted start)
                worker.terminate()
                worker.join(timeout=5)
        _POOLS.discard(pool)


def early_pool(workers: int, modules: int) -> ProcessPoolExecutor | None:
    """Worker processes started now, for a generation expected to build ``modules`` model
    modules: each imports and warms up the tools (:func:`_warm_up`) while this process is still
    working out what to build. ``None`` when one process will do."""
    if workers < 2 or modules * _MODEL_COST < _PARALLEL_FROM:
        return None
    pool = _pool(workers, _warm_up)
    pool.submit(int)  # starts every worker (forked ones start together)
    return pool


def _worker() -> None:
    """A worker forked while generation pauses the cycle collector turns it back on:
    datamodel-code-generator leaves cycles behind, and a worker lives for hundreds of runs."""
    gc.enable()


def _warm_up() -> None:
    """What a worker's first datamodel-code-generator run would otherwise pay: importing its
    parser and a first generation (a one-field model)."""
    _worker()
    from datamodel_code_generator import generate
    from datamodel_code_generator.enums import DataModelType, InputFileType

    generate(
        json.dumps({"title": "Warm", "type": "object", "properties": {"x": {"type": "string"}}}),
        input_file_type=InputFileType.JsonSchema,
        output_model_type=DataModelType.PydanticV2BaseModel,
        formatters=[],
    )


@dataclass
class _Job:
    cost: float
    run: Callable[..., list[str]]
    args: tuple[Any, ...]
    paths: tuple[str, ...]  # outputs it makes, or () for a piece of a larger one


class _Build:
    """What the lookup missed, as jobs; pieces of large sources are cached one by one."""

    def __init__(self, package: str, types_schema: dict[str, Any], cache: Cache) -> None:
        self.package = package
        self.types_schema = types_schema
        self.cache = cache
        self.jobs: list[_Job] = []
        self.assembled: dict[str, list[tuple[str, str | None]]] = {}  # path: [(key, text)]

    def models(self, todo: list[tuple[str, ModelModule]]) -> None:
        for batch in _batches(todo):
            self.jobs.append(
                _Job(
                    _MODEL_COST * len(batch),
                    _generate_models,
                    (batch, self.types_schema, self.package),
                    tuple(path for path, _ in batch),
                )
            )

    def source(self, path: str, text: str) -> None:
        head, tail = stable_tail(text)
        if not tail or not tail_fits(head):
            head, tail = text, ""
        pieces = split(head)
        if len(pieces) == 1 and not tail:
            self.jobs.append(_Job(_cost(text), _format, (text, self.package), (path,)))
            return
        parts: list[tuple[str, str | None]] = []
        for index, piece in enumerate(pieces):
            key = format_key(piece, self.package, kind="first" if index == 0 else "piece")
            if index and stable_methods(piece):
                parts.append((key, as_formatted(piece)))  # black would change nothing
                continue
            parts.append((key, cached := self.cache.get(key)))
            if cached is None:
                self.jobs.append(
                    _Job(_cost(piece), _format_piece, (piece, index == 0, self.package), ())
                )
        if tail:
            parts.append(("", as_formatted(tail)))  # black would change nothing
        self.assembled[path] = parts

    def run(self, workers: int) -> dict[str, str]:
        return self.start(workers)()

    def start(
        self, workers: int, pool: ProcessPoolExecutor | None = None
    ) -> Callable[[], dict[str, str]]:
        """Hands the jobs to ``workers`` processes (when worth it, or to ``pool`` if given);
        the function returned waits for them (or runs them here) and assembles the results."""
        # Longest first, so one large job does not finish last on a single core.
        self.jobs.sort(key=lambda job: -job.cost)
        if pool is not None and not self.jobs:
            # started for nothing: wait for the workers to end (a CLI process ends without the
            # interpreter's teardown, which would otherwise tell them to)
            pool.shutdown(cancel_futures=True)
            pool = None
        if pool is None and workers > 1 and sum(job.cost for job in self.jobs) >= _PARALLEL_FROM:
            pool = _pool(workers, _worker)
        if pool is not None:
            running = pool
            futures = [running.submit(_run, (job.run, job.args)) for job in self.jobs]

            def results() -> list[list[str]]:
                try:
                    return [future.result() for future in futures]
                finally:
                    running.shutdown(cancel_futures=True)

        else:

            def results() -> list[list[str]]:
                return [job.run(*job.args) for job in self.jobs]

        return lambda: self._assemble(results())

    def _assemble(self, results: list[list[str]]) -> dict[str, str]:
        built: dict[str, str] = {}
        pieces: dict[str, str] = {}
        for job, texts in zip(self.jobs, results, strict=True):
            if job.paths:
                built.update(zip(job.paths, texts, strict=True))
            else:
                [text] = texts
                key = format_key(job.args[0], self.package, "first" if job.args[1] else "piece")
                self.cache.put(key, text)
                pieces[key] = text
        for path, parts in self.assembled.items():
            built[path] = "".join(text if text is not None else pieces[key] for key, text in parts)
        return built


def _cost(text: str) -> float:
    return _LINE_COST * text.count("\n")


def _run(job: tuple[Callable[..., list[str]], tuple[Any, ...]]) -> list[str]:
    run, args = job
    return run(*args)


def _format(text: str, package: str) -> list[str]:
    return [format_python(text, package)]


def _format_piece(piece: str, first: bool, package: str) -> list[str]:
    return [format_piece(piece, first, package)]


def _batches(
    todo: list[tuple[str, ModelModule]],
) -> list[list[tuple[str, ModelModule]]]:
    """Modules that can share one datamodel-code-generator run: same header, no class name in
    common (aliases are keyed by class), none named like a reusable type (a run shares one
    import list between its modules; an import nothing uses is removed afterwards, but one that
    shadows a class of the module would not be). A module with ``drop_root`` runs alone."""
    reserved = {name for _, m in todo if m.drop_root for name in m.classes}
    batches: list[list[tuple[str, ModelModule]]] = []
    alone: list[list[tuple[str, ModelModule]]] = []
    names: set[str] = set()
    for path, module in todo:
        mine = set(module.classes)
        if module.drop_root or mine & reserved:
            alone.append([(path, module)])
            continue
        batch = batches[-1] if batches else None
        if (
            batch is None
            or len(batch) >= _BATCH
            or mine & names
            or module.header != batch[0][1].header
        ):
            batches.append(batch := [])
            names = set()
        batch.append((path, module))
        names |= mine
    return alone + batches


def _generate_models(
    batch: Sequence[tuple[str, ModelModule]], types_schema: dict[str, Any], package: str
) -> list[str]:
    """datamodel-code-generator on a batch of modules (one run), each post-processed,
    formatted and checked against the model plan."""
    from datamodel_code_generator import generate

    with tempfile.TemporaryDirectory(prefix="codegen-dmcg-") as tmp:
        folder = Path(tmp)
        (folder / TYPES_FILE).write_text(json.dumps(types_schema), encoding="utf-8")
        files = []
        aliases: dict[str, list[str]] = {}
        for index, (_, module) in enumerate(batch):
            files.append(folder / f"m{index:04d}.json")
            files[-1].write_text(json.dumps(module.schema), encoding="utf-8")
            aliases.update(module.aliases)
        raw = generate(
            files[0] if len(files) == 1 else files,
            aliases=aliases,
            custom_file_header=batch[0][1].header,
            **dmcg_options(package),
        )
    many = isinstance(raw, dict)
    texts = [raw[(f"{file.stem}.py",)] if many else str(raw) for file in files]  # type: ignore[index]
    out = []
    for (path, module), text in zip(batch, texts, strict=True):
        formatted = format_python(_postprocess(text, module.drop_root), package)
        check_against_plan(path, formatted, module.classes)
        out.append(formatted)
    return out


def check_against_plan(path: str, source: str, expected: dict[str, tuple[str, ...]]) -> None:
    """datamodel-code-generator must write exactly the model plan's classes and fields: the
    tracker imports those classes and passes values by those names. A difference is a codegen
    bug (the name check should have rejected the plan), never patched here."""
    found = {
        node.name: tuple(
            item.target.id
            for item in node.body
            if isinstance(item, ast.AnnAssign)
            and isinstance(item.target, ast.Name)
            and item.target.id != "model_config"
        )
        for node in ast.parse(source).body
        if isinstance(node, ast.ClassDef)
    }
    # Besides the plan's classes, datamodel-code-generator may add ``RootModel`` wrappers of
    # constrained array items (one ``root`` field); it names those itself.
    planned = {name: fields for name, fields in found.items() if fields != ("root",)}
    if planned != expected:
        raise RuntimeError(f"codegen bug: {path}: classes {planned}, model plan {expected}")


def _postprocess(source: str, drop_root: str | None) -> str:
    """Remove the placeholder root class, then imports nothing uses (dmcg repeats some)."""
    lines = source.splitlines()
    if drop_root is not None:
        for node in ast.parse(source).body:
            if isinstance(node, ast.ClassDef) and node.name == drop_root:
                assert node.end_lineno is not None
                del lines[node.lineno - 1 : node.end_lineno]
                break
    return _without_unused_imports(_wire_names_only("\n".join(lines) + "\n"))


def _wire_names_only(source: str) -> str:
    """``validation_alias=AliasChoices(wire, python)`` → ``validation_alias=wire``.

    With the Python name as a second choice, a payload key that is another field's wire name
    (``property_collided`` next to ``Property Collided``) would fill the wrong field. Python
    names still work in constructors through ``validate_by_name``; payloads use wire names.
    """
    if "AliasChoices(" not in source:
        return source
    tree = ast.parse(source)
    edits = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "AliasChoices"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            edits.append((node, repr(node.args[0].value)))
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    for node, text in sorted(edits, key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True):
        assert node.end_lineno is not None and node.end_col_offset is not None
        start = offsets[node.lineno - 1] + _char_offset(lines[node.lineno - 1], node.col_offset)
        end = offsets[node.end_lineno - 1] + _char_offset(
            lines[node.end_lineno - 1], node.end_col_offset
        )
        source = source[:start] + text + source[end:]
    return source


def _char_offset(line: str, byte_offset: int) -> int:
    """ast columns count UTF-8 bytes; string slicing counts characters."""
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def _without_unused_imports(source: str) -> str:
    tree = ast.parse(source)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    lines = source.splitlines()
    seen: set[str] = set()
    for node in reversed(tree.body):
        if not isinstance(node, ast.ImportFrom) or node.module == "__future__":
            continue
        keep = []
        for alias in node.names:
            bound = alias.asname or alias.name
            if bound in used and bound not in seen:
                keep.append(alias)
                seen.add(bound)
        assert node.end_lineno is not None
        replacement = []
        if keep:
            names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in keep)
            replacement = [f"from {'.' * node.level}{node.module or ''} import {names}"]
        lines[node.lineno - 1 : node.end_lineno] = replacement
    return "\n".join(lines) + "\n"
