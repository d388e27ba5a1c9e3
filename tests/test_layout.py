"""The stage folders: imports only run down the pipeline, and every folder says what it owns."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "codegen"

# Lower rank = earlier in the pipeline. A module may import only from its own stage or from a
# stage of lower rank. ``config`` is shared by all; ``pipeline`` composes the stages for the
# public API; ``cli`` is presentation only and nothing imports it.
RANK = {
    "config": 0,
    "plan": 1,
    "checks": 2,
    "generators": 3,
    "output": 4,
    "validate": 5,
    "journeys": 5,
    "serve": 5,  # a live collector around validate's checker
    "pipeline": 6,
    "interop": 7,  # checks an imported plan by loading it like any plan
    "__init__": 8,
    "__main__": 8,
    "cli": 8,
}


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _module_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    module = _module_of(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "codegen" or target.startswith("codegen."):
                if target.count(".") == 0:
                    found.update(f"codegen.{a.name}" for a in node.names)
                else:
                    found.add(target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("codegen."))
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_down_the_pipeline(path: Path) -> None:
    own = _stage(_module_of(path))
    wrong = sorted(
        target
        for target in _imports(path)
        if RANK[_stage(target)] > RANK[own] and _stage(target) != own
    )
    assert not wrong, f"{path.relative_to(PACKAGE)} ({own}) imports a later stage: {wrong}"


@pytest.mark.parametrize(
    "folder", sorted(p.parent for p in PACKAGE.rglob("__init__.py")), ids=lambda p: p.name
)
def test_every_stage_folder_says_what_it_owns(folder: Path) -> None:
    doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text(encoding="utf-8")))
    assert (
        doc and "TODO" not in doc and len(doc) > 40
    ), f"{folder.name}/__init__.py needs a docstring"
