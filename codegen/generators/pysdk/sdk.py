"""The typed Python SDK: an installable package with pydantic models and a tracker.

Layout of ``python/``: ``pyproject.toml``, ``README.md`` and the package ``<slug>/`` with
``_runtime.py`` (plan-independent), ``types.py`` (reusable types), ``traits.py``, one module per
event under ``events/``, and ``tracker.py`` (one method per event). Event modules are imported
the first time their method is called, so importing the SDK stays fast for large plans.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ...config import TOOL_NAME, Options
from ...plan import formats, ir
from ..cache import Cache, DiskCache, MemoryCache, per_event, per_event_object, regenerating
from ..jsonschema import SchemaPath, SchemaStyle, object_schema, type_defs
from ..render import py_str, render
from ..samples import Sampler
from . import modelplan
from .modelplan import TRAITS_CLASS, Method, ModelPlan, PyClass
from .models import (
    TYPES_FILE,
    ModelModule,
    cache_key,
    early_pool,
    start_modules,
    types_text,
)

_TEMPLATES = (
    ("python/_runtime.py.j2", "_runtime.py"),
    ("python/tracker.py.j2", "tracker.py"),
    ("python/__init__.py.j2", "__init__.py"),
    ("python/events__init__.py.j2", "events/__init__.py"),
    ("python/_constraints.py.j2", "_constraints.py"),
)


def generate(plan: ir.Plan, options: Options) -> dict[str, str]:
    return start(plan, options)()


def start(plan: ir.Plan, options: Options) -> Callable[[], dict[str, str]]:
    """:func:`generate` in two steps: model modules and formatting are handed to worker
    processes now; the function returned waits for them and returns the files."""
    package = plan.slug
    # A first generation builds every module: workers start (and warm up) while this process
    # works out the modules; a regeneration builds a few, decided below.
    pool = None if regenerating() else early_pool(options.workers, len(plan.events) + 2)
    cache: Cache = DiskCache(options.cache_dir) if options.cache_dir else MemoryCache()
    names = modelplan.build(plan)
    types_schema = {"$defs": _type_defs(plan, names, "#/$defs/")}
    keys: dict[str, str] = {}
    modules = _model_modules(plan, names, _header(plan), types_text(types_schema), keys)
    context = template_context(plan, names, options.templates)
    sources = {path: render(t, options.templates, **context) for t, path in _TEMPLATES}
    sources["_formats.py"] = _header(plan).split("\n")[0] + "\n" + inspect.getsource(formats)
    pending = start_modules(
        modules, sources, types_schema, package, cache, options.workers, keys=keys, pool=pool
    )
    files = {f"python/{package}/py.typed": ""}
    for name in ("pyproject.toml", "README.md"):
        files[f"python/{name}"] = render(f"python/{name}.j2", options.templates, **context)

    def finish() -> dict[str, str]:
        built = {f"python/{package}/{path}": text for path, text in pending().items()}
        return {**built, **files}

    return finish


def template_context(
    plan: ir.Plan, names: ModelPlan | None = None, templates: Path | None = None
) -> dict[str, object]:
    """What the templates see (documented at the top of each template): read from the model
    plan, never derived again. ``templates``: the override folder, for templates that render
    others."""
    names = names or modelplan.build(plan)
    events = {e.name: e for e in plan.events}

    def tracker_method(m: Method) -> str:
        """One tracker method; an unchanged event's is not rendered again."""
        make = partial(render, "python/tracker_method.py.j2", templates, m=m)
        return per_event("py-tracker-method", events[m.event], make)

    return {
        "tracker_method": tracker_method,
        "plan": plan,
        "package": names.package,
        "methods": names.methods,
        "traits": names.traits,
        "type_imports": names.type_imports,
        "traits_class": TRAITS_CLASS,
        "exports": names.exports,
        "checks": names.checks,
        "typing_names": names.typing_names,
        "uses_datetime": names.datetime_names,
        "uses_missing": any(not p.required for p in names.params),
        "distribution": names.package.replace("_", "-") + "-tracking",
        "python_version": pep440(plan.version),
        "example": _example(plan, names),
        "example_user_id": Sampler(plan).user_id(),
    }


@dataclass(frozen=True)
class Example:
    """A README call: the method, its keyword arguments as source, the names to import."""

    name: str
    lines: tuple[str, ...]
    imports: tuple[str, ...]


def _example(plan: ir.Plan, names: ModelPlan) -> Example | None:
    """A README call with the required arguments of the plan's richest event."""
    if not names.methods:
        return None
    method, event = max(
        zip(names.methods, plan.events, strict=True), key=lambda me: len(me[0].params)
    )
    sample = Sampler(plan).fields(event.fields, full=False)
    classes = {c.path: c for c in names.classes}
    imports: set[str] = set()
    python = {f.wire: f.name for f in classes[("events", event.name)].fields}
    lines = tuple(
        f"{python[f.name]}={_python_value(plan, f.type, sample[f.name], classes, imports)}"
        for f in event.fields
        if f.required
    )
    return Example(method.name, lines, tuple(sorted(imports)))


def _python_value(
    plan: ir.Plan,
    t: ir.FieldType,
    value: object,
    classes: dict[SchemaPath, PyClass],
    imports: set[str],
) -> str:
    """Python source for a sample value of type ``t`` (reusable types as constructors)."""
    if value is None:
        return "None"
    if t.type_ref and isinstance(value, dict):
        imports.add(t.type_ref)
        python = {f.wire: f.name for f in classes[("types", t.type_ref)].fields}
        fields = {f.name: f for f in _type(plan, t.type_ref).fields}
        args = ", ".join(
            f"{python[k]}={_python_value(plan, fields[k].type, v, classes, imports)}"
            for k, v in value.items()
        )
        return f"{t.type_ref}({args})"
    if t.kind is ir.Kind.ARRAY and t.items is not None and isinstance(value, list):
        return (
            "[" + ", ".join(_python_value(plan, t.items, v, classes, imports) for v in value) + "]"
        )
    kind = modelplan.python_kind(t)
    if kind is ir.Kind.DATETIME:
        imports.add("datetime")
        return "datetime(2026, 1, 15, 9, 30, tzinfo=UTC)"
    if kind is ir.Kind.DATE:
        imports.add("date")
        return "date(2026, 1, 15)"
    return py_str(value) if isinstance(value, str) else repr(value)


def _type(plan: ir.Plan, name: str) -> ir.ObjectType:
    found = plan.type(name)
    assert found is not None, name  # resolve checked every reference
    return found


def pep440(semver: str) -> str:
    """A plan's semantic version as a valid PEP 440 version, by one documented rule:

    - ``X.Y.Z`` stays;
    - a pre-release starting ``alpha``/``a``, ``beta``/``b`` or ``rc`` (with an optional number,
      attached or as the next identifier) becomes ``aN``/``bN``/``rcN`` (``N`` defaults to 0);
      any other pre-release becomes ``.dev0``;
    - the pre-release identifiers not used that way, then the build metadata, become the local
      version label (``+``, alphanumeric segments joined by ``.``, in PEP 440 normal form).

    ``1.0.0-rc.1`` → ``1.0.0rc1``, ``1.0.0-alpha.beta`` → ``1.0.0a0+beta``,
    ``1.0.0-x.7.z.92`` → ``1.0.0.dev0+x.7.z.92``, ``1.0.0+build.1-2`` → ``1.0.0+build.1.2``.
    """
    core, _, build = semver.partition("+")
    release, _, pre = core.partition("-")
    out = release
    local: list[str] = []
    if pre:
        idents = pre.split(".")
        match = re.fullmatch(r"(alpha|a|beta|b|rc)-?(\d*)", idents[0], re.IGNORECASE)
        if match is None:
            out += ".dev0"
            local += idents
        else:
            tag = match.group(1).lower()
            number = match.group(2)
            rest = idents[1:]
            if not number and rest and rest[0].isdigit():
                number, rest = rest[0], rest[1:]
            out += {"alpha": "a", "beta": "b"}.get(tag, tag) + str(int(number or 0))
            local += rest
    if build:
        local += build.split(".")
    segments = [
        str(int(s)) if s.isdigit() else s.lower()  # PEP 440 normal form
        for ident in local
        for s in re.split(r"[^A-Za-z0-9]+", ident)
        if s
    ]
    if segments:
        out += "+" + ".".join(segments)
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


def _style(package: str, names: ModelPlan, ref_base: str = f"{TYPES_FILE}#/$defs/") -> SchemaStyle:
    """How the schemas datamodel-code-generator reads differ from the published ones: reusable
    types are references into the separate types file, formats are runtime types."""
    return SchemaStyle(
        ref_base=ref_base,
        format_types={fmt: f"{package}._runtime.{name}" for fmt, name in _FORMAT_TYPES.items()},
        titles=names.titles,
    )


def _type_defs(plan: ir.Plan, names: ModelPlan, ref_base: str) -> dict[str, object]:
    return type_defs(plan, {t.name for t in plan.types}, _style(plan.slug, names, ref_base))


def _model_modules(
    plan: ir.Plan, names: ModelPlan, header: str, types_text: str, keys: dict[str, str]
) -> dict[str, ModelModule]:
    """The model modules; ``keys`` gets the cache keys of those it knows already."""
    modules: dict[str, ModelModule] = {}
    if plan.types:
        modules["types.py"] = ModelModule(
            {"title": "TypesModule", "$defs": _type_defs(plan, names, "#/$defs/")},
            names.aliases_in("types"),
            header,
            names.classes_in("types"),
            drop_root="TypesModule",
        )
    style = _style(plan.slug, names)
    modules["traits.py"] = ModelModule(
        object_schema(plan.traits, False, ("traits",), style),
        names.aliases_in("traits"),
        header,
        names.classes_in("traits"),
    )
    for e in plan.events:
        # Unchanged events' modules (and their cache keys) are reused in a process.
        modules[f"events/{e.code_name}.py"], keys[f"events/{e.code_name}.py"] = per_event_object(
            "py-module", e, partial(_event_module, e, names, header, style, types_text, plan.slug)
        )
    return modules


def _event_module(
    e: ir.Event, names: ModelPlan, header: str, style: SchemaStyle, types_text: str, package: str
) -> tuple[ModelModule, str]:
    schema = object_schema(e.fields, e.additional_properties, ("events", e.name), style)
    if e.doc.description:
        schema["description"] = e.doc.description
    module = f"events.{e.code_name}"
    made = ModelModule(schema, names.aliases_in(module), header, names.classes_in(module))
    return made, cache_key(made, types_text, package)
