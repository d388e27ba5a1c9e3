"""Segment Protocols tracking plans: import (Config API v1 and Public API shapes) and export."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..generators.jsonschema import type_schema
from ..plan import ir
from ..plan.diagnostics import Diagnostic, Level, Location
from ..plan.names import event_code_name, snake
from .build import Imported, build
from .convert import Converter, Spec

DRAFT7 = "http://json-schema.org/draft-07/schema#"
HEADER = (
    "# yaml-language-server: $schema=tracking-plan.schema.json\n"
    "# Imported from a Segment Protocols tracking plan by `codegen import segment`.\n"
    "# Review the import warnings; wire names are exactly as in Segment.\n\n"
)


def import_segment(document: Mapping[str, Any], source: str) -> Imported:
    """A plan from either export shape; ``source`` names the file in diagnostics."""
    convert = Converter(source, document)
    found: list[Diagnostic] = []
    rules = document.get("rules")
    if isinstance(rules, Mapping) and "events" in rules:
        events, traits = _config_api(rules, convert, found)
    elif isinstance(rules, list):
        events, traits = _public_api(rules, convert, found)
    else:
        return Imported(
            None,
            [
                Diagnostic(
                    Location(source),
                    "import/shape",
                    Level.ERROR,
                    "not a Segment tracking plan: expected `rules.events` (Config API) or a "
                    "`rules` list (Public API)",
                    None,
                )
            ],
        )
    name = str(document.get("display_name") or document.get("name") or "Imported plan")
    slug = snake(str(document.get("slug") or name.rsplit("/", 1)[-1])) or "imported_plan"
    if not slug[0].isalpha():
        slug = "plan_" + slug
    plan: dict[str, Any] = {"plan": {"name": name, "slug": slug[:63], "version": "1.0.0"}}
    if document.get("description"):
        plan["plan"]["description"] = str(document["description"])
    plan["identity"] = {"anonymous_allowed": "all"}
    found.append(
        Diagnostic(
            Location(source, path=("identity", "anonymous_allowed")),
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
    return build(plan, source, [*found, *convert.warnings], HEADER)


def _config_api(
    rules: Mapping[str, Any], convert: Converter, found: list[Diagnostic]
) -> tuple[dict[str, Any], dict[str, Spec]]:
    chosen: dict[str, tuple[int, int, Mapping[str, Any]]] = {}
    for index, event in enumerate(rules.get("events") or []):
        name, version = str(event.get("name")), int(event.get("version") or 1)
        if name not in chosen or version > chosen[name][0]:
            chosen[name] = (version, index, event)
    _report_versions(
        (
            (str(event.get("name")), int(event.get("version") or 1))
            for event in rules.get("events") or []
        ),
        convert,
        found,
    )
    events = {}
    for name, (_, index, event) in chosen.items():
        pointer = f"/rules/events/{index}/rules"
        message = event.get("rules") or {}
        convert.root = message  # `$ref`s resolve inside the rule's own schema
        events[name] = _event(
            convert,
            _section(message, "properties", pointer, convert),
            str(event.get("description") or ""),
            f"{pointer}/properties/properties",
        )
    traits: dict[str, Spec] = {}
    identify = rules.get("identify_traits")
    if isinstance(identify, Mapping) and identify:
        schema = _section(identify, "traits", "/rules/identify_traits", convert)
        traits, _ = convert.fields(schema, "/rules/identify_traits")
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
    for index, rule in enumerate(rules):
        kind_key = (str(rule.get("type")), str(rule.get("key") or ""))
        version = int(rule.get("version") or 1)
        if kind_key not in chosen or version > chosen[kind_key][0]:
            chosen[kind_key] = (version, index, rule)
    events: dict[str, Any] = {}
    traits: dict[str, Spec] = {}
    for (kind, key), (_, index, rule) in chosen.items():
        pointer = f"/rules/{index}/jsonSchema"
        schema = rule.get("jsonSchema") or {}
        convert.root = schema  # `$ref`s resolve inside the rule's own schema
        if kind == "TRACK":
            properties = _section(schema, "properties", pointer, convert)
            events[key] = _event(convert, properties, str(schema.get("description") or ""), pointer)
        elif kind == "IDENTIFY":
            traits, _ = convert.fields(_section(schema, "traits", pointer, convert), pointer)
        else:
            convert.warn(
                f"/rules/{index}",
                f"{kind} rules have no place in the plan format",
                "only TRACK and IDENTIFY rules are imported",
            )
    _report_versions(
        ((str(rule.get("key")), int(rule.get("version") or 1)) for rule in rules), convert, found
    )
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
) -> Mapping[str, Any]:
    """The ``properties`` (or ``traits``) part of a whole-message schema, or the schema itself
    when it already describes just that part (the Public API shape)."""
    inner = (schema.get("properties") or {}).get(part)
    if isinstance(inner, Mapping) and (
        "properties" in inner or inner.get("type") == "object" or inner == {}
    ):
        for other, sub in (schema.get("properties") or {}).items():
            if other not in (part, "context", "traits", "properties") or (
                other in ("context", "traits") and other != part and _constrains(sub)
            ):
                convert.warn(
                    f"{pointer}/properties/{other}",
                    f"rules on `{other}` have no place in the plan format; ignored",
                )
        return inner
    return schema


def _constrains(schema: Any) -> bool:
    """Whether a schema says more than "an object" (``{}`` and ``{type: object}`` do not)."""
    if not isinstance(schema, Mapping):
        return False
    return bool(set(schema) - {"type", "id", "$id"}) or schema.get("type") not in (None, "object")


def _event(
    convert: Converter, schema: Mapping[str, Any], description: str, pointer: str
) -> dict[str, Any]:
    properties, open_ = convert.fields(schema, pointer)
    event: dict[str, Any] = {}
    if description.strip():
        event["description"] = description.strip()
    if open_:
        event["additional_properties"] = True
    if schema.get("x-code-name"):
        event["code_name"] = schema["x-code-name"]
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
        schema = type_schema(f.type, "")
        schema.pop("title", None)
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
        properties[f.name] = _strip_titles(schema)
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


def _strip_titles(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _strip_titles(v) for k, v in schema.items() if k != "title"}
    if isinstance(schema, list):
        return [_strip_titles(v) for v in schema]
    return schema


def _used_types(plan: ir.Plan, fields: tuple[ir.Field, ...]) -> set[str]:
    from ..generators.jsonschema import _types_used

    return _types_used(plan, fields)
