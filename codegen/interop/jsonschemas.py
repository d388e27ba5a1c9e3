"""JSON Schema files → a plan with one event per schema (Snowplow self-describing included)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..plan.diagnostics import Diagnostic, Level, Location
from ..plan.names import snake
from .build import Imported, build
from .convert import Converter, Origin, describe
from .files import read_json

HEADER = (
    "# yaml-language-server: $schema=tracking-plan.schema.json\n"
    "# Imported from JSON Schema files by `codegen import jsonschema`.\n\n"
)


def schema_files(source: Path) -> list[Path]:
    if not source.is_dir():
        return [source]  # a file, or a path read_json reports as unreadable
    try:
        return sorted(p for p in source.rglob("*") if p.is_file() and not p.name.startswith("."))
    except OSError:  # a folder that cannot be listed: reported as unreadable
        return [source]


def event_name(schema: dict[str, Any], path: Path) -> str:
    """Snowplow ``self`` (vendor/name/version), else the title, else the file name."""
    self_block = schema.get("self")
    if isinstance(self_block, dict) and _text(self_block.get("name")):
        parts = (self_block.get("vendor"), self_block["name"], self_block.get("version"))
        return "/".join(_text(part) for part in parts)
    return _text(schema.get("title")) or path.stem


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def import_schemas(source: Path) -> Imported:
    files = schema_files(source)
    events: dict[str, Any] = {}
    types: dict[str, Any] = {}
    found: list[Diagnostic] = []
    origins: dict[int, Origin] = {}
    for path in files:
        label = str(path)
        schema, problem = read_json(path, label)
        if problem is not None:
            found.append(problem)
            continue
        if not isinstance(schema, dict):
            found.append(
                Diagnostic(
                    Location(label, path=("/",)),
                    "import/shape",
                    Level.ERROR,
                    f"not a JSON Schema object: the file holds {describe(schema)}",
                    None,
                )
            )
            continue
        convert = Converter(label, schema)
        name = event_name(schema, path)
        is_object = schema.get("type") in ("object", ["object"]) or "properties" in schema
        if not is_object:
            found.append(
                Diagnostic(
                    Location(label, path=("/",)),
                    "import/unsupported",
                    Level.WARNING,
                    "the schema does not describe an object; imported as an "
                    "event whose properties are not checked",
                    None,
                )
            )
            properties: dict[str, Any] = {}
            open_ = True
        else:
            properties, open_ = convert.fields(schema, "")
        event: dict[str, Any] = {}
        if isinstance(schema.get("description"), str) and schema["description"].strip():
            event["description"] = schema["description"].strip()
        if open_:
            event["additional_properties"] = True
        event["properties"] = properties
        if name in events:
            found.append(
                Diagnostic(
                    Location(label, path=("/",)),
                    "import/duplicate",
                    Level.WARNING,
                    f"a second schema for `{name}`; this one is skipped",
                    None,
                )
            )
            continue
        events[name] = event
        for type_name, spec in convert.types.items():
            types.setdefault(type_name, spec)
        found.extend(convert.warnings)
        origins.update(convert.origins)
    if not events:
        found.append(
            Diagnostic(
                Location(str(source)),
                "import/nothing",
                Level.ERROR,
                f"no JSON Schema could be imported from {len(files)} file"
                f"{'s' * (len(files) != 1)}; no plan written",
                None,
            )
        )
        return Imported(None, found)
    name = source.stem if source.is_file() else source.name
    slug = snake(name) or "imported_schemas"
    plan: dict[str, Any] = {
        "plan": {
            "name": f"Imported from {name}",
            "slug": ("schemas_" + slug)[:63],
            "version": "1.0.0",
        },
        "identity": {},
        **({"types": types} if types else {}),
        "events": events,
    }
    return build(plan, str(source), found, HEADER, origins)
