"""Assemble an imported plan: reusable types for repeated objects, generated names that do not
clash, lint levels that let it generate, and the YAML text with a header."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..checks.lint import RULES
from ..pipeline import load_plan_text
from ..plan.diagnostics import Diagnostic, Level, Location
from ..plan.names import class_name, event_code_name, python_name
from .convert import Origin, Spec

MAX_ROUNDS = 20


@dataclass
class Imported:
    """An imported plan: its YAML text (None when it could not be made valid) and findings."""

    text: str | None
    diagnostics: list[Diagnostic] = field(default_factory=list)


def build(
    plan: dict[str, Any],
    source: str,
    diagnostics: list[Diagnostic],
    header: str,
    origins: Mapping[int, Origin] | None = None,
) -> Imported:
    """Load the assembled plan like any plan and fix what an import may fix: clashing generated
    names get a ``code_name``; a property the plan rejects (``origins``: id of each property spec
    → the file and JSON Pointer it came from) loses the offending keyword or becomes ``any``."""
    _reusable_types(plan)
    findings = list(diagnostics)
    for _ in range(MAX_ROUNDS):
        loaded = load_plan_text(dump(plan), source)
        clashes = [d for d in loaded.diagnostics if d.code == "naming/code-collision"]
        broken = [] if loaded.plan is not None else list(loaded.diagnostics)
        fixes = [_rename(plan, d) for d in clashes]
        fixes += [f for d in broken if (f := _repair(plan, d, origins or {})) is not None]
        if not fixes:
            break
        findings.extend(fixes)
    else:
        return Imported(None, [*findings, *loaded.diagnostics])
    if loaded.plan is None:
        return Imported(None, [*findings, *loaded.diagnostics])
    failing = Counter(
        d.code for d in loaded.diagnostics if d.level is Level.ERROR and d.code in RULES
    )
    if failing:
        levels = plan.setdefault("lint", {}).setdefault("levels", {})
        for code, count in sorted(failing.items()):
            levels[code] = "warning"
            findings.append(
                Diagnostic(
                    Location(source),
                    "import/lint-downgraded",
                    Level.WARNING,
                    f"lint rule `{code}` fails {count} time{'s' * (count != 1)} on the imported "
                    "plan; set to warning so it generates",
                    f"fix the plan, then remove `lint.levels.{code}`",
                )
            )
    final = load_plan_text(dump(plan), source)
    if not final.ok:
        return Imported(None, [*findings, *final.diagnostics])
    return Imported(header + dump(plan), findings)


# Keywords a rejected property can lose and still say something true about the data.
_DROPPABLE = {
    "enum",
    "format",
    "pattern",
    "minimum",
    "maximum",
    "exclusive_minimum",
    "exclusive_maximum",
    "min_length",
    "max_length",
    "min_items",
    "max_items",
    "unique_items",
    "examples",
    "code_name",
    "owner",
    "tags",
    "deprecated",
}


def _repair(
    plan: dict[str, Any], problem: Diagnostic, origins: Mapping[int, Origin]
) -> Diagnostic | None:
    """Fix the imported property ``problem`` is about: drop the keyword it names, or make the
    property ``any``. ``None`` when it is not about an imported property (or already fixed)."""
    if problem.level is not Level.ERROR:
        return None
    chain: list[tuple[Any, Any]] = []
    node: Any = plan
    for part in problem.location.path:
        if not _has(node, part):
            break
        chain.append((node, part))
        node = node[part]
    for container, key in reversed(chain):
        origin = origins.get(id(container))
        if origin is None or origin[0] is not container:
            continue
        _, file, pointer = origin
        if key in _DROPPABLE:
            del container[key]
            action = f"`{key}` dropped"
        elif container.get("type") != "any" or set(container) - _KEPT:
            kept = {k: v for k, v in container.items() if k in _KEPT - {"type"}}
            container.clear()
            container.update({**kept, "type": "any"})
            action = "imported as `any`"
        else:
            return None
        return Diagnostic(
            Location(file, path=(pointer,)),
            "import/repaired",
            Level.WARNING,
            f"{problem.message} ({problem.code}); {action}",
            problem.hint,
        )
    return None


_KEPT = {"type", "required", "description", "nullable"}


def _has(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


_EVENT_KEYS = [
    "description",
    "owner",
    "tags",
    "deprecated",
    "code_name",
    "additional_properties",
    "examples",
    "properties",
]
_ORDER = (
    "plan",
    "identity",
    "lint",
    "properties",
    "types",
    "events",
    "traits",
    "segments",
    "messages",
)


def dump(plan: dict[str, Any]) -> str:
    """The plan as YAML, sections in the usual order (the same plan always dumps the same)."""
    ordered = {key: plan[key] for key in _ORDER if key in plan}
    if "events" in ordered:  # events sorted, keys in one order: re-imports compare equal
        ordered["events"] = {
            name: {k: event[k] for k in sorted(event, key=_EVENT_KEYS.index)}
            for name, event in sorted(ordered["events"].items())
        }
    return yaml.safe_dump(
        ordered, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )


def _rename(plan: dict[str, Any], clash: Diagnostic) -> Diagnostic:
    """Give the later of two clashing things an explicit, unused ``code_name``."""
    path = clash.location.path
    target, siblings, base = _target(plan, path)
    taken = {_code_name(s, name) for name, s in siblings.items() if s is not target}
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    target["code_name"] = f"{base}_{n}"
    return Diagnostic(
        Location(clash.location.file, path=path),
        "import/renamed",
        Level.WARNING,
        f"{clash.message}: generated name set to `{base}_{n}`",
        "choose a better `code_name:` (wire names are unchanged)",
    )


def _target(
    plan: dict[str, Any], path: tuple[str | int, ...]
) -> tuple[dict[str, Any], dict[str, Any], str]:
    node: Any = plan
    parent: Any = None
    for part in path:
        parent, node = node, node[part]
    name = str(path[-1])
    if path[0] == "events" and len(path) == 2:
        return node, parent, event_code_name(name)
    return node, parent, python_name(name)


def _code_name(spec: Any, name: str) -> str:
    if isinstance(spec, dict) and spec.get("code_name"):
        return str(spec["code_name"])
    return python_name(name)


# -- repeated identical objects become reusable types -------------------------------------------


def _objects(specs: dict[str, Spec]) -> Iterator[tuple[str, Spec]]:
    for name, spec in specs.items():
        inner = spec.get("items", spec) if spec.get("type") == "array" else spec
        if isinstance(inner.get("properties"), dict):
            yield name, inner
            yield from _objects(inner["properties"])


def _shape(spec: Spec) -> str:
    keep = {
        k: v
        for k, v in spec.items()
        if k not in ("required", "description", "examples", "nullable", "deprecated")
    }
    return json.dumps(keep, sort_keys=True)


def _reusable_types(plan: dict[str, Any]) -> None:
    """An object shape used more than once becomes a type named after its property; a name
    that two different shapes would take is left inline (never ``Universe1``)."""
    all_specs = [e.get("properties", {}) for e in plan.get("events", {}).values()]
    all_specs.append(plan.get("traits", {}))
    occurrences: dict[str, list[tuple[str, Spec]]] = {}
    for specs in all_specs:
        for name, spec in _objects(specs):
            occurrences.setdefault(_shape(spec), []).append((name, spec))
    names: dict[str, list[str]] = {}
    for shape, found in occurrences.items():
        if len(found) > 1:
            names.setdefault(class_name(found[0][0]), []).append(shape)
    types = plan.setdefault("types", {})
    for type_name, shapes in names.items():
        if len(shapes) != 1 or type_name in types:
            continue
        found = occurrences[shapes[0]]
        first = found[0][1]
        types[type_name] = {
            k: v for k, v in first.items() if k in ("properties", "additional_properties")
        }
        for _, spec in found:
            for key in ("type", "properties", "additional_properties"):
                spec.pop(key, None)
            spec["type"] = type_name
    if not types:
        plan.pop("types")
