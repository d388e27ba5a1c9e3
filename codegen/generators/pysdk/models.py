"""Pydantic models with datamodel-code-generator, formatted, cached by content hash.

datamodel-code-generator is run once per module (reusable types, traits, one per event) on a
schema built for it from the ir: titles we control name every class, reusable types are external
references mapped to the package's ``types`` module (imported, never copied), field names come
from our code names through aliases, and formats map to the SDK runtime's checked ``str`` types.
"""

from __future__ import annotations

import ast
import hashlib
import json
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from ..cache import Cache
from .formatting import format_key, format_python

TYPES_FILE = "types.schema.json"


@dataclass(frozen=True)
class ModelModule:
    """One module to generate: its schema (root object or ``$defs`` only) and naming."""

    schema: dict[str, Any]
    aliases: dict[str, list[str]]
    header: str
    classes: dict[str, tuple[str, ...]]  # {class: field names} from the model plan
    drop_root: str | None = None  # class dmcg makes of a ``$defs``-only root, removed


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


def cache_key(module: ModelModule, types_schema: dict[str, Any], package: str) -> str:
    payload = json.dumps(
        {
            "module": [module.schema, module.aliases, module.header, module.drop_root],
            "types": types_schema if _refers_to_types(module.schema) else None,
            "options": {k: str(v) for k, v in dmcg_options(package).items()},
            "versions": tool_versions(),
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@cache
def tool_versions() -> tuple[str, ...]:
    """Versions of everything that shapes generated Python: part of every cache key."""
    ours = hashlib.sha256()
    for module in (Path(__file__), Path(__file__).with_name("formatting.py")):
        ours.update(module.read_bytes())  # our post-processing and formatting rules
    packages = ("datamodel-code-generator", "black", "isort")
    return (*(version(p) for p in packages), ours.hexdigest())


def _refers_to_types(schema: dict[str, Any]) -> bool:
    return f'"{TYPES_FILE}#' in json.dumps(schema)


def render_modules(
    modules: dict[str, ModelModule],
    sources: dict[str, str],
    types_schema: dict[str, Any],
    package: str,
    cache: Cache,
    workers: int = 1,
) -> dict[str, str]:
    """Formatted Python for every model module (datamodel-code-generator) and every rendered
    template in ``sources``. Results are cached by content hash; what is missing is built in
    ``workers`` processes when there is enough of it."""
    keys = {path: cache_key(m, types_schema, package) for path, m in modules.items()}
    keys.update({path: format_key(text, package) for path, text in sources.items()})
    out = {path: text for path, key in keys.items() if (text := cache.get(key)) is not None}
    jobs: list[tuple[str, ModelModule | str, dict[str, Any], str]] = [
        (path, modules[path] if path in modules else sources[path], types_schema, package)
        for path in keys
        if path not in out
    ]
    # Big templates first, so one large file does not finish last on a single core.
    jobs.sort(key=lambda job: -len(job[1]) if isinstance(job[1], str) else 0)
    if workers > 1 and len(jobs) >= _PARALLEL_FROM:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            texts = list(pool.map(_build, jobs))
    else:
        texts = [_build(job) for job in jobs]
    for (path, *_), text in zip(jobs, texts, strict=True):
        cache.put(keys[path], text)
        out[path] = text
    for path, module in modules.items():
        check_against_plan(path, out[path], module.classes)
    return dict(sorted(out.items()))


# Below this many modules, starting worker processes costs more than it saves.
_PARALLEL_FROM = 24


def _build(job: tuple[str, ModelModule | str, dict[str, Any], str]) -> str:
    """One job, possibly in a worker: format a rendered template, or generate a model module."""
    _, work, types_schema, package = job
    if isinstance(work, str):
        return format_python(work, package)
    return _generate_model(work, types_schema, package)


def _generate_model(module: ModelModule, types_schema: dict[str, Any], package: str) -> str:
    """datamodel-code-generator on one module, post-processed and formatted."""
    from datamodel_code_generator import generate

    with tempfile.TemporaryDirectory(prefix="codegen-dmcg-") as tmp:
        folder = Path(tmp)
        (folder / TYPES_FILE).write_text(json.dumps(types_schema), encoding="utf-8")
        source = folder / "module.schema.json"
        source.write_text(json.dumps(module.schema), encoding="utf-8")
        raw = generate(
            source,
            aliases=module.aliases,
            custom_file_header=module.header,
            **dmcg_options(package),
        )
    return format_python(_postprocess(str(raw), module.drop_root), package)


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
