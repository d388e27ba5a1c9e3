"""Names the generated SDK already uses, read from what defines them, never copied by hand.

The runtime, tracker and package templates are rendered for an empty plan and parsed: every name
they bind at module level, every attribute of ``TrackerBase``/``Tracker`` and every parameter
of the tracker's methods is taken. To those come Python keywords and builtins, the attributes of
``pydantic.BaseModel`` and every name datamodel-code-generator can import into a model module.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import sys
from dataclasses import dataclass
from functools import cache

from ...plan import ir
from ..render import render
from .modelplan import ANNOTATION_BUILTINS, TRAITS_CLASS, TYPING_NAMES

# What the generated package needs installed (templates/python/pyproject.toml.j2) and the
# packages those install that it imports: a plan slug must not shadow them.
DEPENDENCY_MODULES = frozenset(
    {"pydantic", "pydantic_core", "jsonschema", "segment", "customerio", "typing_extensions"}
)
_TEMPLATES = ("python/_runtime.py.j2", "python/tracker.py.j2", "python/__init__.py.j2")


@dataclass(frozen=True)
class Reserved:
    module_names: frozenset[str]  # bound at module level by the runtime/tracker/package modules
    tracker_attributes: frozenset[str]  # of TrackerBase and Tracker: methods, attributes
    tracker_parameters: frozenset[str]  # keyword arguments every tracker method has
    model_attributes: frozenset[str]  # of pydantic.BaseModel
    model_imports: frozenset[str]  # what datamodel-code-generator may import into a model

    @property
    def class_names(self) -> frozenset[str]:
        """A generated class may not take these (it would shadow or be shadowed by them)."""
        python = {*keyword.kwlist, *dir(builtins)}
        return self.module_names | self.model_imports | python

    @property
    def field_names(self) -> frozenset[str]:
        """A field (and tracker keyword argument) may not take these."""
        return (
            frozenset(keyword.kwlist)
            | self.tracker_parameters
            | self.model_attributes
            | ANNOTATION_BUILTINS
        )

    @property
    def method_names(self) -> frozenset[str]:
        """An event's tracker method may not take these."""
        return frozenset(keyword.kwlist) | self.tracker_attributes

    @property
    def package_names(self) -> frozenset[str]:
        """A plan slug (the package's import name) may not take these."""
        return (
            frozenset(keyword.kwlist)
            | frozenset(sys.stdlib_module_names)
            | DEPENDENCY_MODULES
            | frozenset(dir(builtins))
        )


@cache
def reserved() -> Reserved:
    """The registry, built from the built-in templates (once per process)."""
    sources = _rendered()
    modules: set[str] = set()
    attributes: set[str] = set()
    parameters: set[str] = set()
    for source in sources:
        tree = ast.parse(source)
        modules |= _module_names(tree)
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name in ("TrackerBase", "Tracker"):
                attributes |= _class_attributes(node)
                if node.name == "Tracker":
                    parameters |= _parameters(node)
    modules.discard(TRAITS_CLASS)  # the model plan's own class, exported by __init__
    return Reserved(
        module_names=frozenset(modules),
        tracker_attributes=frozenset(attributes),
        tracker_parameters=frozenset(parameters),
        model_attributes=frozenset(dir(_base_model())),
        model_imports=_model_imports() | frozenset(TYPING_NAMES),
    )


def _rendered() -> list[str]:
    from .sdk import template_context  # the real context of an empty plan

    empty = ir.Plan(
        name="Reserved names",
        slug="reserved_names",
        version="0.0.0",
        doc=ir.Doc(),
        schema_base_uri="",
        identity=ir.Identity(None, None, ()),
        library=(),
        types=(),
        events=(),
        traits=(),
        segments=(),
        messages=(),
    )
    context = template_context(empty)
    return [render(name, None, **context) for name in _TEMPLATES]


def _module_names(tree: ast.Module) -> set[str]:
    """Names bound at module level, including under ``if TYPE_CHECKING:``."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            out |= {(a.asname or a.name).split(".")[0] for a in node.names}
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            out.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            out |= {t.id for t in targets if isinstance(t, ast.Name)}
    return out


def _class_attributes(node: ast.ClassDef) -> set[str]:
    out: set[str] = set()
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
            out.add(item.name)
        elif isinstance(item, ast.Assign | ast.AnnAssign):
            targets = item.targets if isinstance(item, ast.Assign) else [item.target]
            out |= {t.id for t in targets if isinstance(t, ast.Name)}
    for sub in ast.walk(node):  # self.x = ... in any method
        if (
            isinstance(sub, ast.Attribute)
            and isinstance(sub.ctx, ast.Store)
            and isinstance(sub.value, ast.Name)
            and sub.value.id == "self"
        ):
            out.add(sub.attr)
    return out


def _parameters(node: ast.ClassDef) -> set[str]:
    out: set[str] = set()
    for item in node.body:
        if isinstance(item, ast.FunctionDef):
            args = item.args
            out |= {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    return out


def _base_model() -> type:
    from pydantic import BaseModel

    return BaseModel


def _model_imports() -> frozenset[str]:
    """Every name datamodel-code-generator's import tables can bind in a model module."""
    import datamodel_code_generator.imports as general
    import datamodel_code_generator.model.pydantic_v2.imports as pydantic_v2
    from datamodel_code_generator.imports import Import

    return frozenset(
        value.alias or value.import_
        for module in (general, pydantic_v2)
        for value in vars(module).values()
        if isinstance(value, Import)
    )
