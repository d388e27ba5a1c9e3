"""Liquid templates checked against the plan with python-liquid: static analysis and rendering.

The environment stands in for Customer.io's flavour: its ``currency`` filter and
``unsubscribe_url``/``view_in_browser_url`` tags, and undefined values that fail like Customer.io
fails a message (any use but ``default`` and ``if`` tests is an error).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from liquid import Environment, FalsyStrictUndefined, Node, Tag
from liquid.builtin.expressions import FilteredExpression, Path
from liquid.builtin.expressions.loop import LoopExpression
from liquid.exceptions import LiquidError

from ..plan import ir
from ..plan.diagnostics import Diagnostic, Level, Location
from ..plan.names import loose_key
from ..plan.segments import members
from ..plan.suggest import did_you_mean

# Customer.io person attributes that exist without being declared as traits.
BUILTIN_CUSTOMER = frozenset({"id", "cio_id", "email", "created_at"})
# Names Customer.io provides besides `event` and `customer`.
OTHER_NAMESPACES = frozenset(
    {
        "campaign",
        "message",
        "layout",
        "delivery_id",
        "content",
        "workspace",
        "now",
        "today",
        "event_timestamp",
        "trigger",
        "journey",
        "forloop",
    }
)
_ARRAY_PROPERTIES = frozenset({"size", "first", "last"})


class CustomerIoUndefined(FalsyStrictUndefined):
    """Missing values fail the render, except in ``{% if %}`` tests and through ``default``."""

    force_liquid_default = True


class _UrlNode(Node):
    __slots__ = ("url",)

    def __init__(self, token: Any, url: str) -> None:
        super().__init__(token)
        self.url = url

    def render_to_output(self, context: Any, buffer: TextIO) -> int:
        return buffer.write(self.url)

    def children(self, static_context: Any, *, include_partials: bool = True) -> list[Node]:
        return []


def _url_tag(tag_name: str, url: str) -> type[Tag]:
    class UrlTag(Tag):
        name = tag_name
        block = False

        def parse(self, stream: Any) -> Node:
            return _UrlNode(stream.current, url)

    return UrlTag


def _currency(value: object, locale: str = "en-us") -> str:
    """Stand-in for Customer.io's ``currency`` filter (``{{ 10 | currency: "en-us" }}``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"currency expects a number, got {value!r}")
    return f"${value:,.2f}"


def customerio_environment() -> Environment:
    env = Environment(undefined=CustomerIoUndefined)
    env.add_filter("currency", _currency)
    for name, url in (
        ("unsubscribe_url", "https://example.invalid/unsubscribe"),
        ("view_in_browser_url", "https://example.invalid/view"),
    ):
        env.add_tag(_url_tag(name, url))
    return env


# -- static analysis ---------------------------------------------------------------------------


@dataclass
class _Scope:
    """What names mean at a point of the template: loop variables and guarded paths."""

    loops: dict[str, tuple[tuple[ir.Field, ...], bool]] = field(default_factory=dict)
    guarded: frozenset[str] = frozenset()


class TemplateChecker:
    """Every variable path a template reads must exist in the plan, in the right namespace."""

    def __init__(self, plan: ir.Plan, trigger: ir.Event | None, file: str, source: str) -> None:
        self.plan = plan
        self.trigger = trigger
        self.file = file
        self.source = source
        self.types: Mapping[str, ir.ObjectType] = {t.name: t for t in plan.types}
        self.found: list[Diagnostic] = []

    def check(self) -> list[Diagnostic]:
        try:
            template = customerio_environment().from_string(self.source, name=self.file)
        except LiquidError as exc:
            token = getattr(exc, "token", None)
            line, column = _line_col(self.source, token[2]) if token else (1, 1)
            message = getattr(exc, "message", None) or str(exc).splitlines()[0]
            hint = "fix the tag or output at this position"
            if re.search(r"\bevent\.[A-Z]\w* [A-Z]", self.source):
                hint = (
                    "event properties are read directly (`event.revenue`), not under the "
                    "event's name"
                )
            self._add(
                Location(self.file, line, column),
                "liquid/syntax",
                Level.ERROR,
                f"invalid Liquid: {message}",
                hint,
            )
            return self.found
        for node in template.nodes:
            self._node(node, _Scope())
        return sorted(set(self.found))

    # -- walking -------------------------------------------------------------------------------

    def _node(self, node: Node, scope: _Scope) -> None:
        name = type(node).__name__
        expressions = list(node.expressions())
        if name == "ForNode" and expressions and isinstance(expressions[0], LoopExpression):
            loop = expressions[0]
            bound = self._loop(loop, scope)
            inner = _Scope({**scope.loops, **bound}, scope.guarded)
            for child in node.children(None):  # type: ignore[arg-type]
                self._node(child, inner)
            return
        guards: set[str] = set()
        is_test = name in ("IfNode", "UnlessNode", "ConditionalBlockNode")
        for expression in expressions:
            # a missing value is falsy in a test, so tests need no `default`
            self._expression(expression, scope, defaulted=is_test)
            if name == "IfNode":
                guards |= {str(p) for p in _paths(expression)}
        children = list(node.children(None))  # type: ignore[arg-type]
        for i, child in enumerate(children):
            # the first block of an `if` runs only when its test is truthy
            inner = (
                _Scope(scope.loops, scope.guarded | guards)
                if name == "IfNode" and i == 0
                else scope
            )
            self._node(child, inner)

    def _expression(self, expression: Any, scope: _Scope, defaulted: bool) -> None:
        if isinstance(expression, FilteredExpression):
            filters = expression.filters or []
            has_default = any(f.name == "default" for f in filters)
            self._expression(expression.left, scope, defaulted or has_default)
            for f in filters:
                for arg in f.args:
                    self._expression(getattr(arg, "value", arg), scope, defaulted)
            return
        if isinstance(expression, Path):
            self._path(expression, scope, defaulted)
            return
        for child in expression.children():
            self._expression(child, scope, defaulted)

    def _loop(
        self, loop: LoopExpression, scope: _Scope
    ) -> dict[str, tuple[tuple[ir.Field, ...], bool]]:
        iterable = loop.iterable
        if not isinstance(iterable, Path):
            return {}
        resolved = self._path(iterable, scope, defaulted=True, iterating=True)
        if resolved is None:
            return {}
        chain, guaranteed = resolved
        last = chain[-1]
        if last.type.kind is not ir.Kind.ARRAY:
            self._at(
                iterable,
                "liquid/not-a-list",
                Level.ERROR,
                f"`{iterable}` is {last.type.describe()}, not a list",
                "loop over an array property",
            )
            return {}
        item = last.type.items or ir.FieldType(ir.Kind.ANY)
        item_field = ir.Field(loop.identifier, item, True)
        return {loop.identifier: ((*chain, item_field), guaranteed)}

    # -- resolving a path ----------------------------------------------------------------------

    def _path(
        self, path: Path, scope: _Scope, defaulted: bool, iterating: bool = False
    ) -> tuple[tuple[ir.Field, ...], bool] | None:
        segments = [s for s in path.path]
        head = segments[0]
        if any(isinstance(s, Path) for s in segments):
            return None  # dynamic lookups (`a[b]`) cannot be checked statically
        if head in scope.loops:
            base, guaranteed = scope.loops[str(head)]
            fields = members(base[-1].type, self.types)
            return self._walk(
                path,
                base,
                fields,
                [str(s) for s in segments[1:]],
                guaranteed,
                scope,
                defaulted,
                iterating,
                f"item of `{head}`",
            )
        if head == "event":
            if self.trigger is None:
                self._at(
                    path,
                    "liquid/namespace",
                    Level.ERROR,
                    f"`{path}` reads the trigger event, but this message has no trigger",
                    "segment-triggered messages can only use `customer.` attributes",
                )
                return None
            rest = [str(s) for s in segments[1:]]
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
            return self._walk(
                path,
                (),
                self.trigger.fields,
                rest,
                True,
                scope,
                defaulted,
                iterating,
                f"event `{self.trigger.name}`",
            )
        if head == "customer":
            rest = [str(s) for s in segments[1:]]
            if rest and rest[0] in BUILTIN_CUSTOMER and self.plan.trait(rest[0]) is None:
                return None
            return self._walk(
                path, (), self.plan.traits, rest, True, scope, defaulted, iterating, "the traits"
            )
        if head in OTHER_NAMESPACES:
            return None
        hint = "trigger event properties are `event.<name>`, traits `customer.<name>`"
        if self.trigger and any(f.name == head for f in self.trigger.fields):
            hint = f"did you mean `event.{head}`?"
        elif self.plan.trait(str(head)):
            hint = f"did you mean `customer.{head}`?"
        self._at(path, "liquid/namespace", Level.ERROR, f"unknown variable `{head}`", hint)
        return None

    def _walk(
        self,
        path: Path,
        base: tuple[ir.Field, ...],
        fields: Sequence[ir.Field],
        parts: list[str],
        guaranteed: bool,
        scope: _Scope,
        defaulted: bool,
        iterating: bool,
        owner: str,
    ) -> tuple[tuple[ir.Field, ...], bool] | None:
        chain = list(base)
        current: Sequence[ir.Field] = fields
        for i, part in enumerate(parts):
            last = chain[-1].type if chain else None
            if (
                last is not None
                and last.kind is ir.Kind.ARRAY
                and (part in _ARRAY_PROPERTIES or part.isdigit())
            ):
                if part == "size":
                    return tuple(chain), True
                items = last.items or ir.FieldType(ir.Kind.ANY)
                chain.append(ir.Field(part, items, True))
                current = members(items, self.types)
                # an element exists only if the plan says the list is long enough
                index = 0 if part in ("first", "last") else int(part)
                guaranteed = guaranteed and (last.bounds.min_items or 0) > index
                continue
            if last is not None and (
                last.kind is ir.Kind.ANY or (last.additional_properties and not current)
            ):
                return tuple(chain), False  # free-form data: nothing to check below
            found = next((f for f in current if f.name == part), None)
            if found is None:
                self._unknown(path, part, current, parts[:i], owner)
                return None
            chain.append(found)
            guaranteed = guaranteed and found.required and not found.type.nullable
            current = members(found.type, self.types)
        if not guaranteed and not defaulted and not iterating and str(path) not in scope.guarded:
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
        where = f"{owner}" + (f", object `{'.'.join(before)}`" if before else "")
        hint: str | None
        if not before and owner.startswith("event") and self.plan.trait(part):
            hint = f"`{part}` is a trait: use `customer.{part}`"
        elif (
            not before and owner == "the traits" and self.trigger and part in names_of(self.trigger)
        ):
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

    def _at(self, path: Any, code: str, level: Level, message: str, hint: str | None) -> None:
        line, column = _line_col(self.source, path.token[2])
        self._add(Location(self.file, line, column), code, level, message, hint)

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
