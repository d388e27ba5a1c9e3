"""JSON Schema (draft-04 to 2020-12) → plan property specs.

What the plan format cannot express is never dropped silently: it becomes a warning that names
the JSON Pointer of the construct, and the property is mapped to the closest looser type.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..plan.diagnostics import Diagnostic, Level, Location
from ..plan.filemodel import CODE_NAME
from ..plan.names import class_name

Spec = dict[str, Any]
Origin = tuple[Spec, str, str]
# Keywords that only document: kept where the plan has a place for them, else ignored quietly.
_ANNOTATIONS = {
    "title",
    "description",
    "examples",
    "example",
    "$comment",
    "id",
    "$id",
    "$schema",
    "readOnly",
    "writeOnly",
    "eventMetadata",
    "self",
    "$anchor",
    "deprecated",
    "definitions",
    "$defs",
    "x-owner",
    "x-tags",
    "x-deprecated",
    "x-code-name",
}
_FORMATS = {"email", "uri", "uuid", "hostname", "ipv4", "ipv6"}
_SCALARS = {"string", "integer", "number", "boolean"}
# Deeper schemas become `any`: the plan loader stops at 64 path steps (two per object level).
MAX_NESTING = 24


@dataclass
class Converter:
    """Converts the schemas of one source file; collects warnings and reusable types."""

    file: str
    root: Mapping[str, Any]
    warnings: list[Diagnostic] = field(default_factory=list)
    types: dict[str, Spec] = field(default_factory=dict)
    # id() of every property spec made → (the spec, its file, its JSON Pointer), so that a
    # problem the plan loader finds later is reported where it stands in the source (see
    # build._repair). The spec is kept alive here so that its id() is never reused.
    origins: dict[int, Origin] = field(default_factory=dict)
    _depth: int = 0
    _following: set[str] = field(default_factory=set)  # `$ref`s being expanded (cycles)

    def warn(self, pointer: str, message: str, hint: str | None = None) -> None:
        self.warnings.append(
            Diagnostic(
                Location(self.file, path=(pointer or "/",)),
                "import/unsupported",
                Level.WARNING,
                message,
                hint,
            )
        )

    def malformed(self, pointer: str, message: str, hint: str | None = None) -> None:
        """Input that is not valid JSON Schema (or not a Segment plan): skipped, never fatal."""
        self.warnings.append(
            Diagnostic(
                Location(self.file, path=(pointer or "/",)),
                "import/malformed",
                Level.WARNING,
                message,
                hint,
            )
        )

    def clean(self, schema: Mapping[str, Any], pointer: str) -> dict[str, Any]:
        """``schema`` without the keywords whose values have the wrong JSON type, each one
        reported: everything after this may trust the types of the keywords it reads."""
        out: dict[str, Any] = {}
        for key, value in schema.items():
            check = _SHAPES.get(key)
            if check is not None and not check[0](value):
                self.malformed(
                    f"{pointer}/{_escape(key)}",
                    f"`{key}` must be {check[1]}, not {describe(value)}; ignored",
                )
                continue
            out[key] = value
        return out

    def _origin(self, spec: Spec, pointer: str) -> Spec:
        self.origins[id(spec)] = (spec, self.file, pointer or "/")
        return spec

    # -- objects -------------------------------------------------------------------------------

    def fields(self, schema: Any, pointer: str) -> tuple[dict[str, Spec], bool]:
        """An object schema's properties (with ``required``) and whether it is open."""
        if not isinstance(schema, Mapping):
            self.malformed(
                pointer, f"expected an object schema, not {describe(schema)}", "imported as open"
            )
            return {}, True
        schema = self.clean(self._deref(schema, pointer), pointer)
        required = set(schema.get("required", []))
        out: dict[str, Spec] = {}
        for name, sub in schema.get("properties", {}).items():
            at = f"{pointer}/properties/{_escape(name)}"
            spec = self.spec(sub, at)
            if name in required:
                spec = {"required": True, **spec}
            out[str(name)] = self._origin(spec, at)
        for name in sorted(required - set(out)):
            self.warn(
                f"{pointer}/required",
                f"`{name}` is required but has no schema",
                "it is imported as a required property of any type",
            )
            out[str(name)] = {"required": True, "type": "any"}
        extra = schema.get("additionalProperties", True)
        if isinstance(extra, dict) and extra:
            self.warn(
                f"{pointer}/additionalProperties",
                "typed additional properties (a map) cannot be expressed",
                "unplanned properties of any type are accepted instead",
            )
        for keyword in (
            "patternProperties",
            "propertyNames",
            "minProperties",
            "maxProperties",
            "dependencies",
            "dependentRequired",
            "dependentSchemas",
            "unevaluatedProperties",
        ):
            if keyword in schema:
                self.warn(f"{pointer}/{keyword}", f"`{keyword}` cannot be expressed; ignored")
        return out, extra is not False

    # -- one value -----------------------------------------------------------------------------

    def spec(self, schema: Any, pointer: str) -> Spec:
        if self._depth >= MAX_NESTING:
            self.warn(
                pointer, f"schemas nested deeper than {MAX_NESTING} levels", "imported as `any`"
            )
            return {"type": "any"}
        self._depth += 1
        try:
            return self._origin(self._spec(schema, pointer), pointer)
        finally:
            self._depth -= 1

    def _spec(self, schema: Any, pointer: str) -> Spec:
        if schema is True or schema == {}:
            return {"type": "any"}
        if schema is False:
            self.warn(
                pointer, "a schema that rejects everything cannot be expressed", "imported as `any`"
            )
            return {"type": "any"}
        if not isinstance(schema, Mapping):
            self.malformed(
                pointer, f"a schema must be an object, not {describe(schema)}", "imported as `any`"
            )
            return {"type": "any"}
        schema = self.clean(schema, pointer)
        if "$ref" in schema:
            return self._ref(schema, pointer)
        docs = self._docs(schema)
        for keyword in ("anyOf", "oneOf"):
            if keyword in schema:
                return {**self._one_of(schema[keyword], f"{pointer}/{keyword}", keyword), **docs}
        if "allOf" in schema:
            parts = schema["allOf"]
            if len(parts) == 1:
                return {**self.spec(parts[0], f"{pointer}/allOf/0"), **docs}
            self.warn(
                f"{pointer}/allOf",
                "`allOf` of several schemas cannot be expressed",
                "imported as `any`",
            )
            return {"type": "any", **docs}
        for keyword in _IGNORED:
            if keyword in schema:
                self.warn(f"{pointer}/{keyword}", f"`{keyword}` cannot be expressed; ignored")
        unknown = set(schema) - _KNOWN - _ANNOTATIONS
        for keyword in sorted(unknown):
            if not keyword.startswith("x-"):
                self.warn(f"{pointer}/{keyword}", f"unknown keyword `{keyword}`; ignored")
        return {**self._typed(schema, pointer), **docs}

    def _typed(self, schema: Mapping[str, Any], pointer: str) -> Spec:
        kinds = schema.get("type", [])
        kinds = [kinds] if isinstance(kinds, str) else list(dict.fromkeys(kinds))
        enum = schema.get("enum")
        if "const" in schema:
            enum = [schema["const"]]
        nullable = "null" in kinds or (enum is not None and None in enum)
        kinds = [k for k in kinds if k != "null"]
        if enum is not None:
            enum = [v for v in enum if v is not None] or None
        if not kinds:
            if "properties" in schema or "additionalProperties" in schema:
                kinds = ["object"]
            elif "items" in schema:
                kinds = ["array"]
            elif enum:
                kinds = sorted({_json_type(v) for v in enum})
        spec: Spec = {"nullable": True} if nullable else {}
        if len(kinds) > 1:
            if set(kinds) <= _SCALARS and not enum:
                return {**spec, "type": kinds}
            self.warn(
                f"{pointer}/type",
                f"a union of {', '.join(kinds)} cannot be expressed",
                "imported as `any`",
            )
            return {**spec, "type": "any"}
        if not kinds:
            return {**spec, "type": "any"}
        kind = kinds[0]
        if kind == "object":
            properties, open_ = self.fields(schema, pointer)
            if not properties and open_:
                return {**spec, "type": "object"}
            return {
                **spec,
                "type": "object",
                "properties": properties,
                **({"additional_properties": True} if open_ else {}),
            }
        if kind == "array":
            return {**spec, **self._array(schema, pointer)}
        if kind in _SCALARS:
            return {**spec, **self._scalar(kind, schema, enum, pointer)}
        self.warn(f"{pointer}/type", f"unknown type `{kind}`", "imported as `any`")
        return {**spec, "type": "any"}

    def _scalar(
        self, kind: str, schema: Mapping[str, Any], enum: list[Any] | None, pointer: str
    ) -> Spec:
        spec: Spec = {"type": kind}
        fmt = schema.get("format")
        if kind == "string" and fmt == "date-time":
            spec["type"] = "datetime"
        elif kind == "string" and fmt == "date":
            spec["type"] = "date"
        elif kind == "string" and fmt in _FORMATS:
            spec["format"] = fmt
        elif fmt is not None:
            self.warn(
                f"{pointer}/format",
                f"format `{fmt}` is not checked by the plan format",
                "the property is a plain " + kind,
            )
        if enum is not None:
            spec["enum"] = enum
        numeric = kind in ("integer", "number")
        for source, target in (
            ("pattern", "pattern"),
            ("minLength", "min_length"),
            ("maxLength", "max_length"),
            ("minimum", "minimum"),
            ("maximum", "maximum"),
        ):
            applies = kind == "string" if source in _STRING_BOUNDS else numeric
            if source in schema and applies:
                spec[target] = schema[source]
        for source, target, base in (
            ("exclusiveMinimum", "exclusive_minimum", "minimum"),
            ("exclusiveMaximum", "exclusive_maximum", "maximum"),
        ):
            value = schema.get(source)
            if value is True and base in schema:  # draft-04: a flag on minimum/maximum
                spec.pop(base, None)
                spec[target] = schema[base]
            elif isinstance(value, int | float) and not isinstance(value, bool):
                spec[target] = value
        return spec

    def _array(self, schema: Mapping[str, Any], pointer: str) -> Spec:
        spec: Spec = {"type": "array"}
        items = schema.get("items")
        if isinstance(items, list):
            self.warn(
                f"{pointer}/items", "tuple items cannot be expressed", "imported as an array of any"
            )
        elif isinstance(items, Mapping) and not set(items) <= _ANNOTATIONS:
            item = self.spec(items, f"{pointer}/items")
            spec["items"] = self._origin(
                {k: v for k, v in item.items() if k not in ("description", "examples")},
                f"{pointer}/items",
            )
        for source, target in (
            ("minItems", "min_items"),
            ("maxItems", "max_items"),
            ("uniqueItems", "unique_items"),
        ):
            if source in schema:
                spec[target] = schema[source]
        return spec

    def _one_of(self, branches: list[Any], pointer: str, keyword: str) -> Spec:
        real = [b for b in branches if not (isinstance(b, Mapping) and b.get("type") == "null")]
        if len(real) == 1:
            index = branches.index(real[0])
            spec = self.spec(real[0], f"{pointer}/{index}")
            return {**spec, "nullable": True} if len(real) < len(branches) else spec
        scalar = [b.get("type") for b in real if isinstance(b, Mapping) and set(b) <= {"type"}]
        if len(scalar) == len(real) and all(isinstance(t, str) and t in _SCALARS for t in scalar):
            spec = {"type": scalar}
            return {**spec, "nullable": True} if len(real) < len(branches) else spec
        self.warn(
            pointer, f"`{keyword}` of several schemas cannot be expressed", "imported as `any`"
        )
        return {"type": "any"}

    def _ref(self, schema: Mapping[str, Any], pointer: str) -> Spec:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            self.warn(
                f"{pointer}/$ref",
                f"external reference `{ref}` cannot be followed",
                "imported as `any`",
            )
            return {"type": "any"}
        target = _resolve(self.root, ref)
        if target is None:
            self.warn(f"{pointer}/$ref", f"reference `{ref}` does not resolve", "imported as `any`")
            return {"type": "any"}
        name = ref.rsplit("/", 1)[-1]
        is_object = isinstance(target, Mapping) and (
            target.get("type") == "object" or "properties" in target
        )
        if ref in self._following:
            self.warn(
                f"{pointer}/$ref",
                f"`{ref}` refers to itself: a recursive schema cannot be expressed",
                "imported as `any`" if not is_object else "imported as an open object",
            )
            return {"type": "object" if is_object else "any"}
        self._following.add(ref)
        try:
            if not is_object:
                return self.spec(target, ref.removeprefix("#"))
            type_name = class_name(name) or "Type"
            if type_name not in self.types:
                self.types[type_name] = {}  # keeps the order types are first referenced in
                properties, open_ = self.fields(target, ref.removeprefix("#"))
                spec: Spec = {**self._docs(target), "properties": properties}
                if open_:
                    spec["additional_properties"] = True
                self.types[type_name] = spec
        finally:
            self._following.discard(ref)
        return {"type": type_name, **self._docs(schema)}

    def _deref(self, schema: Mapping[str, Any], pointer: str) -> Mapping[str, Any]:
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target = _resolve(self.root, ref)
            if isinstance(target, Mapping):
                return target
        return schema

    @staticmethod
    def _docs(schema: Mapping[str, Any]) -> Spec:
        # already reported by clean() where the schema was converted; here only skipped
        schema = {k: v for k, v in schema.items() if k not in _SHAPES or _SHAPES[k][0](v)}
        docs: Spec = {}
        if isinstance(schema.get("description"), str) and schema["description"].strip():
            docs["description"] = schema["description"].strip()
        examples = schema.get("examples")
        if isinstance(examples, list) and examples:
            docs["examples"] = examples
        elif "example" in schema:
            docs["examples"] = [schema["example"]]
        if schema.get("x-deprecated") or schema.get("deprecated") is True:
            docs["deprecated"] = schema.get("x-deprecated") or True
        for source, target in (
            ("x-owner", "owner"),
            ("x-tags", "tags"),
            ("x-code-name", "code_name"),
        ):
            if source in schema:
                docs[target] = schema[source]
        return docs


_STRING_BOUNDS = {"pattern", "minLength", "maxLength"}
# Keywords the plan format has no place for: each is reported where it stands, then dropped.
_IGNORED = (
    "not",
    "if",
    "then",
    "else",
    "multipleOf",
    "contains",
    "additionalItems",
    "prefixItems",
    "unevaluatedItems",
    "default",
)
_KNOWN = {
    "type",
    "enum",
    "const",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "properties",
    "required",
    "additionalProperties",
    "anyOf",
    "oneOf",
    "allOf",
    "$ref",
    *_IGNORED,
    "patternProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "unevaluatedProperties",
}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"


def _escape(name: str) -> str:
    return str(name).replace("~", "~0").replace("/", "~1")


def _resolve(root: Mapping[str, Any], ref: str) -> Any:
    current: Any = root
    for part in ref.removeprefix("#/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        else:
            return None
    return current


def describe(value: Any) -> str:
    """A JSON value's kind in words, for messages about malformed input."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, Mapping):
        return "an object" if value else "an empty object"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if isinstance(value, int | float):
        shown = str(value)
        return f"the number {shown if len(shown) <= 20 else shown[:17] + '...'}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return type(value).__name__


def _number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return abs(value) < 2**63 if isinstance(value, int) else math.isfinite(value)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _values(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(v is None or isinstance(v, str | bool) or _number(v) for v in value)
    )


def _schemas(value: Any) -> bool:
    return isinstance(value, list) and bool(value)


def _regex(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        re.compile(value)
    except (re.error, RecursionError, OverflowError):
        return False
    return True


def _type(value: Any) -> bool:
    return isinstance(value, str) or _strings(value)


# The JSON type every keyword the converter reads must have; anything else is reported and
# dropped by Converter.clean before the keyword is looked at.
_SHAPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "type": (_type, "a type name or a list of them"),
    "enum": (_values, "a non-empty list of strings, numbers and booleans"),
    "required": (_strings, "a list of property names"),
    "properties": (lambda v: isinstance(v, Mapping), "an object"),
    "additionalProperties": (lambda v: isinstance(v, bool | Mapping), "a boolean or a schema"),
    "items": (lambda v: isinstance(v, bool | list | Mapping), "a schema"),
    "anyOf": (_schemas, "a non-empty list of schemas"),
    "oneOf": (_schemas, "a non-empty list of schemas"),
    "allOf": (_schemas, "a non-empty list of schemas"),
    "$ref": (lambda v: isinstance(v, str), "a string"),
    "format": (lambda v: isinstance(v, str), "a string"),
    "pattern": (_regex, "a valid regular expression"),
    "minLength": (_count, "a non-negative integer"),
    "maxLength": (_count, "a non-negative integer"),
    "minItems": (_count, "a non-negative integer"),
    "maxItems": (_count, "a non-negative integer"),
    "minimum": (_number, "a finite number"),
    "maximum": (_number, "a finite number"),
    "exclusiveMinimum": (lambda v: isinstance(v, bool) or _number(v), "a number or a boolean"),
    "exclusiveMaximum": (lambda v: isinstance(v, bool) or _number(v), "a number or a boolean"),
    "uniqueItems": (lambda v: isinstance(v, bool), "a boolean"),
    "description": (lambda v: isinstance(v, str), "a string"),
    "examples": (lambda v: isinstance(v, list), "a list"),
    "x-code-name": (
        lambda v: isinstance(v, str) and re.fullmatch(CODE_NAME, v) is not None,
        "a snake_case name",
    ),
    "x-owner": (lambda v: isinstance(v, str), "a string"),
    "x-tags": (_strings, "a list of strings"),
    "x-deprecated": (lambda v: isinstance(v, bool | str), "a boolean or a string"),
    "deprecated": (lambda v: isinstance(v, bool), "a boolean"),
}
