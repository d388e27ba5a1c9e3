"""Segment Protocols tracking plans: import (Config API v1 and Public API shapes) and export."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..generators.jsonschema import type_schema
from ..plan import ir
from ..plan.diagnostics import Diagnostic, Level, Location
from ..plan.filemodel import CODE_NAME
from ..plan.names import event_code_name, snake
from .build import Imported, build
from .convert import Converter, Spec, describe
from .files import read_json

DRAFT7 = "http://json-schema.org/draft-07/schema#"
HEADER = (
    "# yaml-language-server: $schema=tracking-plan.schema.json\n"
    "# Imported from a Segment Protocols tracking plan by `codegen import segment`.\n"
    "# Review the import warnings; wire names are exactly as in Segment.\n\n"
)


def import_segment_file(path: Path) -> Imported:
    """:func:`import_segment` of a JSON file; an unreadable file is a diagnostic, no plan."""
    document, problem = read_json(path)
    if problem is not None:
        return Imported(None, [problem])
    return import_segment(document, str(path))


def import_segment(document: Any, source: str) -> Imported:
    """A plan from either export shape; ``source`` names the file in diagnostics."""
    rules = document.get("rules") if isinstance(document, Mapping) else document
    if not isinstance(document, Mapping) or not (
        (isinstance(rules, Mapping) and "events" in rules) or isinstance(rules, list)
    ):
        return Imported(
            None,
            [
                Diagnostic(
                    Location(source, path=("/rules" if isinstance(document, Mapping) else "/",)),
                    "import/shape",
                    Level.ERROR,
                    "not a Segment tracking plan: expected `rules.events` (Config API) or a "
                    f"`rules` list (Public API), found {describe(rules)}",
                    None,
                )
            ],
        )
    convert = Converter(source, document)
    found: list[Diagnostic] = []
    if isinstance(rules, Mapping):
        events, traits = _config_api(rules, convert, found)
    else:
        events, traits = _public_api(rules, convert, found)
    name = _text(document.get("display_name")) or _text(document.get("name")) or "Imported plan"
    slug = snake(_text(document.get("slug")) or name.rsplit("/", 1)[-1]) or "imported_plan"
    if not slug[0].isalpha():
        slug = "plan_" + slug
    if not events and not traits:
        return Imported(
            None,
            [
                *convert.warnings,
                Diagnostic(
                    Location(source, path=("/rules",)),
                    "import/nothing",
                    Level.ERROR,
                    "no event or identify rule could be imported; no plan written",
                    None,
                ),
            ],
        )
    plan: dict[str, Any] = {"plan": {"name": name, "slug": slug[:63], "version": "1.0.0"}}
    if _text(document.get("description")):
        plan["plan"]["description"] = _text(document.get("description"))
    plan["identity"] = {"anonymous_allowed": "all"}
    found.append(
        Diagnostic(
            Location(source),
            "import/anonymous-allowed",
            Level.INFO,
            "Segment accepts every event with only an anonymousId; the plan says the same "
            "(`identity.anonymous_allowed: all`)",
            "list the events that may be sent before identify to require a userId on the rest",
        )
    )
    if convert.types:
        plan["types"] = dict(convert.types)
    plan["events"] = events
    if traits:
        plan["traits"] = traits
    return build(plan, source, [*found, *convert.warnings], HEADER, convert.origins)


def _text(value: Any) -> str:
    """A string field of the export; anything else counts as absent."""
    return value.strip() if isinstance(value, str) else ""


def _version(value: Any, pointer: str, convert: Converter) -> int:
    if value is None:
        return 1
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value < 2**63:
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 19 and int(value) >= 1:
        return int(value)
    convert.malformed(pointer, f"`version` must be a positive integer, not {describe(value)}")
    return 0  # below any real version: a well-formed version of the same event wins


def _entries(
    items: Any, pointer: str, convert: Converter
) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """The objects of a list in the export, each malformed entry reported and skipped."""
    if not isinstance(items, list):
        convert.malformed(pointer, f"expected a list, not {describe(items)}")
        return
    for index, item in enumerate(items):
        if isinstance(item, Mapping):
            yield index, item
        else:
            convert.malformed(
                f"{pointer}/{index}", f"expected an object, not {describe(item)}; skipped"
            )


def _schema(value: Any, pointer: str, convert: Converter) -> Mapping[str, Any]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return value
    convert.malformed(
        pointer, f"a schema must be an object, not {describe(value)}", "imported without rules"
    )
    return {}


def _config_api(
    rules: Mapping[str, Any], convert: Converter, found: list[Diagnostic]
) -> tuple[dict[str, Any], dict[str, Spec]]:
    chosen: dict[str, tuple[int, int, Mapping[str, Any]]] = {}
    versions: list[tuple[str, int]] = []
    for index, event in _entries(rules.get("events"), "/rules/events", convert):
        name = _text(event.get("name"))
        if not name:
            convert.malformed(f"/rules/events/{index}/name", "an event needs a name; skipped")
            continue
        version = _version(event.get("version"), f"/rules/events/{index}/version", convert)
        versions.append((name, version))
        if name not in chosen or version > chosen[name][0]:
            chosen[name] = (version, index, event)
    _report_versions(versions, convert, found)
    events = {}
    for name, (_, index, event) in chosen.items():
        pointer = f"/rules/events/{index}/rules"
        message = _schema(event.get("rules"), pointer, convert)
        convert.root = message  # `$ref`s resolve inside the rule's own schema
        events[name] = _event(
            convert,
            *_section(message, "properties", pointer, convert),
            _text(event.get("description")),
        )
    traits: dict[str, Spec] = {}
    identify = rules.get("identify_traits")
    if identify:
        identify = _schema(identify, "/rules/identify_traits", convert)
        convert.root = identify
        traits, _ = convert.fields(*_section(identify, "traits", "/rules/identify_traits", convert))
    if rules.get("group_traits"):
        convert.warn(
            "/rules/group_traits",
            "group traits have no place in the plan format",
            "group() calls are not planned; they are counted and skipped by validate",
        )
    return events, traits


def _public_api(
    rules: list[Any], convert: Converter, found: list[Diagnostic]
) -> tuple[dict[str, Any], dict[str, Spec]]:
    chosen: dict[tuple[str, str], tuple[int, int, Mapping[str, Any]]] = {}
    versions: list[tuple[str, int]] = []
    for index, rule in _entries(rules, "/rules", convert):
        kind = _text(rule.get("type"))
        key = _text(rule.get("key"))
        if kind == "TRACK" and not key:
            convert.malformed(f"/rules/{index}/key", "a TRACK rule needs a `key`; skipped")
            continue
        version = _version(rule.get("version"), f"/rules/{index}/version", convert)
        versions.append((key, version))
        if (kind, key) not in chosen or version > chosen[kind, key][0]:
            chosen[kind, key] = (version, index, rule)
    events: dict[str, Any] = {}
    traits: dict[str, Spec] = {}
    for (kind, key), (_, index, rule) in chosen.items():
        pointer = f"/rules/{index}/jsonSchema"
        schema = _schema(rule.get("jsonSchema"), pointer, convert)
        convert.root = schema  # `$ref`s resolve inside the rule's own schema
        if kind == "TRACK":
            properties = _section(schema, "properties", pointer, convert)
            events[key] = _event(convert, *properties, _text(schema.get("description")))
        elif kind == "IDENTIFY":
            traits, _ = convert.fields(*_section(schema, "traits", pointer, convert))
        else:
            convert.warn(
                f"/rules/{index}",
                f"{kind or 'untyped'} rules have no place in the plan format",
                "only TRACK and IDENTIFY rules are imported",
            )
    _report_versions(versions, convert, found)
    return events, traits


def _report_versions(
    versions: Iterable[tuple[str, int]], convert: Converter, found: list[Diagnostic]
) -> None:
    """An info line for every name seen in several versions: the highest one is kept."""
    counts: dict[str, list[int]] = {}
    for name, version in versions:
        counts.setdefault(name, []).append(version)
    for name, seen in counts.items():
        if len(seen) > 1:
            found.append(
                Diagnostic(
                    Location(convert.file),
                    "import/version",
                    Level.INFO,
                    f"`{name}`: kept version {max(seen)} of {sorted(seen)}",
                    None,
                )
            )


def _section(
    schema: Mapping[str, Any], part: str, pointer: str, convert: Converter
) -> tuple[Mapping[str, Any], str]:
    """The ``properties`` (or ``traits``) part of a whole-message schema, or the schema itself
    when it already describes just that part (the Public API shape); with its JSON Pointer."""
    parts = schema.get("properties")
    parts = parts if isinstance(parts, Mapping) else {}  # reported where fields() reads it
    inner = parts.get(part)
    if isinstance(inner, Mapping) and (
        "properties" in inner or inner.get("type") == "object" or inner == {}
    ):
        for other, sub in parts.items():
            if other not in (part, "context", "traits", "properties") or (
                other in ("context", "traits") and other != part and _constrains(sub)
            ):
                convert.warn(
                    f"{pointer}/properties/{other}",
                    f"rules on `{other}` have no place in the plan format; ignored",
                )
        return inner, f"{pointer}/properties/{part}"
    return schema, pointer


def _constrains(schema: Any) -> bool:
    """Whether a schema says more than "an object" (``{}`` and ``{type: object}`` do not)."""
    if not isinstance(schema, Mapping):
        return False
    return bool(set(schema) - {"type", "id", "$id"}) or schema.get("type") not in (None, "object")


def _event(
    convert: Converter, schema: Mapping[str, Any], pointer: str, description: str
) -> dict[str, Any]:
    properties, open_ = convert.fields(schema, pointer)
    event: dict[str, Any] = {}
    if description.strip():
        event["description"] = description.strip()
    if open_:
        event["additional_properties"] = True
    code_name = schema.get("x-code-name")
    if isinstance(code_name, str) and re.fullmatch(CODE_NAME, code_name):
        event["code_name"] = code_name
    event["properties"] = properties
    return event


# -- export ------------------------------------------------------------------------------------


def export_segment(plan: ir.Plan) -> dict[str, Any]:
    """The Public API ``rules`` shape (draft-07), ready to upload. Reusable types become
    ``definitions`` with ``$ref``, so a re-import gets the same types back."""
    rules: list[dict[str, Any]] = []
    for event in plan.events:
        rules.append(
            {
                "key": event.name,
                "type": "TRACK",
                "version": 1,
                "jsonSchema": _message_schema(
                    plan,
                    "properties",
                    event.fields,
                    event.additional_properties,
                    event.doc.description,
                    None if event.code_name == event_code_name(event.name) else event.code_name,
                ),
            }
        )
    if plan.traits:
        rules.append(
            {
                "key": None,
                "type": "IDENTIFY",
                "version": 1,
                "jsonSchema": _message_schema(plan, "traits", plan.traits, False, "", None),
            }
        )
    out: dict[str, Any] = {"name": plan.name, "slug": plan.slug, "type": "LIVE", "rules": rules}
    if plan.doc.description:
        out["description"] = plan.doc.description
    return out


def _message_schema(
    plan: ir.Plan,
    part: str,
    fields: tuple[ir.Field, ...],
    open_: bool,
    description: str,
    code_name: str | None,
) -> dict[str, Any]:
    inner = _object(fields, open_)
    schema: dict[str, Any] = {
        "$schema": DRAFT7,
        "type": "object",
        "properties": {"context": {}, "traits": {}, part: inner},
    }
    if part == "traits":
        schema["properties"].pop("traits")
        schema["properties"]["traits"] = inner
    if description:
        schema["description"] = description
    if code_name:
        inner["x-code-name"] = code_name
    used = _used_types(plan, fields)
    if used:
        schema["definitions"] = {
            t.name: _object(t.fields, t.additional_properties) for t in plan.types if t.name in used
        }
    converted: dict[str, Any] = json.loads(
        json.dumps(schema).replace('"#/$defs/', '"#/definitions/')
    )
    return converted


def _object(fields: tuple[ir.Field, ...], open_: bool) -> dict[str, Any]:
    properties = {}
    for f in fields:
        schema = type_schema(f.type)
        if f.doc.description:
            schema["description"] = f.doc.description
        if f.doc.examples:
            schema["examples"] = list(f.doc.examples)
        if f.doc.deprecated:
            schema["x-deprecated"] = f.doc.deprecated
        if f.doc.owner:
            schema["x-owner"] = f.doc.owner
        if f.doc.tags:
            schema["x-tags"] = list(f.doc.tags)
        if f.code_name != _default_code(f.name):
            schema["x-code-name"] = f.code_name
        properties[f.name] = schema
    out: dict[str, Any] = {"type": "object", "properties": properties}
    required = [f.name for f in fields if f.required]
    if required:
        out["required"] = required
    if not open_:
        out["additionalProperties"] = False
    return out


def _default_code(name: str) -> str:
    from ..plan.names import python_name

    return python_name(name)


def _used_types(plan: ir.Plan, fields: tuple[ir.Field, ...]) -> set[str]:
    from ..generators.jsonschema import _types_used

    return _types_used(plan, fields)
