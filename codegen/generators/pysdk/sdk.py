"""The typed Python SDK: an installable package with pydantic models and a tracker.

Layout of ``python/``: ``pyproject.toml``, ``README.md`` and the package ``<slug>/`` with
``_runtime.py`` (plan-independent), ``types.py`` (reusable types), ``traits.py``, one module per
event under ``events/``, and ``tracker.py`` (one method per event). Event modules are imported
the first time their method is called, so importing the SDK stays fast for large plans.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ...config import TOOL_NAME, Options
from ...plan import formats, ir
from ...plan.names import event_class, nested_class
from ..cache import Cache, DiskCache, MemoryCache
from ..jsonschema import SchemaStyle, object_schema, type_defs
from ..render import py_str, render
from ..samples import Sampler
from .codenames import TRAITS_CLASS, TRAITS_SCOPE, _unwrap, ir_scope
from .models import TYPES_FILE, ModelModule, render_modules


@dataclass(frozen=True)
class Param:
    """One keyword argument of a generated method (template context)."""

    name: str  # Python name
    wire: str  # name in the message, exactly as in the plan
    annotation: str
    required: bool
    description: str
    allowed: str  # "Skincare, Haircare" or ""


@dataclass(frozen=True)
class Method:
    """One tracker method (template context): the event, its model, its parameters."""

    name: str
    event: str
    model: str
    module: str
    anonymous_allowed: bool
    params: tuple[Param, ...]
    description: str
    deprecated: str | None


_TEMPLATES = (
    ("python/_runtime.py.j2", "_runtime.py"),
    ("python/tracker.py.j2", "tracker.py"),
    ("python/__init__.py.j2", "__init__.py"),
    ("python/events__init__.py.j2", "events/__init__.py"),
)


def generate(plan: ir.Plan, options: Options) -> dict[str, str]:
    package = plan.slug
    cache: Cache = DiskCache(options.cache_dir) if options.cache_dir else MemoryCache()
    modules = _model_modules(plan, package, _header(plan))
    types_schema = {
        "$defs": type_defs(plan, {t.name for t in plan.types}, _style(package, "#/$defs/"))
    }
    context = _context(plan, package)
    sources = {path: render(t, options.templates, **context) for t, path in _TEMPLATES}
    sources["_formats.py"] = _header(plan).split("\n")[0] + "\n" + inspect.getsource(formats)
    built = render_modules(modules, sources, types_schema, package, cache, options.workers)
    files = {f"python/{package}/{path}": text for path, text in built.items()}
    files[f"python/{package}/py.typed"] = ""
    for name in ("pyproject.toml", "README.md"):
        files[f"python/{name}"] = render(f"python/{name}.j2", options.templates, **context)
    return files


def _context(plan: ir.Plan, package: str) -> dict[str, object]:
    """What the templates see (documented at the top of each template)."""
    methods = [_method(plan, e) for e in plan.events]
    traits = _params(plan.traits, TRAITS_SCOPE)
    params = [p for m in methods for p in m.params] + list(traits)
    words = set(_words(" ".join(p.annotation for p in params)))
    return {
        "plan": plan,
        "package": package,
        "methods": methods,
        "traits": traits,
        "type_imports": _type_imports(plan, methods, traits),
        "traits_class": TRAITS_CLASS,
        "exports": _exports(plan),
        "typing_names": [n for n in ("Any", "Literal") if n in words],
        "uses_datetime": [n for n in ("date", "datetime") if n in words],
        "uses_missing": any(not p.required for p in params),
        "distribution": package.replace("_", "-") + "-tracking",
        "python_version": pep440(plan.version),
        "example": _example(plan, methods),
        "example_user_id": Sampler(plan).user_id(),
    }


@dataclass(frozen=True)
class Example:
    """A README call: the method, its keyword arguments as source, the names to import."""

    name: str
    lines: tuple[str, ...]
    imports: tuple[str, ...]


def _example(plan: ir.Plan, methods: list[Method]) -> Example | None:
    """A README call with the required arguments of the plan's richest event."""
    if not methods:
        return None
    method, event = max(zip(methods, plan.events, strict=True), key=lambda me: len(me[0].params))
    sample = Sampler(plan).fields(event.fields, full=False)
    types = {t.name: t for t in plan.types}
    imports: set[str] = set()
    lines = tuple(
        f"{f.code_name}={_python_value(f.type, sample[f.name], types, imports)}"
        for f in event.fields
        if f.required
    )
    return Example(method.name, lines, tuple(sorted(imports)))


def _python_value(
    t: ir.FieldType, value: object, types: dict[str, ir.ObjectType], imports: set[str]
) -> str:
    """Python source for a sample value of type ``t`` (reusable types as constructors)."""
    if value is None:
        return "None"
    if t.type_ref and isinstance(value, dict):
        imports.add(t.type_ref)
        fields = {f.name: f for f in types[t.type_ref].fields}
        args = ", ".join(
            f"{fields[k].code_name}={_python_value(fields[k].type, v, types, imports)}"
            for k, v in value.items()
        )
        return f"{t.type_ref}({args})"
    if t.kind is ir.Kind.ARRAY and t.items is not None and isinstance(value, list):
        return "[" + ", ".join(_python_value(t.items, v, types, imports) for v in value) + "]"
    if t.kind is ir.Kind.DATETIME:
        imports.add("datetime")
        return "datetime(2026, 1, 15, 9, 30, tzinfo=UTC)"
    if t.kind is ir.Kind.DATE:
        imports.add("date")
        return "date(2026, 1, 15)"
    return py_str(value) if isinstance(value, str) else repr(value)


def pep440(semver: str) -> str:
    """A plan's semantic version as a Python package version (``1.0.0-rc.1`` → ``1.0.0rc1``)."""
    core, _, build = semver.partition("+")
    release, _, pre = core.partition("-")
    out = release
    if pre:
        match = re.fullmatch(r"(alpha|a|beta|b|rc)[.-]?(\d*)", pre)
        if match:
            tag = {"alpha": "a", "beta": "b"}.get(match.group(1), match.group(1))
            out += f"{tag}{match.group(2) or 0}"
        else:
            out += ".dev0"
    if build:
        out += "+" + re.sub(r"[^A-Za-z0-9]+", ".", build).strip(".")
    return out


def _header(plan: ir.Plan) -> str:
    return (
        f"# Generated by {TOOL_NAME} from tracking plan {plan.slug} {plan.version}. Do not edit.\n"
        "# Models by datamodel-code-generator, formatted by black."
    )


# Formats become the runtime's checked ``str`` types (the SDK sends exactly what it was given);
# integers accept 3.0, as JSON Schema does.
_FORMAT_TYPES = {
    "integer": "Integer",
    "email": "Email",
    "uri": "Uri",
    "uuid": "Uuid",
    "hostname": "Hostname",
    "ipv4": "IPv4",
    "ipv6": "IPv6",
    "date-time": "DateTime",
    "datetime": "DateTime",
    "date": "Date",
}


def _style(package: str, ref_base: str = f"{TYPES_FILE}#/$defs/") -> SchemaStyle:
    """How the schemas datamodel-code-generator reads differ from the published ones: reusable
    types are references into the separate types file, formats are runtime types."""
    return SchemaStyle(
        ref_base=ref_base,
        format_types={fmt: f"{package}._runtime.{name}" for fmt, name in _FORMAT_TYPES.items()},
    )


def fields_by_class(
    fields: tuple[ir.Field, ...], title: str, scope: str
) -> dict[str, tuple[str, ...]]:
    """``{class: field code names}`` expected in a module, inline objects included."""
    out = {title: tuple(f.code_name for f in fields)}
    for f in fields:
        t, suffix = _unwrap(f.type)
        if t.fields:
            child = nested_class(scope, f.code_name) + suffix
            out.update(fields_by_class(t.fields, child, child))
    return out


def aliases_for(fields: tuple[ir.Field, ...], title: str, scope: str) -> dict[str, list[str]]:
    """``{"Class.wire name": [code_name]}`` wherever the Python name differs from the wire."""
    out: dict[str, list[str]] = {}
    for f in fields:
        if f.code_name != f.name:
            out[f"{title}.{f.name}"] = [f.code_name]
        t, suffix = _unwrap(f.type)
        if t.fields:
            child = nested_class(scope, f.code_name) + suffix
            out.update(aliases_for(t.fields, child, child))
    return out


def _model_modules(plan: ir.Plan, package: str, header: str) -> dict[str, ModelModule]:
    modules: dict[str, ModelModule] = {}
    if plan.types:
        defs = type_defs(plan, {t.name for t in plan.types}, _style(package, "#/$defs/"))
        aliases: dict[str, list[str]] = {}
        expected: dict[str, tuple[str, ...]] = {}
        for t in plan.types:
            aliases.update(aliases_for(t.fields, t.name, t.name))
            expected.update(fields_by_class(t.fields, t.name, t.name))
        modules["types.py"] = ModelModule(
            {"title": "TypesModule", "$defs": defs},
            aliases,
            header,
            expected,
            drop_root="TypesModule",
        )
    style = _style(package)
    modules["traits.py"] = ModelModule(
        object_schema(plan.traits, False, TRAITS_CLASS, TRAITS_SCOPE, style),
        aliases_for(plan.traits, TRAITS_CLASS, TRAITS_SCOPE),
        header,
        fields_by_class(plan.traits, TRAITS_CLASS, TRAITS_SCOPE),
    )
    for e in plan.events:
        title, scope = event_class(e.code_name), ir_scope(e)
        schema = object_schema(e.fields, e.additional_properties, title, scope, style)
        if e.doc.description:
            schema["description"] = e.doc.description
        modules[f"events/{e.code_name}.py"] = ModelModule(
            schema,
            aliases_for(e.fields, title, scope),
            header,
            fields_by_class(e.fields, title, scope),
        )
    return modules


def _method(plan: ir.Plan, e: ir.Event) -> Method:
    return Method(
        name=e.code_name,
        event=e.name,
        model=event_class(e.code_name),
        module=e.code_name,
        anonymous_allowed=e.anonymous_allowed,
        params=_params(e.fields, ir_scope(e)),
        description=e.doc.description,
        deprecated=e.doc.deprecated,
    )


def _params(fields: tuple[ir.Field, ...], scope: str) -> tuple[Param, ...]:
    params = [
        Param(
            name=f.code_name,
            wire=f.name,
            annotation=annotation(f.type, nested_class(scope, f.code_name)),
            required=f.required,
            description=f.doc.description,
            allowed=", ".join(str(v) for v in (_unwrap(f.type)[0].bounds.enum or ())),
        )
        for f in fields
    ]
    return tuple(sorted(params, key=lambda p: not p.required))  # stable: plan order within


_SIMPLE = {
    ir.Kind.STRING: "str",
    ir.Kind.INTEGER: "int",
    ir.Kind.NUMBER: "float",
    ir.Kind.BOOLEAN: "bool",
    ir.Kind.DATETIME: "datetime",
    ir.Kind.DATE: "date",
    ir.Kind.ANY: "Any",
}


def annotation(t: ir.FieldType, title: str) -> str:
    """The Python type of a value, matching the model datamodel-code-generator writes."""
    if t.type_ref:
        text = t.type_ref
    elif t.bounds.enum is not None:
        text = "Literal[" + ", ".join(_literal(v) for v in t.bounds.enum) + "]"
    elif t.kind is ir.Kind.ARRAY:
        inner = annotation(t.items, title + "Item") if t.items else "Any"
        text = f"list[{inner}]"
    elif t.kind is ir.Kind.OBJECT:
        text = title if t.fields else "dict[str, Any]"
    elif t.kind is ir.Kind.UNION:
        text = " | ".join(_SIMPLE[v] for v in t.variants)
    else:
        text = _SIMPLE[t.kind]
    return f"{text} | None" if t.nullable and t.kind is not ir.Kind.ANY else text


def _literal(value: ir.Scalar) -> str:
    return py_str(value) if isinstance(value, str) else repr(value)


def _type_imports(
    plan: ir.Plan, methods: list[Method], traits: tuple[Param, ...]
) -> dict[str, list[str]]:
    """Classes used in method signatures, by module, for ``if TYPE_CHECKING:`` imports."""
    wanted: dict[str, set[str]] = {}
    names = {t.name for t in plan.types}

    def add(module: str, params: tuple[Param, ...], local: set[str]) -> None:
        for p in params:
            for word in _words(p.annotation):
                if word in names:
                    wanted.setdefault("types", set()).add(word)
                elif word in local:
                    wanted.setdefault(module, set()).add(word)

    for m, e in zip(methods, plan.events, strict=True):
        add(f"events.{m.module}", m.params, set(_local_classes(ir_scope(e), e.fields)))
    add("traits", traits, set(_local_classes(TRAITS_SCOPE, plan.traits)))
    return {module: sorted(classes) for module, classes in sorted(wanted.items())}


def _words(annotation_text: str) -> Iterator[str]:
    yield from re.findall(r"[A-Za-z_][A-Za-z0-9_]*", annotation_text)


def _local_classes(scope: str, fields: tuple[ir.Field, ...]) -> Iterator[str]:
    for f in fields:
        t, suffix = _unwrap(f.type)
        if t.fields:
            name = nested_class(scope, f.code_name) + suffix
            yield name
            yield from _local_classes(name, t.fields)


def _exports(plan: ir.Plan) -> dict[str, str]:
    """``{public name: module}`` for the package's lazy ``__getattr__``."""
    out = {
        "Tracker": "tracker",
        "TrackOptions": "_runtime",
        "TrackingPlanViolation": "_runtime",
        TRAITS_CLASS: "traits",
    }
    for t in plan.types:
        out[t.name] = "types"
    for e in plan.events:
        out[event_class(e.code_name)] = f"events.{e.code_name}"
    return dict(sorted(out.items()))
