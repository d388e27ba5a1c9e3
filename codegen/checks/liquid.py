"""Customer.io Liquid templates checked against the plan: static analysis over python-liquid's tree.

What a name means comes from two places only: the plan (``event.`` is the trigger event's
properties, ``customer.`` the traits) and the declared dialect table
(:mod:`codegen.checks.cio_dialect`: Customer.io's other objects, tags and filters). Variables a
template makes itself (``assign``, ``capture``, ``increment``/``decrement``, ``for``,
``tablerow``) are tracked in document order; filter arguments that name an item field (``map``,
``where``, ``sort`` ...) are checked against the items' fields. ``include``/``render`` are
reported as not checked (Customer.io resolves them, not the plan).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from liquid import Node
from liquid.builtin.expressions import FilteredExpression, Path, StringLiteral
from liquid.builtin.expressions.loop import LoopExpression
from liquid.exceptions import LiquidError

from ..plan import ir
from ..plan.diagnostics import Diagnostic, Level, Location
from ..plan.names import loose_key
from ..plan.segments import members
from ..plan.suggest import did_you_mean
from . import cio_dialect as dialect
from .cio_environment import CustomerIoUndefined, currency, customerio_environment

__all__ = [
    "BUILTIN_CUSTOMER",
    "CustomerIoUndefined",
    "TemplateChecker",
    "check_template",
    "currency",
    "customerio_environment",
    "render",
]

# Customer.io person attributes that exist without being declared as traits (TAG_LIST:
# "customer attributes"; `id`, `email`, `cio_id` identify a person, `created_at` is the
# signup timestamp of the default "Signed up" segment).
BUILTIN_CUSTOMER = frozenset({"id", "cio_id", "email", "created_at"})
_ARRAY_PROPERTIES = frozenset({"size", "first", "last"})
_ANY = ir.FieldType(ir.Kind.ANY)

# What a name is bound to: the plan fields leading to it and whether the value is guaranteed;
# an empty chain is a value of unknown shape (anything may be read below it).
Binding = tuple[tuple[ir.Field, ...], bool]


@dataclass
class _Scope:
    """Block-scoped names (loop variables) and paths guarded by an enclosing ``{% if %}``."""

    loops: dict[str, Binding] = field(default_factory=dict)
    guarded: frozenset[str] = frozenset()


def _local(name: str, kind: ir.Kind) -> Binding:
    return (ir.Field(name, ir.FieldType(kind), True),), True


class TemplateChecker:
    """Every variable path a template reads must exist in the plan, in the right namespace."""

    def __init__(self, plan: ir.Plan, trigger: ir.Event | None, file: str, source: str) -> None:
        self.plan = plan
        self.trigger = trigger
        self.file = file
        self.source = source
        self.types: Mapping[str, ir.ObjectType] = {t.name: t for t in plan.types}
        self.found: list[Diagnostic] = []
        # assign/capture/increment/decrement: template-wide from the point they run
        self.locals: dict[str, Binding] = {}

    def check(self) -> list[Diagnostic]:
        try:
            template = customerio_environment().from_string(self.source, name=self.file)
        except LiquidError as exc:
            self._syntax(exc)
            return self.found
        for node in template.nodes:
            self._node(node, _Scope())
        return sorted(set(self.found))

    def _syntax(self, exc: LiquidError) -> None:
        token = getattr(exc, "token", None)
        line, column = _line_col(self.source, token[2]) if token else (1, 1)
        message = getattr(exc, "message", None) or str(exc).splitlines()[0]
        hint = "fix the tag or output at this position"
        if re.search(r"\bevent\.[A-Z]\w* [A-Z]", self.source):
            hint = (
                "event properties are read directly (`event.revenue`), not under the event's name"
            )
        elif tag := re.match(r"unexpected tag '(\w+)'", message):
            known = [*dialect.TAGS, "assign", "capture", "for", "if", "unless", "case", "tablerow"]
            hint = did_you_mean(tag.group(1), known) or (
                "Customer.io tags: " + ", ".join(sorted(dialect.TAGS))
            )
        self._add(
            Location(self.file, line, column),
            "liquid/syntax",
            Level.ERROR,
            f"invalid Liquid: {message}",
            hint,
        )

    # -- walking -------------------------------------------------------------------------------

    def _node(self, node: Node, scope: _Scope) -> None:
        name = type(node).__name__
        match name:
            case "ForNode" | "TablerowNode":
                self._loop_node(node, scope, "for" if name == "ForNode" else "tablerow")
            case "AssignNode":
                bound = self._typed(node.expression, scope, defaulted=False)  # type: ignore[attr-defined]
                self.locals[str(node.name)] = bound or ((), False)  # type: ignore[attr-defined]
            case "CaptureNode":
                self._children(node, scope)
                self.locals[str(node.name)] = _local(str(node.name), ir.Kind.STRING)  # type: ignore[attr-defined]
            case "IncrementNode" | "DecrementNode":
                self.locals[str(node.name)] = _local(str(node.name), ir.Kind.INTEGER)  # type: ignore[attr-defined]
            case "IncludeNode" | "RenderNode":
                self._partial(node, scope, "include" if name == "IncludeNode" else "render")
            case _:
                self._block(node, name, scope)

    def _children(self, node: Node, scope: _Scope) -> None:
        for child in node.children(None, include_partials=False):  # type: ignore[arg-type]
            self._node(child, scope)

    def _block(self, node: Node, name: str, scope: _Scope) -> None:
        guards: set[str] = set()
        is_test = name in ("IfNode", "UnlessNode", "ConditionalBlockNode", "CaseNode")
        for expression in node.expressions():
            # a missing value is falsy in a test, so tests need no `default`
            self._expression(expression, scope, defaulted=is_test)
            if name == "IfNode":
                guards |= {str(p) for p in _paths(expression)}
        children = node.children(None, include_partials=False)  # type: ignore[arg-type]
        for i, child in enumerate(children):
            # the first block of an `if` runs only when its test is truthy
            inner = (
                _Scope(scope.loops, scope.guarded | guards)
                if name == "IfNode" and i == 0
                else scope
            )
            self._node(child, inner)

    def _loop_node(self, node: Node, scope: _Scope, tag: str) -> None:
        expressions = list(node.expressions())
        loop = expressions[0] if expressions else None
        bound: dict[str, Binding] = {dialect.LOOP_OBJECTS[tag]: ((), True)}
        if isinstance(loop, LoopExpression):
            for extra in (loop.limit, loop.offset, getattr(loop, "cols", None)):
                if extra is not None:
                    self._expression(extra, scope, defaulted=False)
            item = self._loop(loop, scope)
            if item is not None:
                bound[loop.identifier] = item
            else:
                bound[loop.identifier] = ((), False)
        self._children(node, _Scope({**scope.loops, **bound}, scope.guarded))

    def _partial(self, node: Node, scope: _Scope, tag: str) -> None:
        target = getattr(node, "name", None)
        label = target.value if isinstance(target, StringLiteral) else str(target)
        for expression in node.expressions():
            if expression is not target:
                self._expression(expression, scope, defaulted=False)
        self._add(
            self._location(node.token),
            "liquid/not-checked",
            Level.WARNING,
            f"`{{% {tag} {label} %}}` is not checked: the plan cannot see what it renders",
            f"check `{label}` on its own with `codegen check-template`, or inline it",
        )

    def _expression(self, expression: Any, scope: _Scope, defaulted: bool) -> None:
        if isinstance(expression, FilteredExpression | Path):
            self._typed(expression, scope, defaulted)
            return
        for child in expression.children():
            self._expression(child, scope, defaulted)

    def _typed(self, expression: Any, scope: _Scope, defaulted: bool) -> Binding | None:
        """Check ``expression`` and return what it evaluates to, where the plan knows."""
        if isinstance(expression, Path):
            return self._path(expression, scope, defaulted)
        if not isinstance(expression, FilteredExpression):
            self._expression(expression, scope, defaulted)
            return None
        filters = expression.filters or []
        has_default = any(f.name == "default" for f in filters)
        value = self._typed(expression.left, scope, defaulted or has_default)
        for f in filters:
            for arg in f.args:
                self._expression(getattr(arg, "value", arg), scope, defaulted)
            value = self._filter(f, value)
        return value

    def _filter(self, f: Any, value: Binding | None) -> Binding | None:
        """Check one filter applied to ``value``; return the filter's result."""
        if f.name not in dialect.STANDARD_FILTERS and f.name not in dialect.FILTERS:
            self._at(
                f,
                "liquid/unknown-filter",
                Level.WARNING,
                f"`{f.name}` is neither a standard Liquid filter nor a Customer.io one",
                did_you_mean(f.name, [*dialect.STANDARD_FILTERS, *dialect.FILTERS]),
            )
            return None
        if value is None or not value[0]:
            return None
        chain, guaranteed = value
        last = chain[-1].type
        if last.kind is not ir.Kind.ARRAY:
            return None
        items = last.items or _ANY
        if f.name in dialect.FIELD_ARGUMENT_FILTERS and f.args:
            arg = getattr(f.args[0], "value", f.args[0])
            if isinstance(arg, StringLiteral):
                found = self._item_field(f, arg.value, items, chain[-1].name)
                if f.name == "map":
                    mapped = found.type if found else _ANY
                    array = ir.FieldType(ir.Kind.ARRAY, items=mapped)
                    return (*chain, ir.Field(arg.value, array, True)), guaranteed
        if f.name in dialect.SAME_LIST_FILTERS:
            return chain, guaranteed and f.name not in ("where", "compact", "slice")
        if f.name in dialect.ITEM_FILTERS:
            min_items = last.bounds.min_items or 0
            return (*chain, ir.Field(f.name, items, True)), guaranteed and min_items > 0
        return None

    def _item_field(self, f: Any, name: str, items: ir.FieldType, owner: str) -> ir.Field | None:
        fields = members(items, self.types)
        if items.kind is ir.Kind.ANY or (items.additional_properties and not fields):
            return None
        found = next((x for x in fields if x.name == name), None)
        if found is None:
            names = [x.name for x in fields]
            self._at(
                f,
                "liquid/unknown-field",
                Level.ERROR,
                f'`{f.name}: "{name}"`: items of `{owner}` have no field `{name}`',
                did_you_mean(name, names) or ("fields: " + ", ".join(names[:12])),
            )
        return found

    def _loop(self, loop: LoopExpression, scope: _Scope) -> Binding | None:
        iterable = loop.iterable
        resolved = self._typed(iterable, scope, defaulted=True) if iterable else None
        if resolved is None or not resolved[0]:
            return None
        chain = resolved[0]
        last = chain[-1]
        if last.type.kind is ir.Kind.ANY:
            return None
        if last.type.kind is not ir.Kind.ARRAY:
            self._at(
                iterable,
                "liquid/not-a-list",
                Level.ERROR,
                f"`{iterable}` is {last.type.describe()}, not a list",
                "loop over an array property",
            )
            return None
        item = last.type.items or _ANY
        # the body runs only for items that exist, whether or not the list is optional
        return (*chain, ir.Field(loop.identifier, item, True)), True

    # -- resolving a path ----------------------------------------------------------------------

    def _path(self, path: Path, scope: _Scope, defaulted: bool) -> Binding | None:
        segments = list(path.path)
        head = str(segments[0])
        if any(isinstance(s, Path) for s in segments):
            return None  # dynamic lookups (`a[b]`) cannot be checked statically
        rest = [str(s) for s in segments[1:]]
        bound = scope.loops.get(head) or self.locals.get(head)
        if bound is not None:
            base, guaranteed = bound
            if not base:
                return None  # a value the plan does not describe (loop object, untyped assign)
            fields = members(base[-1].type, self.types)
            owner = f"item of `{head}`" if head in scope.loops else f"`{head}`"
            return self._walk(path, base, fields, rest, guaranteed, scope, defaulted, owner)
        if head == "event":
            return self._event(path, rest, scope, defaulted)
        if head == "customer":
            if rest and rest[0] in BUILTIN_CUSTOMER and self.plan.trait(rest[0]) is None:
                return None
            owner = "the traits"
            return self._walk(path, (), self.plan.traits, rest, True, scope, defaulted, owner)
        if head in dialect.OBJECTS:
            keys = dialect.OBJECTS[head].keys
            if keys is not None and rest and rest[0] not in keys:
                self._at(
                    path,
                    "liquid/unknown-field",
                    Level.ERROR,
                    f"`{path}`: Customer.io's `{head}` has no `{rest[0]}`",
                    did_you_mean(rest[0], keys) or f"`{head}` has: {', '.join(sorted(keys))}",
                )
            return None
        self._unknown_variable(path, head)
        return None

    def _event(self, path: Path, rest: list[str], scope: _Scope, defaulted: bool) -> Binding | None:
        if self.trigger is None:
            self._at(
                path,
                "liquid/namespace",
                Level.ERROR,
                f"`{path}` reads the trigger event, but this message has no trigger",
                "segment-triggered messages can only use `customer.` attributes",
            )
            return None
        event_names = {loose_key(e.name) for e in self.plan.events}
        if (
            rest
            and loose_key(rest[0]) in event_names
            and not any(f.name == rest[0] for f in self.trigger.fields)
        ):
            self._at(
                path,
                "liquid/namespace",
                Level.ERROR,
                f"`{path}`: event properties are read directly, not under the event name",
                f"write `event.{'.'.join(rest[1:]) or '<property>'}`",
            )
            return None
        owner = f"event `{self.trigger.name}`"
        return self._walk(path, (), self.trigger.fields, rest, True, scope, defaulted, owner)

    def _unknown_variable(self, path: Path, head: str) -> None:
        hint: str | None = "trigger event properties are `event.<name>`, traits `customer.<name>`"
        if self.trigger and any(f.name == head for f in self.trigger.fields):
            hint = f"did you mean `event.{head}`?"
        elif self.plan.trait(head):
            hint = f"did you mean `customer.{head}`?"
        elif head in dialect.LOOP_OBJECTS.values():
            hint = f"`{head}` exists only inside its loop"
        elif near := did_you_mean(head, [*self.locals, *dialect.OBJECTS]):
            hint = near
        self._at(path, "liquid/namespace", Level.ERROR, f"unknown variable `{head}`", hint)

    def _walk(
        self,
        path: Path,
        base: tuple[ir.Field, ...],
        fields: Sequence[ir.Field],
        parts: list[str],
        guaranteed: bool,
        scope: _Scope,
        defaulted: bool,
        owner: str,
    ) -> Binding | None:
        chain = list(base)
        current: Sequence[ir.Field] = fields
        for i, part in enumerate(parts):
            last = chain[-1].type if chain else None
            if last is not None and last.kind is ir.Kind.STRING and part == "size":
                return (*chain, ir.Field("size", ir.FieldType(ir.Kind.INTEGER), True)), True
            if (
                last is not None
                and last.kind is ir.Kind.ARRAY
                and (part in _ARRAY_PROPERTIES or part.isdigit())
            ):
                if part == "size":
                    return (*chain, ir.Field("size", ir.FieldType(ir.Kind.INTEGER), True)), True
                items = last.items or _ANY
                chain.append(ir.Field(part, items, True))
                current = members(items, self.types)
                # an element exists only if the plan says the list is long enough
                index = 0 if part in ("first", "last") else int(part)
                guaranteed = guaranteed and (last.bounds.min_items or 0) > index
                continue
            if last is not None and (
                last.kind is ir.Kind.ANY or (last.additional_properties and not current)
            ):
                return (), False  # free-form data: nothing to check below
            found = next((f for f in current if f.name == part), None)
            if found is None:
                self._unknown(path, part, current, parts[:i], owner)
                return None
            chain.append(found)
            guaranteed = guaranteed and found.required and not found.type.nullable
            current = members(found.type, self.types)
        if not guaranteed and not defaulted and str(path) not in scope.guarded:
            self._at(
                path,
                "liquid/optional-without-default",
                Level.WARNING,
                f"`{path}` is optional in the plan and used without `default`",
                f"write `{{{{ {path} | default: ... }}}}` or guard it with `{{% if {path} %}}`",
            )
        return tuple(chain), guaranteed

    def _unknown(
        self, path: Path, part: str, fields: Sequence[ir.Field], before: list[str], owner: str
    ) -> None:
        names = [f.name for f in fields]
        head = str(path.path[0])
        where = owner + (f", object `{'.'.join(before)}`" if before else "")
        hint: str | None
        if not before and head == "event" and self.plan.trait(part):
            hint = f"`{part}` is a trait: use `customer.{part}`"
        elif not before and head == "customer" and self.trigger and part in names_of(self.trigger):
            hint = f"`{part}` is a property of the trigger event: use `event.{part}`"
        else:
            hint = did_you_mean(part, names)
        self._at(
            path,
            "liquid/unknown-field",
            Level.ERROR,
            f"`{path}`: `{part}` is not in {where}",
            hint or ("known: " + ", ".join(names[:12]) if names else None),
        )

    # -- reporting -----------------------------------------------------------------------------

    def _location(self, token: Any) -> Location:
        line, column = _line_col(self.source, token[2])
        return Location(self.file, line, column)

    def _at(self, where: Any, code: str, level: Level, message: str, hint: str | None) -> None:
        location = self._location(where.token)
        self.found.append(Diagnostic(location, code, level, message, hint))

    def _add(
        self, location: Location, code: str, level: Level, message: str, hint: str | None
    ) -> None:
        self.found.append(Diagnostic(location, code, level, message, hint))


def names_of(event: ir.Event) -> set[str]:
    return {f.name for f in event.fields}


def _paths(expression: Any) -> Iterator[Path]:
    if isinstance(expression, Path):
        yield expression
        return
    for child in expression.children():
        yield from _paths(child)


def _line_col(source: str, index: int) -> tuple[int, int]:
    before = source[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def check_template(
    plan: ir.Plan, source: str, file: str, trigger: ir.Event | None
) -> list[Diagnostic]:
    """Diagnostics for a template used by a message triggered by ``trigger`` (None: segment)."""
    return TemplateChecker(plan, trigger, file, source).check()


def render(source: str, data: Mapping[str, Any]) -> str:
    """Render as Customer.io would, with missing values failing loudly."""
    return customerio_environment().from_string(source).render(**data)
