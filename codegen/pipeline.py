"""Load → parse → resolve → lint: from a plan file to a frozen :class:`ir.Plan` and diagnostics."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .checks.lint import lint
from .config import collector_paused
from .generators import examples
from .generators.pysdk import codenames
from .generators.typescript import codenames as ts_codenames
from .plan import ir
from .plan.diagnostics import Diagnostic, has_errors
from .plan.filemodel import PlanFile, parse
from .plan.loader import Document, load_file, load_text
from .plan.messages import MessageResolver
from .plan.resolve import _DEFAULT_BASE_URI, Resolver
from .plan.segments import AudienceResolver


@dataclass(frozen=True)
class Loaded:
    """Result of loading a plan: ``plan`` is None when it could not be read or resolved."""

    plan: ir.Plan | None
    diagnostics: tuple[Diagnostic, ...]
    spec: PlanFile | None = None

    @property
    def ok(self) -> bool:
        return self.plan is not None and not has_errors(self.diagnostics)


def load_plan(path: Path, display: str | None = None) -> Loaded:
    """Read a plan file and run every check; never raises on bad input."""
    with collector_paused():
        document, problems = load_file(path, display)
        return _compile(document, problems)


def load_plan_text(text: str, file: str = "<plan>") -> Loaded:
    with collector_paused():
        document, problems = load_text(text, file)
        return _compile(document, problems)


def _compile(document: Document | None, problems: list[Diagnostic]) -> Loaded:
    if document is None:
        return Loaded(None, tuple(sorted(problems)))
    spec, problems = parse(document)
    if spec is None:
        return Loaded(None, tuple(sorted(problems)))
    plan, problems = resolve(spec, document)
    if plan is None:
        return Loaded(None, tuple(sorted(problems)), spec)
    findings = lint(plan, spec.lint, document)
    return Loaded(plan, tuple(sorted(findings)), spec)


def resolve(spec: PlanFile, document: Document) -> tuple[ir.Plan | None, list[Diagnostic]]:
    """Build the ir; ``None`` with diagnostics when anything could not be resolved."""
    r = Resolver(spec, document)
    library = tuple(r.library_field(name, ("properties", name)) for name in sorted(spec.properties))
    types = tuple(r.object_type(name, t) for name, t in sorted(spec.types.items()))
    r.check_type_cycles(types)
    identity = r.identity()
    anonymous = set(identity.anonymous_allowed)
    events = tuple(r.event(name, e, anonymous) for name, e in sorted(spec.events.items()))
    traits = r.fields(spec.traits, ("traits",))
    audiences = AudienceResolver(
        r, {e.name: e for e in events}, {t.name: t for t in traits}, {t.name: t for t in types}
    )
    segments = audiences.segments(spec.segments)
    messages = MessageResolver(audiences).messages(spec.messages)
    commerce = r.commerce_keys(library, types, events, traits)  # may report plan/currency-locale
    maintained = r.maintained(traits, events)
    if r.diagnostics:
        return None, r.diagnostics
    info = spec.plan
    base = info.schema_base_uri or f"{_DEFAULT_BASE_URI}{info.slug}/"
    plan = ir.Plan(
        name=info.name,
        slug=info.slug,
        version=info.version,
        doc=ir.Doc(description=(info.description or "").strip(), owner=info.owner),
        schema_base_uri=base if base.endswith("/") else base + "/",
        identity=identity,
        library=library,
        types=types,
        events=events,
        traits=traits,
        segments=segments,
        messages=messages,
        commerce=commerce,
        maintained=maintained,
        source=document.file,
    )
    problems = codenames.check(plan, document.locate(("plan", "slug")))
    problems += examples.check(plan, document.locate)
    problems = problems or ts_codenames.check(plan)  # same code names: report a clash once
    return (None, problems) if problems else (plan, [])


__all__ = ["Loaded", "load_plan", "load_plan_text", "resolve"]
