"""The npm package ``typescript/``: interfaces, a typed tracker, and validators compiled ahead of
time from the published JSON Schemas.

Layout: ``package.json``, ``tsconfig.json``, ``README.md``, ``scripts/build-validators.mjs``,
``schemas/`` (the published event and identify schemas, byte for byte), and ``src/`` with
``runtime.ts`` and ``formats.ts`` (plan-independent), ``types.ts`` (every interface),
``plan.ts``, ``identify.ts``, one module per event under ``events/``, ``tracker.ts`` (one
method per event) and ``index.ts``. Generating needs no Node: ``npm ci && npm run build`` in
the output compiles TypeScript and runs Ajv standalone over ``schemas/``.
"""

from __future__ import annotations

from functools import partial

from ...config import Options
from ...plan import ir
from .. import jsonschema
from ..cache import per_event
from ..render import render
from . import modelplan

# The package's build toolchain, pinned; tests/typescript/package.json pins the same versions
# (tests/test_typescript.py checks it).
DEV_DEPENDENCIES = {"ajv": "8.20.0", "esbuild": "0.28.2", "typescript": "5.9.3"}

_PLAN_FILES = (
    ("runtime.ts.j2", "src/runtime.ts"),
    ("formats.ts.j2", "src/formats.ts"),
    ("types.ts.j2", "src/types.ts"),
    ("plan.ts.j2", "src/plan.ts"),
    ("identify.ts.j2", "src/identify.ts"),
    ("tracker.ts.j2", "src/tracker.ts"),
    ("index.ts.j2", "src/index.ts"),
    ("tsconfig.json.j2", "tsconfig.json"),
    ("package.json.j2", "package.json"),
    ("build-validators.mjs.j2", "scripts/build-validators.mjs"),
    ("README.md.j2", "README.md"),
)


def generate(plan: ir.Plan, options: Options) -> dict[str, str]:
    names = modelplan.build(plan)
    context = template_context(plan, names)
    files: dict[str, str] = {}
    for template, path in _PLAN_FILES:
        files[path] = render(f"typescript/{template}", options.templates, **context)
    # Files of one event are rendered only when the event (or what all files read) changed.
    for event, e in zip(plan.events, names.events, strict=True):
        path = f"src/events/{e.stem}.ts"
        files[path] = per_event(
            "ts-event",
            event,
            partial(render, "typescript/event.ts.j2", options.templates, **context, e=e),
            f"typescript/{path}",
        )
    schemas = schema_files(plan, names)
    of_stem = {e.stem: event for event, e in zip(plan.events, names.events, strict=True)}
    for stem, schema in schemas.items():
        path = f"src/validators/{stem}.d.ts"
        make = partial(
            render, "typescript/validator.d.ts.j2", options.templates, **context, schema=schema
        )
        owner = of_stem.get(stem)
        files[path] = (
            make()
            if owner is None
            else per_event("ts-validator", owner, make, f"typescript/{path}")
        )
    files[schemas["identify"]] = jsonschema.dump(jsonschema.identify_document(plan))
    files.update(jsonschema.event_files(plan))  # the published schemas, byte for byte
    return {f"typescript/{path}": text for path, text in files.items()}


def schema_files(plan: ir.Plan, names: modelplan.TsModelPlan | None = None) -> dict[str, str]:
    """``{validator stem: published schema path}``: identify, then every event."""
    events = (names or modelplan.build(plan)).events
    return {
        "identify": "schemas/identify.schema.json",
        **{e.stem: f"schemas/events/{e.stem}.schema.json" for e in events},
    }


def template_context(
    plan: ir.Plan, names: modelplan.TsModelPlan | None = None
) -> dict[str, object]:
    """What the templates see: the plan and the model plan, never derived again."""
    names = names or modelplan.build(plan)
    return {
        "plan": plan,
        "package": names.package,
        "version": names.version,
        "interfaces": names.interfaces,
        "events": names.events,
        "traits_interface": names.traits_interface,
        "schemas": schema_files(plan, names),
        "dev_dependencies": DEV_DEPENDENCIES,
    }
