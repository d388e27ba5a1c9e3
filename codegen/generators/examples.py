"""The plan's own ``examples`` must be valid under the schemas the plan publishes.

Docs, sample payloads and Liquid previews are built from examples; an example its own property
rejects would show readers a payload every validator refuses. Each example is judged by the
published JSON Schema of its property (or event, or type), with formats checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import jsonschema_rs

from ..plan import ir
from ..plan.diagnostics import Diagnostic, Level, Location, Path
from .jsonschema import object_schema, type_defs, type_schema

Locate = Callable[[Path], Location]
Subject = tuple[Path, dict[str, Any], tuple[ir.JSON, ...]]


def check(plan: ir.Plan, locate: Locate) -> list[Diagnostic]:
    """One error per example that its own property, event or type rejects."""
    defs = type_defs(plan, {t.name for t in plan.types})
    found: list[Diagnostic] = []
    for subject, schema, examples in _subjects(plan):
        if not examples:
            continue
        validator = jsonschema_rs.validator_for({"$defs": defs, **schema}, validate_formats=True)
        for i, example in enumerate(examples):
            error = next(iter(validator.iter_errors(example)), None)
            if error is not None:
                found.append(_diagnostic(locate((*subject, "examples", i)), error))
    return found


def _subjects(plan: ir.Plan) -> Iterator[Subject]:
    for e in plan.events:
        yield e.location.path, object_schema(e.fields, e.additional_properties, ()), e.doc.examples
        yield from _fields(e.fields)
    for t in plan.types:
        yield t.location.path, object_schema(t.fields, t.additional_properties, ()), t.doc.examples
        yield from _fields(t.fields)
    yield from _fields(plan.library)
    yield from _fields(plan.traits)


def _fields(
    fields: tuple[ir.Field, ...],
) -> Iterator[tuple[Path, dict[str, Any], tuple[ir.JSON, ...]]]:
    for f in fields:
        yield f.location.path, type_schema(f.type), f.doc.examples
        inner = f.type.items if f.type.kind is ir.Kind.ARRAY and f.type.items else f.type
        if inner.fields:
            yield from _fields(inner.fields)


def _diagnostic(location: Location, error: Any) -> Diagnostic:
    where = "/".join(str(p) for p in error.instance_path)
    return Diagnostic(
        location,
        "type/bad-example",
        Level.ERROR,
        f"example{' at ' + where if where else ''} is invalid: {error.message}",
        "docs and sample payloads show examples: make it a value the property accepts",
    )
